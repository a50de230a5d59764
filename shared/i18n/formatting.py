"""Dates, numbers, text direction and names, formatted for a language (CLDR via Babel)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

from babel import Locale, dates, numbers

from shared.i18n.catalog import translator
from shared.reference.countries import countries


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def direction(lang: str) -> str:
    """`rtl` for right-to-left scripts (Arabic, Hebrew, ...), else `ltr`."""
    return "rtl" if _locale(lang).character_order == "right-to-left" else "ltr"


def language_name(lang: str) -> str:
    """The language's own name for itself ("English", "Español", "Français")."""
    name = _locale(lang).get_display_name(_locale(lang)) or lang
    return name[:1].upper() + name[1:]


def format_date(value: dt.date | dt.datetime | None, lang: str, fmt: str = "medium") -> str:
    """A date as people of `lang` write it; `fmt` is short, medium, long, full or a pattern."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return dates.format_date(value, fmt, locale=_locale(lang))


def format_datetime(value: dt.datetime | None, lang: str, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_datetime(value, fmt, tzinfo=dt.UTC, locale=_locale(lang))


def format_number(value: int | float | Decimal | None, lang: str) -> str:
    """An integer or decimal with the language's grouping and decimal signs."""
    if value is None:
        return ""
    return numbers.format_decimal(value, locale=_locale(lang))


def format_decimal(value: int | float | Decimal | None, lang: str, digits: int = 1) -> str:
    if value is None:
        return ""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return numbers.format_decimal(value, format=pattern, locale=_locale(lang))


def format_percent(share: float | None, lang: str, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage ("42 %" in French, "42%" in English)."""
    if share is None:
        return ""
    pattern = "#,##0." + "0" * digits + "%" if digits else None
    return numbers.format_percent(share, format=pattern, locale=_locale(lang))


@cache
def _iso2_by_iso3() -> dict[str, tuple[str, str]]:
    return {c.iso3: (c.iso2, c.name) for c in countries()}


def country_name(iso3: str, lang: str, fallback: str | None = None) -> str:
    """A State's short name in `lang`.

    English uses the UN short name (UNTERM). Other languages take the catalogue's
    translation of that name in the `country` context when there is one (so the UN's
    own names in that language can be added as catalogue entries), else the CLDR name
    of the ISO 3166 code, else the English UN name."""
    known = _iso2_by_iso3().get(iso3.upper())
    if known is None:
        return fallback or iso3
    iso2, un_name = known
    if lang == "en":
        return un_name
    translated = translator(lang).pgettext("country", un_name)
    if translated != un_name:
        return translated
    return _locale(lang).territories.get(iso2) or un_name
