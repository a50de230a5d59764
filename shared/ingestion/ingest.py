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
import dataclasses
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.deadlines.service import recompute_for_document
from shared.documents.models import Document
from shared.errors import one_line
from shared.ingestion.parsed import UnreadableDocument, UnsupportedFormat
from shared.ingestion.repository import DocumentStore
from shared.ingestion.storing import (
    FORMAT_RANK,
    Changes,
    IngestError,
    IngestResult,
    Meta,
    lesser_copy,
    parse,
    report_symbol_of,
    sha256_of,
    store_document,
    stored_format,
    unresolved,
)
from shared.ingestion.upserts import upsert_add1, upsert_matrix, upsert_wg_report
from shared.kernel.outbox import emit


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
    report_symbol = report_symbol_of(parsed)
    # Same file twice at once, then the same report twice at once: one after the other.
    await store.lock(f"file:{sha}")
    if report_symbol:
        await store.lock(f"report:{report_symbol}")
    if await store.file_exists(sha):
        return await unchanged_result(store, sha)

    meta = Meta(sha, data, filename, source_url, media_type, fmt)
    existing = await store.document_by_symbol(parsed.symbol) if parsed.symbol else None
    if existing is not None and FORMAT_RANK.get(fmt, 0) < FORMAT_RANK.get(
        stored_format(existing), 0
    ):
        return await lesser_copy(store, existing, meta, extract_s, parse_s)

    changes = Changes(warnings=list(parsed.warnings))
    if parsed.kind == "wg_report":
        document, is_new = await upsert_wg_report(store, parsed, meta, changes)
    elif parsed.kind == "add1_views":
        document, is_new = await upsert_add1(store, parsed, meta, changes)
    elif parsed.kind == "matrix":
        document, is_new = await upsert_matrix(store, parsed, meta, changes)
    else:
        document, is_new = await store_document(store, parsed, meta, parsed.state_under_review)
    await store.insert_position_changes(changes.position_rows)
    document.warnings = list(dict.fromkeys(changes.warnings))
    await session.flush()
    await _hooks(session, document.id, changes.events)
    return dataclasses.replace(
        _about(document, "new" if is_new else "updated", sha),
        created=changes.created,
        updated=len(changes.updated_ids),
        positions_changed=changes.positions_changed,
        unresolved_names=unresolved(parsed),
        warnings=document.warnings,
        extract_seconds=extract_s,
        parse_seconds=parse_s,
    )


async def unchanged_result(
    store: DocumentStore, sha: str, warnings: list[str] | None = None
) -> IngestResult:
    """The result for content already ingested (``sha``, empty when unknown)."""
    document = await store.document_by_sha(sha) if sha else None
    return dataclasses.replace(_about(document, "unchanged", sha), warnings=warnings or [])


def _about(document: Document | None, outcome: str, sha: str) -> IngestResult:
    """The result naming the stored document (none: content not stored)."""
    if document is None:
        return IngestResult(outcome=outcome, sha256=sha)
    return IngestResult(
        outcome=outcome,
        sha256=sha,
        document_id=document.id,
        symbol=document.symbol,
        kind=document.kind,
    )


async def _hooks(
    session: AsyncSession, document_id: uuid.UUID, events: list[dict[str, Any]]
) -> None:
    """Deadlines derived from the document, and change events for position changes."""
    await recompute_for_document(session, document_id)
    for event in events:
        await emit(session, "recommendation.position_changed", event["state"], event)
