"""Rules of actions: what a plan does about recommendations, with budgets, periods, owners,
indicators, progress updates and a follow-up deadline each."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.action_plans.models import Action, ActionPlan, ActionUpdate
from shared.action_plans.repository import OPEN_STATUSES, PlanRepository
from shared.action_plans.schemas import (
    ActionFilter,
    ActionIn,
    ActionOut,
    ActionPatch,
    ActionUpdateIn,
    ActionUpdateOut,
    RecommendationRef,
)
from shared.action_plans.service import (
    DEADLINE_RULE,
    check_period,
    get_plan,
    plan_to_change,
    today,
)
from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.deadlines import service as deadlines
from shared.errors import NotFound
from shared.institutions.service import resolve_institution_ids
from shared.kernel import validation
from shared.kernel.concurrency import changed_meanwhile, require_version
from shared.kernel.patches import merge_patch
from shared.kernel.shapes import row_from, shape_of
from shared.pagination import (
    Page,
    decode_time_key,
    split_time_key_page,
)
from shared.recommendations.repository import RecommendationRepository

# --- actions ---------------------------------------------------------------------------------


def _overdue(row: Action, on: dt.date) -> bool:
    return row.due_date is not None and row.due_date < on and row.status in OPEN_STATUSES


async def actions_out(session: AsyncSession, rows: Sequence[Action]) -> list[ActionOut]:
    institutions, recommendations = await PlanRepository(session).links([r.id for r in rows])
    on = today()
    return [
        shape_of(
            ActionOut,
            r,
            institutions=institutions[r.id],
            recommendations=[RecommendationRef(id=i, ref=ref) for i, ref in recommendations[r.id]],
            overdue=_overdue(r, on),
        )
        for r in rows
    ]


def _action_snapshot(out: ActionOut) -> dict[str, Any]:
    data = out.model_dump(mode="json", exclude={"created_at", "updated_at", "version", "overdue"})
    data["institutions"] = [i["id"] for i in data["institutions"]]
    data["recommendations"] = [r["ref"] for r in data["recommendations"]]
    return data


async def list_actions(
    session: AsyncSession, f: ActionFilter, *, cursor: str | None, limit: int
) -> Page[ActionOut]:
    repo = PlanRepository(session)
    if f.plan_id is not None:
        await get_plan(session, f.plan_id)
    if f.recommendation_id is not None:
        await RecommendationRepository(session).found("recommendation", f.recommendation_id)
    after = decode_time_key(cursor, "actions", dt.datetime.fromisoformat)
    rows = await repo.actions(f, today=today(), after=after, limit=limit + 1)
    page, next_cursor = split_time_key_page("actions", rows, limit, lambda a: (a.created_at, a.id))
    return Page(items=await actions_out(session, page), next_cursor=next_cursor)


async def get_action(session: AsyncSession, plan_id: uuid.UUID, action_id: uuid.UUID) -> Action:
    row = await PlanRepository(session).action(action_id)
    if row is None or row.plan_id != plan_id:
        raise NotFound(f"no action {action_id} in action plan {plan_id}")
    return row


async def _action_to_change(
    session: AsyncSession, actor: Actor, plan_id: uuid.UUID, action_id: uuid.UUID
) -> tuple[ActionPlan, Action]:
    """The plan and its action, once ``actor`` is found to act for its State."""
    plan = await get_plan(session, plan_id)
    row = await get_action(session, plan_id, action_id)
    actor.require_country(row.country)
    return plan, row


async def action_out(session: AsyncSession, row: Action) -> ActionOut:
    return (await actions_out(session, [row]))[0]


async def _check_recommendations(
    session: AsyncSession, country: str, ids: Sequence[uuid.UUID], field: str
) -> list[uuid.UUID]:
    ids = list(dict.fromkeys(ids))
    found = {r[0]: r for r in await PlanRepository(session).recommendations(ids, [])}
    problems = validation.Problems("body")
    for ident in ids:
        row = found.get(ident)
        if row is None:
            problems.add(field, f"no recommendation {ident}")
        elif row[2] != country:
            problems.add(field, f"recommendation {row[1]} is addressed to {row[2]}, not {country}")
    problems.raise_if_any()
    return ids


def _indicators(values: Sequence[str]) -> list[str]:
    return [v.strip() for v in values if v.strip()]


async def sync_deadline(session: AsyncSession, row: Action, plan_title: str) -> None:
    """Keep the action's deadline in step with its due date and status (idempotent)."""
    rule = f"{DEADLINE_RULE}{row.id}"
    if row.due_date is None or row.status == "cancelled":
        await deadlines.remove_derived(
            session, rule=rule, subject_type="country", subject_id=row.country
        )
        return
    await deadlines.upsert_derived(
        session,
        rule=rule,
        subject_type="country",
        subject_id=row.country,
        kind="other",
        due_date=row.due_date,
        country=row.country,
        title=f"Action due ({plan_title[:120]}): {row.description[:200]}",
        met=row.status == "completed",
    )


def deadline_sources() -> dict[str, str]:
    """The deadline rules this domain feeds (for operators and the deadlines docs)."""
    return {DEADLINE_RULE + "<action id>": "due date of an action of a national action plan"}


async def insert_action(
    session: AsyncSession,
    actor: Actor,
    plan: ActionPlan,
    data: ActionIn,
    institution_ids: Sequence[uuid.UUID] | None,
    recommendation_ids: Sequence[uuid.UUID] | None,
) -> ActionOut:
    repo = PlanRepository(session)
    row = row_from(
        Action,
        data,
        plan_id=plan.id,
        country=plan.country,
        description=data.description.strip(),
        indicators=_indicators(data.indicators),
        version=1,
    )
    await repo.insert(row)
    await repo.set_links(
        row.id, institution_ids=institution_ids, recommendation_ids=recommendation_ids
    )
    await sync_deadline(session, row, plan.title)
    out = await action_out(session, row)
    audit.record_change(session, actor, "action.create", row.id, after=_action_snapshot(out))
    return out


async def _checked_links(
    session: AsyncSession, country: str, data: ActionIn | ActionPatch
) -> tuple[list[uuid.UUID] | None, list[uuid.UUID] | None]:
    """The institutions and recommendations ``data`` links the action to, checked against
    its State (422 naming the field); None for a list not given."""
    institution_ids = recommendation_ids = None
    if data.institution_ids is not None:
        institution_ids = await resolve_institution_ids(
            session, country, data.institution_ids, "institution_ids"
        )
    if data.recommendation_ids is not None:
        recommendation_ids = await _check_recommendations(
            session, country, data.recommendation_ids, "recommendation_ids"
        )
    return institution_ids, recommendation_ids


async def create_action(
    session: AsyncSession, actor: Actor, plan_id: uuid.UUID, data: ActionIn
) -> ActionOut:
    plan = await plan_to_change(session, actor, plan_id)
    check_period(data.start_date, data.due_date, ("start_date", "due_date"))
    return await insert_action(
        session, actor, plan, data, *await _checked_links(session, plan.country, data)
    )


async def patch_action(
    session: AsyncSession,
    actor: Actor,
    plan_id: uuid.UUID,
    action_id: uuid.UUID,
    version: int,
    data: ActionPatch,
) -> ActionOut:
    plan, row = await _action_to_change(session, actor, plan_id, action_id)
    changes = merge_patch(
        data, ("description", "institution_ids", "recommendation_ids", "indicators")
    )
    require_version("action", row.version, version)
    check_period(
        changes.get("start_date", row.start_date),
        changes.get("due_date", row.due_date),
        ("start_date", "due_date"),
    )
    institution_ids, recommendation_ids = await _checked_links(session, row.country, data)
    before = _action_snapshot(await action_out(session, row))
    values: dict[str, Any] = {}
    for key in ("budget", "currency", "start_date", "due_date"):
        if key in changes:
            values[key] = changes[key]
    if "description" in changes:
        values["description"] = changes["description"].strip()
    if data.indicators is not None:
        values["indicators"] = _indicators(data.indicators)
    repo = PlanRepository(session)
    if await repo.update_action(action_id, version, values) is None:
        raise changed_meanwhile("action")
    await repo.set_links(
        action_id, institution_ids=institution_ids, recommendation_ids=recommendation_ids
    )
    await session.refresh(row)
    await sync_deadline(session, row, plan.title)
    out = await action_out(session, row)
    audit.record_change(
        session, actor, "action.update", action_id, before=before, after=_action_snapshot(out)
    )
    return out


def _update_out(row: ActionUpdate) -> ActionUpdateOut:
    return ActionUpdateOut.model_validate(row, from_attributes=True)


async def add_update(
    session: AsyncSession,
    actor: Actor,
    plan_id: uuid.UUID,
    action_id: uuid.UUID,
    data: ActionUpdateIn,
) -> ActionUpdateOut:
    """Append a progress report; the action takes its status. Updates are never changed."""
    plan, row = await _action_to_change(session, actor, plan_id, action_id)
    repo = PlanRepository(session)
    update_row = row_from(
        ActionUpdate,
        data,
        action_id=action_id,
        narrative=data.narrative.strip(),
        reported_on=data.reported_on or today(),
        api_key_id=actor.api_key_id,
    )
    await repo.insert(update_row)
    previous = await repo.set_action_status(action_id, data.status)
    await session.refresh(row)
    await sync_deadline(session, row, plan.title)
    audit.record_change(
        session,
        actor,
        "action.update_added",
        action_id,
        before={"status": previous},
        after={"status": data.status, "update_id": str(update_row.id)},
    )
    return _update_out(update_row)


async def list_updates(
    session: AsyncSession, plan_id: uuid.UUID, action_id: uuid.UUID
) -> list[ActionUpdateOut]:
    await get_action(session, plan_id, action_id)
    return [_update_out(u) for u in await PlanRepository(session).updates(action_id)]
