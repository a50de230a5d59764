"""All SQL of mandates."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select, text

from shared.kernel.repository import Repository, keyset_page, matches
from shared.mandates import rules
from shared.mandates.models import Mandate, MandateRenewal
from shared.mandates.schemas import MandateFilter


class MandateRepository(Repository[Mandate]):
    model = Mandate

    async def page(
        self,
        f: MandateFilter,
        *,
        today: dt.date,
        expiring_days: int,
        after: tuple[dt.date, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Mandate]:
        query = select(Mandate)
        if f.countries:
            query = query.where(Mandate.countries.overlap(list(f.countries)))
        if f.types:
            query = query.where(Mandate.type.in_(f.types))
        if f.statuses:
            query = query.where(
                or_(
                    *(
                        rules.status_clause(
                            Mandate.start_date, Mandate.end_date, s, today, expiring_days
                        )
                        for s in f.statuses
                    )
                )
            )
        if f.active_on is not None:
            query = query.where(
                rules.active_on_clause(Mandate.start_date, Mandate.end_date, f.active_on)
            )
        if f.q:
            query = query.where(matches(Mandate.search, f.q))
        query = keyset_page(query, Mandate.start_date, Mandate.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    async def programme_count(self, mandate_id: uuid.UUID) -> int:
        # Plain SQL: programmes depend on mandates, not the other way round.
        result = await self.session.execute(
            text("SELECT count(*) FROM programmes WHERE mandate_id = :id"), {"id": mandate_id}
        )
        return int(result.scalar_one())

    async def renewals(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[MandateRenewal]]:
        out: dict[uuid.UUID, list[MandateRenewal]] = {i: [] for i in ids}
        if not ids:
            return out
        result = await self.session.execute(
            select(MandateRenewal)
            .where(MandateRenewal.mandate_id.in_(list(ids)))
            .order_by(MandateRenewal.mandate_id, MandateRenewal.id)
        )
        for row in result.scalars():
            out[row.mandate_id].append(row)
        return out

    async def add_renewal(self, renewal: MandateRenewal) -> None:
        self.session.add(renewal)
        await self.session.flush()
