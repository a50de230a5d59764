"""Rules of the spreadsheet round trip: what an export needs, how edited rows come back."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.errors import Forbidden, InvalidInput
from shared.kernel.outbox import OutboxEvent
from shared.queue import enqueue_after_commit
from shared.recommendations.schemas import RecommendationFilter
from shared.reference.countries import by_iso3
from shared.spreadsheets import export, reader
from shared.spreadsheets.reader import EditedRow
from shared.spreadsheets.repository import SpreadsheetRepository


def _state(iso3: str) -> str:
    country = by_iso3().get(iso3)
    return f"{country.name} ({iso3})" if country else iso3


async def export_workbook(session: AsyncSession, f: RecommendationFilter) -> bytes:
    """The workbook of the recommendations matching ``f`` (a State is required)."""
    if not f.countries:
        raise InvalidInput(
            "the spreadsheet is a State's: add ?country=<ISO3>", code="country_required"
        )
    repo = SpreadsheetRepository(session)
    rows = await repo.export_rows(f)
    if not rows:
        await _name_what_is_missing(repo, f)
    latest = await repo.latest([r.id for r in rows])
    sheet_rows = [export.SheetRow(r.cycle, export.row_values(r, latest.get(r.id))) for r in rows]
    # openpyxl is pure Python: build the file off the event loop.
    return await asyncio.to_thread(export.workbook, sheet_rows)


async def _name_what_is_missing(repo: SpreadsheetRepository, f: RecommendationFilter) -> None:
    counts = await repo.counts(f.countries)
    for country in f.countries:
        if not any(c == country for c, _ in counts):
            raise InvalidInput(
                f"{_state(country)} has no recommendations", code="no_recommendations"
            )
    for cycle in f.cycles:
        if not any(counts.get((c, cycle)) for c in f.countries):
            states = ", ".join(_state(c) for c in f.countries)
            raise InvalidInput(
                f"{states} has no recommendations of cycle {cycle}", code="no_recommendations"
            )


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int
    created: int
    unchanged: int
    update_ids: list[uuid.UUID]


def _changed(row: EditedRow, current: Any | None, status: str) -> bool:
    if current is None:
        return row.status != status or bool(row.narrative) or bool(row.evidence_links)
    return (
        row.status != current.status
        or row.narrative != current.narrative.strip()
        or row.evidence_links != list(current.evidence_links)
    )


async def import_workbook(session: AsyncSession, actor: Actor, blob: bytes) -> ImportResult:
    """Edited rows back as progress updates, all or nothing.

    A row whose status, narrative and evidence equal the government's latest update is
    skipped. A State the key may not write is a 403; any bad cell or unknown recommendation
    a 422 listing each problem by sheet, row and column; either way nothing is written.
    """
    rows, errors = await asyncio.to_thread(reader.read, blob)
    if not rows and not errors.total:
        raise InvalidInput("the workbook has no rows to import", code="empty_workbook")
    repo = SpreadsheetRepository(session)
    ids = [r.id for r in rows]
    recs = await repo.lock(ids)
    # Authorization first, as on every write route: a State the key may not write is a
    # 403 for the whole file, whatever its cells hold.
    states = {r.state_under_review for r in recs.values()}
    refused = sorted(s for s in states if not actor.may_write_country(s))
    if refused:
        raise Forbidden(
            f"this API key may not write data of {', '.join(refused)}", code="country_not_allowed"
        )
    current = await repo.latest(ids)
    changed: list[EditedRow] = []
    for row in rows:
        rec = recs.get(row.id)
        if rec is None:
            errors.add(row.sheet, row.row, "id", f"no recommendation {row.id}")
            continue
        if row.position is not None and row.position != rec.position:
            errors.add(
                row.sheet,
                row.row,
                "position",
                f"the position is {rec.position}; it comes from the State's documents and"
                " cannot be changed here",
            )
            continue
        if not _changed(row, current.get(row.id), rec.status):
            continue
        if not row.narrative:
            errors.add(row.sheet, row.row, "narrative", "a changed row needs a narrative")
            continue
        changed.append(row)
    errors.raise_if_any()
    update_ids = await _apply(session, repo, actor, changed, recs)
    return ImportResult(
        rows=len(rows),
        created=len(update_ids),
        unchanged=len(rows) - len(changed),
        update_ids=update_ids,
    )


async def _apply(
    session: AsyncSession,
    repo: SpreadsheetRepository,
    actor: Actor,
    rows: list[EditedRow],
    recs: dict[uuid.UUID, Any],
) -> list[uuid.UUID]:
    """The updates, the recommendations' statuses, change events and audit entries, in
    a few statements whatever the number of rows."""
    today = dt.datetime.now(dt.UTC).date()
    update_ids = [uuid.uuid4() for _ in rows]
    updates: list[dict[str, Any]] = [
        {
            "id": update_id,
            "recommendation_id": row.id,
            "status": row.status,
            "narrative": row.narrative,
            "evidence_links": row.evidence_links,
            "source": "government",
            "author": row.author or actor.name,
            "reported_on": row.reported_on or today,
            "api_key_id": actor.api_key_id,
        }
        for row, update_id in zip(rows, update_ids, strict=True)
    ]
    await repo.add_updates(updates)
    await repo.set_statuses([r.id for r in rows], [r.status for r in rows])
    events = []
    for row, update in zip(rows, updates, strict=True):
        rec = recs[row.id]
        if rec.status != row.status:
            events.append(
                {
                    "event_type": "recommendation.status_changed",
                    "country": rec.state_under_review,
                    "payload": {
                        "id": str(row.id),
                        "ref": rec.ref,
                        "previous_status": rec.status,
                        "status": row.status,
                        "update_id": str(update["id"]),
                    },
                }
            )
        audit.record(
            session,
            actor,
            "recommendation.update_added",
            "recommendation",
            str(row.id),
            before={"status": rec.status},
            after={"status": row.status, "update_id": str(update["id"]), "via": "import.xlsx"},
        )
    if events:
        result = await session.execute(insert(OutboxEvent).returning(OutboxEvent.id), events)
        first = min(result.scalars())
        # One dispatch job fans every pending event out.
        enqueue_after_commit(session, jobs.DISPATCH_OUTBOX, job_id=f"outbox:{first}")
    return update_ids
