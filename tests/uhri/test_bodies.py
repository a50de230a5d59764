"""UHRI body labels to mechanisms (shared/reference/mechanisms.py)."""

from __future__ import annotations

import pytest

from shared.reference import mechanisms
from shared.reference.mechanisms import resolve_body

TREATY_BODIES = ["CCPR", "CESCR", "CAT", "SPT", "CRC", "CEDAW", "CERD", "CMW", "CRPD", "CED"]


def test_reference_list() -> None:
    codes = [m.code for m in mechanisms.mechanisms()]
    assert codes == ["UPR", *TREATY_BODIES, "SP"]
    kinds = {m.code: m.kind for m in mechanisms.mechanisms()}
    assert kinds["UPR"] == "upr"
    assert kinds["SP"] == "special_procedure"
    assert all(kinds[code] == "treaty_body" for code in TREATY_BODIES)
    assert mechanisms.by_code()["CRC"].name == "Committee on the Rights of the Child"


@pytest.mark.parametrize("code", ["UPR", *TREATY_BODIES])
def test_by_acronym_with_and_without_the_uhri_prefix(code: str) -> None:
    for label in (code, f"- {code}", f"- {code.lower()} "):
        match = resolve_body(label)
        assert match is not None
        assert (match.code, match.special_procedure, match.mandate_type) == (code, None, None)


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("- Committee on the Rights of the Child", "CRC"),
        ("Human Rights Committee", "CCPR"),
        ("Universal Periodic Review", "UPR"),
        ("Working Group on the Universal Periodic Review", "UPR"),
        ("Committee on Economic, Social and Cultural Rights", "CESCR"),
        ("Committee on Economic, Social & Cultural Rights", "CESCR"),
        ("Committee against Torture", "CAT"),
        ("Subcommittee on Prevention of Torture", "SPT"),
        ("Committee on the Elimination of Discrimination against Women", "CEDAW"),
        ("committee on the elimination of racial discrimination", "CERD"),
        ("Committee on Migrant Workers", "CMW"),
        ("Committee on the Rights of Persons with Disabilities", "CRPD"),
        ("Committee on Enforced Disappearances", "CED"),
    ],
)
def test_by_long_name(label: str, code: str) -> None:
    match = resolve_body(label)
    assert match is not None
    assert match.code == code


@pytest.mark.parametrize(
    ("label", "mandate_type", "kept"),
    [
        ("- SR on the right to food", "SR", "SR on the right to food"),
        ("- SR Torture", "SR", "SR Torture"),
        ("Special Rapporteur on the situation of human rights defenders", "SR", None),
        ("- WG Arbitrary Detention", "WG", "WG Arbitrary Detention"),
        ("Working Group on Enforced or Involuntary Disappearances", "WG", None),
        ("- IE  Albinism", "IE", "IE Albinism"),
        ("Independent Expert on sexual orientation and gender identity", "IE", None),
    ],
)
def test_special_procedures_keep_their_mandate(
    label: str, mandate_type: str, kept: str | None
) -> None:
    match = resolve_body(label)
    assert match is not None
    assert match.code == "SP"
    assert match.mechanism.kind == "special_procedure"
    assert match.mandate_type == mandate_type
    assert match.special_procedure == (kept or label)


def test_special_procedures_in_general() -> None:
    match = resolve_body("Special procedures")
    assert match is not None
    assert (match.code, match.special_procedure) == ("SP", None)


@pytest.mark.parametrize(
    "label", ["", "-", "- ", "Human Rights Council", "SRSG", "WGA", "Expert Mechanism"]
)
def test_unknown_bodies(label: str) -> None:
    assert resolve_body(label) is None
