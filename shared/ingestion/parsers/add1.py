"""Positions stated in an Add.1 "Views on conclusions and/or recommendations".

Two shapes: statements followed by a list of recommendation numbers ("The Government
accepts the following recommendations 122.1, 122.17-18, ...") and, in cycle 1, item-by-
item prose ("5., 6., 7. The Slovenian Government accepts these recommendations").
"""

from __future__ import annotations

import re

from shared.ingestion.parsed import PositionChange
from shared.ingestion.positions import statement_position
from shared.ingestion.text import squash

_ID = r"\d{1,3}(?:\.\d{1,3})?"
_RANGE = rf"{_ID}(?:\s*[-–—]\s*{_ID})?"
_SEP = r"(?:\s*[,;]\s*|\s*\.\s+(?=\d)|\s+and\s+|\s+)"
_LIST = rf"{_RANGE}(?:{_SEP}{_RANGE})*"
_VERB = (
    r"(?:does\s+not\s+(?:accept|support)|cannot\s+(?:accept|support)|accepts?|supports?|"
    r"notes|takes\s+note\s+of|rejects?|partially\s+(?:accepts?|supports?))"
)
_ACTIVE = re.compile(
    rf"(?P<lead>[^.\n]{{0,120}}?\b{_VERB}\b[^.:;\d]{{0,100}}?"
    rf"\b(?:recommendations?|recs?\.?)(?:\s+(?:nos?\.?|numbers?))?(?:[^.:;\d]{{0,120}}?:)?\s*)"
    rf"(?P<list>{_LIST})",
    re.I,
)
_PASSIVE_VERB = (
    r"(?:are|is|were|was|have\s+been|has\s+been)\s+(?:partially\s+)?"
    r"(?:accepted|supported|noted|rejected)"
)
_PASSIVE = re.compile(
    rf"(?P<pre>\brecommendations?\s+)(?P<list>{_LIST})\s+(?P<lead>{_PASSIVE_VERB})", re.I
)
_ONE = re.compile(rf"(?P<a>{_ID})(?:\s*[-–—]\s*(?P<b>{_ID}))?")
_REPORT_PARAGRAPH = re.compile(
    r"(?:list|listed|numbered|contained)\s+in\s+paragraph\s+(\d{1,3})\s+of\s+the\s+(?:report|document)",
    re.I,
)
_ITEM_PROSE = re.compile(r"(?m)^[ \t]*((?:\d{1,3}\.,?[ \t]*)+)(?=[A-Z])")
MAX_RANGE = 400


def _expand(listing: str, prefix: str | None) -> list[str]:
    """'122.17-18, 122.20' -> ['122.17', '122.18', '122.20']; bare numbers take a prefix."""
    ids: list[str] = []
    for match in _ONE.finditer(listing):
        first, last = match.group("a"), match.group("b")
        if "." in first:
            prefix, _, start_text = first.partition(".")
        else:
            start_text = first
        start = int(start_text)
        end = start
        if last is not None:
            end = int(last.rpartition(".")[2])
        if end < start or end - start > MAX_RANGE:
            end = start
        for number in range(start, end + 1):
            ids.append(f"{prefix}.{number}" if prefix else str(number))
    return ids


def parse_add1(text: str) -> tuple[list[PositionChange], list[str]]:
    warnings: list[str] = []
    flat = squash(text)
    ref = _REPORT_PARAGRAPH.search(flat)
    default_prefix = ref.group(1) if ref else None
    found: dict[str, PositionChange] = {}
    matches: list[tuple[int, str, str]] = []
    for pattern in (_ACTIVE, _PASSIVE):
        for match in pattern.finditer(flat):
            matches.append((match.start(), match.group("lead").strip(), match.group("list")))
    for _, lead, listing in sorted(matches):
        decided = statement_position(lead)
        if decided is None:
            continue
        for paragraph in _expand(listing, default_prefix):
            _record(found, warnings, PositionChange(paragraph, decided[0], squash(lead)))
    if not found:
        _item_by_item(text, found, warnings)
    if found and all("." not in p for p in found):
        warnings.append(
            "recommendation numbers carry no report paragraph; "
            "match them to the report's printed numbers"
        )
    return list(found.values()), warnings


def _item_by_item(text: str, found: dict[str, PositionChange], warnings: list[str]) -> None:
    matches = list(_ITEM_PROSE.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        body = squash(text[match.end() : end])
        first_sentence = body.split(". ", 1)[0][:300]
        decided = statement_position(first_sentence)
        if decided is None:
            continue
        for number in re.findall(r"\d{1,3}", match.group(1)):
            _record(found, warnings, PositionChange(number, decided[0], first_sentence))


def _record(found: dict[str, PositionChange], warnings: list[str], change: PositionChange) -> None:
    previous = found.get(change.paragraph)
    if previous is None:
        found[change.paragraph] = change
    elif previous.position != change.position:
        warnings.append(
            f"{change.paragraph}: stated both {previous.position} and {change.position}; "
            "kept the first"
        )
