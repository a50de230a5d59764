"""Import of the Universal Human Rights Index into recommendations, incrementally.

The export is streamed (``shared.uhri.reader``) in batches; each batch is one transaction
(``unit_of_work``): a failure mid-file leaves the batches before it committed and
consistent, and marks the import failed with its reason. Per annotation (OHCHR annotation
id = the stable key):

* unseen, and no recommendation has its ``symbol#paragraph``: a new recommendation
  (``ref`` = ``symbol#paragraph``, else ``uhri:<annotation id>``);
* unseen, but a recommendation parsed from a report has that ``ref``: merged into it (it
  gains the annotation id and the union of themes, affected persons and SDG targets; its
  text, position and recommending States stay the report's; ``provenance`` says where
  each field came from);
* seen, same content hash: nothing is written to the recommendation;
* seen, changed: the recommendation is updated (version + 1, ``updated_at``);
* absent from a complete, successful *full* import: tombstoned (``deleted_at``), never
  deleted. A failed or partial import (xlsx search export) tombstones nothing, and a full
  import that would remove an implausible share of the index tombstones nothing either.

A record whose State or mechanism does not resolve is kept out and counted as unmapped,
with its labels; a record that cannot be read is counted as an error. Treaty-body
concluding observations become ``documents`` rows (kind ``concluding_observations``) and
the deadlines domain derives their follow-up deadline from them.

The orchestration (``run_import``, ``import_url``) opens one unit of work per batch, because
a quarter-million records do not fit one transaction; the SQL is in ``repository``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import os
import re
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Literal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import egress
from shared.db import unit_of_work
from shared.deadlines import service as deadlines
from shared.errors import DomainError, NotFound, one_line
from shared.ingestion.sources import FetchError, make_client
from shared.kernel.paragraphs import natural_key
from shared.kernel.sdg import sdg_goals_of
from shared.pagination import Page, decode_time_key, encode_time_key
from shared.reference.mechanisms import by_code
from shared.settings import Settings, get_settings
from shared.uhri.models import UhriImport
from shared.uhri.reader import detect_format, iter_json_export, iter_xlsx_export
from shared.uhri.records import (
    SourceFormat,
    UhriRecord,
    UhriRecordError,
    UhriReport,
)
from shared.uhri.repository import REPORT_FIELDS, TAG_FIELDS, UhriRepository
from shared.uhri.schemas import UhriImportOut
from shared.uhri.settings import UhriSettings, get_uhri_settings

__all__ = [
    "Downloaded",
    "UhriImportFailed",
    "download",
    "import_file",
    "import_url",
    "list_imports",
    "prepare_batch",
]

Trigger = Literal["cli", "cron", "api"]
Progress = Callable[[int, int | None, int | None], None]
"""``progress(records_read, bytes_read, bytes_total)``, called after every batch."""

# Bumped when what a record maps to changes: every annotation then counts as changed once.
MAPPING_VERSION = 1
CO_SYMBOL = re.compile(r"/CO/", re.IGNORECASE)
UHRI_DOCUMENT_URL = "https://uhri.ohchr.org/en/document/{}"
MAX_ERROR_SAMPLES = 20
MAX_UNMAPPED_LABELS = 500
# Column sizes of recommendations (see shared/recommendations/models.py).
_MAX_SYMBOL, _MAX_PARAGRAPH, _MAX_TAG, _MAX_SDG = 100, 50, 200, 10
PROVENANCE_FIELDS = (*REPORT_FIELDS, *TAG_FIELDS, "uhri_id")


class UhriImportFailed(DomainError):
    """An import stopped (unreadable file, download refused, database error)."""

    status, code, title = 422, "uhri_import_failed", "UHRI import failed"

    def __init__(self, detail: str, import_id: uuid.UUID | None = None) -> None:
        super().__init__(detail)
        self.import_id = import_id


# --- from records to staging rows (pure, runs in a worker thread) ---------------------


@dataclass(slots=True)
class PreparedBatch:
    """One batch as the repository takes it."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    # Annotations in the file that were kept out (unmapped State/mechanism, unreadable).
    seen_only: list[str] = field(default_factory=list)
    unmapped: int = 0
    kept_out: Counter[tuple[str, str]] = field(default_factory=Counter)
    invalid: list[UhriRecordError] = field(default_factory=list)
    read: int = 0


def content_hash(record: UhriRecord) -> bytes:
    """A digest of everything an annotation maps to (not its position in the file)."""
    values = (
        MAPPING_VERSION,
        record.kind,
        record.text,
        record.mechanism,
        record.special_procedure,
        record.countries,
        record.recommending_states,
        record.symbol,
        record.paragraph,
        record.position,
        record.position_raw,
        record.themes,
        record.affected_persons,
        record.sdg_targets,
        record.document_date,
        record.published_at.date() if record.published_at else None,
        record.session,
        record.cycle,
    )
    return hashlib.blake2b(repr(values).encode(), digest_size=16).digest()


@lru_cache(maxsize=65536)
def _sdg(targets: tuple[str, ...]) -> tuple[list[str], list[int]]:
    """(targets, goals) of an annotation's SDG list; the same few lists repeat everywhere."""
    return [t for t in targets if "." in t and len(t) <= _MAX_SDG], sdg_goals_of(targets)


@lru_cache(maxsize=65536)
def _paragraph_key(paragraph: str) -> list[int]:
    return natural_key(paragraph)


def _document_date(record: UhriRecord, fallback: dt.date) -> dt.date:
    """The document's date, else the publication on UHRI, else the import's day."""
    if record.document_date is not None:
        return record.document_date
    if record.published_at is not None:
        return record.published_at.date()
    return fallback


def _is_treaty_co(record: UhriRecord) -> bool:
    mechanism = by_code().get(record.mechanism or "")
    return (
        mechanism is not None
        and mechanism.kind == "treaty_body"
        and bool(record.symbol)
        and bool(CO_SYMBOL.search(record.symbol or ""))
    )


def prepare_batch(
    records: Sequence[UhriRecord], *, fallback_date: dt.date, errors: Sequence[UhriRecordError]
) -> PreparedBatch:
    """Staging rows for ``records``; unmapped ones kept out and counted."""
    batch = PreparedBatch(read=len(records) + len(errors), invalid=list(errors))
    batch.seen_only += [e.uhri_id for e in errors if e.uhri_id]
    by_id: dict[str, tuple[Any, ...]] = {}
    refs: set[str] = set()
    documents: dict[str, dict[str, Any]] = {}
    for record in records:
        iso3 = record.country_iso3
        if iso3 is None or record.mechanism is None:
            batch.unmapped += 1
            batch.seen_only.append(record.uhri_id)
            if not record.countries:
                batch.kept_out[("countries", "(no country)")] += 1
            continue
        symbol = record.symbol or None
        if symbol is not None and len(symbol) > _MAX_SYMBOL:
            batch.invalid.append(
                UhriRecordError(record.source_index, record.uhri_id, "document symbol too long")
            )
            batch.seen_only.append(record.uhri_id)
            continue
        paragraph = record.paragraph or ""
        if len(paragraph) > _MAX_PARAGRAPH:
            paragraph = ""
        ref = f"{symbol}#{paragraph}" if symbol and paragraph else f"uhri:{record.uhri_id}"
        if ref in refs:  # two annotations with one symbol#paragraph in a batch
            ref = f"uhri:{record.uhri_id}"
        refs.add(ref)
        date = _document_date(record, fallback_date)
        upr = record.mechanism == "UPR"
        position = record.position if upr and record.position else "no_position"
        states = record.recommending_states if upr else ()
        targets, goals = _sdg(record.sdg_targets)
        by_id[record.uhri_id] = (
            record.uhri_id,
            content_hash(record),
            uuid.uuid4(),
            ref,
            record.kind,
            record.mechanism,
            iso3,
            symbol or "UHRI",
            date,
            paragraph,
            _paragraph_key(paragraph),
            record.text,
            record.cycle,
            record.session,
            position,
            record.position_raw if upr else None,
            "UHRI" if position != "no_position" else None,
            [t for t in record.themes if len(t) <= _MAX_TAG],
            [p for p in record.affected_persons if len(p) <= _MAX_TAG],
            targets,
            goals,
            [s.name for s in states],
            [s.iso3 for s in states],
        )
        if symbol is not None and _is_treaty_co(record):
            known = documents.get(symbol)
            if known is None or date < known["date"]:
                documents[symbol] = {
                    "id": uuid.uuid4(),
                    "symbol": symbol,
                    "state": iso3,
                    "state_name": (record.country_label or "")[:200] or None,
                    "mechanism": record.mechanism,
                    "date": date,
                    "source_url": (
                        UHRI_DOCUMENT_URL.format(record.document_id) if record.document_id else None
                    ),
                    "sha256": hashlib.sha256(f"uhri-document:{symbol}".encode()).hexdigest(),
                }
    batch.rows = list(by_id.values())
    batch.documents = list(documents.values())
    return batch


@dataclass(slots=True)
class _CollectingReport(UhriReport):
    """A report that also hands over each batch's record errors (for "seen" marking)."""

    pending_errors: list[UhriRecordError] = field(default_factory=list)

    def add_error(self, error: UhriRecordError) -> None:
        UhriReport.add_error(self, error)
        self.pending_errors.append(error)


class _BatchReader:
    """The export read in batches, off the event loop (every method runs in a thread)."""

    def __init__(
        self, path: Path, source_format: SourceFormat, batch_size: int, fallback: dt.date
    ) -> None:
        self.path = path
        self.batch_size = batch_size
        self.fallback = fallback
        self.report = _CollectingReport()
        self.total = path.stat().st_size
        self._handle: IO[bytes] = path.open("rb")
        self._records: Iterator[UhriRecord] = (
            iter_json_export(self._handle, report=self.report)
            if source_format == "json"
            else iter_xlsx_export(self._handle, report=self.report)
        )
        self.done = False

    def next_batch(self) -> PreparedBatch | None:
        if self.done:
            return None
        records: list[UhriRecord] = []
        for record in self._records:
            records.append(record)
            if len(records) >= self.batch_size:
                break
        else:
            self.done = True
        errors, self.report.pending_errors = self.report.pending_errors, []
        if not records and not errors:
            return None
        return prepare_batch(records, fallback_date=self.fallback, errors=errors)

    def position(self) -> int:
        try:
            return self._handle.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        self._handle.close()


# --- import -------------------------------------------------------------------------


@dataclass(slots=True)
class _Counts:
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    unmapped: int = 0
    kept_out: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, batch: PreparedBatch, actions: dict[str, int]) -> None:
        self.records += batch.read
        self.created += actions.get("new", 0)
        self.updated += actions.get("update", 0)
        self.unchanged += actions.get("unchanged", 0)
        self.merged += actions.get("merge", 0)
        self.unmapped += batch.unmapped
        self.kept_out.update(batch.kept_out)

    def values(self, report: UhriReport) -> dict[str, Any]:
        labels = report.unmapped + self.kept_out
        return {
            "records": self.records,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged": self.merged,
            "unmapped": self.unmapped,
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
    changed_documents = await repo.upsert_documents(import_id, batch.documents)
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


async def _create_import(
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


async def _finish(
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
    import_id, started_at = await _create_import(
        sessionmaker,
        source=source,
        trigger=trigger,
        source_format=source_format,
        full=is_full,
        status="running",
        **(validators or {}),
    )
    counts = _Counts()
    reader: _BatchReader | None = None
    pending: asyncio.Future[PreparedBatch | None] | None = None
    try:
        reader = await asyncio.to_thread(
            _BatchReader, file, source_format, settings.batch_size, started_at.date()
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
                    progress(counts.records, reader.position(), reader.total)
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
            _finish(
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


# --- download -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Downloaded:
    not_modified: bool
    path: Path | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    size: int = 0


def _client(app: Settings, settings: UhriSettings) -> httpx.AsyncClient:
    # The ingestion's egress client (user agent, redirect limit), with the export's own
    # timeout and size limit.
    return make_client(
        app.model_copy(update={"ingest_timeout_s": settings.timeout_s}),
        max_bytes=settings.max_bytes,
    )


async def download(
    url: str,
    folder: Path,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    settings: UhriSettings | None = None,
    client: httpx.AsyncClient | None = None,
) -> Downloaded:
    """Stream ``url`` into a file in ``folder`` (constant memory, size-limited), with a
    conditional GET when validators are given. Raises ``FetchError``."""
    settings = settings or get_uhri_settings()
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    http = client or _client(get_settings(), settings)
    name = Path(httpx.URL(url).path).name or "export"
    target = folder / name
    digest = hashlib.sha256()
    size = 0
    try:
        async with http.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Downloaded(not_modified=True, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} from {url}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > settings.max_bytes:
                raise FetchError(
                    f"{url} is {int(declared)} bytes, over the limit of {settings.max_bytes}"
                )
            handle = await asyncio.to_thread(target.open, "wb")
            try:
                async for chunk in response.aiter_bytes(1 << 20):
                    size += len(chunk)
                    if size > settings.max_bytes:
                        raise FetchError(f"{url} exceeds the limit of {settings.max_bytes} bytes")
                    digest.update(chunk)
                    await asyncio.to_thread(handle.write, chunk)
            finally:
                await asyncio.to_thread(handle.close)
            if declared.isdigit() and size != int(declared):
                raise FetchError(f"{url}: got {size} of {declared} bytes (truncated)")
            return Downloaded(
                not_modified=False,
                path=target,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                sha256=digest.hexdigest(),
                size=size,
            )
    except egress.EgressRefused as exc:
        raise FetchError(f"refused {url}: {exc.detail}") from None
    except httpx.TimeoutException:
        raise FetchError(f"timed out fetching {url}") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
    finally:
        if own:
            await http.aclose()


async def import_url(
    sessionmaker: async_sessionmaker[AsyncSession],
    url: str,
    *,
    trigger: Trigger = "cron",
    conditional: bool = True,
    full: bool | None = None,
    progress: Progress | None = None,
    settings: UhriSettings | None = None,
    client: httpx.AsyncClient | None = None,
) -> UhriImportOut:
    """Download the export at ``url`` and import it. ``conditional``: send the validators
    of the last import of the same URL; a 304 records a ``not_modified`` import and
    changes nothing else."""
    settings = settings or get_uhri_settings()
    etag = last_modified = None
    if conditional:
        async with unit_of_work(sessionmaker, None) as session:
            last = await UhriRepository(session).last_fetch(url)
            if last is not None:
                etag, last_modified = last.etag, last.last_modified
    with tempfile.TemporaryDirectory(prefix="uhri-") as folder:
        try:
            fetched = await download(
                url,
                Path(folder),
                etag=etag,
                last_modified=last_modified,
                settings=settings,
                client=client,
            )
        except FetchError as exc:
            import_id, _ = await _create_import(
                sessionmaker, source=url, trigger=trigger, full=False, status="running"
            )
            await _finish(sessionmaker, import_id, {"status": "failed", "error": str(exc)})
            raise UhriImportFailed(str(exc), import_id) from None
        validators = {
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
        }
        if fetched.not_modified or fetched.path is None:
            import_id, _ = await _create_import(
                sessionmaker,
                source=url,
                trigger=trigger,
                full=False,
                status="running",
                **validators,
            )
            return await _finish(sessionmaker, import_id, {"status": "not_modified"})
        return await import_file(
            sessionmaker,
            fetched.path,
            source=url,
            trigger=trigger,
            full=full,
            progress=progress,
            settings=settings,
            validators={**validators, "sha256": fetched.sha256, "size": fetched.size},
        )


# --- reads --------------------------------------------------------------------------


async def list_imports(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> Page[UhriImportOut]:
    """Imports, newest first (keyset pagination)."""
    after = decode_time_key(cursor, "uhri-imports", dt.datetime.fromisoformat)
    rows = await UhriRepository(session).imports_page(after=after, limit=limit + 1)
    items = [UhriImportOut.model_validate(r) for r in rows[:limit]]
    next_cursor = (
        encode_time_key("uhri-imports", items[-1].started_at, items[-1].id)
        if len(rows) > limit
        else None
    )
    return Page(items=items, next_cursor=next_cursor)


async def get_import(session: AsyncSession, import_id: uuid.UUID) -> UhriImportOut:
    row = await UhriRepository(session).get_import(import_id)
    if row is None:
        raise NotFound(f"no UHRI import {import_id}")
    return UhriImportOut.model_validate(row)
