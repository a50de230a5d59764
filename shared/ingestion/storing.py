"""Storing an ingested document: its bytes (once per SHA-256), its row (a better copy of
a known symbol replaces a lesser one), and the types every step of one ingestion shares
(``IngestResult``, ``IngestError``, the changes counted)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from shared.documents.models import Document
from shared.ingestion.classify import _OUTCOME_OF, _REVIEW_OF, _STATE_AFTER_TITLE
from shared.ingestion.extract import detect_format, extract
from shared.ingestion.parse import parse_extracted
from shared.ingestion.parsed import (
    ParsedDocument,
    UnreadableDocument,
    UnsupportedFormat,
)
from shared.ingestion.repository import DocumentStore

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
THEME_NUMBERING = re.compile(r"^\s*[A-Z]?\d+(?:\.\d+)*\.?\s+")


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
class Changes:
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


def report_symbol_of(parsed: ParsedDocument) -> str | None:
    if parsed.kind == "wg_report":
        return parsed.symbol
    if parsed.kind in ("add1_views", "matrix"):
        if parsed.report_symbol:
            return parsed.report_symbol
        return _ADD.sub("", parsed.symbol) if parsed.symbol else None
    return parsed.symbol


def unresolved(parsed: ParsedDocument) -> list[str]:
    names = (s.name for r in parsed.recommendations for s in r.recommending_states if not s.iso3)
    return list(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class Meta:
    sha256: str
    data: bytes
    filename: str | None
    source_url: str | None
    media_type: str | None
    format: str


# The UN's own files outrank extractions of them: a plain-text copy of a report already
# stored from its PDF is kept, but does not rewrite the PDF's recommendations.
FORMAT_RANK = {"pdf": 3, "docx": 3, "doc": 3, "html": 2, "text": 1}


def stored_format(document: Document) -> str:
    files = (document.provenance or {}).get("files") or [{}]
    fmt = files[-1].get("format")
    if isinstance(fmt, str):
        return fmt
    return detect_format(b"", document.filename, document.media_type)


def _origin(meta: Meta, **extra: Any) -> dict[str, Any]:
    return {
        "sha256": meta.sha256,
        "format": meta.format,
        "filename": meta.filename,
        "source_url": meta.source_url,
        "ingested_at": dt.datetime.now(dt.UTC).isoformat(),
        **extra,
    }


async def lesser_copy(
    store: DocumentStore, document: Document, meta: Meta, extract_s: float, parse_s: float
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
            f"{document.symbol} is already stored from a {stored_format(document)} file;"
            f" this {meta.format} copy is kept but not applied"
        ],
        extract_seconds=extract_s,
        parse_seconds=parse_s,
    )


def derive_date(
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


async def store_document(
    store: DocumentStore, parsed: ParsedDocument, meta: Meta, state: str | None
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
        "report_symbol": report_symbol_of(parsed) if parsed.kind != "wg_report" else None,
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


def clip(value: str | None, size: int) -> str | None:
    return value[:size] if value is not None else None
