"""All SQL of institutions and national mechanisms."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, tuple_, update

from shared.institutions.models import (
    FocalPoint,
    Institution,
    NationalMechanism,
    NationalMechanismMember,
    RecommendationInstitution,
)
from shared.institutions.schemas import InstitutionFilter
from shared.kernel.repository import Repository
from shared.recommendations.writes import RecommendationWrites


class InstitutionRepository(Repository[Institution]):
    model = Institution

    async def page(
        self, f: InstitutionFilter, *, after: tuple[str, str, uuid.UUID] | None, limit: int
    ) -> Sequence[Institution]:
        query = (
            select(Institution)
            .order_by(Institution.country, Institution.name, Institution.id)
            .limit(limit)
        )
        if f.countries:
            query = query.where(Institution.country.in_(f.countries))
        if f.kinds:
            query = query.where(Institution.kind.in_(f.kinds))
        if f.q:
            query = query.where(Institution.name.icontains(f.q, autoescape=True))
        if after is not None:
            query = query.where(
                tuple_(Institution.country, Institution.name, Institution.id) > tuple_(*after)
            )
        return (await self.session.execute(query)).scalars().all()

    async def get_many(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Institution]:
        if not ids:
            return {}
        rows = await self.session.execute(select(Institution).where(Institution.id.in_(ids)))
        return {r.id: r for r in rows.scalars()}

    async def by_names(self, country: str, names: Sequence[str]) -> dict[str, Institution]:
        if not names:
            return {}
        rows = await self.session.execute(
            select(Institution).where(Institution.country == country, Institution.name.in_(names))
        )
        return {r.name: r for r in rows.scalars()}

    async def by_folded_names(
        self, country: str, *, for_update: bool = False
    ) -> dict[str, Institution]:
        """Every institution of a State by case-folded name (CSV cells are typed by hand);
        read as they are now and locked (in id order) when asked."""
        query = select(Institution).where(Institution.country == country)
        if for_update:
            query = (
                query.order_by(Institution.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        rows = await self.session.execute(query)
        return {r.name.casefold(): r for r in rows.scalars()}

    async def rename_on_recommendations(self, ident: uuid.UUID, old: str, new: str) -> int:
        """Keep the denormalized names of the recommendations it owns in step."""
        return await RecommendationWrites(self.session).rename_institution(ident, old, new)

    async def owners(self, rec_id: uuid.UUID) -> Sequence[Institution]:
        rows = await self.session.execute(
            select(Institution)
            .join(
                RecommendationInstitution,
                RecommendationInstitution.institution_id == Institution.id,
            )
            .where(RecommendationInstitution.recommendation_id == rec_id)
            .order_by(Institution.name, Institution.id)
        )
        return rows.scalars().all()

    async def set_owners(self, rec_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        await self.replace_links(
            RecommendationInstitution, "recommendation_id", rec_id, "institution_id", ids
        )


class MechanismRepository(Repository[NationalMechanism]):
    model = NationalMechanism

    async def page(
        self, countries: Sequence[str], *, after: str | None, limit: int
    ) -> Sequence[NationalMechanism]:
        query = select(NationalMechanism).order_by(NationalMechanism.country).limit(limit)
        if countries:
            query = query.where(NationalMechanism.country.in_(countries))
        if after is not None:
            query = query.where(NationalMechanism.country > after)
        return (await self.session.execute(query)).scalars().all()

    async def by_country(self, country: str) -> NationalMechanism | None:
        return (
            await self.session.execute(
                select(NationalMechanism).where(NationalMechanism.country == country)
            )
        ).scalar_one_or_none()

    async def members(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Institution]]:
        return await self.grouped(
            ids,
            select(NationalMechanismMember.mechanism_id, Institution)
            .join(Institution, Institution.id == NationalMechanismMember.institution_id)
            .where(NationalMechanismMember.mechanism_id.in_(ids))
            .order_by(Institution.name, Institution.id),
        )

    async def set_members(self, ident: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        await self.replace_links(
            NationalMechanismMember, "mechanism_id", ident, "institution_id", ids
        )

    async def focal_points(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[FocalPoint]]:
        """Personal data: the service calls this only for callers allowed to see it."""
        return await self.grouped(
            ids,
            select(FocalPoint.mechanism_id, FocalPoint)
            .where(FocalPoint.mechanism_id.in_(ids))
            .order_by(FocalPoint.mechanism_id, FocalPoint.ordinal),
        )

    async def focal_point_count(self, ident: uuid.UUID) -> int:
        result = await self.session.execute(
            select(func.count()).select_from(FocalPoint).where(FocalPoint.mechanism_id == ident)
        )
        return int(result.scalar_one())

    async def focal_points_of_person(
        self, email: str | None, name: str | None
    ) -> Sequence[FocalPoint]:
        """Focal points whose contact holds ``email`` or whose name is ``name`` (both
        without regard to case): what erasing one person removes."""
        conditions: list[ColumnElement[bool]] = []
        if email:
            conditions.append(FocalPoint.contact.icontains(email, autoescape=True))
        if name:
            conditions.append(func.lower(FocalPoint.name) == name.lower())
        if not conditions:
            return []
        query = select(FocalPoint).where(or_(*conditions)).order_by(FocalPoint.id)
        return (await self.session.execute(query)).scalars().all()

    async def delete_focal_points(self, ids: Sequence[uuid.UUID]) -> None:
        """Delete focal points; their mechanisms take a new version (their ETag changes)."""
        if not ids:
            return
        mechanisms = (
            await self.session.execute(
                delete(FocalPoint).where(FocalPoint.id.in_(ids)).returning(FocalPoint.mechanism_id)
            )
        ).scalars()
        await self.session.execute(
            update(NationalMechanism)
            .where(NationalMechanism.id.in_(set(mechanisms)))
            .values(version=NationalMechanism.version + 1, updated_at=func.clock_timestamp())
        )

    async def set_focal_points(self, ident: uuid.UUID, rows: Sequence[dict[str, Any]]) -> None:
        await self.session.execute(delete(FocalPoint).where(FocalPoint.mechanism_id == ident))
        if rows:
            await self.session.execute(
                insert(FocalPoint),
                [
                    {"id": uuid.uuid4(), "mechanism_id": ident, "ordinal": i, **r}
                    for i, r in enumerate(rows)
                ],
            )
