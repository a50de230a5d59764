"""Charts as server-rendered SVG, with the same figures as a table and as CSV.

Every chart is a `Chart`: rows (a label and one value per series) drawn as stacked
horizontal bars or stacked columns. The SVG is decorative for assistive technology
beyond its title and description: the data table beside it carries the numbers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from html import escape

WIDTH = 640
LABEL_W = 200
ROW_H = 24
BAR_H = 16


@dataclass(frozen=True, slots=True)
class Series:
    key: str
    label: str
    color: str


@dataclass(slots=True)
class Chart:
    id: str
    title: str
    description: str
    series: list[Series]
    rows: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    kind: str = "bars"  # bars (horizontal) or columns
    csv_url: str | None = None
    # Extra columns for the data table and CSV (e.g. a share), per row label.
    extra: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    extra_labels: list[str] = field(default_factory=list)

    def total(self, values: dict[str, float]) -> float:
        return sum(values.get(s.key, 0) for s in self.series)

    @property
    def empty(self) -> bool:
        return not any(self.total(v) for _, v in self.rows)

    def svg(self, number: object = str) -> str:
        fmt = number if callable(number) else str
        return _columns(self, fmt) if self.kind == "columns" else _bars(self, fmt)

    def csv(self, label_header: str) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([label_header, *(s.label for s in self.series), *self.extra_labels])
        extra = dict(self.extra)
        for label, values in self.rows:
            cells = [_plain(values.get(s.key, 0)) for s in self.series]
            writer.writerow([label, *cells, *extra.get(label, {}).values()])
        return out.getvalue()


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _head(chart: Chart, height: int) -> list[str]:
    ident = escape(chart.id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="chart" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{ident}-t">{escape(chart.title)}</title>',
        f'<desc id="{ident}-d">{escape(chart.description)}</desc>',
    ]


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _bars(chart: Chart, fmt: object) -> str:
    rows = chart.rows
    height = max(1, len(rows)) * ROW_H + 8
    peak = max((chart.total(v) for _, v in rows), default=0) or 1
    area = WIDTH - LABEL_W - 90
    parts = _head(chart, height)
    for i, (label, values) in enumerate(rows):
        y = 4 + i * ROW_H
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y + BAR_H - 3}" text-anchor="end" '
            f'class="chart-label">{escape(_short(label))}</text>'
        )
        x = float(LABEL_W)
        for s in chart.series:
            v = values.get(s.key, 0)
            if v <= 0:
                continue
            w = area * v / peak
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{BAR_H}" '
                f'fill="{s.color}"/>'
            )
            x += w
        total = chart.total(values)
        text = fmt(total) if callable(fmt) else str(total)
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + BAR_H - 3}" class="chart-value">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _columns(chart: Chart, fmt: object) -> str:
    rows = chart.rows
    height = 220
    base = height - 28
    peak = max((chart.total(v) for _, v in rows), default=0) or 1
    n = max(1, len(rows))
    left = 48
    slot = (WIDTH - left - 8) / n
    col = max(2.0, min(40.0, slot * 0.7))
    parts = _head(chart, height)
    top = fmt(peak) if callable(fmt) else str(peak)
    parts.append(
        f'<text x="{left - 6}" y="14" text-anchor="end" class="chart-value">{escape(top)}</text>'
    )
    parts.append(f'<line x1="{left}" y1="{base}" x2="{WIDTH - 8}" y2="{base}" stroke="#595959"/>')
    every = max(1, n // 12)
    for i, (label, values) in enumerate(rows):
        x = left + i * slot + (slot - col) / 2
        y = float(base)
        for s in chart.series:
            v = values.get(s.key, 0)
            if v <= 0:
                continue
            h = (base - 20) * v / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col:.1f}" height="{max(h, 0.5):.1f}" '
                f'fill="{s.color}"/>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + col / 2:.1f}" y="{base + 16}" text-anchor="middle" '
                f'class="chart-label">{escape(_short(label, 10))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


# Colours of the statuses and positions: each at least 3:1 against white (WCAG 1.4.11).
STATUS_COLORS = {
    "implemented": "#1b5e20",
    "partially_implemented": "#558b2f",
    "in_progress": "#b26a00",
    "not_started": "#b71c1c",
    "no_information": "#757575",
}
POSITION_COLORS = {
    "supported": "#0d47a1",
    "partially_supported": "#1976d2",
    "noted": "#6a1b9a",
    "pending": "#b26a00",
    "no_position": "#757575",
}
