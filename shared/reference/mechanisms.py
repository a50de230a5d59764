"""Human-rights mechanisms (UPR, treaty bodies, special procedures) and their body labels.

UHRI names the recommending body by acronym (``"- CRC"``), sometimes by long name
(``"- Committee on the Rights of the Child"``), and a special-procedure mandate by a
label that starts with its type (``"- SR on the right to food"``, ``"- IE  Albinism"``).
Special procedures are one mechanism, ``SP``; the mandate label is kept beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from shared.reference.taxonomies import fold_label

__all__ = [
    "BodyMatch",
    "MandateType",
    "Mechanism",
    "MechanismKind",
    "by_code",
    "mechanisms",
    "resolve_body",
]

MechanismKind = Literal["upr", "treaty_body", "special_procedure", "regional"]
MandateType = Literal["SR", "WG", "IE"]


@dataclass(frozen=True, slots=True)
class Mechanism:
    code: str
    acronym: str
    name: str
    kind: MechanismKind
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BodyMatch:
    """What a body label names: the mechanism and, for special procedures, the mandate."""

    mechanism: Mechanism
    special_procedure: str | None = None
    """The mandate label as written (list prefix and extra spaces removed)."""
    mandate_type: MandateType | None = None

    @property
    def code(self) -> str:
        return self.mechanism.code


_MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        "UPR",
        "UPR",
        "Universal Periodic Review",
        "upr",
        ("Working Group on the Universal Periodic Review", "UPR Working Group"),
    ),
    Mechanism("CCPR", "CCPR", "Human Rights Committee", "treaty_body"),
    Mechanism("CESCR", "CESCR", "Committee on Economic, Social and Cultural Rights", "treaty_body"),
    Mechanism("CAT", "CAT", "Committee against Torture", "treaty_body"),
    Mechanism(
        "SPT",
        "SPT",
        "Subcommittee on Prevention of Torture and Other Cruel, Inhuman or Degrading "
        "Treatment or Punishment",
        "treaty_body",
        ("Subcommittee on Prevention of Torture",),
    ),
    Mechanism("CRC", "CRC", "Committee on the Rights of the Child", "treaty_body"),
    Mechanism(
        "CEDAW",
        "CEDAW",
        "Committee on the Elimination of Discrimination against Women",
        "treaty_body",
    ),
    Mechanism(
        "CERD", "CERD", "Committee on the Elimination of Racial Discrimination", "treaty_body"
    ),
    Mechanism(
        "CMW",
        "CMW",
        "Committee on the Protection of the Rights of All Migrant Workers and Members of "
        "Their Families",
        "treaty_body",
        ("Committee on Migrant Workers",),
    ),
    Mechanism(
        "CRPD", "CRPD", "Committee on the Rights of Persons with Disabilities", "treaty_body"
    ),
    Mechanism("CED", "CED", "Committee on Enforced Disappearances", "treaty_body"),
    Mechanism(
        "SP",
        "SP",
        "Special procedures of the Human Rights Council",
        "special_procedure",
        ("Special procedures", "Special procedure"),
    ),
)


def mechanisms() -> tuple[Mechanism, ...]:
    """UPR, the ten treaty bodies and special procedures (as one mechanism, ``SP``)."""
    return _MECHANISMS


@cache
def by_code() -> dict[str, Mechanism]:
    return {m.code: m for m in _MECHANISMS}


@cache
def _name_index() -> dict[str, Mechanism]:
    index: dict[str, Mechanism] = {}
    for m in _MECHANISMS:
        for name in (m.name, *m.aliases):
            index[fold_label(name)] = m
    return index


@cache
def _acronym_index() -> dict[str, Mechanism]:
    return {m.acronym.upper(): m for m in _MECHANISMS}


# The type word is followed by a space or the end ("SR", "WG on ...", "IE  Albinism"); the
# long forms may be plural ("Special Rapporteurs on ...", joint mandates).
_MANDATE = re.compile(
    r"^(?:(?P<sr>SR|Special\s+Rapporteurs?)|(?P<wg>WG|Working\s+Groups?)"
    r"|(?P<ie>IE|Independent\s+Experts?))(?:\s|$|[,:])",
    re.IGNORECASE,
)


def _clean(label: str) -> str:
    text = " ".join(label.split())
    # UHRI writes categorical values as "- label".
    if text.startswith("- ") or text == "-":
        text = text[2:].strip()
    return text


def resolve_body(label: str) -> BodyMatch | None:
    """The mechanism a UHRI body label names, by acronym or long name; None if unknown.

    ``"- CRC"``, ``"Committee on the Rights of the Child"``, ``"Human Rights Committee"``
    and ``"Universal Periodic Review"`` give their mechanism; labels starting with
    ``SR``/``Special Rapporteur``, ``WG``/``Working Group`` or ``IE``/``Independent
    Expert`` give ``SP`` with the mandate label kept. The UPR Working Group is checked
    before the "Working Group" rule.
    """
    text = _clean(label)
    if not text:
        return None
    mechanism = _acronym_index().get(text.upper()) or _name_index().get(fold_label(text))
    if mechanism is not None:
        return BodyMatch(mechanism)
    match = _MANDATE.match(text)
    if match:
        kind: MandateType = "SR" if match["sr"] else "WG" if match["wg"] else "IE"
        return BodyMatch(by_code()["SP"], special_procedure=text, mandate_type=kind)
    return None
