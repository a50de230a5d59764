"""Rules of national action plans: plans, actions (owned by institutions, linked to
recommendations), the append-only action history, CSV import/export and accountability.

An action's due date becomes a deadline through ``shared.deadlines.service.upsert_derived``
(rule ``action_due:<action id>``, subject: the State), kept in step on every change: met
when the action is completed, removed when it is cancelled or loses its due date.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.action_plans.models import ActionPlan
from shared.action_plans.repository import PlanRepository
from shared.action_plans.schemas import (
    PlanIn,
    PlanOut,
    PlanPatch,
)
from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.errors import InvalidCursor
from shared.institutions.service import country_code
from shared.kernel import validation
from shared.kernel.concurrency import require_version
from shared.kernel.patches import merge_patch
from shared.kernel.shapes import row_from
from shared.pagination import (
    Page,
    decode_cursor,
    encode_cursor,
    split_page,
)

DEADLINE_RULE = "action_due:"
EXPORT_COLUMNS = (
    "action_id",
    "description",
    "status",
    "start_date",
    "due_date",
    "budget",
    "currency",
    "institutions",
    "recommendations",
    "indicators",
    "latest_update",
)
IMPORT_REQUIRED = ("description",)
IMPORT_OPTIONAL = tuple(c for c in EXPORT_COLUMNS if c != "description")


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def check_period(start: dt.date | None, end: dt.date | None, names: tuple[str, str]) -> None:
    if start is not None and end is not None and end < start:
        problems = validation.Problems("body")
        problems.add(names[1], f"{names[1]} is before {names[0]}")
        problems.raise_if_any()


# --- plans -----------------------------------------------------------------------------------


def plan_out(row: ActionPlan) -> PlanOut:
    return PlanOut.model_validate(row, from_attributes=True)


def _plan_snapshot(row: ActionPlan) -> dict[str, Any]:
    return plan_out(row).model_dump(mode="json", exclude={"created_at", "updated_at", "version"})


async def list_plans(
    session: AsyncSession,
    countries: Sequence[str],
    statuses: Sequence[str],
    *,
    cursor: str | None,
    limit: int,
) -> Page[PlanOut]:
    after = None
    if cursor:
        country, created, ident = decode_cursor(cursor, "action-plans", [str, str, str])
        try:
            after = (country, dt.datetime.fromisoformat(created), uuid.UUID(ident))
        except ValueError:
            raise InvalidCursor("the cursor is malformed") from None
    rows = await PlanRepository(session).page(countries, statuses, after=after, limit=limit + 1)
    page, next_cursor = split_page(
        rows,
        limit,
        lambda r: encode_cursor("action-plans", [r.country, r.created_at.isoformat(), str(r.id)]),
    )
    return Page(items=[plan_out(r) for r in page], next_cursor=next_cursor)


async def get_plan(session: AsyncSession, ident: uuid.UUID) -> ActionPlan:
    return await PlanRepository(session).found("action plan", ident)


async def plan_to_change(session: AsyncSession, actor: Actor, ident: uuid.UUID) -> ActionPlan:
    """The plan, once ``actor`` is found to act for its State (404, then 403)."""
    plan = await get_plan(session, ident)
    actor.require_country(plan.country)
    return plan


async def create_plan(session: AsyncSession, actor: Actor, data: PlanIn) -> PlanOut:
    country = country_code(data.country)
    actor.require_country(country)
    check_period(data.period_start, data.period_end, ("period_start", "period_end"))
    row = row_from(ActionPlan, data, country=country, title=data.title.strip(), version=1)
    await PlanRepository(session).insert(row)
    audit.record_change(session, actor, "action_plan.create", row.id, after=_plan_snapshot(row))
    return plan_out(row)


async def patch_plan(
    session: AsyncSession, actor: Actor, ident: uuid.UUID, version: int, data: PlanPatch
) -> PlanOut:
    row = await plan_to_change(session, actor, ident)
    changes = merge_patch(data, ("title", "status"))
    require_version("action plan", row.version, version)
    start = changes.get("period_start", row.period_start)
    end = changes.get("period_end", row.period_end)
    check_period(start, end, ("period_start", "period_end"))
    if not changes:
        return plan_out(row)
    before = _plan_snapshot(row)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    await PlanRepository(session).update_row("action plan", row, version, changes)
    audit.record_change(
        session, actor, "action_plan.update", ident, before=before, after=_plan_snapshot(row)
    )
    return plan_out(row)
