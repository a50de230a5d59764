"""Spreadsheet (CSV) import plumbing: decoding, headers, and a row-by-row error report.

Imports are all-or-nothing: every row is checked first, and one bad row rejects the
whole file with a 422 listing each problem by spreadsheet row number (the header is
row 1, the first data row is row 2).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from shared.errors import InvalidInput

MAX_ROWS = 5000


@dataclass
class RowErrors:
    errors: list[dict[str, object]] = field(default_factory=list)

    def add(self, row: int, column: str | None, message: str) -> None:
        where = f"row {row}" + (f", {column}" if column else "")
        self.errors.append(
            {
                "loc": ["body", row] + ([column] if column else []),
                "field": where,
                "row": row,
                "column": column,
                "message": message,
                "type": "value_error",
            }
        )

    def raise_if_any(self) -> None:
        if self.errors:
            rows = sorted({int(str(e["row"])) for e in self.errors})
            raise InvalidInput(
                f"{len(rows)} row(s) have errors ({', '.join(map(str, rows[:20]))});"
                " nothing was imported",
                errors=self.errors,
                code="csv_invalid",
            )


def read_rows(
    body: bytes, *, required: tuple[str, ...], optional: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: stripped cell}) for each non-blank data row."""
    errors = RowErrors()
    try:
        content = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.add(1, None, "the file is not UTF-8 text; save it as CSV UTF-8")
        errors.raise_if_any()
    if "\x00" in content:
        errors.add(1, None, "the file contains NUL characters; save it as CSV UTF-8")
        errors.raise_if_any()
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        errors.add(1, None, f"unreadable CSV: {exc}")
        errors.raise_if_any()
        raise AssertionError("unreachable") from exc
    if not any(header):
        errors.add(1, None, f"the file is empty; the header row needs {', '.join(required)}")
    for name in required:
        if name not in header:
            errors.add(1, name, f"missing column {name!r}")
    allowed = set(required) | set(optional)
    for name in header:
        if name and name not in allowed:
            errors.add(1, name, f"unknown column {name!r}; allowed: {sorted(allowed)}")
    if len(set(header)) != len(header):
        errors.add(1, None, "a column appears twice")
    errors.raise_if_any()

    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                errors.add(number, None, f"{len(cells)} cells for {len(header)} columns")
                continue
            padded = cells + [""] * (len(header) - len(cells))
            rows.append((number, {h: c.strip() for h, c in zip(header, padded, strict=True)}))
            if len(rows) > MAX_ROWS:
                errors.add(number, None, f"at most {MAX_ROWS} rows per file")
                break
    except csv.Error as exc:
        errors.add(reader.line_num, None, f"unreadable CSV: {exc}")
    if not rows and not errors.errors:
        errors.add(2, None, "the file has no data rows")
    errors.raise_if_any()
    return rows


def split_cell(cell: str) -> list[str]:
    """Multi-valued cells are separated by semicolons (as in the CSV exports)."""
    return [v.strip() for v in cell.split(";") if v.strip()]


def csv_line(values: list[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if v is None else v for v in values])
    return buffer.getvalue()
