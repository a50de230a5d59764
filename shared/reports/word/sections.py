"""The recommendation blocks: heading, text and labelled facts, one block each."""

from __future__ import annotations

from typing import Any

from shared.reports.content import Item
from shared.reports.i18n import POSITION_LABELS, STATUS_LABELS, Gettext, format_date


def _fact(doc: Any, label: str, value: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(value)


def recommendation_block(doc: Any, item: Item, _: Gettext, lang: str) -> None:
    doc.add_heading(_("Recommendation %(paragraph)s") % {"paragraph": item.paragraph}, level=3)
    doc.add_paragraph(item.text)
    none = _("None recorded")
    _fact(doc, _("Document"), item.ref)
    _fact(doc, _("Recommending States"), ", ".join(item.recommending_states) or none)
    _fact(doc, _("Position"), _(POSITION_LABELS[item.position]))
    _fact(doc, _("Status"), _(STATUS_LABELS[item.status]))
    if item.due_date is not None:
        _fact(doc, _("Follow-up due"), format_date(item.due_date, lang, "long"))
    progress = item.progress
    if progress is None:
        _fact(doc, _("Narrative"), _("No progress reported yet."))
    else:
        _fact(doc, _("Reported on"), format_date(progress.reported_on, lang, "long"))
        _fact(doc, _("Narrative"), progress.narrative)
        if progress.evidence_links:
            _fact(doc, _("Evidence"), "; ".join(progress.evidence_links))
    _fact(doc, _("Responsible institutions"), ", ".join(item.institutions) or none)
    _fact(doc, _("Linked actions"), "; ".join(item.actions) or none)
