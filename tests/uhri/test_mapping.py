"""Mapping rules: one UHRI value at a time, and whole records built from real rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from shared.uhri import mapping
from shared.uhri import text as uhri_text
from shared.uhri.mapping import InvalidRecord, normalize_record
from shared.uhri.records import StateRef, UhriRecord
from tests.uhri import samples


def normalized(raw: dict[str, Any], source_format: Any = "json") -> UhriRecord:
    return normalize_record(raw, index=0, source_format=source_format)


# --- labels and lists ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("- CRC", "CRC"),
        ("-  Scope of international obligations", "Scope of international obligations"),
        (
            " Participation of women in political & public life ",
            "Participation of women in political & public life",
        ),
        ("- Eastern Europe ", "Eastern Europe"),
        ("IE  Albinism", "IE Albinism"),
        ("-", ""),
        ("A/HRC/46/15", "A/HRC/46/15"),
    ],
)
def test_clean_label_drops_prefix_and_extra_spaces(value: str, expected: str) -> None:
    assert mapping.clean_label(value) == expected


def test_labels_split_xlsx_cells_and_json_lists_alike() -> None:
    xlsx = (
        "- Ratification of & accession to international instruments\n"
        "-  Scope of international obligations"
    )
    json_list = [
        "Ratification of & accession to international instruments",
        " Scope of international obligations",
    ]
    expected = (
        "Ratification of & accession to international instruments",
        "Scope of international obligations",
    )
    assert mapping.labels(xlsx) == expected
    assert mapping.labels(json_list) == expected
    assert mapping.labels(None) == ()
    assert mapping.labels([]) == ()
    assert mapping.labels("- Somalia\r\n- Somalia\n\n") == ("Somalia",)


# --- text -------------------------------------------------------------------------------


def test_html_entities_are_decoded() -> None:
    raw = (
        "The State&rsquo;s&nbsp;law &ndash; art.&nbsp;2&#8209;3 &amp; protocol&lrm; (&quot;x&quot;)"
    )
    assert uhri_text.clean_text(raw) == 'The State’s law – art. 2-3 & protocol ("x")'


def test_html_blocks_become_lines_and_tags_go() -> None:
    raw = "<p>Climate change </p><p>10.The Committee <b>welcomes</b>&nbsp; the Act.</p><br/><p></p>"
    assert uhri_text.clean_text(raw) == "Climate change\n10.The Committee welcomes the Act."


def test_plain_text_with_angle_brackets_survives() -> None:
    assert uhri_text.clean_text("if a < b and c > d") == "if a < b and c > d"
    assert uhri_text.clean_text(None) == ""


def test_whitespace_is_collapsed_per_line() -> None:
    assert uhri_text.clean_text("  26.1   Ratify\t the\u00a0Covenant  \n\n (Ghana); ") == (
        "26.1 Ratify the Covenant\n(Ghana);"
    )


# --- paragraphs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("26.1 Consider ratifying all remaining human rights conventions (Somalia);", "26.1"),
        ("122.3 Ratify the Convention (Ghana);", "122.3"),
        ("4.The Committee reminds the State party", "4"),
        ("Domestic application of the Covenant\n7. Reiterating its previous", "7"),
        ("B.Positive aspects\n3.The Committee welcomes", "3"),
        ("13. The Committee recommends that the State Party:(a) Enact", "13"),
        ("1.5 million people were displaced.", None),
        ("3 November 2020 was the date.", None),
        ("2030 Agenda for Sustainable Development", None),
        ("The Committee recommends.\n5. Something", None),
        ("", None),
    ],
)
def test_paragraph_from_text(text: str, expected: str | None) -> None:
    assert uhri_text.paragraph_from_text(text) == expected


# --- kind, position, session, cycle ------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("- Recommendations", "recommendation"),
        ("Recommendations", "recommendation"),
        ("- Concerns/Observations", "observation"),
        ("Concerns / Observations", "observation"),
        ("- Positive aspects", None),
        (None, None),
    ],
)
def test_parse_kind(label: str | None, expected: str | None) -> None:
    assert mapping.parse_kind(label) == expected


@pytest.mark.parametrize(
    ("found", "position", "unknown"),
    [
        (("Supported",), "supported", ()),
        (("Noted",), "noted", ()),
        (("Supported/Noted",), "partially_supported", ()),
        (("supported", "Noted"), "partially_supported", ()),
        (("Pending",), "pending", ()),
        ((), None, ()),
        (("Accepted in principle",), None, ("Accepted in principle",)),
        (("Pending", "Supported"), None, ("Pending", "Supported")),
    ],
)
def test_parse_position(
    found: tuple[str, ...], position: str | None, unknown: tuple[str, ...]
) -> None:
    assert mapping.parse_position(found) == (position, unknown)


def test_session_and_cycle() -> None:
    assert mapping.parse_session(("36th Session",)) == 36
    assert mapping.parse_session(("Session",)) is None
    assert mapping.parse_cycle(3) == 3
    assert mapping.parse_cycle("3rd cycle") == 3
    assert mapping.parse_cycle(["Cycle 4"]) == 4
    assert mapping.parse_cycle(None) is None
    assert mapping.parse_cycle(True) is None
    assert [mapping.cycle_for_session(s) for s in (1, 12, 13, 26, 27, 36, 40, 41, 54, 55)] == [
        1,
        1,
        2,
        2,
        3,
        3,
        3,
        4,
        4,
        None,
    ]


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("44180", date(2020, 12, 15)),
        (44180, date(2020, 12, 15)),
        (44180.0, date(2020, 12, 15)),
        ("2025-02-12T00:00:00", date(2025, 2, 12)),
        ("2026-03-23", date(2026, 3, 23)),
        (datetime(2020, 12, 15, 0, 0), date(2020, 12, 15)),
        (date(2020, 12, 15), date(2020, 12, 15)),
        ("15 December 2020", None),
        ("12", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_date(value: object, expected: date | None) -> None:
    assert mapping.parse_date(value) == expected


def test_parse_datetime_serial_with_fraction_and_iso_milliseconds() -> None:
    assert mapping.parse_datetime("44287.3908564005") == datetime(2021, 4, 1, 9, 22, 50)
    assert mapping.parse_datetime(44287.3908564005) == datetime(2021, 4, 1, 9, 22, 50)
    assert mapping.parse_datetime("2025-03-03T10:53:45.827") == datetime(
        2025, 3, 3, 10, 53, 45, 827000
    )


# --- whole records ------------------------------------------------------------------------


def test_real_crc_peru_record() -> None:
    record = normalized(samples.peru())
    assert record.uhri_id == samples.PERU_ID
    assert record.kind == "observation"
    assert (record.mechanism, record.mechanism_label, record.special_procedure) == (
        "CRC",
        "CRC",
        None,
    )
    assert record.countries == (StateRef("Peru", "PER"),)
    assert (record.country_iso3, record.country_label) == ("PER", "Peru")
    assert record.symbol == "CRC/C/PER/CO/6-7"
    assert record.paragraph == "4"
    assert record.ref == "CRC/C/PER/CO/6-7#4"
    assert (record.position, record.position_raw) == (None, None)
    assert record.themes == (
        "F13",
        "D6",
        "D51",
        "F33",
        "E4",
        "D32",
        "Sexual & gender-based violence",
    )
    assert record.affected_persons == (
        "Disappeared persons",
        "Children",
        "Youth & juveniles",
        "Women & girls",
    )
    assert record.sdg_targets == ("16.2", "5.2", "16.9")
    assert record.document_date == date(2025, 2, 12)
    assert record.published_at == datetime(2025, 3, 3, 10, 53, 45, 827000)
    assert record.document_id == "41a0b08f-5a9a-4eb5-985f-05b47986ad82"
    assert record.regions == ("Latin America and the Caribbean",)
    assert (record.session, record.cycle) == (None, None)
    assert record.unmapped == ()


def test_real_usa_upr_record() -> None:
    record = normalized(samples.usa_upr())
    assert record.kind == "recommendation"
    assert record.mechanism == "UPR"
    assert record.country_iso3 == "USA"
    assert record.recommending_states == (StateRef("Somalia", "SOM"),)
    assert record.ref == "A/HRC/46/15#26.1"
    assert (record.position, record.position_raw) == ("supported", "Supported")
    assert (record.session, record.session_label, record.cycle) == (36, "36th Session", 3)
    assert record.themes == ("Ratification of & accession to international instruments", "A1")
    assert record.sdg_targets == ("16",)
    assert record.recommending_regions == ("Africa",)


def test_supported_noted_position() -> None:
    raw = samples.usa_upr() | {"UprPositions": ["Supported/Noted"]}
    record = normalized(raw)
    assert (record.position, record.position_raw) == ("partially_supported", "Supported/Noted")


def test_given_cycle_wins_over_the_session() -> None:
    raw = samples.usa_upr() | {"UprCycle": 4}
    assert normalized(raw).cycle == 4


def test_country_labels_with_spaces_and_a_star() -> None:
    raw = samples.usa_upr() | {
        "Countries": ["  United States of America "],
        "UprRecommendingCountry": ["State of Palestine*", " Bolivarian Republic of Venezuela *"],
    }
    record = normalized(raw)
    assert record.countries == (StateRef("United States of America", "USA"),)
    assert record.recommending_states == (
        StateRef("State of Palestine*", "PSE"),
        StateRef("Bolivarian Republic of Venezuela *", "VEN"),
    )


def test_record_without_country() -> None:
    record = normalized(samples.peru() | {"Countries": []})
    assert record.countries == ()
    assert record.country_iso3 is None
    assert record.unmapped == ()


def test_unmapped_labels_are_reported_and_kept() -> None:
    raw = samples.peru() | {
        "Body": "- Expert Mechanism on Something",
        "Countries": ["Atlantis", "Peru"],
        "Themes": ["Land & property rights", "Right to health"],
        "AffectedPersons": ["Martians", "Children"],
        "Sdgs": ["18 - IMAGINARY GOAL", "16.2 - Protect children"],
        "PublicationDate": "someday",
    }
    record = normalized(raw)
    assert record.unmapped == (
        ("mechanism", "Expert Mechanism on Something"),
        ("countries", "Atlantis"),
        ("themes", "Land & property rights"),
        ("affected_persons", "Martians"),
        ("sdg_targets", "18 - IMAGINARY GOAL"),
        ("document_date", "someday"),
    )
    # The labels stay in the record's raw fields; what resolved is still there.
    assert record.mechanism is None
    assert record.mechanism_label == "Expert Mechanism on Something"
    assert record.countries == (StateRef("Atlantis", None), StateRef("Peru", "PER"))
    assert record.country_iso3 is None
    assert "Land & property rights" in record.theme_labels
    assert record.themes == ("E4",)
    assert record.affected_person_labels == ("Martians", "Children")
    assert record.affected_persons == ("Children",)
    assert record.sdg_labels == ("18 - IMAGINARY GOAL", "16.2 - Protect children")
    assert record.sdg_targets == ("16.2",)


def test_special_procedure_record() -> None:
    # A real treaty-body row with the body label of a special procedure (FORMAT.md, [L]).
    record = normalized(samples.peru() | {"Body": "- IE  Albinism"})
    assert record.mechanism == "SP"
    assert record.special_procedure == "IE Albinism"
    assert record.mechanism_label == "IE Albinism"


def test_long_form_committee_name() -> None:
    record = normalized(samples.peru() | {"Body": "- Committee on the Rights of the Child"})
    assert record.mechanism == "CRC"


def test_uuid_is_canonicalized() -> None:
    record = normalized(samples.peru() | {"AnnotationId": " A9CEAE8C-FE1C-40F9-A326-1529E0AB678F "})
    assert record.uhri_id == samples.PERU_ID


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"AnnotationId": None}, "no AnnotationId"),
        ({"AnnotationId": "  "}, "no AnnotationId"),
        ({"AnnotationType": "- Positive aspects"}, "unknown AnnotationType"),
        ({"AnnotationType": None}, "unknown AnnotationType"),
    ],
)
def test_records_that_cannot_be_normalized(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRecord, match=message):
        normalized(samples.peru() | change)
