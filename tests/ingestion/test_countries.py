"""Name resolution for recommending States and splitting of printed State lists."""

from __future__ import annotations

import pytest

from shared.ingestion.names import parse_state_list
from shared.reference.countries import resolve


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Republic of Korea", "KOR"),
        ("Democratic People's Republic of Korea", "PRK"),
        ("Democratic People’s Republic of Korea", "PRK"),
        ("Lao People's Democratic Republic", "LAO"),
        ("Viet Nam", "VNM"),
        ("Russian Federation", "RUS"),
        ("Syrian Arab Republic", "SYR"),
        ("United Republic of Tanzania", "TZA"),
        ("the former Yugoslav Republic of Macedonia", "MKD"),
        ("Bosnia & Herzegovina", "BIH"),
        ("Iran (Islamic Republic of)", "IRN"),
        ("Bolivarian Republic of Venezuela", "VEN"),
        ("The Holy See", "VAT"),
        ("United Kingdom of Great\nBritain and Northern Ireland", "GBR"),
        ("Azerbeijan", "AZE"),
        ("Niger", "NER"),
        ("Nigeria", "NGA"),
    ],
)
def test_resolve_variants(name: str, iso3: str) -> None:
    assert resolve(name) == iso3


def test_unknown_name_is_none() -> None:
    assert resolve("Paris Principles") is None
    assert resolve("") is None


def test_state_list_separators_and_nesting() -> None:
    states = parse_state_list(
        "Senegal, Sierra Leone; Venezuela (Bolivarian Republic of), Iran (Islamic Republic of)"
    )
    assert [s.iso3 for s in states] == ["SEN", "SLE", "VEN", "IRN"]
    kept = parse_state_list("Atlantis")
    assert kept[0].name == "Atlantis"
    assert kept[0].iso3 is None
