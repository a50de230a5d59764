"""UN member and observer States, and the resolution of the names UN documents use."""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Country:
    iso3: str
    iso2: str
    m49: str
    name: str
    formal_name: str
    natural_name: str
    un_status: str
    regional_group: str | None
    regional_group_name: str | None
    alternative_names: tuple[str, ...]


def fold(name: str) -> str:
    """Fold a State name for matching: accents, apostrophes, case, "the", punctuation."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\u2018\u2019`]", "'", text).lower()
    text = text.replace("&", " and ")
    # "People's", "People’s" and a mis-decoded "People.s" fold alike.
    text = re.sub(r"(?<=[a-z])[.'](?=s\b)", "", text)
    text = re.sub(r"[*\u00a0]", " ", text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    words = [w for w in text.split() if w != "the"]
    return " ".join(words)


@cache
def countries() -> tuple[Country, ...]:
    """All 195 States of the UN list, in ISO3 order."""
    path = resources.files("shared.reference") / "data" / "un_member_states.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return tuple(
        Country(
            iso3=row["iso3"],
            iso2=row["iso2"],
            m49=row["m49"],
            name=row["un_short_name"],
            formal_name=row["un_formal_name"],
            natural_name=row["short_name_natural_order"],
            un_status=row["un_status"],
            regional_group=row["regional_group_code"] or None,
            regional_group_name=row["regional_group"] or None,
            alternative_names=tuple(
                n.strip() for n in row["former_or_alternative_names"].split(";") if n.strip()
            ),
        )
        for row in sorted(rows, key=lambda r: r["iso3"])
    )


@cache
def by_iso3() -> dict[str, Country]:
    return {c.iso3: c for c in countries()}


# Variants and misspellings printed in real UN documents that the reference list lacks.
_EXTRA_NAMES: dict[str, str] = {
    "Republic of Korea": "KOR",
    "South Korea": "KOR",
    "Democratic People's Republic of Korea": "PRK",
    "North Korea": "PRK",
    "Lao People's Democratic Republic": "LAO",
    "Laos": "LAO",
    "Viet Nam": "VNM",
    "Vietnam": "VNM",
    "Russian Federation": "RUS",
    "Russia": "RUS",
    "Syrian Arab Republic": "SYR",
    "Syria": "SYR",
    "United Republic of Tanzania": "TZA",
    "Tanzania": "TZA",
    "the former Yugoslav Republic of Macedonia": "MKD",
    "Former Yugoslav Republic of Macedonia": "MKD",
    "Macedonia": "MKD",
    "Bosnia & Herzegovina": "BIH",
    "Libyan Arab Jamahiriya": "LBY",
    "Libya Arab Jamahiriya": "LBY",
    "Republic of Moldova": "MDA",
    "Moldova": "MDA",
    "Iran": "IRN",
    "Islamic Republic of Iran": "IRN",
    "Bolivarian Republic of Venezuela": "VEN",
    "Venezuela": "VEN",
    "Plurinational State of Bolivia": "BOL",
    "Bolivia": "BOL",
    "Bolivia (Plurinational Republic of)": "BOL",
    "Holy See": "VAT",
    "The Holy See": "VAT",
    "State of Palestine": "PSE",
    "Palestine": "PSE",
    "United Kingdom": "GBR",
    "UK": "GBR",
    "United States": "USA",
    "USA": "USA",
    "Democratic Republic of Congo": "COD",
    "Congo (Democratic Republic of)": "COD",
    "Republic of the Congo": "COG",
    "Cote d'Ivoire": "CIV",
    "Ivory Coast": "CIV",
    "Timor Leste": "TLS",
    "East Timor": "TLS",
    "Swaziland": "SWZ",
    "Cape Verde": "CPV",
    "Micronesia": "FSM",
    "Federated States of Micronesia": "FSM",
    "Brunei": "BRN",
    "Czechia": "CZE",
    "Netherlands": "NLD",
    "The Netherlands": "NLD",
    "Kyrgyzstan": "KGZ",
    "Turkey": "TUR",
    "Lichtenstein": "LIE",
    "New Zeeland": "NZL",
    "United States of Americas": "USA",
    "Russia Federation": "RUS",
    "United Sates": "USA",
    "Azerbeijan": "AZE",
    "Holly See": "VAT",
}


@cache
def _name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for c in countries():
        for name in (c.name, c.formal_name, c.natural_name, *c.alternative_names):
            index.setdefault(fold(name), c.iso3)
    for name, iso3 in _EXTRA_NAMES.items():
        index.setdefault(fold(name), iso3)
    # A name split by a line break may also lose its parenthetical form.
    for key, iso3 in list(index.items()):
        index.setdefault(key.replace(" ", ""), iso3)
    return index


@cache
def _fuzzy(folded: str) -> str | None:
    """Close misspellings ("Azerbeijan"); only for names long enough to be unambiguous."""
    if len(folded) < 6:
        return None
    keys = [k for k in _name_index() if " " in k or len(k) >= 6]
    close = difflib.get_close_matches(folded, keys, n=2, cutoff=0.88)
    if not close:
        return None
    iso = {_name_index()[k] for k in close}
    return _name_index()[close[0]] if len(iso) == 1 else None


def resolve(name: str) -> str | None:
    """ISO3 code for a State name as UN documents write it, or None when unknown."""
    folded = fold(name)
    if not folded:
        return None
    if len(folded) == 3 and folded.upper() in by_iso3():
        return folded.upper()
    index = _name_index()
    found = index.get(folded) or index.get(folded.replace(" ", ""))
    return found or _fuzzy(folded)
