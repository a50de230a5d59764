"""The workbook: one sheet per cycle, a frozen header, drop-down lists for positions and
statuses, every text kept as text (a narrative that starts with "=" is no formula)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from shared.recommendations.models import POSITIONS, STATUSES
from shared.spreadsheets.columns import COLUMNS, KEYS

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class SheetRow:
    cycle: int | None
    values: tuple[Any, ...]  # in COLUMNS order


def sheet_title(cycle: int | None) -> str:
    return f"Cycle {cycle}" if cycle is not None else "No cycle"


def _text(ws: Any, value: str) -> Any:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        # openpyxl would write it as a formula.
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


def _validation(values: Sequence[str], column: str, rows: int) -> DataValidation:
    letter = get_column_letter(KEYS.index(column) + 1)
    rule = DataValidation(
        type="list",
        formula1='"' + ",".join(values) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=f"Unknown {column}",
        error=f"Choose one of: {', '.join(values)}",
    )
    rule.add(f"{letter}2:{letter}{max(rows, 1) + 1}")
    return rule


def _write_sheet(wb: Workbook, cycle: int | None, rows: list[SheetRow]) -> None:
    ws = wb.create_sheet(sheet_title(cycle))
    ws.freeze_panes = "A2"
    for i, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.data_validations.append(_validation(POSITIONS, "position", len(rows)))
    ws.data_validations.append(_validation(STATUSES, "status", len(rows)))
    bold = Font(bold=True)
    header = []
    for key in KEYS:
        cell = WriteOnlyCell(ws, key)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append([_text(ws, v) if isinstance(v, str) else v for v in row.values])


def workbook(rows: Iterable[SheetRow]) -> bytes:
    """The .xlsx bytes; ``rows`` come ordered by cycle."""
    wb = Workbook(write_only=True)
    written = False
    for cycle, group in groupby(rows, key=lambda r: r.cycle):
        _write_sheet(wb, cycle, list(group))
        written = True
    if not written:
        _write_sheet(wb, None, [])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def row_values(rec: Any, latest: Any | None) -> tuple[Any, ...]:
    """A recommendation as sheet values, in COLUMNS order."""
    reported_on: dt.date | None = latest.reported_on if latest is not None else None
    return (
        str(rec.id),
        rec.ref,
        rec.document_symbol,
        rec.paragraph,
        rec.mechanism,
        rec.text,
        rec.states,
        rec.position,
        rec.themes,
        rec.owner,
        latest.status if latest is not None else rec.status,
        latest.narrative if latest is not None else "",
        "\n".join(latest.evidence_links) if latest is not None else "",
        reported_on,
        latest.author if latest is not None and latest.author else "",
    )
