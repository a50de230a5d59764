"""Hostile and odd inputs: clear errors, never crashes or hangs."""

from __future__ import annotations

import io
import zipfile

import pytest

from shared.ingestion.extract import detect_format, extract
from shared.ingestion.parse import parse_bytes
from shared.ingestion.parsed import UnreadableDocument, UnsupportedFormat
from shared.ingestion.text import decode
from tests.data import UPR_DATA, require


def test_garbage_with_pdf_name() -> None:
    with pytest.raises((UnreadableDocument, UnsupportedFormat)):
        parse_bytes(bytes(range(256)) * 40, filename="report.pdf")


def test_fake_pdf_magic_is_unreadable() -> None:
    with pytest.raises(UnreadableDocument, match="PDF"):
        parse_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 1000, filename="x.pdf")


def test_truncated_pdf() -> None:
    data = require(UPR_DATA / "reports" / "pdf" / "algeria2008.pdf").read_bytes()
    for cut in (len(data) // 2, 2000):
        try:
            doc = parse_bytes(data[:cut], filename="algeria2008.pdf")
        except UnreadableDocument:
            continue
        assert doc.kind in ("wg_report", "other")


def test_ole2_doc_is_unsupported() -> None:
    with pytest.raises(UnsupportedFormat, match=r"\.doc"):
        parse_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, filename="matrix.docx")


def test_unknown_binary_is_unsupported() -> None:
    with pytest.raises(UnsupportedFormat, match="unsupported format"):
        parse_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x01" * 100, filename="scan.png")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_docx_zip_bomb_rejected_before_inflating() -> None:
    bomb = _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"\x00" * (60 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    with pytest.raises(UnreadableDocument, match="bomb"):
        parse_bytes(bomb, filename="matrix.docx")


def test_corrupt_docx() -> None:
    with pytest.raises(UnreadableDocument, match="DOCX"):
        parse_bytes(_zip({"word/document.xml": b"<not xml"}), filename="m.docx")


def test_html_scripts_are_not_text() -> None:
    html = (
        b"<html><head><script>alert('Report of the Working Group')</script>"
        b"<style>p{}</style></head><body><p>Hello <b>world</b></p>"
        b"<table><tr><td>Recommendation</td><td>Position</td></tr>"
        b"<tr><td>1.1 Ratify the CED (France);</td><td>Supported</td></tr></table></body></html>"
    )
    extracted = extract(html, filename="page.html")
    assert "alert" not in extracted.text
    assert "Hello" in extracted.text
    doc = parse_bytes(html, filename="page.html")
    assert doc.kind == "matrix"
    assert doc.recommendations[0].recommending_states[0].iso3 == "FRA"


def test_huge_text_is_refused_quickly() -> None:
    with pytest.raises(UnreadableDocument, match="too large"):
        parse_bytes(b"1. Ratify (France);\n" * 400_000, filename="big.txt")


def test_pathological_numbers_stay_linear() -> None:
    text = (
        "Conclusions and/or recommendations\n10. The following recommendations enjoy "
        "the support of X:\n" + "10.1 1.1.1.1 (((( " * 20000
    ).encode()
    doc = parse_bytes(text, filename="x.txt")
    assert doc.kind in ("other", "wg_report")


def test_mac_roman_with_cr_line_endings() -> None:
    raw = "Report of the Working Group\rAlgeria\xd5s reply \xd2quoted\xd3 C\x93te\r".encode(
        "latin-1"
    )
    text = decode(raw)
    assert "Algeria’s" in text
    assert "“quoted”" in text
    assert "\r" not in extract(raw, filename="a.txt").text


def test_format_detection_magic_first() -> None:
    assert detect_format(b"%PDF-1.4 ...", filename="x.txt") == "pdf"
    assert detect_format(b"plain words", filename="x.docx") == "docx"
    assert detect_format(b"<!DOCTYPE html><html>", filename=None) == "html"
    assert detect_format(b"plain words") == "text"
