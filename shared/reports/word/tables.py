"""The summary tables (counts by cluster) and the annex of assessments."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shared.reports.content import Cluster, Item, Progress
from shared.reports.i18n import SOURCE_LABELS, STATUS_LABELS, Gettext, format_date


def _fill_row(row: Any, values: Sequence[str], *, bold: bool = False) -> None:
    for cell, value in zip(row.cells, values, strict=True):
        run = cell.paragraphs[0].add_run(value)
        run.bold = bold


def counts_table(
    doc: Any,
    clusters: Sequence[Cluster],
    labels: Mapping[str, str],
    count: Callable[[Cluster], Counter[str]],
    _: Gettext,
    cluster_title: Callable[[Cluster], str],
) -> Any:
    """Rows: clusters then the total; columns: the cluster, one per value, the total."""
    values = list(labels)
    table = doc.add_table(rows=1, cols=len(values) + 2)
    table.style = "Table Grid"
    header = [_("Cluster"), *(_(labels[v]) for v in values), _("Total")]
    _fill_row(table.rows[0], header, bold=True)
    totals: Counter[str] = Counter()
    for cluster in clusters:
        counts = count(cluster)
        totals.update(counts)
        row = [cluster_title(cluster), *(str(counts[v]) for v in values), str(len(cluster.items))]
        _fill_row(table.add_row(), row)
    total = [_("Total"), *(str(totals[v]) for v in values), str(sum(totals.values()))]
    _fill_row(table.add_row(), total, bold=True)
    return table


def _attribution(assessment: Progress) -> str:
    """The organisation, and the person who wrote for it when known."""
    names = [n for n in (assessment.organisation, assessment.author) if n]
    if len(names) == 2 and names[0] != names[1]:
        return f"{names[0]} ({names[1]})"
    return names[0] if names else "—"


def assessments_table(doc: Any, items: Sequence[Item], _: Gettext, lang: str) -> Any | None:
    """One row per NHRI or civil-society assessment, attributed to its author."""
    rows: list[tuple[Item, Progress]] = [(i, a) for i in items for a in i.assessments]
    if not rows:
        return None
    table = doc.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    header = [
        _("Recommendation"),
        _("Source"),
        _("Organisation"),
        _("Date"),
        _("Status"),
        _("Assessment"),
    ]
    _fill_row(table.rows[0], header, bold=True)
    for item, assessment in rows:
        narrative = assessment.narrative
        if assessment.evidence_links:
            narrative += "\n" + "\n".join(assessment.evidence_links)
        _fill_row(
            table.add_row(),
            [
                item.ref,
                _(SOURCE_LABELS.get(assessment.source, assessment.source)),
                _attribution(assessment),
                format_date(assessment.reported_on, lang),
                _(STATUS_LABELS[assessment.status]),
                narrative,
            ],
        )
    return table
