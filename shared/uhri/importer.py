"""The import itself: one transaction per batch of staging rows, then the tombstones of a
complete full import. An orchestrator: it opens and commits its own units of work."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import gc
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import unit_of_work
from shared.deadlines import service as deadlines
from shared.documents.repository import DocumentRepository
from shared.errors import one_line
from shared.uhri.models import UhriImport
from shared.uhri.reader import detect_format
from shared.uhri.records import (
    SourceFormat,
    UhriReport,
)
from shared.uhri.repository import UhriRepository
from shared.uhri.schemas import UhriImportOut
from shared.uhri.service import (
    MAX_ERROR_SAMPLES,
    MAX_UNMAPPED_LABELS,
    PROVENANCE_FIELDS,
    Progress,
    Trigger,
    UhriImportFailed,
)
from shared.uhri.settings import UhriSettings, get_uhri_settings
from shared.uhri.staging import BatchReader, PreparedBatch

# --- import -------------------------------------------------------------------------


# The import's count (a column of uhri_imports) of each action staging applied to records.
_COUNTED_AS = {"new": "created", "update": "updated", "unchanged": "unchanged", "merge": "merged"}
_TOTALS = ("records", *_COUNTED_AS.values(), "unmapped")


@dataclass(slots=True)
class _Counts:
    totals: Counter[str] = field(default_factory=Counter)
    kept_out: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, batch: PreparedBatch, actions: dict[str, int]) -> None:
        self.totals["records"] += batch.read
        self.totals.update({_COUNTED_AS[a]: n for a, n in actions.items() if a in _COUNTED_AS})
        self.totals["unmapped"] += batch.unmapped
        self.kept_out.update(batch.kept_out)

    def values(self, report: UhriReport) -> dict[str, Any]:
        labels = report.unmapped + self.kept_out
        return {
            **{name: self.totals[name] for name in _TOTALS},
            "record_errors": report.error_count,
            "unmapped_labels": [
                {"field": f, "label": label, "count": n}
                for (f, label), n in sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))[
                    :MAX_UNMAPPED_LABELS
                ]
            ],
            "error_samples": [dataclasses.asdict(e) for e in report.errors[:MAX_ERROR_SAMPLES]],
        }


async def _apply_batch(
    session: AsyncSession, import_id: uuid.UUID, batch: PreparedBatch, source: str
) -> dict[str, int]:
    repo = UhriRepository(session)
    await repo.begin_batch()
    changed_documents = await DocumentRepository(session).upsert_concluding_observations(
        import_id, batch.documents
    )
    actions: dict[str, int] = {}
    rows = batch.rows
    unchanged: set[str] = set()
    if rows:
        # Unchanged annotations (most of a re-import) are marked seen in one statement and
        # never copied; only the others are staged and classified.
        unchanged = await repo.mark_unchanged(
            import_id, [row[0] for row in rows], [row[1] for row in rows]
        )
        if unchanged:
            rows = [row for row in rows if row[0] not in unchanged]
    if rows:
        await repo.stage(rows)
        provenance = {name: [source] for name in PROVENANCE_FIELDS}
        actions = await repo.apply(import_id, source, provenance)
    if unchanged:
        actions["unchanged"] = actions.get("unchanged", 0) + len(unchanged)
    await repo.mark_seen(import_id, batch.seen_only)
    for document_id in changed_documents:
        # Treaty-body follow-up: 1 year after the concluding observations (2 for CEDAW, CMW).
        await deadlines.recompute_for_document(session, document_id)
    return actions


async def create_import(
    sessionmaker: async_sessionmaker[AsyncSession], **values: Any
) -> tuple[uuid.UUID, dt.datetime]:
    async with unit_of_work(sessionmaker, None) as session:
        row = UhriImport(id=uuid.uuid4(), warnings=[], unmapped_labels=[], error_samples=[])
        for key, value in values.items():
            setattr(row, key, value)
        for name in (
            "records",
            "created",
            "updated",
            "unchanged",
            "merged",
            "tombstoned",
            "unmapped",
            "record_errors",
        ):
            setattr(row, name, 0)
        UhriRepository(session).add_import(row)
        await session.flush()
        await session.refresh(row, ["started_at"])
        return row.id, row.started_at


async def finish(
    sessionmaker: async_sessionmaker[AsyncSession], import_id: uuid.UUID, values: dict[str, Any]
) -> UhriImportOut:
    async with unit_of_work(sessionmaker, None) as session:
        repo = UhriRepository(session)
        await repo.finish_import(import_id, values)
        row = await repo.get_import(import_id)
        assert row is not None
        return UhriImportOut.model_validate(row)


async def _tombstone(
    session: AsyncSession, started_at: dt.datetime, settings: UhriSettings
) -> tuple[int, str | None]:
    """(tombstoned, warning): nothing when it would remove an implausible share."""
    repo = UhriRepository(session)
    await repo.lock()
    gone, live = await repo.tombstone_candidates(started_at)
    if gone == 0:
        return 0, None
    if gone > settings.tombstone_min_guard and gone > settings.tombstone_max_fraction * live:
        return 0, (
            f"{gone} of {live} annotations are missing from this export: more than "
            f"{settings.tombstone_max_fraction:.0%}, so none was tombstoned "
            "(a truncated or partial export?)"
        )
    return await repo.tombstone(started_at), None


def _detect(file: Path) -> tuple[SourceFormat, str]:
    """The export's format and its absolute path (the import's default source)."""
    with file.open("rb") as handle:
        return detect_format(handle.read(8), file.name), str(file.absolute())


@contextlib.contextmanager
def _gc_frozen() -> Iterator[None]:
    """The objects alive before the import left out of the cyclic GC while it runs.

    The reader allocates millions of short-lived containers, so the collector runs its
    full (oldest-generation) pass again and again, and each pass walks every object of the
    process (the application's modules, SQLAlchemy, pydantic ...): about a quarter of the
    reader's CPU time (bench/uhri_import_bench.py). Frozen objects are only skipped, never
    freed early; ``unfreeze`` hands them back to the collector afterwards, so the worst a
    concurrent job sees is its cyclic garbage collected after the import, not during.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def import_file(
    sessionmaker: async_sessionmaker[AsyncSession],
    path: str | os.PathLike[str],
    *,
    source: str | None = None,
    trigger: Trigger = "cli",
    full: bool | None = None,
    progress: Progress | None = None,
    settings: UhriSettings | None = None,
    validators: dict[str, Any] | None = None,
) -> UhriImportOut:
    """Import one export file (JSON or xlsx); returns the finished import row.

    ``full=None``: a JSON export is taken as the full export (annotations it lacks are
    tombstoned), an xlsx search export as partial. Raises :class:`UhriImportFailed`
    (the import row then says ``failed`` and why).
    """
    settings = settings or get_uhri_settings()
    file = Path(path)
    try:
        source_format, absolute = await asyncio.to_thread(_detect, file)
    except (OSError, ValueError) as exc:
        raise UhriImportFailed(f"cannot import {file}: {exc}") from None
    source = source or absolute
    is_full = source_format == "json" if full is None else full
    import_id, started_at = await create_import(
        sessionmaker,
        source=source,
        trigger=trigger,
        source_format=source_format,
        full=is_full,
        status="running",
        **(validators or {}),
    )
    counts = _Counts()
    reader: BatchReader | None = None
    pending: asyncio.Future[PreparedBatch | None] | None = None
    try:
        reader = await asyncio.to_thread(
            BatchReader, file, source_format, settings.batch_size, started_at.date()
        )
        with _gc_frozen():
            pending = asyncio.ensure_future(asyncio.to_thread(reader.next_batch))
            while True:
                batch = await pending
                pending = None
                if batch is None:
                    break
                # Read and map the next batch while PostgreSQL writes this one.
                pending = asyncio.ensure_future(asyncio.to_thread(reader.next_batch))
                async with unit_of_work(sessionmaker, None) as session:
                    actions = await _apply_batch(session, import_id, batch, f"uhri:{import_id}")
                counts.add(batch, actions)
                if progress is not None:
                    progress(counts.totals["records"], reader.position(), reader.total)
        values = counts.values(reader.report)
        warnings: list[str] = []
        async with unit_of_work(sessionmaker, None) as session:
            if is_full:
                values["tombstoned"], warning = await _tombstone(session, started_at, settings)
                if warning:
                    warnings.append(warning)
            repo = UhriRepository(session)
            await repo.finish_import(
                import_id, {**values, "status": "succeeded", "warnings": warnings}
            )
            row = await repo.get_import(import_id)
            assert row is not None
            return UhriImportOut.model_validate(row)
    except BaseException as exc:
        if pending is not None:
            with contextlib.suppress(BaseException):
                await pending
        if isinstance(exc, asyncio.CancelledError):
            message = "cancelled (worker shutdown or job timeout)"
        else:
            message = one_line(str(exc) or type(exc).__name__, 1000)
        values = counts.values(reader.report) if reader is not None else {}
        # Shielded: a cancelled job still records why it stopped.
        await asyncio.shield(
            finish(
                sessionmaker,
                import_id,
                {**values, "status": "failed", "error": message, "tombstoned": 0},
            )
        )
        if not isinstance(exc, Exception):
            raise
        raise UhriImportFailed(message, import_id) from exc
    finally:
        if reader is not None:
            await asyncio.to_thread(reader.close)
