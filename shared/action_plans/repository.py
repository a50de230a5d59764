"""All SQL of action plans, actions, their links and updates, and accountability figures."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Row, select, text, tuple_

from shared.action_plans.models import (
    Action,
    ActionInstitution,
    ActionPlan,
    ActionRecommendation,
    ActionUpdate,
)
from shared.action_plans.schemas import ActionFilter
from shared.db import driver_of
from shared.institutions.models import Institution
from shared.kernel.repository import (
    Repository,
    get_row,
    keyset_page,
    lists_by_key,
    rows_by,
    update_if_version,
    where_equal,
    where_in,
)
from shared.recommendations.models import Recommendation

OPEN_STATUSES = ("planned", "ongoing", "delayed")
EXPORT_BATCH = 500


class PlanRepository(Repository[ActionPlan]):
    model = ActionPlan

    async def page(
        self,
        countries: Sequence[str],
        statuses: Sequence[str],
        *,
        after: tuple[str, dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[ActionPlan]:
        query = (
            select(ActionPlan)
            .order_by(ActionPlan.country, ActionPlan.created_at, ActionPlan.id)
            .limit(limit)
        )
        query = where_in(query, {ActionPlan.country: countries, ActionPlan.status: statuses})
        if after is not None:
            query = query.where(
                tuple_(ActionPlan.country, ActionPlan.created_at, ActionPlan.id) > tuple_(*after)
            )
        return (await self.session.execute(query)).scalars().all()

    # --- actions ---------------------------------------------------------------------------

    async def actions(
        self,
        f: ActionFilter,
        *,
        today: dt.date,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Action]:
        query = where_equal(select(Action), {Action.plan_id: f.plan_id})
        if f.recommendation_id is not None:
            query = query.where(
                Action.id.in_(
                    select(ActionRecommendation.action_id).where(
                        ActionRecommendation.recommendation_id == f.recommendation_id
                    )
                )
            )
        if f.institution_id is not None:
            query = query.where(
                Action.id.in_(
                    select(ActionInstitution.action_id).where(
                        ActionInstitution.institution_id == f.institution_id
                    )
                )
            )
        query = where_in(query, {Action.status: f.statuses})
        if f.overdue is True:
            query = query.where(Action.due_date < today, Action.status.in_(OPEN_STATUSES))
        elif f.overdue is False:
            query = query.where(
                (Action.due_date.is_(None))
                | (Action.due_date >= today)
                | Action.status.not_in(OPEN_STATUSES)
            )
        query = keyset_page(query, Action.created_at, Action.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    async def action(self, ident: uuid.UUID, *, for_update: bool = False) -> Action | None:
        return await get_row(self.session, Action, ident, for_update=for_update)

    async def update_action(
        self, ident: uuid.UUID, version: int, values: dict[str, Any]
    ) -> int | None:
        return await update_if_version(self.session, Action, ident, version, values)

    async def set_action_status(self, ident: uuid.UUID, status: str) -> str:
        """Record the latest status; returns the previous one."""
        result = await self.session.execute(
            text(
                "UPDATE actions a SET status = :status, version = a.version + 1,"
                " updated_at = clock_timestamp() FROM (SELECT id, status FROM actions"
                " WHERE id = :id FOR UPDATE) old WHERE a.id = old.id RETURNING old.status"
            ),
            {"id": ident, "status": status},
        )
        return str(result.scalar_one())

    async def links(
        self, ids: Sequence[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, list[Institution]], dict[uuid.UUID, list[tuple[uuid.UUID, str]]]]:
        institutions = await self.grouped(
            ids,
            select(ActionInstitution.action_id, Institution)
            .join(Institution, Institution.id == ActionInstitution.institution_id)
            .where(ActionInstitution.action_id.in_(ids))
            .order_by(Institution.name, Institution.id),
        )
        if not ids:
            return institutions, {}
        recs = await self.session.execute(
            select(ActionRecommendation.action_id, Recommendation.id, Recommendation.ref)
            .join(Recommendation, Recommendation.id == ActionRecommendation.recommendation_id)
            .where(ActionRecommendation.action_id.in_(ids), Recommendation.deleted_at.is_(None))
            .order_by(Recommendation.document_date, Recommendation.paragraph_key, Recommendation.id)
        )
        recommendations = lists_by_key(ids, ((a, (r, ref)) for a, r, ref in recs))
        return institutions, recommendations

    async def set_links(
        self,
        ident: uuid.UUID,
        *,
        institution_ids: Sequence[uuid.UUID] | None,
        recommendation_ids: Sequence[uuid.UUID] | None,
    ) -> None:
        if institution_ids is not None:
            await self.replace_links(
                ActionInstitution, "action_id", ident, "institution_id", institution_ids
            )
        if recommendation_ids is not None:
            await self.replace_links(
                ActionRecommendation, "action_id", ident, "recommendation_id", recommendation_ids
            )

    async def recommendations(
        self, ids: Sequence[uuid.UUID], refs: Sequence[str]
    ) -> list[tuple[uuid.UUID, str, str]]:
        """(id, ref, State) of live recommendations named by id or ref."""
        if not ids and not refs:
            return []
        rows = await self.session.execute(
            select(Recommendation.id, Recommendation.ref, Recommendation.state_under_review).where(
                (Recommendation.id.in_(ids)) | (Recommendation.ref.in_(refs)),
                Recommendation.deleted_at.is_(None),
            )
        )
        return [(r[0], r[1], r[2]) for r in rows.all()]

    async def updates(self, action_id: uuid.UUID) -> Sequence[ActionUpdate]:
        return await rows_by(
            self.session,
            ActionUpdate,
            [ActionUpdate.created_at, ActionUpdate.id],
            action_id=action_id,
        )

    async def export(self, plan_id: uuid.UUID) -> AsyncIterator[Sequence[Any]]:
        """The plan's actions as CSV cells, in batches through a server-side cursor."""
        # Straight on asyncpg, like the recommendations export: a read session runs in
        # autocommit, and a server-side cursor needs a transaction of its own.
        driver = await driver_of(await self.session.connection())
        if driver.is_in_transaction():
            async for batch in _batches(driver, plan_id):
                yield batch
        else:
            async with driver.transaction(readonly=True):
                async for batch in _batches(driver, plan_id):
                    yield batch

    # --- accountability -----------------------------------------------------------------------

    async def accountability(self, country: str, today: dt.date) -> list[Row[Any]]:
        """Rows (grouping, value, supported, owned, planned, moving, overdue)."""
        sql = """
        WITH recs AS (
            SELECT r.id, r.themes, r.sdg_goals,
                   cardinality(r.institutions) > 0 OR EXISTS (
                       SELECT 1 FROM recommendation_institutions ri
                        WHERE ri.recommendation_id = r.id) AS owned,
                   EXISTS (SELECT 1 FROM action_recommendations ar
                             JOIN actions a ON a.id = ar.action_id
                            WHERE ar.recommendation_id = r.id
                              AND a.status <> 'cancelled') AS planned,
                   EXISTS (SELECT 1 FROM action_recommendations ar
                             JOIN actions a ON a.id = ar.action_id
                            WHERE ar.recommendation_id = r.id
                              AND a.status IN ('ongoing', 'completed')) AS moving
              FROM recommendations r
             WHERE r.state_under_review = :country AND r.position = 'supported'
               AND r.deleted_at IS NULL
        ),
        overdue AS (
            SELECT a.id FROM actions a
             WHERE a.country = :country AND a.due_date < :today
               AND a.status IN ('planned', 'ongoing', 'delayed')
        ),
        overdue_tags AS (
            SELECT DISTINCT o.id, r.themes, r.sdg_goals
              FROM overdue o
              JOIN action_recommendations ar ON ar.action_id = o.id
              JOIN recommendations r ON r.id = ar.recommendation_id AND r.deleted_at IS NULL
        ),
        groups AS (
            SELECT 'total' AS grouping, '' AS value, id, owned, planned, moving FROM recs
            UNION ALL
            SELECT 'theme', t.value, recs.id, owned, planned, moving
              FROM recs, unnest(recs.themes) AS t(value)
            UNION ALL
            SELECT 'sdg_goal', g.value::text, recs.id, owned, planned, moving
              FROM recs, unnest(recs.sdg_goals) AS g(value)
        ),
        overdue_groups AS (
            SELECT 'total' AS grouping, '' AS value, count(*) AS n FROM overdue
            UNION ALL
            SELECT 'theme', t.value, count(DISTINCT o.id)
              FROM overdue_tags o, unnest(o.themes) AS t(value) GROUP BY t.value
            UNION ALL
            SELECT 'sdg_goal', g.value::text, count(DISTINCT o.id)
              FROM overdue_tags o, unnest(o.sdg_goals) AS g(value) GROUP BY g.value
        ),
        counted AS (
            SELECT grouping, value, count(*) AS supported,
                   count(*) FILTER (WHERE owned) AS owned,
                   count(*) FILTER (WHERE planned) AS planned,
                   count(*) FILTER (WHERE moving) AS moving
              FROM groups GROUP BY grouping, value
        )
        SELECT coalesce(c.grouping, o.grouping) AS grouping,
               coalesce(c.value, o.value) AS value,
               coalesce(c.supported, 0) AS supported, coalesce(c.owned, 0) AS owned,
               coalesce(c.planned, 0) AS planned, coalesce(c.moving, 0) AS moving,
               coalesce(o.n, 0) AS overdue
          FROM counted c
          FULL JOIN overdue_groups o ON o.grouping = c.grouping AND o.value = c.value
        """
        result = await self.session.execute(text(sql), {"country": country, "today": today})
        return list(result.all())


_EXPORT = """
SELECT a.id, a.description, a.status, a.start_date, a.due_date, a.budget, a.currency,
       (SELECT string_agg(i.name, '; ' ORDER BY i.name)
          FROM action_institutions ai JOIN institutions i ON i.id = ai.institution_id
         WHERE ai.action_id = a.id),
       (SELECT string_agg(r.ref, '; ' ORDER BY r.document_date, r.paragraph_key)
          FROM action_recommendations ar JOIN recommendations r
            ON r.id = ar.recommendation_id
         WHERE ar.action_id = a.id AND r.deleted_at IS NULL),
       array_to_string(a.indicators, '; '),
       (SELECT u.narrative FROM action_updates u WHERE u.action_id = a.id
         ORDER BY u.created_at DESC, u.id DESC LIMIT 1)
FROM actions a WHERE a.plan_id = $1 ORDER BY a.created_at, a.id
"""


async def _batches(driver: Any, plan_id: uuid.UUID) -> AsyncIterator[list[Any]]:
    cursor = await driver.cursor(_EXPORT, plan_id)
    while batch := await cursor.fetch(EXPORT_BATCH):
        yield batch
