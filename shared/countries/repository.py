from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.countries.models import Country, Mechanism
from shared.documents.models import Document
from shared.recommendations.models import Recommendation


class CountryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self, regional_group: str | None) -> Sequence[Country]:
        query = select(Country).order_by(Country.iso3)
        if regional_group is not None:
            query = query.where(Country.regional_group == regional_group)
        return (await self.session.execute(query)).scalars().all()

    async def get(self, iso3: str) -> Country | None:
        return await self.session.get(Country, iso3)

    async def counts(self, iso3: str, column: str) -> dict[str, int]:
        col = getattr(Recommendation, column)
        rows = await self.session.execute(
            select(col, func.count())
            .where(Recommendation.state_under_review == iso3, Recommendation.deleted_at.is_(None))
            .group_by(col)
        )
        return {str(value): int(n) for value, n in rows.all()}

    async def document_count(self, iso3: str) -> int:
        result = await self.session.execute(
            select(func.count()).select_from(Document).where(Document.state_under_review == iso3)
        )
        return int(result.scalar_one())

    async def mechanisms(self) -> Sequence[Mechanism]:
        return (
            (await self.session.execute(select(Mechanism).order_by(Mechanism.code))).scalars().all()
        )
