"""OHCHR matrices (DOCX tables): row counts and position splits from the README table."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.ingestion.parse import parse_bytes
from shared.ingestion.parsed import UnsupportedFormat
from tests.data import UPR_DATA, require
from tests.ingestion.corpus import parsed


@pytest.mark.parametrize(
    ("name", "report", "expected"),
    [
        ("slovenia_UPR20_2014_thematic_list.docx", "A/HRC/28/15", {"supported": 142, "noted": 21}),
        ("slovenia_UPR34_2019_thematic_list.docx", "A/HRC/43/15", {"supported": 182, "noted": 33}),
        ("slovenia_UPR48_2025_thematic_list.docx", "A/HRC/59/15", {"supported": 217, "noted": 37}),
        ("china_UPR17_2013_matrix.docx", "A/HRC/25/5", {"supported": 204, "noted": 48}),
        (
            "egypt_UPR20_2014_matrix.docx",
            "A/HRC/28/16",
            {"supported": 224, "partially_supported": 23, "noted": 53},
        ),
    ],
)
def test_matrix_counts(name: str, report: str, expected: dict[str, int]) -> None:
    doc = parsed("matrices/" + name)
    assert doc.kind == "matrix"
    assert doc.report_symbol == report
    assert Counter(r.position for r in doc.recommendations) == expected
    assert all(r.themes for r in doc.recommendations)
    ids = [r.paragraph for r in doc.recommendations]
    assert len(ids) == len(set(ids))


def test_matrix_fields() -> None:
    doc = parsed("matrices/slovenia_UPR48_2025_thematic_list.docx")
    first = next(r for r in doc.recommendations if r.paragraph == "140.7")
    assert [s.iso3 for s in first.recommending_states] == ["MDV", "PRT"]
    assert first.themes[0] == "Ratification of & accession to international instruments"
    assert "Public officials" in first.affected_persons
    assert "1" in first.sdg_targets
    assert first.position_source == "A/HRC/59/15/Add.1"
    assert "Source of" not in first.text


def test_egypt_states_from_separate_column() -> None:
    doc = parsed("matrices/egypt_UPR20_2014_matrix.docx")
    row = next(r for r in doc.recommendations if r.paragraph == "166.6")
    assert [s.iso3 for s in row.recommending_states] == ["CHL", "EST", "SVN", "TUN", "URY"]
    assert row.position == "noted"


def test_china_paragraphs_and_affected_persons() -> None:
    doc = parsed("matrices/china_UPR17_2013_matrix.docx")
    assert all(r.paragraph.startswith("186.") for r in doc.recommendations)
    assert any("general" in r.affected_persons for r in doc.recommendations)


def test_legacy_doc_is_unsupported() -> None:
    path = require(UPR_DATA / "matrices" / "egypt_UPR20_2014_matrix.doc")
    with pytest.raises(UnsupportedFormat, match="unsupported format"):
        parse_bytes(path.read_bytes(), filename=path.name)
