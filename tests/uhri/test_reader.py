"""The streaming readers on the fixtures built from real rows, and on malformed files."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from shared.uhri import (
    UhriFormatError,
    UhriRecord,
    UhriReport,
    detect_format,
    iter_export,
    iter_json_export,
    iter_xlsx_export,
)
from tests.data import UHRI_DATA, require
from tests.uhri import samples


def read_json(data: bytes, **kwargs: Any) -> list[UhriRecord]:
    return list(iter_json_export(io.BytesIO(data), **kwargs))


def dump(records: list[Any]) -> bytes:
    return json.dumps(records, separators=(",", ":")).encode()


# --- JSON export ------------------------------------------------------------------------


def test_json_fixture_streams_every_record(json_sample: Path) -> None:
    report = UhriReport()
    with json_sample.open("rb") as handle:
        records = list(iter_json_export(handle, report=report))
    assert len(records) == 22
    assert [r.source_index for r in records] == list(range(22))
    assert (report.records, report.error_count) == (22, 0)
    assert Counter(r.mechanism for r in records) == {"CRC": 1, "CESCR": 15, "UPR": 6}
    assert Counter(r.kind for r in records) == {"observation": 9, "recommendation": 13}
    assert {r.country_iso3 for r in records} == {"PER", "AUS", "USA"}
    assert all(r.paragraph for r in records)
    assert all(r.source_format == "json" for r in records)
    # The only labels of the real rows that resolve to nothing: two UHRI themes that are
    # in neither reference list.
    assert report.unmapped == {
        ("themes", "Land & property rights"): 2,
        ("themes", "Economic & political crisis, natural disasters or other emergencies"): 1,
    }


def test_json_html_text_becomes_lines(json_sample: Path) -> None:
    with json_sample.open("rb") as handle:
        records = {r.uhri_id: r for r in iter_json_export(handle)}
    record = records["0a0c9531-85fa-4408-a9db-bc816c2e1261"]
    assert record.text.startswith(
        "Domestic application of the Covenant\n7. Reiterating its previous recommendation"
    )
    assert "<p>" not in record.text
    assert record.ref == "E/C.12/AUS/CO/6#7"
    assert record.document_date == date(2026, 3, 23)


def test_kind_filter(json_sample: Path) -> None:
    report = UhriReport()
    with json_sample.open("rb") as handle:
        records = list(iter_json_export(handle, report=report, kinds={"recommendation"}))
    assert len(records) == 13
    assert {r.kind for r in records} == {"recommendation"}
    assert (report.records, report.skipped) == (13, 9)
    with json_sample.open("rb") as handle:
        observations = list(iter_json_export(handle, kinds=["observation"]))
    assert len(observations) == 9


def test_bad_records_are_reported_and_the_read_goes_on() -> None:
    good = samples.json_records()[:3]
    broken = [
        good[0],
        {"AnnotationId": "x-1", "AnnotationType": "- Something else", "Text": "?"},
        42,
        good[1] | {"AnnotationId": None},
        good[1],
        ["not", "an", "object"],
        good[2],
    ]
    report = UhriReport()
    records = read_json(dump(broken), report=report)
    assert [r.source_index for r in records] == [0, 4, 6]
    assert report.records == 3
    assert report.error_count == 4
    assert [(e.index, e.uhri_id) for e in report.errors] == [
        (1, "x-1"),
        (2, None),
        (3, None),
        (5, None),
    ]
    assert "unknown AnnotationType" in report.errors[0].message
    assert "not an object" in report.errors[1].message


def test_bad_records_without_a_report_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    records = read_json(dump([{"AnnotationId": "x-1"}, samples.peru()]))
    assert len(records) == 1
    assert "UHRI record 0 (x-1) skipped" in caplog.text


def test_json_with_bom_and_leading_whitespace() -> None:
    data = b"\xef\xbb\xbf \n" + dump([samples.peru()])
    assert [r.uhri_id for r in read_json(data)] == [samples.PERU_ID]


def test_empty_array() -> None:
    assert read_json(b"[]") == []


def test_record_larger_than_the_peek_buffer() -> None:
    big = samples.peru() | {"Text": "4.The Committee " + "x" * 200_000}
    records = read_json(dump([big, samples.usa_upr()]))
    assert len(records) == 2
    assert len(records[0].text) > 200_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b'{"AnnotationId": "x"}', "expected a top-level array"),
        (b"<html><body>Not found</body></html>", "expected a top-level array"),
        (b"\x00\x01binary", "expected a top-level array"),
    ],
)
def test_malformed_json_files(data: bytes, message: str) -> None:
    with pytest.raises(UhriFormatError, match=message):
        read_json(data)


def test_truncated_json_raises_after_the_complete_records() -> None:
    data = dump([samples.peru(), samples.usa_upr()])
    truncated = data[: len(data) - 40]
    seen: list[UhriRecord] = []
    with pytest.raises(UhriFormatError, match="invalid JSON after 1 records"):
        seen.extend(iter_json_export(io.BytesIO(truncated)))
    assert [r.uhri_id for r in seen] == [samples.PERU_ID]


def test_json_syntax_error_raises_format_error() -> None:
    with pytest.raises(UhriFormatError, match="invalid JSON"):
        read_json(b'[{"AnnotationId": "a",, }]')


def test_text_stream_is_refused() -> None:
    with pytest.raises(UhriFormatError, match="binary"):
        list(iter_json_export(io.StringIO("[]")))  # type: ignore[arg-type]


# --- xlsx export -------------------------------------------------------------------------


def test_xlsx_fixture_streams_every_row(xlsx_sample: Path) -> None:
    report = UhriReport()
    records = list(iter_xlsx_export(xlsx_sample, report=report))
    assert len(records) == 6
    assert (report.records, report.error_count, report.unmapped) == (6, 0, {})
    assert [r.paragraph for r in records] == ["26.1", "26.2", "26.3", "26.4", "26.5", "26.6"]
    assert {r.mechanism for r in records} == {"UPR"}
    assert {r.position for r in records} == {"supported"}
    assert {r.document_date for r in records} == {date(2020, 12, 15)}
    assert [s.name for r in records for s in r.recommending_states] == [
        "Somalia",
        "Ghana",
        "Albania",
        "Zambia",
        "Paraguay",
        "State of Palestine*",
    ]
    assert records[-1].recommending_states[0].iso3 == "PSE"
    assert records[2].recommending_regions == ("Eastern Europe",)
    assert records[4].sdg_targets == ("11", "16", "5", "13")
    assert records[0].themes == ("Ratification of & accession to international instruments", "A1")


def test_xlsx_from_a_binary_stream(xlsx_sample: Path) -> None:
    records = list(iter_xlsx_export(io.BytesIO(xlsx_sample.read_bytes())))
    assert len(records) == 6


def test_json_and_xlsx_of_the_same_rows_give_the_same_records(
    json_sample: Path, xlsx_sample: Path
) -> None:
    with json_sample.open("rb") as handle:
        from_json = {r.uhri_id: r for r in iter_json_export(handle) if r.mechanism == "UPR"}
    from_xlsx = {r.uhri_id: r for r in iter_xlsx_export(xlsx_sample)}
    assert from_json.keys() == from_xlsx.keys()
    for uhri_id, record in from_xlsx.items():
        assert record.source_format == "xlsx"
        same_source = dataclasses.replace(record, source_format="json", source_index=0)
        assert same_source == dataclasses.replace(from_json[uhri_id], source_index=0)


def test_xlsx_fixture_holds_the_real_cell_values(xlsx_sample: Path) -> None:
    real = require(UHRI_DATA / "xlsx-search-export-usa-upr36" / "rows_26.1-26.6.cell-values.json")
    rows = json.loads(real.read_text(encoding="utf-8"))
    from openpyxl import load_workbook

    workbook = load_workbook(xlsx_sample, read_only=True)
    sheet = workbook["UHRISearchResult"]
    values = list(sheet.iter_rows(values_only=True))
    workbook.close()
    assert list(values[0]) == list(rows[0])
    for row, cells in zip(rows, values[1:], strict=True):
        as_text = [None if c is None else str(c).removesuffix(".0") for c in cells]
        assert as_text == list(row.values())


def _workbook(path: Path, rows: list[list[Any]], title: str = "UHRISearchResult") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


HEADERS = [
    "Text",
    "Countries Concerned",
    "Reccomending Body",
    "Document Symbol",
    "Type",
    "OHCHR Annotation Id",
    "Document Publication Date",
    "UPR Position",
]


def test_xlsx_columns_found_by_header_with_empty_rows_and_bad_rows(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        HEADERS,
        [
            "26.1 Ratify (Somalia);",
            "- Peru ",
            "- UPR",
            "A/HRC/1/1",
            "- Recommendations",
            "id-1",
            "44180",
            "- Supported/Noted",
        ],
        [None] * len(HEADERS),
        ["x", "- Peru", "- UPR", "A/HRC/1/1", "- Unknown type", "id-2", 44180, None],
        [
            "12.Concern",
            "- Peru",
            "- Committee against Torture",
            "CAT/C/PER/CO/7",
            "- Concerns/Observations",
            "id-3",
            None,
            None,
        ],
    ]
    report = UhriReport()
    records = list(iter_xlsx_export(_workbook(tmp_path / "x.xlsx", rows), report=report))
    assert [(r.uhri_id, r.kind, r.mechanism, r.paragraph) for r in records] == [
        ("id-1", "recommendation", "UPR", "26.1"),
        ("id-3", "observation", "CAT", "12"),
    ]
    assert records[0].position == "partially_supported"
    assert records[0].document_date == date(2020, 12, 15)
    assert [(e.index, e.uhri_id) for e in report.errors] == [(1, "id-2")]


def test_xlsx_kind_filter(xlsx_sample: Path) -> None:
    assert list(iter_xlsx_export(xlsx_sample, kinds={"observation"})) == []


def test_xlsx_without_uhri_headers(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "other.xlsx", [["Name", "Value"], ["a", 1]], title="Sheet1")
    with pytest.raises(UhriFormatError, match="no column for Text, AnnotationId, AnnotationType"):
        list(iter_xlsx_export(path))


def test_empty_xlsx(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "empty.xlsx", [])
    with pytest.raises(UhriFormatError, match="no column"):
        list(iter_xlsx_export(path))


def test_not_an_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(UhriFormatError, match="not a readable xlsx"):
        list(iter_xlsx_export(path))
    other_zip = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(UhriFormatError, match="not a readable xlsx"):
        list(iter_xlsx_export(other_zip))


# --- format detection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "name", "expected"),
    [
        (b"PK\x03\x04\x14\x00", None, "xlsx"),
        (b"[{", None, "json"),
        (b"\xef\xbb\xbf\r\n [", "export-full-en.json", "json"),
        (b"{", None, "json"),
        (b"", "export.xlsx", "xlsx"),
        (b"", "export-full-en.json", "json"),
    ],
)
def test_detect_format(first: bytes, name: str | None, expected: str) -> None:
    assert detect_format(first, name) == expected


@pytest.mark.parametrize(
    ("first", "name"), [(b"<html>", "export.json"), (b"", None), (b"", "a.csv")]
)
def test_detect_format_refuses(first: bytes, name: str | None) -> None:
    with pytest.raises(UhriFormatError, match="not a UHRI export"):
        detect_format(first, name)


def test_iter_export_dispatches_on_content(json_sample: Path, xlsx_sample: Path) -> None:
    assert len(list(iter_export(json_sample))) == 22
    assert len(list(iter_export(xlsx_sample))) == 6


def test_xlsx_rows_beyond_a_stale_sheet_dimension_are_read(
    xlsx_sample: Path, tmp_path: Path
) -> None:
    # The export's size markers are unreliable (FORMAT.md: the table ref disagrees with the
    # data); a <dimension> smaller than the data must not cut rows or columns off.
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(xlsx_sample) as source, zipfile.ZipFile(stale, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:P7"/>', b'<dimension ref="A1:C2"/>')
            target.writestr(item, data)
    records = list(iter_xlsx_export(stale))
    assert len(records) == 6
    assert records[-1].recommending_regions == ("Asia-Pacific",)
