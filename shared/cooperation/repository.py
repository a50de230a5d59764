"""All SQL of offers of cooperation and of the recommendations they may match."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, or_, select, text

from shared.cooperation.models import CooperationOffer
from shared.cooperation.schemas import OfferFilter
from shared.kernel.repository import Repository, keyset_page, tagged_sdg

# Supported, not yet implemented, and nothing under way: no action still open (planned,
# ongoing, delayed) and, when programmes exist, no programme that has not ended.
_CANDIDATES = """
SELECT r.id, r.ref, r.text, r.themes, r.sdg_targets, r.sdg_goals, r.status,
       r.document_date, r.paragraph_key
  FROM recommendations r
 WHERE r.state_under_review = :country AND r.position = 'supported'
   AND r.status <> 'implemented' AND r.deleted_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM action_recommendations ar JOIN actions a ON a.id = ar.action_id
                    WHERE ar.recommendation_id = r.id
                      AND a.status IN ('planned', 'ongoing', 'delayed'))
   {programmes}
 ORDER BY r.document_date, r.paragraph_key, r.id
"""
_NO_PROGRAMME = """
   AND NOT EXISTS (SELECT 1 FROM programme_recommendations pr
                     JOIN programmes p ON p.id = pr.programme_id
                    WHERE pr.recommendation_id = r.id AND p.end_date >= :today)
"""


class OfferRepository(Repository[CooperationOffer]):
    model = CooperationOffer

    async def page(
        self, f: OfferFilter, *, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[CooperationOffer]:
        query = select(CooperationOffer)
        if f.offered_by_state:
            query = query.where(CooperationOffer.offered_by_state.in_(f.offered_by_state))
        if f.countries:
            query = query.where(
                or_(
                    func.cardinality(CooperationOffer.countries) == 0,
                    CooperationOffer.countries.overlap(list(f.countries)),
                )
            )
        if f.themes:
            query = query.where(CooperationOffer.themes.overlap(list(f.themes)))
        if f.goals or f.targets:
            query = query.where(tagged_sdg(CooperationOffer, f.goals, f.targets))
        if f.active_on is not None:
            query = query.where(*self._active(f.active_on))
        query = keyset_page(query, CooperationOffer.created_at, CooperationOffer.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    @staticmethod
    def _active(on: dt.date) -> list[Any]:
        return [
            or_(CooperationOffer.period_start.is_(None), CooperationOffer.period_start <= on),
            or_(CooperationOffer.period_end.is_(None), CooperationOffer.period_end >= on),
        ]

    async def offers_for(self, country: str, on: dt.date) -> Sequence[CooperationOffer]:
        """Offers running on ``on`` that may go to ``country`` (never a State's own)."""
        query = (
            select(CooperationOffer)
            .where(
                *self._active(on),
                or_(
                    func.cardinality(CooperationOffer.countries) == 0,
                    CooperationOffer.countries.contains([country]),
                ),
                or_(
                    CooperationOffer.offered_by_state.is_(None),
                    CooperationOffer.offered_by_state != country,
                ),
            )
            .order_by(CooperationOffer.created_at, CooperationOffer.id)
        )
        return (await self.session.execute(query)).scalars().all()

    async def candidates(self, country: str, on: dt.date) -> Sequence[Row[Any]]:
        # The programmes tables come with another migration: use them once they exist.
        has_programmes = (
            await self.session.execute(
                text("SELECT to_regclass('programme_recommendations') IS NOT NULL")
            )
        ).scalar_one()
        sql = _CANDIDATES.format(programmes=_NO_PROGRAMME if has_programmes else "")
        params: dict[str, Any] = {"country": country}
        if has_programmes:
            params["today"] = on
        return (await self.session.execute(text(sql), params)).all()

    async def recommendation_states(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        rows = await self.session.execute(
            text(
                "SELECT id, state_under_review FROM recommendations"
                " WHERE id = ANY(:ids) AND deleted_at IS NULL"
            ),
            {"ids": list(ids)},
        )
        return {r[0]: r[1] for r in rows.all()}
