"""Parsing one document: extract its text, classify it, parse it (no database here)."""

from __future__ import annotations

import re

from shared.ingestion.classify import Classification, classify
from shared.ingestion.extract import extract
from shared.ingestion.parsed import (
    ExtractedText,
    ParsedDocument,
    ParsedRecommendation,
    PositionChange,
    UnreadableDocument,
    UnsupportedFormat,
)
from shared.ingestion.parsers.add1 import parse_add1
from shared.ingestion.parsers.matrix import parse_matrix
from shared.ingestion.parsers.wg_report import parse_wg_report
from shared.kernel.shapes import record_of

_ADD = re.compile(r"/Add\.\d+$")


def parse_bytes(
    data: bytes, filename: str | None = None, content_type: str | None = None
) -> ParsedDocument:
    """Extract, classify and parse one document.

    Raises only UnsupportedFormat or UnreadableDocument; anything else a parser trips
    over on hostile input is reported as UnreadableDocument rather than escaping.
    """
    extracted = extract(data, filename, content_type)
    try:
        return parse_extracted(extracted)
    except (UnsupportedFormat, UnreadableDocument):
        raise
    except Exception as exc:  # a parser bug must not crash ingestion of the batch
        raise UnreadableDocument(f"could not parse document: {type(exc).__name__}: {exc}") from exc


def parse_extracted(extracted: ExtractedText) -> ParsedDocument:
    meta = classify(extracted)
    if meta.kind == "wg_report":
        recs, warnings = parse_wg_report(extracted.text, meta.symbol)
        return _document(meta, recommendations=tuple(recs), warnings=warnings)
    if meta.kind == "add1_views":
        changes, warnings = parse_add1(extracted.text)
        report = _ADD.sub("", meta.symbol) if meta.symbol else None
        return _document(meta, changes=tuple(changes), report=report, warnings=warnings)
    if meta.kind == "matrix":
        recs, report, warnings = parse_matrix(extracted.tables)
        return _document(meta, recommendations=tuple(recs), report=report, warnings=warnings)
    return _document(meta, warnings=[])


def _document(
    meta: Classification,
    *,
    recommendations: tuple[ParsedRecommendation, ...] = (),
    changes: tuple[PositionChange, ...] = (),
    report: str | None = None,
    warnings: list[str],
) -> ParsedDocument:
    matrix = meta.kind == "matrix"
    return record_of(
        ParsedDocument,
        meta,
        symbol=None if matrix else meta.symbol,
        date=None if matrix else meta.date,
        recommendations=recommendations,
        position_changes=changes,
        report_symbol=report,
        warnings=tuple(warnings),
    )
