"""From UHRI records to staging rows: content hashes, SDG goals, paragraph keys and
document dates (pure code, run in a worker thread), and the batch reader."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from shared.kernel.paragraphs import natural_key
from shared.kernel.sdg import sdg_goals_of
from shared.reference.mechanisms import by_code
from shared.uhri.reader import iter_json_export, iter_xlsx_export
from shared.uhri.records import (
    SourceFormat,
    UhriRecord,
    UhriRecordError,
    UhriReport,
)
from shared.uhri.service import CO_SYMBOL, MAPPING_VERSION, UHRI_DOCUMENT_URL

# Column sizes of recommendations (see shared/recommendations/models.py).
_MAX_SYMBOL, _MAX_PARAGRAPH, _MAX_TAG, _MAX_SDG = 100, 50, 200, 10


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


class BatchReader:
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
