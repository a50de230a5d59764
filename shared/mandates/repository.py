"""All SQL of mandates."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, text

from shared.kernel.repository import Repository, SelectT, keyset_page, matches
from shared.mandates import rules
from shared.mandates.models import Mandate, MandateRenewal
from shared.mandates.schemas import MandateFilter, PresenceFilter


def presence_filtered(
    query: SelectT, model: Any, f: PresenceFilter, today: dt.date, expiring_days: int | None
) -> SelectT:
    """``query`` of mandates or programmes (``model``: countries covered, start and end
    dates, a search column) kept to the rows ``f`` asks for, statuses as on ``today``."""
    if f.countries:
        query = query.where(model.countries.overlap(list(f.countries)))
    if f.statuses:
        clauses = (
            rules.status_clause(model.start_date, model.end_date, s, today, expiring_days)
            for s in f.statuses
        )
        query = query.where(or_(*clauses))
    if f.active_on is not None:
        query = query.where(rules.active_on_clause(model.start_date, model.end_date, f.active_on))
    if f.q:
        query = query.where(matches(model.search, f.q))
    return query


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
        query = presence_filtered(query, Mandate, f, today, expiring_days)
        if f.types:
            query = query.where(Mandate.type.in_(f.types))
        query = keyset_page(query, Mandate.start_date, Mandate.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    async def programme_count(self, mandate_id: uuid.UUID) -> int:
        # Plain SQL: programmes depend on mandates, not the other way round.
        result = await self.session.execute(
            text("SELECT count(*) FROM programmes WHERE mandate_id = :id"), {"id": mandate_id}
        )
        return int(result.scalar_one())

    async def renewals(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[MandateRenewal]]:
        return await self.grouped(
            ids,
            select(MandateRenewal.mandate_id, MandateRenewal)
            .where(MandateRenewal.mandate_id.in_(list(ids)))
            .order_by(MandateRenewal.mandate_id, MandateRenewal.id),
        )

    async def add_renewal(self, renewal: MandateRenewal) -> None:
        self.session.add(renewal)
        await self.session.flush()
