"""Rules of the spreadsheet round trip: what an export needs, how edited rows come back."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.errors import Forbidden, InvalidInput
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
    draft_ids: list[uuid.UUID]


def _same(row: EditedRow, status: str, narrative: str, links: Sequence[str]) -> bool:
    return (
        row.status == status
        and row.narrative == narrative.strip()
        and row.evidence_links == list(links)
    )


def _changed(row: EditedRow, current: Any | None, status: str, drafts: Sequence[Any]) -> bool:
    """Whether a row says something new: not what the government last published, nor what
    a progress report under review already says."""
    if any(_same(row, d.status, d.narrative, d.evidence_links) for d in drafts):
        return False
    if current is None:
        return row.status != status or bool(row.narrative) or bool(row.evidence_links)
    return not _same(row, current.status, current.narrative, current.evidence_links)


async def import_workbook(session: AsyncSession, actor: Actor, blob: bytes) -> ImportResult:
    """Edited rows back as draft progress reports for review, all or nothing.

    A row whose status, narrative and evidence equal the government's latest update, or a
    progress report still under review, is skipped. A State the caller does not coordinate
    is a 403; any bad cell or unknown recommendation a 422 listing each problem by sheet,
    row and column; either way nothing is written.
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
    refused = sorted(s for s in states if not actor.coordinates(s))
    if refused:
        raise Forbidden(
            f"this API key may not write data of {', '.join(refused)}", code="country_not_allowed"
        )
    current = await repo.latest(ids)
    drafts = await repo.open_drafts(ids)
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
        if not _changed(row, current.get(row.id), rec.status, drafts.get(row.id, [])):
            continue
        if not row.narrative:
            errors.add(row.sheet, row.row, "narrative", "a changed row needs a narrative")
            continue
        changed.append(row)
    errors.raise_if_any()
    draft_ids = await _apply(session, repo, actor, changed, recs)
    return ImportResult(
        rows=len(rows),
        created=len(draft_ids),
        unchanged=len(rows) - len(changed),
        draft_ids=draft_ids,
    )


async def _apply(
    session: AsyncSession,
    repo: SpreadsheetRepository,
    actor: Actor,
    rows: list[EditedRow],
    recs: dict[uuid.UUID, Any],
) -> list[uuid.UUID]:
    """The rows as draft progress reports of the review workflow (shared/review): the
    State's coordinators validate them, which publishes them as implementation updates.
    The importer coordinates every State in the file (checked above), so the drafts are
    the coordinators' own (no institution). Inserted together, with one audit entry
    each, as review's create_draft records them."""
    today = dt.datetime.now(dt.UTC).date()
    drafts: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "recommendation_id": row.id,
            "action_id": None,
            "country": recs[row.id].state_under_review,
            "institution_id": None,
            "state": "draft",
            "status": row.status,
            "narrative": row.narrative,
            "evidence_links": row.evidence_links,
            "reported_on": row.reported_on or today,
            "author": row.author or actor.name,
            "author_user_id": actor.user_id,
            "version": 1,
        }
        for row in rows
    ]
    await repo.add_drafts(drafts)
    for draft in drafts:
        audit.record(
            session,
            actor,
            "progress_report.create",
            "progress_report",
            str(draft["id"]),
            before=None,
            after={
                "state": "draft",
                "status": draft["status"],
                "narrative": draft["narrative"],
                "evidence_links": draft["evidence_links"],
                "reported_on": draft["reported_on"].isoformat(),
                "review_comment": None,
                "version": 1,
                "via": "import.xlsx",
            },
        )
    return [d["id"] for d in drafts]
