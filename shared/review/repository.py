"""All SQL of progress reports under review."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, insert, or_, select, true

from shared.action_plans.models import Action, ActionInstitution
from shared.institutions.models import Institution, RecommendationInstitution
from shared.kernel.outbox import OutboxEvent
from shared.kernel.repository import Repository, keyset_page, where_equal, where_in
from shared.people.models import UserMembership
from shared.recommendations.models import ImplementationUpdate, Recommendation
from shared.review.models import ProgressReport


@dataclass(frozen=True, slots=True)
class Target:
    """What a report is about: its State, and the institutions that own it."""

    country: str
    owners: frozenset[uuid.UUID]
    owner_names: frozenset[str]
    plan_id: uuid.UUID | None = None
    cycle: int | None = None


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which reports a caller sees: every one (None), or validated ones plus those of
    these States (coordinators) and these institutions (focal points)."""

    countries: frozenset[str] | None
    institutions: frozenset[uuid.UUID]


class ReportRepository(Repository[ProgressReport]):
    model = ProgressReport

    async def insert_drafts(self, rows: Sequence[dict[str, Any]]) -> None:
        """New draft reports in one statement (a spreadsheet import's rows)."""
        if rows:
            await self.session.execute(insert(ProgressReport), list(rows))

    async def recommendation_target(self, rec_id: uuid.UUID) -> Target | None:
        rec = (
            await self.session.execute(
                select(
                    Recommendation.state_under_review,
                    Recommendation.institutions,
                    Recommendation.cycle,
                ).where(Recommendation.id == rec_id, Recommendation.deleted_at.is_(None))
            )
        ).first()
        if rec is None:
            return None
        owners = await self.session.execute(
            select(RecommendationInstitution.institution_id).where(
                RecommendationInstitution.recommendation_id == rec_id
            )
        )
        return Target(
            country=rec.state_under_review,
            owners=frozenset(owners.scalars()),
            owner_names=frozenset(rec.institutions),
            cycle=rec.cycle,
        )

    async def action_target(self, action_id: uuid.UUID) -> Target | None:
        row = (
            await self.session.execute(
                select(Action.country, Action.plan_id).where(Action.id == action_id)
            )
        ).first()
        if row is None:
            return None
        owners = await self.session.execute(
            select(ActionInstitution.institution_id).where(ActionInstitution.action_id == action_id)
        )
        return Target(
            country=row.country,
            owners=frozenset(owners.scalars()),
            owner_names=frozenset(),
            plan_id=row.plan_id,
        )

    @staticmethod
    def _visible(v: Visibility) -> ColumnElement[bool]:
        if v.countries is None:
            return true()
        return or_(
            ProgressReport.state == "validated",
            ProgressReport.country.in_(v.countries) if v.countries else false(),
            ProgressReport.institution_id.in_(v.institutions) if v.institutions else false(),
        )

    async def page(
        self,
        visibility: Visibility,
        *,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
        country: str | None = None,
        states: Sequence[str] = (),
        institution_id: uuid.UUID | None = None,
        recommendation_id: uuid.UUID | None = None,
    ) -> Sequence[ProgressReport]:
        r = ProgressReport
        query = where_equal(
            select(r).where(self._visible(visibility)),
            {
                r.country: country,
                r.institution_id: institution_id,
                r.recommendation_id: recommendation_id,
            },
        )
        query = where_in(query, {r.state: states})
        query = keyset_page(query, r.created_at, r.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    # --- reminders ---------------------------------------------------------------------

    async def waiting(self, submitted_before: dt.datetime) -> Sequence[tuple[str, int]]:
        """(State, number of reports) submitted before the instant and still unreviewed."""
        rows = await self.session.execute(
            select(ProgressReport.country, func.count())
            .where(
                ProgressReport.state == "submitted", ProgressReport.submitted_at < submitted_before
            )
            .group_by(ProgressReport.country)
            .order_by(ProgressReport.country)
        )
        return [(country, int(n)) for country, n in rows]

    async def returned(self) -> Sequence[tuple[uuid.UUID, int]]:
        """(institution, number of returned reports) awaiting a new submission."""
        rows = await self.session.execute(
            select(ProgressReport.institution_id, func.count())
            .where(ProgressReport.state == "returned", ProgressReport.institution_id.is_not(None))
            .group_by(ProgressReport.institution_id)
            .order_by(ProgressReport.institution_id)
        )
        return [(inst, int(n)) for inst, n in rows if inst is not None]

    async def silent(self, inst: Institution) -> int:
        """Recommendations the institution owns, of the State's current (latest) cycle,
        with no published update and no report yet."""
        latest_cycle = (
            select(Recommendation.cycle)
            .where(Recommendation.state_under_review == inst.country)
            .order_by(Recommendation.cycle.desc().nulls_last())
            .limit(1)
            .scalar_subquery()
        )
        owned = and_(
            RecommendationInstitution.recommendation_id == Recommendation.id,
            RecommendationInstitution.institution_id == inst.id,
        )
        query = (
            select(func.count())
            .select_from(Recommendation)
            .where(
                Recommendation.state_under_review == inst.country,
                Recommendation.deleted_at.is_(None),
                Recommendation.cycle == latest_cycle,
                exists().where(owned),
                ~exists().where(ImplementationUpdate.recommendation_id == Recommendation.id),
                ~exists().where(ProgressReport.recommendation_id == Recommendation.id),
            )
        )
        return int((await self.session.execute(query)).scalar_one())

    async def focal_institutions(self) -> Sequence[uuid.UUID]:
        """Institutions with at least one focal point (granted in the database)."""
        rows = await self.session.execute(
            select(UserMembership.institution_id)
            .where(UserMembership.role == "focal_point", UserMembership.institution_id.is_not(None))
            .distinct()
        )
        return [r for r in rows.scalars() if r is not None]

    async def reminded(self, key: str) -> bool:
        """Whether a reminder with this key was already emitted (jobs may run twice)."""
        found = await self.session.execute(
            select(OutboxEvent.id)
            .where(
                OutboxEvent.event_type == "review.reminder",
                OutboxEvent.payload["key"].astext == key,
            )
            .limit(1)
        )
        return found.first() is not None
