"""UHRI themes, affected persons and SDG targets: loading and label resolution."""

from __future__ import annotations

import pytest

from shared.reference import taxonomies
from shared.reference.taxonomies import (
    AffectedPerson,
    SdgTarget,
    Theme,
    resolve_affected_person,
    resolve_sdg,
    resolve_theme,
)


def test_lists_load_with_the_documented_sizes() -> None:
    themes = taxonomies.themes()
    assert len(themes) == 118
    assert [sum(t.level == n for t in themes) for n in (1, 2, 3)] == [5, 43, 70]
    assert len({t.code for t in themes}) == 118
    assert len(taxonomies.theme_names_uncoded()) == 90
    assert len(taxonomies.affected_persons()) == 48
    targets = taxonomies.sdg_targets()
    assert len(targets) == 169
    assert len({t.target for t in targets}) == 169
    assert len(taxonomies.sdg_goals()) == 17


def test_typed_rows() -> None:
    d51 = next(t for t in taxonomies.themes() if t.code == "D51")
    assert d51 == Theme("D51", "Administration of justice & fair trial", 3, "D5", "D")
    g3 = next(t for t in taxonomies.themes() if t.code == "G3")
    assert (g3.parent_code, g3.group_code) == (None, "G")
    children = next(p for p in taxonomies.affected_persons() if p.name == "Children")
    assert children == AffectedPerson("Children", ("Children", "children"))
    target = next(t for t in taxonomies.sdg_targets() if t.target == "16.3")
    assert isinstance(target, SdgTarget)
    assert (target.goal, target.goal_short_name) == (16, "Peace, justice and strong institutions")
    assert target.text.startswith("Promote the rule of law")


def test_loaders_are_cached() -> None:
    assert taxonomies.themes() is taxonomies.themes()
    assert taxonomies.sdg_targets() is taxonomies.sdg_targets()


# --- themes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # By code, in any case.
        ("D51", "D51"),
        ("d51", "D51"),
        # Coded names, exactly and with "&"/"and", case and space differences.
        ("Administration of justice & fair trial", "D51"),
        ("Violence against women", "F13"),
        ("Constitutional & legislative framework", "A41"),
        ("constitutional and legislative framework", "A41"),
        (" Participation of women in political & public life ", "F14"),
        ("Rights related to name, identity & nationality", "D6"),
        ("Budget &resources (for human rights implementation)", "A63"),
        # The exact wording wins over a fold: B31 is the matrices' "&" wording.
        ("Equality & non-discrimination", "B31"),
        ("Equality and non-discrimination", "B3"),
        # Same name at two levels: the more general code.
        ("Right to development", "B4"),
        # Newer names with no code resolve to their canonical spelling.
        ("Sexual & gender-based violence", "Sexual & gender-based violence"),
        ("sexual and gender-based violence", "Sexual & gender-based violence"),
        (
            "Ratification of & accession to international instruments",
            "Ratification of & accession to international instruments",
        ),
    ],
)
def test_resolve_theme(label: str, expected: str) -> None:
    assert resolve_theme(label) == expected


@pytest.mark.parametrize("label", ["", "  ", "Land & property rights", "Z9", "Quantum rights"])
def test_unknown_themes(label: str) -> None:
    assert resolve_theme(label) is None


def test_every_reference_theme_resolves_to_itself() -> None:
    for theme in taxonomies.themes():
        assert resolve_theme(theme.code) == theme.code
    for name in taxonomies.theme_names_uncoded():
        assert resolve_theme(name) is not None


# --- affected persons ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Children", "Children"),
        ("children", "Children"),
        ("Women & girls", "Women & girls"),
        ("women and girls", "Women & girls"),
        ("Youth & juveniles", "Youth & juveniles"),
        ("Vulnerable persons/groups", "Vulnerable persons/groups"),
        ("vulnerable persons / groups", "Vulnerable persons/groups"),
        (
            "lesbian, gay, bisexual, transgender and intersex persons (LGBTI)",
            "Lesbian, gay, bisexual and transgender and intersex persons (LGBTI)",
        ),
        (
            "Minorities/ racial, ethnic, linguistic, religious or descent-based groups",
            "Minorities / racial, ethnic, linguistic, religious or descent-based groups",
        ),
        ("  Judges, lawyers and prosecutors ", "Judges, lawyers and prosecutors"),
        ("Roma, Gypsies, Sinti and Travellers", "Roma, Gypsies, Sinti & Travellers"),
    ],
)
def test_resolve_affected_person(label: str, expected: str) -> None:
    assert resolve_affected_person(label) == expected


@pytest.mark.parametrize("label", ["", "Martians", "Women & men"])
def test_unknown_affected_persons(label: str) -> None:
    assert resolve_affected_person(label) is None


def test_every_affected_person_spelling_resolves() -> None:
    for person in taxonomies.affected_persons():
        for spelling in (person.name, *person.spellings):
            assert resolve_affected_person(spelling) == person.name


# --- SDGs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("16.3", ["16.3"]),
        ("1.a", ["1.a"]),
        ("16.A", ["16.a"]),
        ("16.10", ["16.10"]),
        ("Goal 16", ["16"]),
        ("SDG 5", ["5"]),
        ("sdg 16.3", ["16.3"]),
        ("Target 1.a", ["1.a"]),
        ("16 - PEACE, JUSTICE AND STRONG INSTITUTIONS", ["16"]),
        ("5 - GENDER EQUALITY", ["5"]),
        ("16.2 - Protect children from abuse, exploitation, trafficking and violence", ["16.2"]),
        ("16.a - Strong institutions to prevent violence, terrorism and crime", ["16.a"]),
        ("Goals 5, 11, 13 and 16", ["5", "11", "13", "16"]),
        ("Peace, justice and strong institutions", ["16"]),
        ("Gender equality", ["5"]),
    ],
)
def test_resolve_sdg(label: str, expected: list[str]) -> None:
    assert resolve_sdg(label) == expected


@pytest.mark.parametrize(
    "label", ["", "18", "0", "16.13", "1.z", "16.3.1", "18 - NEW GOAL", "Goals 5 and 19", "Peace"]
)
def test_unknown_sdgs(label: str) -> None:
    assert resolve_sdg(label) == []


def test_every_target_and_goal_resolves() -> None:
    for target in taxonomies.sdg_targets():
        assert resolve_sdg(f"{target.target} - {target.text}") == [target.target]
        assert resolve_sdg(f"{target.goal} - {target.goal_short_name.upper()}") == [
            str(target.goal)
        ]
