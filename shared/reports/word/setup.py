"""A new document with real Word styles, stable metadata and a table of contents field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt


def new_document(title: str, language: str, generated_on: dt.date) -> Any:
    doc = Document()
    # Stable metadata: the same data gives the same document, whenever it is built.
    stamp = dt.datetime.combine(generated_on, dt.time(), tzinfo=dt.UTC)
    props = doc.core_properties
    props.title = title
    props.author = "Follow-up"
    props.last_modified_by = "Follow-up"
    props.created = stamp
    props.modified = stamp
    props.revision = 1
    props.language = language
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    _set_language(normal, language)
    # Word refreshes fields (the table of contents) when the file is opened.
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)
    return doc


def _set_language(style: Any, language: str) -> None:
    rpr = style.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), language)
    rpr.append(lang)


def add_toc(doc: Any, heading: str, hint: str) -> None:
    """A TOC field over Heading 1-3; Word fills it in (the placeholder says how)."""
    doc.add_paragraph(heading, style="TOC Heading" if _has_style(doc, "TOC Heading") else None)
    paragraph = doc.add_paragraph()
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = r'TOC \o "1-3" \h \z \u'
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    placeholder = OxmlElement("w:t")
    placeholder.text = hint
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instruction, separate, placeholder, end):
        run._r.append(element)


def _has_style(doc: Any, name: str) -> bool:
    return any(s.name == name for s in doc.styles)
