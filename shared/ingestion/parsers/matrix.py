"""OHCHR recommendation matrices / thematic lists (tables: one recommendation per row)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from shared.ingestion.classify import SYMBOL, normalize_symbol
from shared.ingestion.items import states_in_item, strip_terminator
from shared.ingestion.names import parse_state_list
from shared.ingestion.parsed import ParsedRecommendation, RecommendingState, Table
from shared.ingestion.positions import matrix_position
from shared.ingestion.text import squash

_ROW_ID = re.compile(r"^\s*(\d{1,3})\.(\d{1,3})\.?\s+")
_HEADING_ROW = re.compile(
    r"^\s*(?:Theme|Right or area|Thematic area|Cluster)\s*:\s*(.+)$", re.I | re.S
)
_SOURCE = re.compile(r"\n?\s*Source\s+of\s+position\s*:\s*(.*)$", re.I | re.S)
_SECTION_LABEL = re.compile(
    r"^\s*(Affected persons|Groups? of persons|SDGs?|Relevant SDGs)\s*:\s*(.*)$", re.I
)
_SDG = re.compile(r"^\s*-?\s*(?:SDG\s*)?(\d{1,2}(?:\.[0-9a-z]{1,2})?)\b", re.I)
_ADD = re.compile(r"/Add\.\d+$")


@dataclass(frozen=True, slots=True)
class _Columns:
    recommendation: int
    position: int | None
    themes: int | None
    sdgs: int | None
    states: int | None


def _columns(header: tuple[str, ...]) -> _Columns | None:
    lowered = [" ".join(c.lower().split()) for c in header]

    def find(*words: str, exclude: tuple[str, ...] = ()) -> int | None:
        for index, cell in enumerate(lowered):
            if any(w in cell for w in words) and not any(x in cell for x in exclude):
                return index
        return None

    rec = find("recommendation")
    if rec is None:
        return None
    states = find("recommending")
    return _Columns(
        recommendation=rec,
        position=find("position"),
        themes=find("theme", "rights", "affected", exclude=("position",)),
        sdgs=find("sdg"),
        states=states if states != rec else None,
    )


def _cell(row: tuple[str, ...], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


def _labelled_lists(cell: str) -> dict[str, list[str]]:
    """Split a themes cell into 'themes', 'affected' and 'sdgs' lists by its labels."""
    sections: dict[str, list[str]] = {"themes": [], "affected": [], "sdgs": []}
    current = "themes"
    for line in cell.split("\n"):
        label = _SECTION_LABEL.match(line)
        if label:
            current = "sdgs" if "sdg" in label.group(1).lower() else "affected"
            line = label.group(2)
        value = line.strip().lstrip("-•–").strip()
        if value:
            sections[current].append(value)
    return sections


def _sdgs(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        match = _SDG.match(line)
        if match and match.group(1) not in out:
            out.append(match.group(1))
    return out


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def parse_matrix(
    tables: tuple[Table, ...],
) -> tuple[list[ParsedRecommendation], str | None, list[str]]:
    """Recommendations, the WG report symbol their paragraph numbers belong to, warnings."""
    recommendations: list[ParsedRecommendation] = []
    warnings: list[str] = []
    sources: Counter[str] = Counter()
    seen: set[str] = set()
    for table in tables:
        columns: _Columns | None = None
        theme: str | None = None
        for row in table:
            first = row[0] if row else ""
            if columns is None:
                joined = " ".join(row).lower()
                if "recommendation" in joined and "position" in joined:
                    columns = _columns(row)
                continue
            heading = _HEADING_ROW.match(first)
            if heading:
                theme = squash(heading.group(1))
                continue
            rec_cell = _cell(row, columns.recommendation)
            row_id = _ROW_ID.match(rec_cell)
            if not row_id:
                continue
            paragraph = f"{int(row_id.group(1))}.{int(row_id.group(2))}"
            if paragraph in seen:
                warnings.append(f"{paragraph}: repeated row skipped")
                continue
            seen.add(paragraph)
            body = rec_cell[row_id.end() :]
            source_symbol = None
            source = _SOURCE.search(body)
            if source:
                body = body[: source.start()]
                symbol = SYMBOL.search(source.group(1))
                if symbol:
                    source_symbol = normalize_symbol(symbol.group(0))
                    sources[_ADD.sub("", source_symbol)] += 1
            text = strip_terminator(squash(body))
            states = _row_states(row, columns, body)
            for state in states:
                if state.iso3 is None:
                    warnings.append(f"{paragraph}: unresolved recommending State {state.name!r}")
            position_cell = squash(_cell(row, columns.position))
            position = matrix_position(position_cell)
            if position is None:
                warnings.append(f"{paragraph}: position {position_cell!r} not understood")
            lists = _labelled_lists(_cell(row, columns.themes))
            sdg_lines = lists["sdgs"] + _cell(row, columns.sdgs).split("\n")
            recommendations.append(
                ParsedRecommendation(
                    paragraph=paragraph,
                    printed_number=row_id.group(0).strip(),
                    text=text,
                    recommending_states=tuple(states),
                    position=position,
                    position_raw=position_cell or None,
                    position_source=source_symbol,
                    themes=_unique(([theme] if theme else []) + lists["themes"]),
                    affected_persons=_unique(lists["affected"]),
                    sdg_targets=tuple(_sdgs(sdg_lines)),
                )
            )
    report = sources.most_common(1)[0][0] if sources else None
    if not recommendations:
        warnings.append("no recommendation rows found in the matrix")
    return recommendations, report, warnings


def _row_states(row: tuple[str, ...], columns: _Columns, body: str) -> list[RecommendingState]:
    if columns.states is not None:
        names = [n for n in _cell(row, columns.states).split("\n") if n.strip()]
        states: list[RecommendingState] = []
        for name in names:
            states.extend(parse_state_list(name))
        if states:
            return states
    return states_in_item(body)[0]
