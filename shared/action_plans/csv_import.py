"""Actions in and out of a plan as CSV: the import (every row checked, one 422 naming each bad
cell) and the export rows."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.action_plans.actions import insert_action
from shared.action_plans.models import ACTION_STATUSES
from shared.action_plans.repository import PlanRepository
from shared.action_plans.schemas import (
    ActionImportReport,
    ActionIn,
)
from shared.action_plans.service import IMPORT_OPTIONAL, IMPORT_REQUIRED, plan_to_change
from shared.auth.schemas import Actor
from shared.institutions import csvio
from shared.institutions.repository import InstitutionRepository

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
    plan = await plan_to_change(session, actor, plan_id)
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
        (await insert_action(session, actor, plan, data, institution_ids, recommendation_ids)).id
        for data, institution_ids, recommendation_ids in planned
    ]
    return ActionImportReport(rows=len(rows), created=len(created), action_ids=created)


async def export_rows(session: AsyncSession, plan_id: uuid.UUID) -> AsyncIterator[Sequence[Any]]:
    async for batch in PlanRepository(session).export(plan_id):
        yield batch
