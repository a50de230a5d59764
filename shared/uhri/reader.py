"""Streaming readers of the two UHRI export formats.

* :func:`iter_json_export`: the full JSON export (one array of ~267,000 flat objects,
  360-400 MB), parsed incrementally with ijson: memory stays constant.
* :func:`iter_xlsx_export`: the search "Export to Excel" workbook, read with openpyxl in
  read-only mode; columns are found by their header, not their position.
* :func:`iter_export`: either, chosen by :func:`detect_format`.

Errors: a file that is not an export at all raises :class:`UhriFormatError` (for a JSON
file broken halfway, after the records before the break were yielded). A single record
that cannot be normalized never stops the read: it becomes a :class:`UhriRecordError`
in the ``report`` passed in (or a logged warning when there is none), and the read goes
on. The reader yields only :class:`UhriRecord` values, so consumers need no type checks.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, BinaryIO

import ijson
import openpyxl
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from shared.uhri import mapping
from shared.uhri.records import (
    RecordKind,
    SourceFormat,
    UhriFormatError,
    UhriRecord,
    UhriRecordError,
    UhriReport,
)

__all__ = ["detect_format", "iter_export", "iter_json_export", "iter_xlsx_export"]

log = logging.getLogger(__name__)

_ZIP_MAGIC = b"PK\x03\x04"
_BOM = b"\xef\xbb\xbf"
_PEEK_BYTES = 64 * 1024

XLSX_SHEET = "UHRISearchResult"

# xlsx headers (FORMAT.md section 2, OHCHR's typos included) folded to letters and digits,
# with the corrected spellings too, to JSON export field names.
_XLSX_COLUMNS: dict[str, str] = {
    "text": mapping.TEXT,
    "countriesconcerned": mapping.COUNTRIES,
    "reccomendingbody": mapping.BODY,
    "recommendingbody": mapping.BODY,
    "documentsymbol": mapping.SYMBOL,
    "themes": mapping.THEMES,
    "affectedpersons": mapping.AFFECTED_PERSONS,
    "sdgs": mapping.SDGS,
    "documentpublicationdate": mapping.PUBLICATION_DATE,
    "uprreccomendingstates": mapping.UPR_RECOMMENDING_COUNTRY,
    "uprrecommendingstates": mapping.UPR_RECOMMENDING_COUNTRY,
    "uprposition": mapping.UPR_POSITIONS,
    "type": mapping.ANNOTATION_TYPE,
    "ohchrannotationid": mapping.ANNOTATION_ID,
    "uprsession": mapping.UPR_SESSION,
    "uprcycle": mapping.UPR_CYCLE,
    "regionsconcerned": mapping.REGIONS,
    "recommendingregions": mapping.UPR_RECOMMENDING_REGIONS,
    "dateofpublicationonuhri": mapping.PUBLICATION_DATE_ON_UHRI,
}
_REQUIRED_COLUMNS = (mapping.TEXT, mapping.ANNOTATION_ID, mapping.ANNOTATION_TYPE)


def detect_format(first_bytes: bytes, filename: str | None = None) -> SourceFormat:
    """``"xlsx"`` or ``"json"`` from a file's first bytes, else from its name.

    An xlsx is a zip (``PK\\x03\\x04``); a JSON export starts, after an optional BOM and
    whitespace, with ``[``. Raises :class:`UhriFormatError` when neither fits.
    """
    if first_bytes.startswith(_ZIP_MAGIC):
        return "xlsx"
    stripped = first_bytes.removeprefix(_BOM).lstrip()
    if stripped[:1] in (b"[", b"{"):
        return "json"
    if not stripped and filename:
        suffix = Path(filename).suffix.lower()
        if suffix in (".json", ".xlsx"):
            return "json" if suffix == ".json" else "xlsx"
    raise UhriFormatError(
        f"not a UHRI export{f' ({filename})' if filename else ''}: "
        f"starts with {first_bytes[:16]!r}, expected a JSON array or an xlsx (zip) file"
    )


class _Prefixed:
    """A binary stream that first replays bytes already read from another one."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def _kind_filter(kinds: Collection[RecordKind] | None) -> frozenset[RecordKind] | None:
    return frozenset(kinds) if kinds is not None else None


def _normalize(
    raw: object,
    index: int,
    source_format: SourceFormat,
    kinds: frozenset[RecordKind] | None,
    report: UhriReport | None,
) -> UhriRecord | None:
    """The record, or None when it is filtered out or broken (then reported)."""
    uhri_id: str | None = None
    try:
        if not isinstance(raw, Mapping):
            raise mapping.InvalidRecord(f"a {type(raw).__name__}, not an object")
        raw_id = raw.get(mapping.ANNOTATION_ID)
        uhri_id = str(raw_id).strip() if raw_id not in (None, "") else None
        if kinds is not None:
            kind = mapping.parse_kind(mapping.single_label(raw.get(mapping.ANNOTATION_TYPE)))
            if kind is not None and kind not in kinds:
                if report is not None:
                    report.skipped += 1
                return None
        record = mapping.normalize_record(raw, index=index, source_format=source_format)
    except Exception as exc:
        # One bad record must never stop an import of a quarter-million records.
        error = UhriRecordError(index, uhri_id, f"{type(exc).__name__}: {exc}")
        if report is None:
            log.warning("UHRI record %d (%s) skipped: %s", index, uhri_id, error.message)
        else:
            report.add_error(error)
        return None
    if report is not None:
        report.add_record(record)
    return record


def iter_json_export(
    stream: BinaryIO,
    *,
    report: UhriReport | None = None,
    kinds: Collection[RecordKind] | None = None,
) -> Iterator[UhriRecord]:
    """Stream the records of a UHRI JSON export (``export-full-<lang>.json``).

    ``stream`` is a binary file object. ``kinds`` keeps only those record kinds.
    """
    head = stream.read(_PEEK_BYTES)
    if not isinstance(head, bytes):
        raise UhriFormatError("the JSON export must be read from a binary stream")
    start = head.removeprefix(_BOM).lstrip()
    if not start:
        raise UhriFormatError("empty file: expected a JSON array of UHRI records")
    if start[:1] != b"[":
        raise UhriFormatError(
            f"not a UHRI JSON export: expected a top-level array, found {start[:16]!r}"
        )
    wanted = _kind_filter(kinds)
    items = ijson.items(_Prefixed(head.removeprefix(_BOM), stream), "item", use_float=True)
    index = 0
    while True:
        try:
            raw = next(items)
        except StopIteration:
            return
        except ijson.JSONError as exc:
            raise UhriFormatError(f"invalid JSON after {index} records: {exc}") from exc
        record = _normalize(raw, index, "json", wanted, report)
        index += 1
        if record is not None:
            yield record


def _fold_header(value: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value).lower()) if value is not None else ""


def iter_xlsx_export(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    report: UhriReport | None = None,
    kinds: Collection[RecordKind] | None = None,
) -> Iterator[UhriRecord]:
    """Stream the records of a UHRI xlsx search export (sheet ``UHRISearchResult``).

    Row 1 holds the headers; empty rows are skipped (the export's table range can be
    larger than its data). ``kinds`` keeps only those record kinds.
    """
    try:
        with warnings.catch_warnings():
            # The OpenXML-SDK workbook has no default style; openpyxl says so and copes.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
            workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except OSError:
        raise
    except Exception as exc:
        raise UhriFormatError(f"not a readable xlsx workbook: {exc}") from exc
    try:
        names = workbook.sheetnames
        sheet = workbook[XLSX_SHEET] if XLSX_SHEET in names else workbook.worksheets[0]
        if isinstance(sheet, ReadOnlyWorksheet):
            # Read every row the sheet holds: a stale <dimension> would cut rows off, and
            # the export's own table range is known to disagree with its data.
            sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        columns = {
            position: _XLSX_COLUMNS[_fold_header(value)]
            for position, value in enumerate(header or ())
            if _fold_header(value) in _XLSX_COLUMNS
        }
        missing = [name for name in _REQUIRED_COLUMNS if name not in columns.values()]
        if missing:
            raise UhriFormatError(
                f"not a UHRI xlsx export: sheet {sheet.title!r} has no column for "
                f"{', '.join(missing)} (headers: {list(header or ())!r})"
            )
        wanted = _kind_filter(kinds)
        index = 0
        for row in rows:
            if all(value is None or value == "" for value in row):
                continue
            raw = {
                field: row[position]
                for position, field in columns.items()
                if position < len(row) and row[position] not in (None, "")
            }
            record = _normalize(raw, index, "xlsx", wanted, report)
            index += 1
            if record is not None:
                yield record
    finally:
        workbook.close()


def iter_export(
    path: str | os.PathLike[str],
    *,
    report: UhriReport | None = None,
    kinds: Collection[RecordKind] | None = None,
) -> Iterator[UhriRecord]:
    """Stream the records of a UHRI export file in either format (see :func:`detect_format`)."""
    with open(path, "rb") as handle:
        source_format = detect_format(handle.read(8), os.fspath(path))
        handle.seek(0)
        if source_format == "json":
            yield from iter_json_export(handle, report=report, kinds=kinds)
        else:
            yield from iter_xlsx_export(handle, report=report, kinds=kinds)
