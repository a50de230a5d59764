"""From UHRI export values to normalized values: labels to codes, texts, dates, numbers.

Both export formats are first brought to the JSON export's field names (:data:`FIELDS`);
:func:`normalize_record` then turns one such mapping into a :class:`UhriRecord`. Label
resolution is cached: the vocabulary of labels is small and repeats on every record.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Final

from shared.reference import countries, mechanisms, taxonomies
from shared.uhri.records import (
    Position,
    RecordKind,
    SourceFormat,
    StateRef,
    UhriRecord,
)
from shared.uhri.text import clean_text, paragraph_from_text

__all__ = [
    "FIELDS",
    "InvalidRecord",
    "clean_label",
    "cycle_for_session",
    "labels",
    "normalize_record",
    "parse_date",
    "parse_datetime",
    "parse_kind",
    "parse_position",
    "parse_session",
]

# Field names of the JSON export (FORMAT.md section 3); the xlsx reader renames its
# columns to these.
ANNOTATION_ID: Final = "AnnotationId"
ANNOTATION_TYPE: Final = "AnnotationType"
BODY: Final = "Body"
COUNTRIES: Final = "Countries"
DOCUMENT_ID: Final = "DocumentId"
PUBLICATION_DATE: Final = "PublicationDate"
PUBLICATION_DATE_ON_UHRI: Final = "PublicationDateOnUhri"
REGIONS: Final = "Regions"
SDGS: Final = "Sdgs"
SYMBOL: Final = "Symbol"
TEXT: Final = "Text"
THEMES: Final = "Themes"
AFFECTED_PERSONS: Final = "AffectedPersons"
UPR_CYCLE: Final = "UprCycle"
UPR_POSITIONS: Final = "UprPositions"
UPR_RECOMMENDING_COUNTRY: Final = "UprRecommendingCountry"
UPR_RECOMMENDING_REGIONS: Final = "UprRecommendingRegions"
UPR_SESSION: Final = "UprSession"

FIELDS: Final = (
    AFFECTED_PERSONS,
    ANNOTATION_ID,
    ANNOTATION_TYPE,
    BODY,
    COUNTRIES,
    DOCUMENT_ID,
    PUBLICATION_DATE,
    PUBLICATION_DATE_ON_UHRI,
    REGIONS,
    SDGS,
    SYMBOL,
    TEXT,
    THEMES,
    UPR_CYCLE,
    UPR_POSITIONS,
    UPR_RECOMMENDING_COUNTRY,
    UPR_RECOMMENDING_REGIONS,
    UPR_SESSION,
)


class InvalidRecord(ValueError):
    """A record lacks what every record must have (an id and a known type)."""


# --- labels -------------------------------------------------------------------------


def clean_label(value: object) -> str:
    """A categorical value without UHRI's ``"- "`` prefix and without extra whitespace."""
    return _clean_label(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=16384)
def _clean_label(value: str) -> str:
    # Cached: the same few thousand labels repeat on every record.
    text = " ".join(value.split())
    if text.startswith("- "):
        return text[2:]
    return "" if text == "-" else text


def labels(value: object) -> tuple[str, ...]:
    """The labels of a multi-valued field: a JSON list, or an xlsx cell of one per line.

    Empty labels are dropped and repeated ones kept once, in first-seen order.
    """
    if not value:
        return ()
    items: Iterable[object]
    if isinstance(value, str):
        items = value.splitlines()
    elif isinstance(value, list | tuple):
        items = value
    else:
        items = (value,)
    found: list[str] = []
    for item in items:
        if item is None:
            continue
        label = _clean_label(item if isinstance(item, str) else str(item))
        if label and label not in found:
            found.append(label)
    return tuple(found)


def single_label(value: object) -> str | None:
    """A single-valued categorical field; a list is read as its first non-empty item."""
    found = labels(value)
    return found[0] if found else None


# --- categorical values ---------------------------------------------------------------

_KINDS: Final[dict[str, RecordKind]] = {
    "recommendations": "recommendation",
    "recommendation": "recommendation",
    "concerns/observations": "observation",
    "concerns / observations": "observation",
    "observations": "observation",
    "concerns": "observation",
}


def parse_kind(label: str | None) -> RecordKind | None:
    """``"- Recommendations"`` -> recommendation, ``"- Concerns/Observations"`` -> observation."""
    if label is None:
        return None
    return _KINDS.get(clean_label(label).casefold())


_POSITIONS: Final[dict[str, Position]] = {
    "supported": "supported",
    "noted": "noted",
    "supported/noted": "partially_supported",
    "supported / noted": "partially_supported",
    "partially supported": "partially_supported",
    "pending": "pending",
    "no position": "no_position",
}


def parse_position(found: tuple[str, ...]) -> tuple[Position | None, tuple[str, ...]]:
    """The position a UPR position field states, and the labels it did not understand.

    ``"Supported/Noted"`` (a recommendation the State supported in part) and a list
    holding both ``Supported`` and ``Noted`` give ``partially_supported``.
    """
    mapped: set[Position] = set()
    unknown: list[str] = []
    for label in found:
        position = _POSITIONS.get(label.casefold())
        if position is None:
            unknown.append(label)
        else:
            mapped.add(position)
    if len(mapped) == 1:
        return mapped.pop(), tuple(unknown)
    if mapped and mapped <= {"supported", "noted", "partially_supported"}:
        return "partially_supported", tuple(unknown)
    if mapped:
        # Contradictory ("Pending" and "Supported"): keep every label, state nothing.
        return None, tuple(found)
    return None, tuple(unknown)


_SESSION = re.compile(r"(\d{1,3})")


def parse_session(found: tuple[str, ...]) -> int | None:
    """``"36th Session"`` -> 36 (the first label with a number)."""
    for label in found:
        match = _SESSION.search(label)
        if match:
            return int(match.group(1))
    return None


def parse_cycle(value: object) -> int | None:
    """A UPR cycle given as ``3``, ``"3"``, ``"Cycle 3"`` or ``"3rd cycle"``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= 20 else None
    if isinstance(value, float) and value.is_integer():
        return parse_cycle(int(value))
    for label in labels(value):
        match = _SESSION.search(label)
        if match:
            return parse_cycle(int(match.group(1)))
    return None


def cycle_for_session(session: int) -> int | None:
    """The UPR cycle of a Working Group session: 1-12 -> 1, 13-26 -> 2, 27-40 -> 3,
    41-54 -> 4. Later sessions give None until their cycle is fixed."""
    if 1 <= session <= 12:
        return 1
    if 13 <= session <= 54:
        return 2 + (session - 13) // 14
    return None


# --- dates ----------------------------------------------------------------------------

_EXCEL_EPOCH: Final = datetime(1899, 12, 30)
# Serials outside 1950-2099: a number, but not a date of this index.
_MIN_SERIAL: Final = 18264.0
_MAX_SERIAL: Final = 73051.0


def _serial(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if _MIN_SERIAL <= number <= _MAX_SERIAL else None


def parse_datetime(value: object) -> datetime | None:
    """An Excel serial (44287.39 -> 2021-04-01 09:22:50), an ISO string or a datetime."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    serial = _serial(value)
    if serial is not None:
        # Whole seconds: the serial's float fraction is not more precise than that.
        return _EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_date(value: object) -> date | None:
    """An Excel serial (44180 -> 2020-12-15), an ISO date or date-time, or a date."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    moment = parse_datetime(value)
    return moment.date() if moment else None


# --- cached label resolution --------------------------------------------------------


@lru_cache(maxsize=8192)
def _state(label: str) -> StateRef:
    return StateRef(label, countries.resolve(label))


@lru_cache(maxsize=4096)
def _theme(label: str) -> tuple[str, ...]:
    theme = taxonomies.resolve_theme(label)
    return (theme,) if theme else ()


@lru_cache(maxsize=4096)
def _person(label: str) -> tuple[str, ...]:
    person = taxonomies.resolve_affected_person(label)
    return (person,) if person else ()


@lru_cache(maxsize=4096)
def _sdg(label: str) -> tuple[str, ...]:
    return tuple(taxonomies.resolve_sdg(label))


@lru_cache(maxsize=4096)
def _body(label: str) -> mechanisms.BodyMatch | None:
    return mechanisms.resolve_body(label)


def _uhri_id(value: object) -> str:
    text = str(value).strip() if value is not None else ""
    if not text:
        raise InvalidRecord(f"no {ANNOTATION_ID}")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        # Not a UUID: still OHCHR's key; keep it as written.
        return text


def _text_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = next((v for v in value if v not in (None, "")), None)
        if value is None:
            return None
    text = " ".join(str(value).split())
    return text or None


def _codes(
    labels_: tuple[str, ...],
    field: str,
    resolve: Callable[[str], tuple[str, ...]],
    unmapped: list[tuple[str, str]],
) -> tuple[str, ...]:
    """The codes the labels resolve to, without repeats, in order; a label that resolves
    to none is added to ``unmapped`` under ``field``."""
    codes: list[str] = []
    for label in labels_:
        found = resolve(label)
        if not found:
            unmapped.append((field, label))
        codes.extend(found)
    return tuple(dict.fromkeys(codes))


def normalize_record(
    raw: Mapping[str, object], *, index: int, source_format: SourceFormat
) -> UhriRecord:
    """One export record (keyed by :data:`FIELDS`) as a :class:`UhriRecord`.

    Raises :class:`InvalidRecord` when the record has no annotation id or an unknown
    type; any other label that does not resolve is reported in ``unmapped``.
    """
    uhri_id = _uhri_id(raw.get(ANNOTATION_ID))
    type_label = single_label(raw.get(ANNOTATION_TYPE))
    kind = parse_kind(type_label)
    if kind is None:
        raise InvalidRecord(f"unknown {ANNOTATION_TYPE} {type_label!r}")
    unmapped: list[tuple[str, str]] = []

    body_label = single_label(raw.get(BODY))
    body = _body(body_label) if body_label else None
    if body_label and body is None:
        unmapped.append(("mechanism", body_label))

    states = tuple(_state(label) for label in labels(raw.get(COUNTRIES)))
    recommending = tuple(_state(label) for label in labels(raw.get(UPR_RECOMMENDING_COUNTRY)))
    unmapped += [("countries", s.name) for s in states if s.iso3 is None]
    unmapped += [("recommending_states", s.name) for s in recommending if s.iso3 is None]

    theme_labels = labels(raw.get(THEMES))
    themes = _codes(theme_labels, "themes", _theme, unmapped)
    person_labels = labels(raw.get(AFFECTED_PERSONS))
    persons = _codes(person_labels, "affected_persons", _person, unmapped)
    sdg_labels = labels(raw.get(SDGS))
    sdgs = _codes(sdg_labels, "sdg_targets", _sdg, unmapped)

    position_labels = labels(raw.get(UPR_POSITIONS))
    position, unknown_positions = parse_position(position_labels)
    unmapped += [("position", label) for label in unknown_positions]

    session_labels = labels(raw.get(UPR_SESSION))
    session = parse_session(session_labels)
    unmapped += [("session", label) for label in session_labels if session is None]
    cycle_value = raw.get(UPR_CYCLE)
    cycle = parse_cycle(cycle_value)
    if cycle is None and cycle_value not in (None, "", []):
        unmapped.append(("cycle", str(cycle_value)))
    if cycle is None and session is not None:
        cycle = cycle_for_session(session)

    date_value = raw.get(PUBLICATION_DATE)
    document_date = parse_date(date_value)
    if document_date is None and date_value not in (None, ""):
        unmapped.append(("document_date", str(date_value)))
    published_value = raw.get(PUBLICATION_DATE_ON_UHRI)
    published_at = parse_datetime(published_value)
    if published_at is None and published_value not in (None, ""):
        unmapped.append(("published_at", str(published_value)))

    text = clean_text(raw.get(TEXT))
    return UhriRecord(
        uhri_id=uhri_id,
        kind=kind,
        text=text,
        mechanism=body.code if body else None,
        mechanism_label=body_label,
        special_procedure=body.special_procedure if body else None,
        countries=states,
        recommending_states=recommending,
        symbol=_text_value(raw.get(SYMBOL)),
        paragraph=paragraph_from_text(text),
        position=position,
        position_raw="; ".join(position_labels) or None,
        themes=themes,
        theme_labels=theme_labels,
        affected_persons=persons,
        affected_person_labels=person_labels,
        sdg_targets=sdgs,
        sdg_labels=sdg_labels,
        regions=labels(raw.get(REGIONS)),
        recommending_regions=labels(raw.get(UPR_RECOMMENDING_REGIONS)),
        document_date=document_date,
        published_at=published_at,
        session=session,
        session_label="; ".join(session_labels) or None,
        cycle=cycle,
        document_id=_text_value(raw.get(DOCUMENT_ID)),
        source_format=source_format,
        source_index=index,
        unmapped=tuple(unmapped),
    )
