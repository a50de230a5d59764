"""The whole document: title, contents, introduction, summary, clusters, annex."""

from __future__ import annotations

import io

from shared.i18n.vocabulary import N_
from shared.reports.content import Cluster, ReportData
from shared.reports.i18n import POSITION_LABELS, STATUS_LABELS, format_date, gettext
from shared.reports.word.sections import recommendation_block
from shared.reports.word.setup import add_toc, new_document
from shared.reports.word.tables import assessments_table, counts_table

TITLES = {
    "upr_midterm": N_("UPR mid-term report"),
    "treaty_body_followup": N_("Treaty-body follow-up report"),
}


def render(data: ReportData) -> bytes:
    """The .docx bytes of a report."""
    _ = gettext(data.language)
    lang = data.language

    def cluster_title(cluster: Cluster) -> str:
        return _(cluster.title) if cluster.translate else cluster.title

    title = f"{_(TITLES[data.kind])}: {data.country_name}"
    doc = new_document(title, lang, data.generated_on)
    doc.add_heading(title, level=0)
    if data.kind == "upr_midterm" and data.cycle is not None:
        doc.add_paragraph(_("Cycle %(cycle)s") % {"cycle": data.cycle})
    doc.add_paragraph(
        _("Draft generated from the follow-up database on %(date)s.")
        % {"date": format_date(data.generated_on, lang, "long")}
    )
    add_toc(
        doc,
        _("Contents"),
        _("Right-click and choose Update Field to build the table of contents."),
    )

    doc.add_heading(_("Introduction"), level=1)
    if data.kind == "upr_midterm":
        intro = _(
            "This draft mid-term report presents the implementation by %(country)s of the "
            "recommendations it received in cycle %(cycle)s of the Universal Periodic Review."
        ) % {"country": data.country_name, "cycle": data.cycle}
    else:
        intro = _(
            "This draft report presents the follow-up by %(country)s to the recommendations "
            "of the %(body)s selected for follow-up (due on %(date)s)."
        ) % {
            "country": data.country_name,
            "body": data.mechanism,
            "date": format_date(data.due_date, lang, "long") if data.due_date else "—",
        }
    doc.add_paragraph(intro)
    doc.add_paragraph(
        _(
            "Replace this paragraph with the context, the consultation process and the method "
            "of the report."
        )
    )

    doc.add_heading(_("Summary"), level=1)
    doc.add_heading(_("Positions by cluster"), level=2)
    counts_table(doc, data.clusters, POSITION_LABELS, Cluster.positions, _, cluster_title)
    doc.add_heading(_("Implementation status by cluster"), level=2)
    counts_table(doc, data.clusters, STATUS_LABELS, Cluster.statuses, _, cluster_title)

    doc.add_heading(_("Recommendations by cluster"), level=1)
    for cluster in data.clusters:
        doc.add_heading(cluster_title(cluster), level=2)
        for item in cluster.items:
            recommendation_block(doc, item, _, lang)

    doc.add_heading(
        _("Annex: assessments by the national human rights institution and civil society"),
        level=1,
    )
    if assessments_table(doc, data.items, _, lang) is None:
        doc.add_paragraph(_("No assessment recorded."))

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
