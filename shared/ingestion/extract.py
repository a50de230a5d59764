"""Text extraction from PDF, DOCX, HTML and plain text, with bounded work and memory."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import PurePath

from shared.ingestion.parsed import ExtractedText, Table, UnreadableDocument, UnsupportedFormat
from shared.ingestion.text import (
    clean,
    decode,
    normalize_newlines,
    repair_hyphens,
    strip_inline_furniture,
    strip_page_lines,
)

MAX_BYTES = 64 * 1024 * 1024
MAX_PAGES = 1500
MAX_CHARS = 6_000_000
# DOCX: refuse archives whose members would inflate beyond this, or inflate suspiciously.
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_DOCX_RATIO = 200
MAX_DOCX_MEMBERS = 2000

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(
    rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<meta|<!--|<table|<p\b)", re.I
)

_EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".text": "text",
    ".doc": "doc",
}
_CONTENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "application/msword": "doc",
}


def detect_format(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """Format from magic bytes first, then the filename, then the declared content type."""
    head = data[:1024]
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_OLE2):
        return "doc"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:65536] or _zip_has_word(data) else "zip"
    if _HTML_START.match(head.lstrip(b"\xef\xbb\xbf")):
        return "html"
    if filename:
        fmt = _EXTENSIONS.get(PurePath(filename).suffix.lower())
        if fmt:
            return fmt
    if content_type:
        fmt = _CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
        if fmt:
            return fmt
    if _looks_textual(head):
        return "text"
    return "unknown"


def _zip_has_word(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(n.startswith("word/") for n in archive.namelist()[:MAX_DOCX_MEMBERS])
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _looks_textual(head: bytes) -> bool:
    if not head:
        return True
    if b"\x00" in head:
        return False
    printable = sum(1 for b in head if b >= 0x20 or b in (9, 10, 13))
    return printable / len(head) > 0.95


def extract(
    data: bytes, filename: str | None = None, content_type: str | None = None
) -> ExtractedText:
    """Extract text (and tables) or raise UnsupportedFormat / UnreadableDocument."""
    if len(data) > MAX_BYTES:
        raise UnreadableDocument(f"document too large: {len(data)} bytes (limit {MAX_BYTES})")
    fmt = detect_format(data, filename, content_type)
    if fmt == "pdf":
        return _extract_pdf(data)
    if fmt == "docx":
        return _extract_docx(data)
    if fmt == "html":
        return _extract_html(data)
    if fmt == "text":
        text = decode(data)
        _check_chars(text)
        return ExtractedText(text=clean(text), format="text")
    if fmt == "doc":
        raise UnsupportedFormat(
            "unsupported format: legacy Word .doc (OLE2); convert it to .docx or PDF"
        )
    raise UnsupportedFormat(f"unsupported format: {fmt} ({filename or content_type or 'no name'})")


def _check_chars(text: str) -> None:
    if len(text) > MAX_CHARS:
        raise UnreadableDocument(f"document too large: more than {MAX_CHARS} characters of text")


def _extract_pdf(data: bytes) -> ExtractedText:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as exc:  # pdfium raises its own error types, and others on corrupt input
        raise UnreadableDocument(f"unreadable PDF: {exc}") from exc
    try:
        count = len(pdf)
        if count > MAX_PAGES:
            raise UnreadableDocument(f"document too large: {count} pages (limit {MAX_PAGES})")
        pages: list[str] = []
        total = 0
        for index in range(count):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    raw = textpage.get_text_bounded()
                finally:
                    textpage.close()
            finally:
                page.close()
            lines = normalize_newlines(raw).split("\n")
            # Page one keeps its masthead (the document's symbol); later pages lose
            # their running headers and footers.
            kept = lines if index == 0 else strip_page_lines(lines)
            page_text = "\n".join(line.rstrip() for line in kept)
            total += len(page_text)
            if total > MAX_CHARS:
                raise UnreadableDocument(f"document too large: more than {MAX_CHARS} characters")
            pages.append(page_text)
    except UnreadableDocument:
        raise
    except Exception as exc:
        raise UnreadableDocument(f"unreadable PDF: {exc}") from exc
    finally:
        pdf.close()
    if not any(p.strip() for p in pages):
        raise UnreadableDocument("PDF has no text layer (scanned image?); OCR is not supported")
    body = strip_inline_furniture("\n".join(pages[1:]), keep_head=0)
    text = repair_hyphens(f"{pages[0]}\n{body}")
    return ExtractedText(text=text, format="pdf", pages=count)


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableDocument(f"unreadable DOCX: {exc}") from exc
    if len(infos) > MAX_DOCX_MEMBERS:
        raise UnreadableDocument(f"unreadable DOCX: {len(infos)} archive members")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > MAX_DOCX_RATIO:
            raise UnreadableDocument(
                f"unreadable DOCX: member {info.filename} inflates {ratio:.0f}x (compression bomb)"
            )
    if total > MAX_DOCX_UNCOMPRESSED:
        raise UnreadableDocument(f"document too large: DOCX inflates to {total} bytes")


def _extract_docx(data: bytes) -> ExtractedText:
    _check_zip(data)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        parts = [p.text for p in document.paragraphs]
        tables: list[Table] = []
        for table in document.tables:
            rows = tuple(tuple(normalize_newlines(c.text) for c in row.cells) for row in table.rows)
            tables.append(rows)
            parts.extend("\t".join(row) for row in rows)
    except UnreadableDocument:
        raise
    except Exception as exc:  # python-docx surfaces KeyError, lxml errors, ... on bad archives
        raise UnreadableDocument(f"unreadable DOCX: {exc}") from exc
    text = normalize_newlines("\n".join(parts))
    _check_chars(text)
    return ExtractedText(text=text, format="docx", tables=tuple(tables))


_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "dt",
    "dd",
    "title",
}


class _HtmlText(HTMLParser):
    """Visible text and table cells of an HTML page; script/style content is dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._skip = 0
        self._cell: list[str] | None = None
        self._stack: list[list[list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip += 1
        elif tag == "table":
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._stack[-1].append([])
        elif tag in ("td", "th") and self._stack:
            if not self._stack[-1]:
                self._stack[-1].append([])
            self._cell = []
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cell is not None and self._stack:
            self._stack[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        if tag in _BLOCK_TAGS or tag in ("td", "th"):
            self.parts.append("\n" if tag != "td" else "\t")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _extract_html(data: bytes) -> ExtractedText:
    text = decode(data)
    _check_chars(text)
    parser = _HtmlText()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # html.parser is lenient; guard anyway
        raise UnreadableDocument(f"unreadable HTML: {exc}") from exc
    tables = tuple(tuple(tuple(c for c in row) for row in t if row) for t in parser.tables)
    return ExtractedText(text=clean("".join(parser.parts)), format="html", tables=tables)
