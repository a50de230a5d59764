"""The normalized UHRI record, the per-record error, and the report a read fills in."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, NamedTuple

__all__ = [
    "Position",
    "RecordKind",
    "SourceFormat",
    "StateRef",
    "UhriFormatError",
    "UhriRecord",
    "UhriRecordError",
    "UhriReport",
]

RecordKind = Literal["recommendation", "observation"]
Position = Literal["supported", "noted", "partially_supported", "pending", "no_position"]
SourceFormat = Literal["json", "xlsx"]


class StateRef(NamedTuple):
    """A State as the export names it, and its ISO3 code when the name is known."""

    name: str
    iso3: str | None


class UhriFormatError(ValueError):
    """The file is not a UHRI export at all (not JSON, not an array, not an xlsx, ...)."""


@dataclass(frozen=True, slots=True)
class UhriRecord:
    """One UHRI annotation (a recommendation or a concern/observation), normalized.

    Label fields (``*_labels``, ``mechanism_label``, ``position_raw`` ...) hold OHCHR's
    wording with only the list formatting removed (the ``"- "`` prefix and surrounding
    whitespace), so a JSON and an xlsx export of the same annotation give equal labels.
    Mapped fields (``themes``, ``affected_persons``, ``sdg_targets``, ``mechanism``,
    ``StateRef.iso3``, ``position``, dates) hold what those labels resolved to; every
    label that resolved to nothing is listed in ``unmapped`` as ``(field, label)``.
    """

    uhri_id: str
    """OHCHR annotation id (a UUID, lower case): the stable key across exports."""
    kind: RecordKind
    text: str
    """HTML removed, entities decoded, spaces collapsed; one line per paragraph block."""
    mechanism: str | None
    """``UPR``, a treaty-body code (``CRC``, ``CCPR`` ...), ``SP``, or None if unknown."""
    mechanism_label: str | None
    special_procedure: str | None
    """The mandate label (``"SR on the right to food"``) when ``mechanism == "SP"``."""
    countries: tuple[StateRef, ...]
    """States concerned (usually one; some annotations concern several, a few none)."""
    recommending_states: tuple[StateRef, ...]
    symbol: str | None
    paragraph: str | None
    """Paragraph number read from the start of the text (``"26.1"``, ``"4"``)."""
    position: Position | None
    position_raw: str | None
    themes: tuple[str, ...]
    """UHRI theme codes (``"D51"``) or canonical uncoded theme names."""
    theme_labels: tuple[str, ...]
    affected_persons: tuple[str, ...]
    affected_person_labels: tuple[str, ...]
    sdg_targets: tuple[str, ...]
    """SDG goals (``"16"``) and targets (``"16.3"``) as the export lists them."""
    sdg_labels: tuple[str, ...]
    regions: tuple[str, ...]
    recommending_regions: tuple[str, ...]
    document_date: date | None
    published_at: datetime | None
    """When the annotation was published on UHRI (naive: OHCHR states no time zone)."""
    session: int | None
    """UPR session number (``"- 36th Session"`` -> 36)."""
    session_label: str | None
    cycle: int | None
    """UPR cycle; derived from the session number when the export gives none."""
    document_id: str | None
    source_format: SourceFormat
    source_index: int
    """0-based position of the record in the file (data rows for xlsx)."""
    unmapped: tuple[tuple[str, str], ...] = ()

    @property
    def country_iso3(self) -> str | None:
        """ISO3 of the (first) State concerned."""
        return self.countries[0].iso3 if self.countries else None

    @property
    def country_label(self) -> str | None:
        """The export's name for the (first) State concerned."""
        return self.countries[0].name if self.countries else None

    @property
    def ref(self) -> str | None:
        """Natural key shared with recommendations parsed from reports: ``symbol#paragraph``."""
        if self.symbol and self.paragraph:
            return f"{self.symbol}#{self.paragraph}"
        return None


@dataclass(frozen=True, slots=True)
class UhriRecordError:
    """A record that could not be normalized; the read goes on with the next one."""

    index: int
    uhri_id: str | None
    message: str


MAX_KEPT_ERRORS = 1000


@dataclass(slots=True)
class UhriReport:
    """What a read produced besides the records: counts, errors and unmapped labels.

    Pass one to a reader to collect it; its memory is bounded by the number of distinct
    unmapped labels and by ``MAX_KEPT_ERRORS`` (``error_count`` still counts them all).
    """

    records: int = 0
    skipped: int = 0
    """Records left out by the ``kinds`` filter."""
    error_count: int = 0
    errors: list[UhriRecordError] = field(default_factory=list)
    unmapped: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add_record(self, record: UhriRecord) -> None:
        self.records += 1
        self.unmapped.update(record.unmapped)

    def add_error(self, error: UhriRecordError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(error)
