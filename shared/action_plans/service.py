"""Rules of national action plans: plans, actions (owned by institutions, linked to
recommendations), the append-only action history, CSV import/export and accountability.

An action's due date becomes a deadline through ``shared.deadlines.service.upsert_derived``
(rule ``action_due:<action id>``, subject: the State), kept in step on every change: met
when the action is completed, removed when it is cancelled or loses its due date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from shared.action_plans.models import ACTION_STATUSES, Action, ActionPlan, ActionUpdate
from shared.action_plans.repository import OPEN_STATUSES, PlanRepository
from shared.action_plans.schemas import (
    Accountability,
    AccountabilityGroup,
    ActionFilter,
    ActionImportReport,
    ActionIn,
    ActionOut,
    ActionPatch,
    ActionUpdateIn,
    ActionUpdateOut,
    PlanIn,
    PlanOut,
    PlanPatch,
    RecommendationRef,
    Share,
)
from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.deadlines import service as deadlines
from shared.errors import InvalidCursor, InvalidInput, NotFound
from shared.institutions import csvio
from shared.institutions.repository import InstitutionRepository
from shared.institutions.schemas import InstitutionRef
from shared.institutions.service import (
    country_code,
    resolve_institutions,
)
from shared.kernel import validation
from shared.kernel.concurrency import changed_meanwhile, require_version
from shared.pagination import (
    Page,
    decode_cursor,
    decode_time_key,
    encode_cursor,
    encode_time_key,
)
from shared.recommendations.repository import RecommendationRepository

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


def _check_period(start: dt.date | None, end: dt.date | None, names: tuple[str, str]) -> None:
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
    items = [plan_out(r) for r in rows[:limit]]
    next_cursor = (
        encode_cursor(
            "action-plans",
            [items[-1].country, items[-1].created_at.isoformat(), str(items[-1].id)],
        )
        if len(rows) > limit
        else None
    )
    return Page(items=items, next_cursor=next_cursor)


async def get_plan(session: AsyncSession, ident: uuid.UUID) -> ActionPlan:
    row = await PlanRepository(session).get(ident)
    if row is None:
        raise NotFound(f"no action plan {ident}")
    return row


async def create_plan(session: AsyncSession, actor: Actor, data: PlanIn) -> PlanOut:
    country = country_code(data.country)
    actor.require_country(country)
    _check_period(data.period_start, data.period_end, ("period_start", "period_end"))
    row = ActionPlan(
        id=uuid.uuid4(),
        country=country,
        title=data.title.strip(),
        period_start=data.period_start,
        period_end=data.period_end,
        status=data.status,
        adoption_reference=data.adoption_reference,
        version=1,
    )
    PlanRepository(session).add(row)
    await session.flush()
    await session.refresh(row)
    audit.record(
        session, actor, "action_plan.create", "action_plan", str(row.id), after=_plan_snapshot(row)
    )
    return plan_out(row)


async def patch_plan(
    session: AsyncSession, actor: Actor, ident: uuid.UUID, version: int, data: PlanPatch
) -> PlanOut:
    row = await get_plan(session, ident)
    actor.require_country(row.country)
    changes = data.model_dump(exclude_unset=True)
    for key in ("title", "status"):
        if key in changes and changes[key] is None:
            raise InvalidInput(f"{key} cannot be null")
    require_version("action plan", row.version, version)
    start = changes.get("period_start", row.period_start)
    end = changes.get("period_end", row.period_end)
    _check_period(start, end, ("period_start", "period_end"))
    if not changes:
        return plan_out(row)
    before = _plan_snapshot(row)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    await PlanRepository(session).update_versioned("action plan", ident, version, changes)
    await session.refresh(row)
    audit.record(
        session,
        actor,
        "action_plan.update",
        "action_plan",
        str(ident),
        before=before,
        after=_plan_snapshot(row),
    )
    return plan_out(row)


# --- actions ---------------------------------------------------------------------------------


def _overdue(row: Action, on: dt.date) -> bool:
    return row.due_date is not None and row.due_date < on and row.status in OPEN_STATUSES


async def actions_out(session: AsyncSession, rows: Sequence[Action]) -> list[ActionOut]:
    institutions, recommendations = await PlanRepository(session).links([r.id for r in rows])
    on = today()
    return [
        ActionOut(
            id=r.id,
            plan_id=r.plan_id,
            country=r.country,
            description=r.description,
            institutions=[
                InstitutionRef.model_validate(i, from_attributes=True) for i in institutions[r.id]
            ],
            recommendations=[RecommendationRef(id=i, ref=ref) for i, ref in recommendations[r.id]],
            indicators=list(r.indicators),
            budget=r.budget,
            currency=r.currency,
            start_date=r.start_date,
            due_date=r.due_date,
            status=r.status,
            overdue=_overdue(r, on),
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
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
    if (
        f.recommendation_id is not None
        and await RecommendationRepository(session).get(f.recommendation_id) is None
    ):
        raise NotFound(f"no recommendation {f.recommendation_id}")
    after = decode_time_key(cursor, "actions", dt.datetime.fromisoformat)
    rows = await repo.actions(f, today=today(), after=after, limit=limit + 1)
    items = await actions_out(session, rows[:limit])
    next_cursor = (
        encode_time_key("actions", items[-1].created_at, items[-1].id)
        if len(rows) > limit
        else None
    )
    return Page(items=items, next_cursor=next_cursor)


async def get_action(session: AsyncSession, plan_id: uuid.UUID, action_id: uuid.UUID) -> Action:
    row = await PlanRepository(session).action(action_id)
    if row is None or row.plan_id != plan_id:
        raise NotFound(f"no action {action_id} in action plan {plan_id}")
    return row


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


async def _insert_action(
    session: AsyncSession,
    actor: Actor,
    plan: ActionPlan,
    data: ActionIn,
    institution_ids: Sequence[uuid.UUID],
    recommendation_ids: Sequence[uuid.UUID],
) -> ActionOut:
    repo = PlanRepository(session)
    row = Action(
        id=uuid.uuid4(),
        plan_id=plan.id,
        country=plan.country,
        description=data.description.strip(),
        indicators=_indicators(data.indicators),
        budget=data.budget,
        currency=data.currency,
        start_date=data.start_date,
        due_date=data.due_date,
        status=data.status,
        version=1,
    )
    repo.add(row)
    await session.flush()
    await repo.set_links(
        row.id, institution_ids=institution_ids, recommendation_ids=recommendation_ids
    )
    await session.refresh(row)
    await sync_deadline(session, row, plan.title)
    out = await action_out(session, row)
    audit.record(
        session, actor, "action.create", "action", str(row.id), after=_action_snapshot(out)
    )
    return out


async def create_action(
    session: AsyncSession, actor: Actor, plan_id: uuid.UUID, data: ActionIn
) -> ActionOut:
    plan = await get_plan(session, plan_id)
    actor.require_country(plan.country)
    _check_period(data.start_date, data.due_date, ("start_date", "due_date"))
    institutions = await resolve_institutions(
        session, plan.country, data.institution_ids, "institution_ids"
    )
    recs = await _check_recommendations(
        session, plan.country, data.recommendation_ids, "recommendation_ids"
    )
    return await _insert_action(session, actor, plan, data, [i.id for i in institutions], recs)


async def patch_action(
    session: AsyncSession,
    actor: Actor,
    plan_id: uuid.UUID,
    action_id: uuid.UUID,
    version: int,
    data: ActionPatch,
) -> ActionOut:
    plan = await get_plan(session, plan_id)
    row = await get_action(session, plan_id, action_id)
    actor.require_country(row.country)
    changes = data.model_dump(exclude_unset=True)
    for key in ("description", "institution_ids", "recommendation_ids", "indicators"):
        if key in changes and changes[key] is None:
            raise InvalidInput(f"{key} cannot be null")
    require_version("action", row.version, version)
    _check_period(
        changes.get("start_date", row.start_date),
        changes.get("due_date", row.due_date),
        ("start_date", "due_date"),
    )
    institution_ids = None
    if data.institution_ids is not None:
        chosen = await resolve_institutions(
            session, row.country, data.institution_ids, "institution_ids"
        )
        institution_ids = [i.id for i in chosen]
    recommendation_ids = None
    if data.recommendation_ids is not None:
        recommendation_ids = await _check_recommendations(
            session, row.country, data.recommendation_ids, "recommendation_ids"
        )
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
    audit.record(
        session,
        actor,
        "action.update",
        "action",
        str(action_id),
        before=before,
        after=_action_snapshot(out),
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
    plan = await get_plan(session, plan_id)
    row = await get_action(session, plan_id, action_id)
    actor.require_country(row.country)
    repo = PlanRepository(session)
    update_row = ActionUpdate(
        id=uuid.uuid4(),
        action_id=action_id,
        status=data.status,
        narrative=data.narrative.strip(),
        author=data.author,
        reported_on=data.reported_on or today(),
        api_key_id=actor.api_key_id,
    )
    repo.add(update_row)
    await session.flush()
    await session.refresh(update_row, ["created_at"])
    previous = await repo.set_action_status(action_id, data.status)
    await session.refresh(row)
    await sync_deadline(session, row, plan.title)
    audit.record(
        session,
        actor,
        "action.update_added",
        "action",
        str(action_id),
        before={"status": previous},
        after={"status": data.status, "update_id": str(update_row.id)},
    )
    return _update_out(update_row)


async def list_updates(
    session: AsyncSession, plan_id: uuid.UUID, action_id: uuid.UUID
) -> list[ActionUpdateOut]:
    await get_action(session, plan_id, action_id)
    return [_update_out(u) for u in await PlanRepository(session).updates(action_id)]


# --- CSV -------------------------------------------------------------------------------------


def _date(cell: str, column: str, number: int, errors: csvio.RowErrors) -> dt.date | None:
    if not cell:
        return None
    try:
        return dt.date.fromisoformat(cell)
    except ValueError:
        errors.add(number, column, f"{cell!r} is not a date; use YYYY-MM-DD")
        return None


async def import_actions(
    session: AsyncSession, actor: Actor, plan_id: uuid.UUID, body: bytes
) -> ActionImportReport:
    """Create one action per CSV row; any bad row rejects the whole file."""
    plan = await get_plan(session, plan_id)
    actor.require_country(plan.country)
    rows = csvio.read_rows(body, required=IMPORT_REQUIRED, optional=IMPORT_OPTIONAL)
    errors = csvio.RowErrors()
    known = await InstitutionRepository(session).by_folded_names(plan.country)
    refs = {v for _, cells in rows for v in csvio.split_cell(cells.get("recommendations", ""))}
    ids = []
    for value in refs:
        with contextlib.suppress(ValueError):
            ids.append(uuid.UUID(value))
    found = await PlanRepository(session).recommendations(ids, list(refs))
    by_key: dict[str, tuple[uuid.UUID, str, str]] = {}
    for rec in found:
        by_key[str(rec[0])] = rec
        by_key[rec[1]] = rec

    planned: list[tuple[ActionIn, list[uuid.UUID], list[uuid.UUID]]] = []
    for number, cells in rows:
        start = len(errors.errors)
        description = cells["description"]
        if not description:
            errors.add(number, "description", "a description is required")
        institution_ids = []
        for name in csvio.split_cell(cells.get("institutions", "")):
            inst = known.get(" ".join(name.split()).casefold())
            if inst is None:
                errors.add(
                    number,
                    "institutions",
                    f"no institution {name!r} in {plan.country}; import institutions first",
                )
            else:
                institution_ids.append(inst.id)
        recommendation_ids = []
        for key in csvio.split_cell(cells.get("recommendations", "")):
            hit = by_key.get(key)
            if hit is None:
                errors.add(number, "recommendations", f"no recommendation {key!r}")
            elif hit[2] != plan.country:
                errors.add(
                    number,
                    "recommendations",
                    f"recommendation {hit[1]} is addressed to {hit[2]}, not {plan.country}",
                )
            else:
                recommendation_ids.append(hit[0])
        status = (cells.get("status") or "planned").lower()
        if status not in ACTION_STATUSES:
            errors.add(
                number, "status", f"unknown status {status!r}; allowed: {list(ACTION_STATUSES)}"
            )
        budget = None
        if cells.get("budget"):
            try:
                budget = Decimal(cells["budget"].replace(",", "").replace(" ", ""))
                if not budget.is_finite() or budget < 0 or abs(budget) >= Decimal(10) ** 16:
                    raise InvalidOperation
                budget = budget.quantize(Decimal("0.01"))
            except InvalidOperation:
                errors.add(number, "budget", f"{cells['budget']!r} is not a positive amount")
        currency = (cells.get("currency") or "").upper() or None
        if currency is not None and not (len(currency) == 3 and currency.isalpha()):
            errors.add(number, "currency", f"{currency!r} is not an ISO 4217 code")
        start_date = _date(cells.get("start_date", ""), "start_date", number, errors)
        due_date = _date(cells.get("due_date", ""), "due_date", number, errors)
        if start_date and due_date and due_date < start_date:
            errors.add(number, "due_date", "due_date is before start_date")
        if len(description) > 20_000:
            errors.add(number, "description", "at most 20000 characters")
        if len(errors.errors) > start:
            continue
        try:
            data = ActionIn.model_validate(
                {
                    "description": description,
                    "indicators": csvio.split_cell(cells.get("indicators", "")),
                    "budget": budget,
                    "currency": currency,
                    "start_date": start_date,
                    "due_date": due_date,
                    "status": status,
                }
            )
        except ValidationError as exc:
            for err in exc.errors():
                column = ".".join(str(p) for p in err.get("loc", ())) or None
                errors.add(number, column, str(err.get("msg")))
            continue
        planned.append(
            (data, list(dict.fromkeys(institution_ids)), list(dict.fromkeys(recommendation_ids)))
        )
    errors.raise_if_any()
    created = [
        (await _insert_action(session, actor, plan, data, institution_ids, recommendation_ids)).id
        for data, institution_ids, recommendation_ids in planned
    ]
    return ActionImportReport(rows=len(rows), created=len(created), action_ids=created)


async def export_rows(session: AsyncSession, plan_id: uuid.UUID) -> AsyncIterator[Sequence[Any]]:
    async for batch in PlanRepository(session).export(plan_id):
        yield batch


# --- accountability --------------------------------------------------------------------------


def _share(count: int, total: int) -> Share:
    return Share(count=count, share=round(count / total, 4) if total else None)


def _group(row: Row[Any]) -> AccountabilityGroup:
    supported = int(row.supported)
    return AccountabilityGroup(
        value=str(row.value),
        supported=supported,
        with_owner=_share(int(row.owned), supported),
        with_planned_action=_share(int(row.planned), supported),
        with_ongoing_or_completed_action=_share(int(row.moving), supported),
        overdue_actions=int(row.overdue),
    )


async def accountability(session: AsyncSession, country: str) -> Accountability:
    country = country_code(country)
    rows = await PlanRepository(session).accountability(country, today())
    total = next((_group(r) for r in rows if r.grouping == "total"), None)
    if total is None:
        total = AccountabilityGroup(
            value="",
            supported=0,
            with_owner=_share(0, 0),
            with_planned_action=_share(0, 0),
            with_ongoing_or_completed_action=_share(0, 0),
            overdue_actions=0,
        )
    themes = sorted(
        (_group(r) for r in rows if r.grouping == "theme"), key=lambda g: (-g.supported, g.value)
    )
    goals = sorted(
        (_group(r) for r in rows if r.grouping == "sdg_goal"), key=lambda g: int(g.value)
    )
    return Accountability(
        country=country,
        supported=total.supported,
        with_owner=total.with_owner,
        with_planned_action=total.with_planned_action,
        with_ongoing_or_completed_action=total.with_ongoing_or_completed_action,
        overdue_actions=total.overdue_actions,
        by_theme=themes,
        by_sdg_goal=goals,
    )
