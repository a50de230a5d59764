"""What a document is, from its own text: kind, UN symbol, State, session, cycle, date."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass

from shared.ingestion.parsed import ExtractedText
from shared.reference.countries import by_iso3, resolve

SYMBOL = re.compile(
    r"\bA/\s?HRC/\s?(?:DEC/\s?)?\d{1,2}/\s?\d{1,3}(?:/\s?Add\.\s?\d{1,2})?(?:/\s?Corr\.\s?\d)?"
)
_WG_SYMBOL = re.compile(r"\bA/HRC/WG\.6/(\d{1,2})/([A-Z]{3})/\d")
_TITLE = re.compile(
    r"Report\s*of\s*the\s*Working\s*Group\s*on\s*the\s*Universal\s*Periodic\s*Review", re.I
)
_WG_MENTION = re.compile(r"Working\s*Group\s*on\s*the\s*Universal\s*Periodic\s*Review", re.I)
_CONCLUSIONS = re.compile(r"Conclusions\s+and/or\s+recommendations", re.I)
_VIEWS = re.compile(r"Views\s+on\s+conclusions\s+and/or\s+recommendations", re.I)
_DECISION = re.compile(
    r"\bOutcome\s+of\s+the\s+universal\s+periodic\s+review\s*:|\bDecision\s+adopted\s+by\s+the\s+Human\s+Rights\s+Council",
    re.I,
)
_REVIEW_OF = re.compile(
    r"\b[Tt]he\s+review\s+of\s+(?:the\s+)?([A-Z][\w'’.()\- ]{2,80}?)\s+was\s+held"
)
_STATE_AFTER_TITLE = re.compile(
    r"(?:Working\s*Group\s*on\s*the\s*Universal\s*Periodic\s*Review|UNIVERSAL\s+PERIODIC\s+REVIEW)\s*\**\s*\.?\s*\n\s*\*?\s*([^\n*]{3,90}?)\s*[.*]*\s*\n",
    re.I,
)
_WG_SESSION = re.compile(
    r"Working\s+Group\s+on\s+the\s+Universal\s+Periodic\s+Review[^.]{0,160}?"
    r"(?:held\s+its\s+|,\s*)?\b([a-z]+(?:[- ][a-z]+)?|\d{1,2}(?:st|nd|rd|th))\s+session",
    re.I,
)
_MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
_DATE = re.compile(r"\b(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})\b", re.I)
_DISTR_DATE = re.compile(r"Distr\.?\s*:?\s*(?:General|GENERAL|Limited|LIMITED)", re.I)

_UNITS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}
_TENTHS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60}


def ordinal(word: str) -> int | None:
    """'thirty-fourth' -> 34, '7th' -> 7; None for anything else."""
    word = word.lower().replace(" ", "-")
    digits = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)", word)
    if digits:
        return int(digits.group(1))
    if word in _UNITS:
        return _UNITS[word]
    if word in _TENTHS:
        return _TENTHS[word]
    parts = word.split("-")
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS and _UNITS[parts[1]] < 10:
        return _TENS[parts[0]] + _UNITS[parts[1]]
    return None


def cycle_for_session(session: int | None) -> int | None:
    """UPR cycle of a Working Group session: 1-12 -> 1, 13-26 -> 2, 27-40 -> 3, 41-54 -> 4."""
    if session is None or session < 1:
        return None
    return (session - 13) // 14 + 2 if session > 12 else 1


@dataclass(frozen=True, slots=True)
class Classification:
    kind: str
    symbol: str | None
    state_under_review: str | None
    state_name: str | None
    session: int | None
    cycle: int | None
    date: datetime.date | None


def normalize_symbol(raw: str) -> str:
    return re.sub(r"\s+", "", raw)


_MASTHEAD = re.compile(
    r"(?:United\s+Nations|Distr\.?[:\s]*General)\s+(" + SYMBOL.pattern + ")", re.I
)
_OUTCOME_OF = re.compile(
    r"Outcome\s+of\s+the\s+universal\s+periodic\s+review\s*:\s*([^\n]{3,80})", re.I
)


def find_symbol(text: str) -> str | None:
    """The document's own symbol: the masthead's, else the one its headers repeat."""
    head = text[:4000]
    masthead = _MASTHEAD.search(text[:8000])
    if masthead:
        return normalize_symbol(masthead.group(1))
    counts: Counter[str] = Counter(
        normalize_symbol(m.group(0)) for m in SYMBOL.finditer(text[:400_000])
    )
    first = [normalize_symbol(m.group(0)) for m in SYMBOL.finditer(head)]
    if not counts:
        return None
    # The most repeated symbol is usually the page header; prefer a page-one symbol
    # (the masthead), taking the longest one there (".../Add.1" over its report).
    if first:
        top = max(first, key=lambda s: (counts[s], len(s)))
        adds = [s for s in first if s.startswith(top + "/Add.")]
        return adds[0] if adds else top
    return counts.most_common(1)[0][0]


def find_session(text: str) -> int | None:
    for match in _WG_SESSION.finditer(text[:20000]):
        number = ordinal(match.group(1))
        if number:
            return number
    wg = _WG_SYMBOL.search(text[:20000])
    return int(wg.group(1)) if wg else None


def find_state(text: str) -> tuple[str | None, str | None]:
    """(ISO3, name as printed) of the State under review."""
    head = text[:20000]
    for pattern in (_STATE_AFTER_TITLE, _REVIEW_OF, _OUTCOME_OF):
        for match in pattern.finditer(head):
            name = " ".join(match.group(1).split()).strip(" .*")
            iso3 = resolve(name)
            if iso3:
                return iso3, name
    wg = _WG_SYMBOL.search(head)
    if wg and wg.group(2) in by_iso3():
        return wg.group(2), by_iso3()[wg.group(2)].name
    return None, None


def find_date(text: str) -> datetime.date | None:
    head = text[:6000]
    distr = _DISTR_DATE.search(head)
    candidates: list[re.Match[str]] = []
    if distr:
        candidates.extend(_DATE.finditer(head[distr.start() : distr.start() + 300]))
    candidates.extend(_DATE.finditer(head[:2500]))
    for match in candidates:
        try:
            return datetime.date(
                int(match.group(3)), _MONTHS.index(match.group(2).lower()) + 1, int(match.group(1))
            )
        except ValueError:
            continue
    return None


def _is_matrix(extracted: ExtractedText) -> bool:
    for table in extracted.tables:
        for row in table[:5]:
            joined = " ".join(row).lower()
            if "recommendation" in joined and "position" in joined:
                return True
    return False


def classify(extracted: ExtractedText) -> Classification:
    text = extracted.text
    head = text[:6000]
    symbol = find_symbol(text)
    if _is_matrix(extracted):
        kind = "matrix"
    elif (symbol and "/DEC/" in symbol) or _DECISION.search(head):
        kind = "other"
    elif _VIEWS.search(head) or (symbol and "/Add." in symbol and _TITLE.search(head)):
        kind = "add1_views"
    elif _TITLE.search(head) or (_WG_MENTION.search(text[:20000]) and _CONCLUSIONS.search(text)):
        kind = "wg_report"
    else:
        kind = "other"
    iso3, name = find_state(text)
    session = find_session(text)
    return Classification(
        kind=kind,
        symbol=symbol,
        state_under_review=iso3,
        state_name=name,
        session=session,
        cycle=cycle_for_session(session),
        date=find_date(text),
    )
