import datetime as dt
import shutil
from pathlib import Path

import pytest

from shared import i18n
from shared.i18n import catalog, check


def test_languages_are_the_catalogues_english_first() -> None:
    assert i18n.available_languages()[:1] == ("en",)
    assert {"en", "es", "fr"} <= set(i18n.available_languages())


def test_catalogues_cover_every_marked_message() -> None:
    assert check.problems() == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-PY,es;q=0.9,en;q=0.8", "es"),
        ("de-CH, fr;q=0.5, en;q=0.4", "fr"),
        ("en;q=0.1, fr;q=0.9", "fr"),
        ("FR-ca", "fr"),
        ("de, *;q=0.5", "en"),
        ("fr;q=0, es;q=0.2", "es"),
        ("", "en"),
        (None, "en"),
        ("q=;;,,;q=abc", "en"),
        ("zz", "en"),
    ],
)
def test_accept_language_negotiation(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_translator_translates_and_falls_back_to_english() -> None:
    assert i18n.translator("es").gettext("Supported") == "Aceptada"
    assert i18n.translator("fr").gettext("Supported") == "Acceptée"
    assert i18n.translator("en").gettext("Supported") == "Supported"
    assert i18n.translator("fr").gettext("no such message") == "no such message"
    assert i18n.label("status", "in_progress", "es") == "En curso"
    assert i18n.label("status", "made_up_value", "es") == "made up value"
    with pytest.raises(catalog.UnknownLanguage):
        i18n.translator("xx")


def test_dates_and_numbers_follow_the_locale() -> None:
    day = dt.date(2026, 3, 9)
    assert i18n.format_date(day, "en") == "Mar 9, 2026"
    assert i18n.format_date(day, "fr") == "9 mars 2026"
    assert i18n.format_date(day, "es", "long") == "9 de marzo de 2026"
    assert i18n.format_number(1234567, "en") == "1,234,567"
    assert i18n.format_number(1234567, "fr") == "1\u202f234\u202f567"
    assert i18n.format_decimal(0.5, "es") == "0,5"
    assert i18n.format_percent(0.42, "en") == "42%"
    assert i18n.format_percent(0.42, "fr") == "42\u00a0%"


def test_country_names_un_in_english_and_localised_elsewhere() -> None:
    assert i18n.country_name("BOL", "en") == "Bolivia (Plurinational State of)"
    assert i18n.country_name("DEU", "fr") == "Allemagne"
    assert i18n.country_name("DEU", "es") == "Alemania"
    assert i18n.country_name("XXX", "fr", fallback="Atlantis") == "Atlantis"


def test_direction_comes_from_the_locale_so_arabic_is_only_a_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert i18n.direction("en") == "ltr"
    assert i18n.direction("ar") == "rtl"
    # A new language is a directory with a catalogue, no code.
    locales = tmp_path / "locales"
    shutil.copytree(catalog.LOCALES_DIR, locales)
    target = locales / "ar" / "LC_MESSAGES"
    target.mkdir(parents=True)
    source = (catalog.LOCALES_DIR / "en" / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    source = source.replace("Language: en", "Language: ar").replace(
        'msgid "Supported"\nmsgstr ""', 'msgid "Supported"\nmsgstr "مقبولة"'
    )
    (target / "messages.po").write_text(source, "utf-8")
    monkeypatch.setattr(catalog, "LOCALES_DIR", locales)
    catalog.available_languages.cache_clear()
    catalog.translator.cache_clear()
    try:
        assert "ar" in i18n.available_languages()
        assert i18n.translator("ar").gettext("Supported") == "مقبولة"
        assert i18n.negotiate("ar-EG,en;q=0.5") == "ar"
    finally:
        catalog.available_languages.cache_clear()
        catalog.translator.cache_clear()
