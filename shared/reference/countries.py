"""UN member and observer States, and the resolution of the names UN documents use."""

from __future__ import annotations

import csv
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


@cache
def _name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for c in countries():
        for name in (c.name, c.formal_name, c.natural_name, *c.alternative_names):
            index.setdefault(fold(name), c.iso3)
    return index


def resolve(name: str) -> str | None:
    """ISO3 code for a State name as UN documents write it, or None when unknown."""
    folded = fold(name)
    if not folded:
        return None
    if len(folded) == 3 and folded.upper() in by_iso3():
        return folded.upper()
    return _name_index().get(folded)
