"""UHRI themes, UHRI affected persons and SDG targets, and the resolution of their labels.

The lists are the package-data CSVs described in ``data/SOURCES.md``. Labels written by
OHCHR (UHRI exports, recommendation matrices) differ from the reference names in case,
"&" versus "and", punctuation and stray spaces; the resolvers fold those differences away
and return a stable value:

* :func:`resolve_theme` -> a UHRI theme code (``"D51"``) when the label is a coded theme,
  otherwise the canonical uncoded name (``"Sexual & gender-based violence"``);
* :func:`resolve_affected_person` -> the canonical affected-persons name;
* :func:`resolve_sdg` -> SDG goal numbers (``"16"``) and target codes (``"16.3"``).

Each returns ``None`` / ``[]`` for a label it does not know: callers keep such labels
verbatim and flag them, they never drop them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "AffectedPerson",
    "SdgTarget",
    "Theme",
    "affected_persons",
    "fold_label",
    "resolve_affected_person",
    "resolve_sdg",
    "resolve_theme",
    "sdg_goals",
    "sdg_targets",
    "theme_names_uncoded",
    "themes",
]


@dataclass(frozen=True, slots=True)
class Theme:
    """A coded UHRI theme (levels 1-3; ``parent_code`` is None for level 1 and for G*/H*)."""

    code: str
    name: str
    level: int
    parent_code: str | None
    group_code: str


@dataclass(frozen=True, slots=True)
class AffectedPerson:
    """A UHRI affected-persons group with the exact spellings seen in OHCHR matrices."""

    name: str
    spellings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SdgTarget:
    """One of the 169 SDG targets (``target`` is ``"16.3"`` or ``"1.a"``)."""

    goal: int
    target: str
    text: str
    goal_short_name: str
    goal_title: str


_FOLD_DROP = re.compile(r"[^a-z0-9 ]+")


def fold_label(label: str) -> str:
    """Fold a taxonomy label for matching.

    Lower case, accents removed, "&" read as "and", punctuation dropped, and the word "and"
    dropped: the join rule ``data/SOURCES.md`` documents for matrix spellings (so
    "lesbian, gay, bisexual, transgender and intersex persons" matches "Lesbian, gay,
    bisexual and transgender and intersex persons").
    """
    text = unicodedata.normalize("NFKD", label)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _FOLD_DROP.sub(" ", text.replace("&", " and "))
    return " ".join(w for w in text.split() if w != "and")


def _rows(filename: str) -> Iterator[dict[str, str]]:
    text = (resources.files("shared.reference") / "data" / filename).read_text(encoding="utf-8")
    yield from csv.DictReader(io.StringIO(text, newline=""))


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


@cache
def themes() -> tuple[Theme, ...]:
    """The coded UHRI themes, in file order (A, A1, A12, ...)."""
    return tuple(
        Theme(
            code=row["code"],
            name=row["name"],
            level=int(row["level"]),
            parent_code=row["parent_code"] or None,
            group_code=row["group_code"],
        )
        for row in _rows("uhri_themes.csv")
    )


@cache
def theme_names_uncoded() -> tuple[str, ...]:
    """Theme names of the 2019+ OHCHR matrices, which carry no code (verbatim)."""
    return tuple(row["name"] for row in _rows("uhri_theme_names_uncoded.csv"))


@cache
def affected_persons() -> tuple[AffectedPerson, ...]:
    """The UHRI affected-persons groups."""
    return tuple(
        AffectedPerson(name=row["name"], spellings=_split(row["matrix_spellings"]))
        for row in _rows("uhri_affected_persons.csv")
    )


@cache
def sdg_targets() -> tuple[SdgTarget, ...]:
    """The 169 SDG targets in goal order."""
    return tuple(
        SdgTarget(
            goal=int(row["goal"]),
            target=row["target"],
            text=row["target_text"],
            goal_short_name=row["goal_short_name"],
            goal_title=row["goal_title"],
        )
        for row in _rows("sdg_targets.csv")
    )


@cache
def sdg_goals() -> dict[int, str]:
    """Goal number -> short name ("16" -> "Peace, justice and strong institutions")."""
    return {t.goal: t.goal_short_name for t in sdg_targets()}


# --- themes -------------------------------------------------------------------------


@cache
def _theme_index() -> tuple[dict[str, str], ...]:
    """Lookup tables tried in order by :func:`resolve_theme`.

    Codes first, then coded names (exactly, then folded), then uncoded names (exactly,
    then folded): an uncoded matrix name that differs from a coded one only by spelling
    ("Constitutional & legislative framework" / A41 "Constitutional and legislative
    framework") resolves to the code. Exact before folded keeps B31's matrix wording
    "Equality & non-discrimination" from being captured by B3 "Equality and
    non-discrimination", which folds to the same key. Within one table the first row
    wins, and file order puts a level-2 code before its level-3 children (B4 before B41,
    both "Right to development").
    """
    codes: dict[str, str] = {}
    coded: list[tuple[str, str]] = []
    for row in _rows("uhri_themes.csv"):
        codes[row["code"].upper()] = row["code"]
        coded.append((row["name"], row["code"]))
        if row["name_in_ohchr_matrices"]:
            coded.append((row["name_in_ohchr_matrices"], row["code"]))
    uncoded = [(name, name) for name in theme_names_uncoded()]
    tables: list[dict[str, str]] = [codes]
    for pairs in (coded, uncoded):
        exact: dict[str, str] = {}
        folded: dict[str, str] = {}
        for name, value in pairs:
            exact.setdefault(_exact_key(name), value)
            folded.setdefault(fold_label(name), value)
        tables += [exact, folded]
    return tuple(tables)


def _exact_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def resolve_theme(label: str) -> str | None:
    """Theme code, or canonical uncoded name, for a theme label or code; None if unknown."""
    exact = _exact_key(label)
    if not exact:
        return None
    codes, coded_exact, coded_folded, uncoded_exact, uncoded_folded = _theme_index()
    folded = fold_label(label)
    return (
        codes.get(exact.upper())
        or coded_exact.get(exact)
        or coded_folded.get(folded)
        or uncoded_exact.get(exact)
        or uncoded_folded.get(folded)
    )


# --- affected persons -----------------------------------------------------------------


@cache
def _person_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for person in affected_persons():
        for spelling in (person.name, *person.spellings):
            index.setdefault(fold_label(spelling), person.name)
    return index


def resolve_affected_person(label: str) -> str | None:
    """Canonical affected-persons name for a label (any case, "&"/"and"); None if unknown."""
    key = fold_label(label)
    return _person_index().get(key) if key else None


# --- SDGs -----------------------------------------------------------------------------

# A goal or a target number, "16", "16.3", "1.a": the goal and the target as groups.
_SDG_NUMBER = r"(\d{1,2})(?:\.(\d{1,2}|[a-z]))?"
# "16.3 - Promote the rule of law", "5 - GENDER EQUALITY", "SDG 16.3", "Goal 5", "Target 1.a"
_SDG_CODE = re.compile(rf"^(?:(?:sdgs?|goals?|targets?)\s*)?{_SDG_NUMBER}(?![\d.])", re.IGNORECASE)
# A label that only lists numbers: "Goals 5, 11, 13 and 16".
_SDG_LIST = re.compile(
    rf"^(?:sdgs?|goals?|targets?)?[\s:]*{_SDG_NUMBER}(?:\s*(?:,|and|&|;)\s*{_SDG_NUMBER})*\s*$",
    re.IGNORECASE,
)
_SDG_ITEM = re.compile(_SDG_NUMBER, re.IGNORECASE)


@cache
def _sdg_codes() -> frozenset[str]:
    return frozenset({t.target for t in sdg_targets()} | {str(g) for g in sdg_goals()})


@cache
def _goal_name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for target in sdg_targets():
        index.setdefault(fold_label(target.goal_short_name), str(target.goal))
        index.setdefault(fold_label(target.goal_title), str(target.goal))
    return index


def _sdg_code(goal: str, target: str | None) -> str | None:
    code = str(int(goal)) if target is None else f"{int(goal)}.{target.lower()}"
    return code if code in _sdg_codes() else None


def resolve_sdg(label: str) -> list[str]:
    """SDG goal numbers and target codes named by a label, in label order; [] if none.

    Understands UHRI's ``"16.3 - Promote the rule of law ..."`` and
    ``"16 - PEACE, JUSTICE AND STRONG INSTITUTIONS"``, bare codes (``"1.a"``),
    ``"Goal 16"``, ``"SDG 5"``, lists (``"Goals 5, 11 and 16"``) and a goal's name alone.
    Codes that are not among the 17 goals and 169 targets give [].
    """
    text = " ".join(label.split())
    if not text:
        return []
    if _SDG_LIST.match(text):
        codes = [_sdg_code(m.group(1), m.group(2)) for m in _SDG_ITEM.finditer(text)]
        if all(codes):
            return list(dict.fromkeys(c for c in codes if c))
        return []
    match = _SDG_CODE.match(text)
    if match:
        code = _sdg_code(match.group(1), match.group(2))
        return [code] if code else []
    goal = _goal_name_index().get(fold_label(text))
    return [goal] if goal else []
