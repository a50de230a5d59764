"""Recommendations of a UPR Working Group report ("Conclusions and/or recommendations").

The section is a run of numbered paragraphs. Lead-in paragraphs (whose wording gives the
position) are followed either by sub-items ``P.N`` or, in early cycle-1 reports, by items
numbered ``1.``, ``2.`` that restart under each lead-in. Numbers are accepted only in
sequence (next paragraph, next item) and only where a new item can start (line start or
after ``;``/``.``/``:``), which keeps numbers inside the prose from being taken as items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.ingestion.items import states_in_item, strip_terminator
from shared.ingestion.parsed import ParsedRecommendation
from shared.ingestion.positions import lead_in_position
from shared.ingestion.text import squash

_CONCLUSIONS = r"Conclusions?\s+and/or\s+recommendations?"
_HEADING = re.compile(rf"^[ \t]*(?:[IVX]{{1,4}}\.?[ \t]*)?{_CONCLUSIONS}[ \t*]*$", re.I | re.M)
_HEADING_LOOSE = re.compile(rf"{_CONCLUSIONS}\**(?![ .]*\.{{3}})(?!\s+contained)", re.I)
_END = re.compile(
    r"^[ \t]*(?:Annex(?:es)?|ANNEX(?:ES)?)\b[ \t]*(?:[IVX]+)?[ \t]*$"
    r"|^[ \t]*Composition of the delegation",
    re.M,
)
_LEAD_FALLBACK = re.compile(
    r"(?:^|\n)[ \t]*\d{1,3}\.\s+(?:The|In the course)[^\n]{0,200}?recommend[^\n]{0,300}?"
    r"(?:enjoy|examined|noted|support|made to|recommended that|as follows)",
    re.I,
)
_MARKER = re.compile(r"(?<![\w.,/\-–])(\d{1,3})\.(?:(\d{1,3})\b\.?)?(?=\s)")
_CAN_START = re.compile(r"(?:^|\n|[;:.)])[ \t*]*$")
_PARAGRAPH_OPENING = re.compile(
    r"^\s*(?:The|All|Other|In\s+the\s+course|With\s+(?:regard|respect)|Additionally|Furthermore"
    r"|Moreover|Recommendations|Those|These|Some|During|Following|In\s+addition|It\s+was)\b",
    re.I,
)
_CLOSING = re.compile(r"^\s*All\s+conclusions", re.I)
_LIST_HINT = re.compile(
    r"recommendations?\b[^.]{0,300}?(?:below|following|listed|hereafter)|following\s+recommendations",
    re.I,
)
_LEAD_END = re.compile(r":\s|\n[ \t]*\d{1,3}\.")
MAX_ITEM_GAP = 3


@dataclass(slots=True)
class _Paragraph:
    number: int
    start: int
    body_start: int
    accepts_items: bool = False
    position: tuple[str, str] | None = None
    last_item: int = 0
    sub_items: bool = False


@dataclass(slots=True)
class _Item:
    paragraph: int
    number: int
    sub_style: bool
    start: int
    end: int = -1


@dataclass(slots=True)
class _Scan:
    paragraphs: list[_Paragraph] = field(default_factory=list)
    items: list[_Item] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def find_section(text: str) -> str:
    """Text of the conclusions section, or the whole text when no heading is found."""
    matches = list(_HEADING.finditer(text))
    if not matches:
        matches = [
            m for m in _HEADING_LOOSE.finditer(text) if _first_paragraph_follows(text, m.end())
        ]
    if matches:
        start = matches[-1].end()
    else:
        # No usable heading (collapsed lines): start at the first lead-in paragraph.
        lead = _LEAD_FALLBACK.search(text)
        start = lead.start() if lead else 0
    end_match = _END.search(text, start)
    return text[start : end_match.start() if end_match else len(text)]


def _first_paragraph_follows(text: str, position: int) -> bool:
    return bool(re.match(r"\W*\d{1,3}\.\s", text[position : position + 40]))


def _looks_like_paragraph(following: str) -> bool:
    return bool(_PARAGRAPH_OPENING.match(following)) and (
        "recommendation" in following[:400].lower() or "conclusion" in following[:200].lower()
    )


def _lead_in_text(section: str, paragraph: _Paragraph, items: list[_Item]) -> str:
    end = next((i.start for i in items if i.paragraph == paragraph.number), None)
    return squash(
        section[paragraph.body_start : end if end is not None else paragraph.body_start + 800]
    )


def _scan(section: str) -> _Scan:
    scan = _Scan()
    current: _Paragraph | None = None
    for match in _MARKER.finditer(section):
        if not _CAN_START.search(section[max(0, match.start() - 6) : match.start()]):
            continue
        first, second = int(match.group(1)), match.group(2)
        following = section[match.end() : match.end() + 400]
        if second is not None:
            sub = int(second)
            if (
                current
                and first == current.number
                and current.accepts_items
                and current.last_item < sub <= current.last_item + MAX_ITEM_GAP
            ):
                if sub != current.last_item + 1:
                    scan.warnings.append(
                        f"items {first}.{current.last_item + 1}-{first}.{sub - 1} not found"
                    )
                _close(scan, match.start())
                current.last_item = sub
                current.sub_items = True
                scan.items.append(_Item(first, sub, True, match.end()))
            continue
        # A plain "N." is either the next paragraph or the next cycle-1 item.
        is_next_item = bool(
            current
            and current.accepts_items
            and not current.sub_items
            and first == current.last_item + 1
        )
        next_para = current is None or current.number < first <= current.number + MAX_ITEM_GAP
        if current is None and "recommend" not in following[:300].lower():
            continue
        if next_para and (not is_next_item or _looks_like_paragraph(following)):
            _close(scan, match.start())
            current = _Paragraph(first, match.start(), match.end())
            lead = squash(_LEAD_END.split(following, maxsplit=1)[0])
            if not _CLOSING.match(lead):
                current.position = lead_in_position(lead)
                current.accepts_items = current.position is not None or bool(
                    _LIST_HINT.search(lead)
                )
            scan.paragraphs.append(current)
        elif is_next_item and current is not None:
            _close(scan, match.start())
            current.last_item = first
            scan.items.append(_Item(current.number, first, False, match.end()))
    _close(scan, len(section))
    return scan


def _close(scan: _Scan, position: int) -> None:
    if scan.items and scan.items[-1].end < 0:
        scan.items[-1].end = position
    # The paragraph text itself also ends here, which bounds the last item of a list.


def parse_wg_report(text: str, symbol: str | None) -> tuple[list[ParsedRecommendation], list[str]]:
    section = find_section(text)
    scan = _scan(section)
    warnings = list(scan.warnings)
    by_number = {p.number: p for p in scan.paragraphs}
    recommendations: list[ParsedRecommendation] = []
    seen: set[str] = set()
    unknown_position: set[int] = set()
    for item in scan.items:
        paragraph = by_number[item.paragraph]
        if paragraph.position is None and paragraph.number not in unknown_position:
            unknown_position.add(paragraph.number)
            lead = _lead_in_text(section, paragraph, scan.items)[:160]
            warnings.append(f"paragraph {paragraph.number}: no position wording found in {lead!r}")
        raw = section[item.start : item.end]
        states, last_state_end = states_in_item(raw)
        if last_state_end > 0 and len(raw[last_state_end:].split()) > 4:
            raw = raw[:last_state_end]
        body = strip_terminator(squash(raw))
        paragraph_id = f"{item.paragraph}.{item.number}"
        if paragraph_id in seen:
            warnings.append(f"duplicate item {paragraph_id} skipped")
            continue
        seen.add(paragraph_id)
        for state in states:
            if state.iso3 is None:
                warnings.append(f"{paragraph_id}: unresolved recommending State {state.name!r}")
        if not states:
            warnings.append(f"{paragraph_id}: no recommending State found")
        position = paragraph.position
        recommendations.append(
            ParsedRecommendation(
                paragraph=paragraph_id,
                printed_number=paragraph_id if item.sub_style else str(item.number),
                text=body,
                recommending_states=tuple(states),
                position=position[0] if position else None,
                position_raw=position[1] if position else None,
                position_source=symbol if position else None,
            )
        )
    if not recommendations:
        warnings.append("no recommendations found in the conclusions section")
    return recommendations, warnings
