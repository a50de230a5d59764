"""Reading an edited workbook back: rows as plain values, or row and column errors.

Nothing is written here; the service applies the rows only when no error was found."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from openpyxl import load_workbook

from shared.errors import InvalidInput
from shared.recommendations.models import STATUSES
from shared.spreadsheets.columns import KEYS, MAX_ROWS, REQUIRED

MAX_ERRORS = 200
MAX_NARRATIVE = 20_000
MAX_LINKS = 50
_SPLIT_LINKS = re.compile(r"[\s;]+")


@dataclass(slots=True)
class EditedRow:
    sheet: str
    row: int
    id: uuid.UUID
    status: str
    narrative: str
    evidence_links: list[str]
    reported_on: dt.date | None
    author: str | None
    position: str | None


@dataclass(slots=True)
class Errors:
    items: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def add(self, sheet: str, row: int, column: str, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_ERRORS:
            self.items.append({"sheet": sheet, "row": row, "column": column, "message": message})

    def raise_if_any(self) -> None:
        if self.total:
            more = f" (the first {MAX_ERRORS} are listed)" if self.total > MAX_ERRORS else ""
            raise InvalidInput(
                f"{self.total} cell(s) need fixing{more}; nothing was imported",
                errors=self.items,
                code="spreadsheet_errors",
            )


def _open(blob: bytes) -> Any:
    if not blob.startswith(b"PK\x03\x04"):
        raise InvalidInput(
            "the file is not an XLSX workbook (export one with GET "
            "/v1/recommendations/export.xlsx); nothing was imported",
            code="not_xlsx",
        )
    try:
        return load_workbook(io.BytesIO(blob), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken or foreign file
        raise InvalidInput(
            f"the file could not be read as an XLSX workbook ({type(exc).__name__});"
            " nothing was imported",
            code="not_xlsx",
        ) from exc


def _header(sheet: str, cells: tuple[Any, ...]) -> list[str]:
    names = [str(c.value).strip() if c.value is not None else "" for c in cells]
    while names and not names[-1]:
        names.pop()
    unknown = [n or "(empty)" for n in names if n not in KEYS]
    if unknown:
        raise InvalidInput(
            f"sheet {sheet!r} has unknown columns: {', '.join(unknown)}; the columns are "
            + ", ".join(KEYS)
            + "; nothing was imported",
            code="unknown_columns",
        )
    missing = [k for k in REQUIRED if k not in names]
    if missing:
        raise InvalidInput(
            f"sheet {sheet!r} lacks the columns {', '.join(missing)}; nothing was imported",
            code="missing_columns",
        )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InvalidInput(
            f"sheet {sheet!r} repeats the columns {', '.join(duplicated)}; nothing was imported",
            code="unknown_columns",
        )
    return names


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _links(value: str, report: Any) -> list[str]:
    links = [p for p in _SPLIT_LINKS.split(value) if p]
    if len(links) > MAX_LINKS:
        report(f"at most {MAX_LINKS} links")
    for link in links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            report(f"{link!r} is not an http(s) URL")
            break
    return links


def _date(value: Any, report: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        report("a date is expected (YYYY-MM-DD)")
        return None


def read(blob: bytes) -> tuple[list[EditedRow], Errors]:
    """The good rows of every sheet and the errors of the others (the caller adds its own
    and raises them together); InvalidInput at once for a file that cannot be used."""
    wb = _open(blob)
    errors = Errors()
    rows: list[EditedRow] = []
    seen: dict[uuid.UUID, tuple[str, int]] = {}
    count = 0
    try:
        for ws in wb.worksheets:
            sheet = ws.title
            lines = ws.iter_rows()
            first = next(lines, None)
            if first is None:
                continue
            names = _header(sheet, first)
            for cells in lines:
                cells = cells[: len(names)]
                if all(c.value is None or c.value == "" for c in cells):
                    continue
                count += 1
                if count > MAX_ROWS:
                    raise InvalidInput(
                        f"the workbook has more than {MAX_ROWS:,} rows; split it and import"
                        " each part; nothing was imported",
                        code="too_many_rows",
                    )
                edited = _row(sheet, names, cells, errors)
                if edited is None:
                    continue
                if edited.id in seen:
                    where = seen[edited.id]
                    errors.add(sheet, edited.row, "id", f"repeats row {where[1]} of {where[0]!r}")
                    continue
                seen[edited.id] = (sheet, edited.row)
                rows.append(edited)
    finally:
        wb.close()
    return rows, errors


def _row(sheet: str, names: list[str], cells: tuple[Any, ...], errors: Errors) -> EditedRow | None:
    number = cells[0].row
    values: dict[str, Any] = {}
    bad = False
    for name, cell in zip(names, cells, strict=False):
        if getattr(cell, "data_type", None) == "f":
            errors.add(sheet, number, name, "a formula where a value is expected; paste values")
            bad = True
        values[name] = cell.value

    def report(column: str) -> Any:
        def add(message: str) -> None:
            nonlocal bad
            errors.add(sheet, number, column, message)
            bad = True

        return add

    raw_id = _text(values.get("id"))
    rec_id: uuid.UUID | None = None
    try:
        rec_id = uuid.UUID(raw_id)
    except ValueError:
        report("id")("the recommendation id is missing or malformed; keep the exported id")
    status = _text(values.get("status"))
    if status not in STATUSES:
        report("status")(f"{status or '(empty)'} is not a status; one of {', '.join(STATUSES)}")
    narrative = _text(values.get("narrative"))
    if len(narrative) > MAX_NARRATIVE:
        report("narrative")(f"at most {MAX_NARRATIVE:,} characters")
    links = _links(_text(values.get("evidence_links")), report("evidence_links"))
    reported_on = _date(values.get("reported_on"), report("reported_on"))
    author = _text(values.get("author")) or None
    if author is not None and len(author) > 300:
        report("author")("at most 300 characters")
    position = _text(values.get("position")) or None
    if bad or rec_id is None:
        return None
    return EditedRow(
        sheet=sheet,
        row=number,
        id=rec_id,
        status=status,
        narrative=narrative,
        evidence_links=links,
        reported_on=reported_on,
        author=author,
        position=position,
    )
