"""Ingest one document's bytes: store it, and upsert what it says about recommendations.

Everything one document changes happens in the caller's transaction (this module
flushes, never commits), so a failing document writes nothing partial. The rules:

* The same bytes again (same SHA-256) change nothing.
* WG report: one recommendation per paragraph, ``ref`` = ``symbol#paragraph``. A row is
  written only when its content differs (then ``version`` + 1 and ``updated_at`` = now);
  a position set by a later document (Add.1, matrix) is not reset by the report.
* Add.1 views: positions applied to the report's recommendations (cycle-1 bare numbers
  matched to the printed numbers), ``position_source`` = the Add.1 symbol, every change
  kept in ``position_changes``.
* Matrix: themes, affected persons and SDGs merged into the report's recommendations (and
  the position when the matrix states one); a row the report never gave is created.
* Add.1 views and matrices that arrive before their report are stored and applied when
  the report arrives, so the order of documents does not matter.
* Concurrent ingestions of one report are serialised by an advisory lock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shared.deadlines.service import recompute_for_document
from shared.documents.models import Document
from shared.errors import one_line
from shared.ingestion import ParsedDocument, ParsedRecommendation, PositionChange, parse_extracted
from shared.ingestion.classify import _OUTCOME_OF, _REVIEW_OF, _STATE_AFTER_TITLE
from shared.ingestion.extract import detect_format, extract
from shared.ingestion.parsed import UnreadableDocument, UnsupportedFormat
from shared.ingestion.repository import DocumentStore
from shared.kernel.outbox import emit
from shared.kernel.paragraphs import natural_key
from shared.kernel.sdg import sdg_goals_of
from shared.recommendations.models import Recommendation
from shared.reference.countries import resolve
from shared.reference.taxonomies import resolve_affected_person, resolve_theme

log = structlog.get_logger(__name__)

MECHANISM = "UPR"
_TITLES = {
    "wg_report": "Report of the Working Group on the Universal Periodic Review",
    "add1_views": "Views on conclusions and/or recommendations, voluntary commitments and replies",
    "matrix": "Matrix of recommendations",
}
_HRC_SYMBOL = re.compile(r"^A/HRC/(\d+)/")
_ADD = re.compile(r"/Add\.\d+$")
_NOT_A_NAME = re.compile(r"\b(?:report|working group|review|session|agenda)\b", re.I)
_THEME_NUMBERING = re.compile(r"^\s*[A-Z]?\d+(?:\.\d+)*\.?\s+")


# PDFium (pypdfium2) is not thread-safe: documents extracted in worker threads take turns.
_EXTRACT_LOCK = threading.Lock()


class IngestError(Exception):
    """A document that cannot be ingested; the message is one line for the run item."""


@dataclass(slots=True)
class IngestResult:
    outcome: str  # new | updated | unchanged | skipped
    sha256: str
    document_id: uuid.UUID | None = None
    symbol: str | None = None
    kind: str | None = None
    created: int = 0
    updated: int = 0
    positions_changed: int = 0
    unresolved_names: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extract_seconds: float = 0.0
    parse_seconds: float = 0.0


@dataclass(slots=True)
class _Changes:
    """What one document did, accumulated across the steps of its transaction."""

    created: int = 0
    updated_ids: set[uuid.UUID] = field(default_factory=set)
    positions_changed: int = 0
    position_rows: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def position(
        self,
        rec_id: uuid.UUID,
        ref: str,
        state: str,
        old: str | None,
        new: str,
        raw: str | None,
        source: str | None,
    ) -> None:
        self.positions_changed += 1
        self.position_rows.append(
            {
                "recommendation_id": rec_id,
                "position": new,
                "position_raw": raw,
                "source_symbol": source,
            }
        )
        if old is not None:
            self.events.append(
                {
                    "state": state,
                    "recommendation_id": str(rec_id),
                    "ref": ref,
                    "previous_position": old,
                    "position": new,
                    "source_symbol": source,
                }
            )


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse(
    data: bytes, filename: str | None, content_type: str | None
) -> tuple[ParsedDocument, str, float, float]:
    """parse_bytes, timed: (document, format, extraction seconds, parsing seconds).

    When the State under review does not resolve, the name as printed is kept in
    ``state_name`` so that the failure can name it.
    """
    t0 = time.perf_counter()
    with _EXTRACT_LOCK:
        extracted = extract(data, filename, content_type)
    t1 = time.perf_counter()
    try:
        document = parse_extracted(extracted)
    except (UnsupportedFormat, UnreadableDocument):
        raise
    except Exception as exc:  # a parser bug must not escape as anything but unreadable
        raise UnreadableDocument(f"could not parse document: {type(exc).__name__}: {exc}") from exc
    if document.kind == "wg_report" and not document.state_under_review:
        document = replace(document, state_name=_printed_state(extracted.text[:20000]))
    return document, extracted.format, t1 - t0, time.perf_counter() - t1


def _printed_state(head: str) -> str | None:
    for pattern in (_STATE_AFTER_TITLE, _REVIEW_OF, _OUTCOME_OF):
        for match in pattern.finditer(head):
            name = " ".join(match.group(1).split()).strip(" .*")[:200]
            if name and not _NOT_A_NAME.search(name):
                return name
    return None


async def ingest_document(
    session: AsyncSession,
    data: bytes,
    *,
    filename: str | None = None,
    source_url: str | None = None,
    media_type: str | None = None,
) -> IngestResult:
    """Store and apply one document. Raises IngestError (nothing written) when it cannot."""
    store = DocumentStore(session)
    sha = sha256_of(data)
    if await store.file_exists(sha):
        return await unchanged_result(store, sha)
    try:
        parsed, fmt, extract_s, parse_s = await asyncio.to_thread(parse, data, filename, media_type)
    except (UnsupportedFormat, UnreadableDocument) as exc:
        raise IngestError(one_line(f"{type(exc).__name__}: {exc}")) from exc

    if parsed.kind == "other" and not parsed.symbol:
        return IngestResult(
            outcome="skipped",
            sha256=sha,
            kind=parsed.kind,
            warnings=["not a UPR document this service reads (no symbol, no recommendations)"],
            extract_seconds=extract_s,
            parse_seconds=parse_s,
        )
    report_symbol = _report_symbol(parsed)
    # Same file twice at once, then the same report twice at once: one after the other.
    await store.lock(f"file:{sha}")
    if report_symbol:
        await store.lock(f"report:{report_symbol}")
    if await store.file_exists(sha):
        return await unchanged_result(store, sha)

    meta = _Meta(sha, data, filename, source_url, media_type, fmt)
    existing = await store.document_by_symbol(parsed.symbol) if parsed.symbol else None
    if existing is not None and _FORMAT_RANK.get(fmt, 0) < _FORMAT_RANK.get(
        _stored_format(existing), 0
    ):
        return await _lesser_copy(store, existing, meta, extract_s, parse_s)

    changes = _Changes(warnings=list(parsed.warnings))
    if parsed.kind == "wg_report":
        document, is_new = await _wg_report(store, parsed, meta, changes)
    elif parsed.kind == "add1_views":
        document, is_new = await _add1(store, parsed, meta, changes)
    elif parsed.kind == "matrix":
        document, is_new = await _matrix(store, parsed, meta, changes)
    else:
        document, is_new = await _store_document(store, parsed, meta, parsed.state_under_review)
    await store.insert_position_changes(changes.position_rows)
    document.warnings = list(dict.fromkeys(changes.warnings))
    await session.flush()
    await _hooks(session, document.id, changes.events)
    return IngestResult(
        outcome="new" if is_new else "updated",
        sha256=sha,
        document_id=document.id,
        symbol=document.symbol,
        kind=document.kind,
        created=changes.created,
        updated=len(changes.updated_ids),
        positions_changed=changes.positions_changed,
        unresolved_names=_unresolved(parsed),
        warnings=document.warnings,
        extract_seconds=extract_s,
        parse_seconds=parse_s,
    )


async def unchanged_result(
    store: DocumentStore, sha: str, warnings: list[str] | None = None
) -> IngestResult:
    """The result for content already ingested (``sha``, empty when unknown)."""
    document = await store.document_by_sha(sha) if sha else None
    return IngestResult(
        outcome="unchanged",
        sha256=sha,
        document_id=document.id if document else None,
        symbol=document.symbol if document else None,
        kind=document.kind if document else None,
        warnings=warnings or [],
    )


def _report_symbol(parsed: ParsedDocument) -> str | None:
    if parsed.kind == "wg_report":
        return parsed.symbol
    if parsed.kind in ("add1_views", "matrix"):
        if parsed.report_symbol:
            return parsed.report_symbol
        return _ADD.sub("", parsed.symbol) if parsed.symbol else None
    return parsed.symbol


def _unresolved(parsed: ParsedDocument) -> list[str]:
    names = (s.name for r in parsed.recommendations for s in r.recommending_states if not s.iso3)
    return list(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class _Meta:
    sha256: str
    data: bytes
    filename: str | None
    source_url: str | None
    media_type: str | None
    format: str


# The UN's own files outrank extractions of them: a plain-text copy of a report already
# stored from its PDF is kept, but does not rewrite the PDF's recommendations.
_FORMAT_RANK = {"pdf": 3, "docx": 3, "doc": 3, "html": 2, "text": 1}


def _stored_format(document: Document) -> str:
    files = (document.provenance or {}).get("files") or [{}]
    fmt = files[-1].get("format")
    if isinstance(fmt, str):
        return fmt
    return detect_format(b"", document.filename, document.media_type)


def _origin(meta: _Meta, **extra: Any) -> dict[str, Any]:
    return {
        "sha256": meta.sha256,
        "format": meta.format,
        "filename": meta.filename,
        "source_url": meta.source_url,
        "ingested_at": dt.datetime.now(dt.UTC).isoformat(),
        **extra,
    }


async def _lesser_copy(
    store: DocumentStore, document: Document, meta: _Meta, extract_s: float, parse_s: float
) -> IngestResult:
    await store.add_file(meta.sha256, meta.data)
    files = list((document.provenance or {}).get("files", []))
    document.provenance = {
        **(document.provenance or {}),
        "files": [*files, _origin(meta, applied=False)],
    }
    await store.session.flush()
    return IngestResult(
        outcome="unchanged",
        sha256=meta.sha256,
        document_id=document.id,
        symbol=document.symbol,
        kind=document.kind,
        warnings=[
            f"{document.symbol} is already stored from a {_stored_format(document)} file;"
            f" this {meta.format} copy is kept but not applied"
        ],
        extract_seconds=extract_s,
        parse_seconds=parse_s,
    )


def _derive_date(
    document_date: dt.date | None, symbol: str | None, session: int | None
) -> tuple[dt.date, str | None]:
    """A document date, or one derived from the symbol's HRC session or the UPR session."""
    if document_date is not None:
        return document_date, None
    match = _HRC_SYMBOL.match(symbol or "")
    if match:
        # HRC sessions run three a year (March, June, September) since the 7th in 2008.
        n = int(match.group(1))
        date = (
            dt.date(2008 + (n - 7) // 3, (3, 6, 9)[(n - 7) % 3], 1)
            if n >= 7
            else dt.date(2007, 1, 1)
        )
        how = f"HRC session {n} of the symbol {symbol}"
    elif session is not None:
        date = dt.date(2008 + (session - 1) // 3, 1, 1)
        how = f"UPR session {session}"
    else:
        date = dt.date.today()
        how = "nothing (today's date used)"
    return (
        date,
        f"no document date found; recommendations dated {date.isoformat()}, derived from {how}",
    )


async def _store_document(
    store: DocumentStore, parsed: ParsedDocument, meta: _Meta, state: str | None
) -> tuple[Document, bool]:
    """Insert the document (or point an existing symbol at the new bytes) and its file."""
    await store.add_file(meta.sha256, meta.data)
    origin = _origin(meta)
    existing = await store.document_by_symbol(parsed.symbol) if parsed.symbol else None
    values: dict[str, Any] = {
        "kind": parsed.kind,
        "title": _title(parsed, state),
        "state_under_review": state,
        "state_name": parsed.state_name,
        "mechanism": MECHANISM,
        "cycle": parsed.cycle,
        "session": parsed.session,
        "date": parsed.date,
        "report_symbol": _report_symbol(parsed) if parsed.kind != "wg_report" else None,
        "source_url": meta.source_url,
        "filename": meta.filename,
        "media_type": meta.media_type,
        "sha256": meta.sha256,
        "size": len(meta.data),
    }
    if existing is None:
        document = Document(
            id=uuid.uuid4(),
            symbol=parsed.symbol,
            provenance={"files": [origin]},
            warnings=[],
            **values,
        )
        store.add_document(document)
        await store.session.flush()
        return document, True
    for key, value in values.items():
        if value is not None or key in ("source_url", "filename", "media_type"):
            setattr(existing, key, value)
    files = list((existing.provenance or {}).get("files", []))
    existing.provenance = {**(existing.provenance or {}), "files": [*files, origin]}
    existing.updated_at = dt.datetime.now(dt.UTC)
    await store.session.flush()
    return existing, False


def _title(parsed: ParsedDocument, state: str | None) -> str | None:
    base = _TITLES.get(parsed.kind)
    if base is None:
        return None
    who = parsed.state_name or state
    if parsed.kind == "matrix":
        return f"{base} of {parsed.report_symbol or '?'}" + (f": {who}" if who else "")
    return f"{base}: {who}" if who else base


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value is not None else None


def _states(rec: ParsedRecommendation) -> list[tuple[str, str | None]]:
    return [(s.name, s.iso3) for s in rec.recommending_states]


def _dedupe(
    recommendations: Sequence[ParsedRecommendation], warnings: list[str]
) -> list[ParsedRecommendation]:
    seen: dict[str, ParsedRecommendation] = {}
    for rec in recommendations:
        if rec.paragraph in seen:
            warnings.append(f"paragraph {rec.paragraph} appears twice; the first kept")
            continue
        seen[rec.paragraph] = rec
    return list(seen.values())


async def _wg_report(
    store: DocumentStore, parsed: ParsedDocument, meta: _Meta, changes: _Changes
) -> tuple[Document, bool]:
    symbol = parsed.symbol
    if not symbol:
        raise IngestError(
            f"WG report {meta.filename or meta.source_url or ''} has no document symbol;"
            " its recommendations cannot be keyed".replace("  ", " ")
        )
    state = parsed.state_under_review
    if not state:
        raise IngestError(
            f"{symbol}: the State under review {parsed.state_name!r} is not a known State"
            if parsed.state_name
            else f"{symbol}: no State under review found in the document"
        )
    document, is_new = await _store_document(store, parsed, meta, state)
    date, warning = _derive_date(parsed.date, symbol, parsed.session)
    if warning:
        changes.warnings.append(warning)
    recs = _dedupe(parsed.recommendations, changes.warnings)
    existing = await store.recommendations([f"{symbol}#{r.paragraph}" for r in recs])
    old_states = await store.states_of([r.id for r in existing.values()])
    new_rows: list[dict[str, Any]] = []
    new_states: list[tuple[uuid.UUID, list[tuple[str, str | None]]]] = []
    for p in recs:
        ref = f"{symbol}#{p.paragraph}"
        desired: dict[str, Any] = {
            "kind": "recommendation",
            "document_id": document.id,
            "document_symbol": symbol,
            "document_date": date,
            "paragraph": _clip(p.paragraph, 50),
            "paragraph_key": natural_key(p.paragraph),
            "printed_number": _clip(p.printed_number, 50),
            "text": p.text,
            "state_under_review": state,
            "mechanism": MECHANISM,
            "cycle": parsed.cycle,
            "session": parsed.session,
        }
        position: dict[str, Any] = {
            "position": p.position or "no_position",
            "position_raw": p.position_raw,
            "position_source": _clip(p.position_source or symbol, 100) or symbol,
        }
        rec = existing.get(ref)
        if rec is None:
            rec_id = uuid.uuid4()
            new_rows.append(
                {
                    "id": rec_id,
                    "ref": ref,
                    **desired,
                    **position,
                    "themes": [],
                    "affected_persons": [],
                    "sdg_targets": [],
                    "sdg_goals": [],
                    "institutions": [],
                    "status": "no_information",
                    "version": 1,
                    "deleted_at": None,
                }
            )
            new_states.append((rec_id, _states(p)))
            if p.position is not None:
                changes.position(
                    rec_id,
                    ref,
                    state,
                    None,
                    position["position"],
                    p.position_raw,
                    position["position_source"],
                )
            continue
        values = {k: v for k, v in desired.items() if getattr(rec, k) != v}
        # A position stated by a later document (Add.1, matrix) outranks the report's.
        if rec.position_source in (None, symbol):
            values |= {k: v for k, v in position.items() if getattr(rec, k) != v}
        states_changed = old_states.get(rec.id, []) != _states(p)
        if values or states_changed:
            await store.update_recommendation(rec.id, values)
            changes.updated_ids.add(rec.id)
        if states_changed:
            await store.replace_states(rec.id, _states(p), existing=True)
        if "position" in values:
            changes.position(
                rec.id,
                ref,
                state,
                rec.position,
                values["position"],
                position["position_raw"],
                position["position_source"],
            )
    await store.insert_recommendations(new_rows)
    await store.insert_states(new_states)
    changes.created += len(new_rows)
    await _apply_dependents(store, symbol, document, changes)
    return document, is_new


async def _apply_dependents(
    store: DocumentStore, report_symbol: str, report: Document, changes: _Changes
) -> None:
    """Add.1 views and matrices stored before their report: apply them now."""
    for dependent in await store.dependents(report_symbol):
        content = await store.file_content(dependent.sha256)
        if content is None:
            continue
        try:
            parsed, _, _, _ = await asyncio.to_thread(
                parse, content, dependent.filename, dependent.media_type
            )
        except (UnsupportedFormat, UnreadableDocument) as exc:
            changes.warnings.append(f"could not re-read {dependent.symbol or dependent.id}: {exc}")
            continue
        if dependent.kind == "add1_views":
            await _apply_add1(
                store, dependent.symbol or "", report_symbol, parsed.position_changes, changes
            )
        elif dependent.kind == "matrix":
            await _apply_matrix(
                store,
                dependent,
                report_symbol,
                report,
                parsed,
                report.state_under_review or "",
                changes,
            )


async def _add1(
    store: DocumentStore, parsed: ParsedDocument, meta: _Meta, changes: _Changes
) -> tuple[Document, bool]:
    symbol = parsed.symbol
    report_symbol = _report_symbol(parsed)
    if not symbol or not report_symbol:
        raise IngestError(
            f"Add.1 views {meta.filename or meta.source_url or ''} have no document symbol"
        )
    report = await store.document_by_symbol(report_symbol)
    state = parsed.state_under_review or (report.state_under_review if report else None)
    document, is_new = await _store_document(store, parsed, meta, state)
    if not parsed.position_changes:
        changes.warnings.append("no positions found in these views")
    if report is None:
        changes.warnings.append(
            f"report {report_symbol} not ingested yet: its {len(parsed.position_changes)}"
            " positions will be applied when it is"
        )
        return document, is_new
    await _apply_add1(store, symbol, report_symbol, parsed.position_changes, changes)
    return document, is_new


async def _apply_add1(
    store: DocumentStore,
    symbol: str,
    report_symbol: str,
    position_changes: Sequence[PositionChange],
    changes: _Changes,
) -> None:
    recs = await store.recommendations_of(report_symbol)
    by_paragraph = {r.paragraph: r for r in recs}
    by_printed: dict[str, list[Recommendation]] = defaultdict(list)
    for r in recs:
        if r.printed_number:
            by_printed[r.printed_number.rstrip(".")].append(r)
    unmatched: list[str] = []
    for change in position_changes:
        rec = by_paragraph.get(change.paragraph)
        if rec is None and "." not in change.paragraph:
            candidates = by_printed.get(change.paragraph, [])
            rec = candidates[0] if len(candidates) == 1 else None
        if rec is None:
            unmatched.append(change.paragraph)
            continue
        values: dict[str, Any] = {}
        if rec.position != change.position:
            values["position"] = change.position
        if rec.position_raw != change.position_raw:
            values["position_raw"] = change.position_raw
        if rec.position_source != symbol:
            values["position_source"] = symbol
        if not values:
            continue
        await store.update_recommendation(rec.id, values)
        changes.updated_ids.add(rec.id)
        if "position" in values:
            changes.position(
                rec.id,
                rec.ref,
                rec.state_under_review,
                rec.position,
                change.position,
                change.position_raw,
                symbol,
            )
        # Later views in the same pass see what this one set.
        rec.position, rec.position_raw, rec.position_source = (
            change.position,
            change.position_raw,
            symbol,
        )
    if unmatched:
        shown = ", ".join(unmatched[:10]) + (" ..." if len(unmatched) > 10 else "")
        changes.warnings.append(
            f"{len(unmatched)} positions match no recommendation of {report_symbol}: {shown}"
        )


def _state_from_filename(filename: str | None) -> str | None:
    """``slovenia_UPR20_2014_thematic_list.docx`` -> SVN (matrices print no State)."""
    if not filename:
        return None
    stem = re.split(r"[_\-\s]*(?:UPR|\d)", filename.rsplit("/", 1)[-1], maxsplit=1)[0]
    return resolve(stem.replace("_", " ")) if stem else None


async def _matrix(
    store: DocumentStore, parsed: ParsedDocument, meta: _Meta, changes: _Changes
) -> tuple[Document, bool]:
    report_symbol = parsed.report_symbol
    if not report_symbol:
        raise IngestError(f"matrix {meta.filename or meta.source_url or ''} names no report symbol")
    report = await store.document_by_symbol(report_symbol)
    state = (report.state_under_review if report else None) or parsed.state_under_review
    state = state or _state_from_filename(meta.filename)
    if not state:
        raise IngestError(
            f"matrix of {report_symbol}: the State under review is unknown until that report"
            " is ingested"
        )
    document, is_new = await _store_document(store, parsed, meta, state)
    await _apply_matrix(store, document, report_symbol, report, parsed, state, changes)
    return document, is_new


def _merge(old: Sequence[Any], new: Sequence[Any]) -> list[Any]:
    return list(dict.fromkeys([*old, *new]))


def _matrix_tags(
    p: ParsedRecommendation, warnings: list[str]
) -> tuple[list[str], list[str], list[str], list[int]]:
    themes: list[str] = []
    for label in p.themes:
        value = resolve_theme(label) or resolve_theme(_THEME_NUMBERING.sub("", label))
        if value:
            themes.append(value[:200])
        else:
            warnings.append(f"unmapped theme {label!r}")
    persons: list[str] = []
    for label in p.affected_persons:
        value = resolve_affected_person(label)
        if value:
            persons.append(value[:200])
        elif label.strip().lower() not in ("general", "none", "n/a"):
            warnings.append(f"unmapped affected persons {label!r}")
    # Matrices list goal numbers ("16") beside targets ("16.3"): goals go to sdg_goals.
    targets = [t for t in p.sdg_targets if "." in t]
    goals = sorted(
        {int(t) for t in p.sdg_targets if t.isdigit() and 1 <= int(t) <= 17}
        | set(sdg_goals_of(targets))
    )
    return _merge([], themes), _merge([], persons), _merge([], targets), goals


async def _apply_matrix(
    store: DocumentStore,
    matrix: Document,
    report_symbol: str,
    report: Document | None,
    parsed: ParsedDocument,
    state: str,
    changes: _Changes,
) -> None:
    tag_warnings: list[str] = []
    recs = _dedupe(parsed.recommendations, changes.warnings)
    existing = await store.recommendations([f"{report_symbol}#{r.paragraph}" for r in recs])
    date: dt.date | None = report.date if report else None
    new_rows: list[dict[str, Any]] = []
    new_states: list[tuple[uuid.UUID, list[tuple[str, str | None]]]] = []
    for p in recs:
        ref = f"{report_symbol}#{p.paragraph}"
        themes, persons, targets, goals = _matrix_tags(p, tag_warnings)
        source = _clip(p.position_source or f"{report_symbol}/Add.1", 100)
        rec = existing.get(ref)
        if rec is None:
            if date is None:
                date, warning = _derive_date(None, report_symbol, parsed.session)
                if warning:
                    changes.warnings.append(warning)
            rec_id = uuid.uuid4()
            new_rows.append(
                {
                    "id": rec_id,
                    "ref": ref,
                    "kind": "recommendation",
                    "document_id": report.id if report else matrix.id,
                    "document_symbol": report_symbol,
                    "document_date": date,
                    "paragraph": _clip(p.paragraph, 50),
                    "paragraph_key": natural_key(p.paragraph),
                    "printed_number": _clip(p.printed_number, 50),
                    "text": p.text,
                    "state_under_review": state,
                    "mechanism": MECHANISM,
                    "cycle": report.cycle if report else parsed.cycle,
                    "session": report.session if report else parsed.session,
                    "position": p.position or "no_position",
                    "position_raw": p.position_raw,
                    "position_source": source if p.position else None,
                    "themes": themes,
                    "affected_persons": persons,
                    "sdg_targets": targets,
                    "sdg_goals": goals,
                    "institutions": [],
                    "status": "no_information",
                    "version": 1,
                    "deleted_at": None,
                }
            )
            new_states.append((rec_id, _states(p)))
            if p.position:
                changes.position(rec_id, ref, state, None, p.position, p.position_raw, source)
            continue
        # Tags are merged, never dropped: a follow-up team may have added its own.
        values: dict[str, Any] = {}
        for column, tags in (
            ("themes", themes),
            ("affected_persons", persons),
            ("sdg_targets", targets),
        ):
            merged = _merge(getattr(rec, column), tags)
            if merged != list(getattr(rec, column)):
                values[column] = merged
        merged_goals = sorted(set(rec.sdg_goals) | set(goals))
        if merged_goals != list(rec.sdg_goals):
            values["sdg_goals"] = merged_goals
        if p.position and p.position != rec.position:
            values |= {
                "position": p.position,
                "position_raw": p.position_raw,
                "position_source": source,
            }
        if values:
            await store.update_recommendation(rec.id, values)
            changes.updated_ids.add(rec.id)
        if "position" in values:
            changes.position(
                rec.id,
                ref,
                rec.state_under_review,
                rec.position,
                p.position or "",
                p.position_raw,
                source,
            )
    await store.insert_recommendations(new_rows)
    await store.insert_states(new_states)
    changes.created += len(new_rows)
    changes.warnings.extend(dict.fromkeys(tag_warnings))


async def _hooks(
    session: AsyncSession, document_id: uuid.UUID, events: list[dict[str, Any]]
) -> None:
    """Deadlines derived from the document, and change events for position changes."""
    await recompute_for_document(session, document_id)
    for event in events:
        await emit(session, "recommendation.position_changed", event["state"], event)
