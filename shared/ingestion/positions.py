"""Positions from the wording of WG-report lead-in paragraphs and Add.1 statements."""

from __future__ import annotations

import re

# Order matters: negative wordings contain the positive ones ("did not enjoy the support").
_LEAD_IN_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "noted",
        re.compile(r"\b(?:did|do|does)\s+not\s+(?:enjoy|receive|have)\s+(?:the\s+)?support", re.I),
    ),
    (
        "noted",
        re.compile(
            r"\bwould\s+thus\s+be\s+noted|\b(?:are|were|was|is|be(?:en)?)\s+(?:duly\s+)?noted\b",
            re.I,
        ),
    ),
    (
        "noted",
        re.compile(
            r"\b(?:were|are|was|have\s+been)\s+rejected\b|\bnot\s+(?:be\s+)?accepted\b|\bnoted\s+the\s+following\s+recommendations\b|\btook\s+note\b|\btakes?\s+note\b",
            re.I,
        ),
    ),
    (
        "partially_supported",
        re.compile(
            r"\bpartial(?:ly)?\s+(?:support|accept)|\bsupports?\s+(?:them\s+)?(?:in\s+)?part", re.I
        ),
    ),
    (
        "pending",
        re.compile(
            r"\bwill\s+(?:be\s+(?:further\s+)?examined|examine)\b|\bwould\s+study\b|\bwill\s+provide\s+(?:its\s+)?answers?\b|\bwill\s+be\s+examined\b|\bresponses?\s+in\s+due\s+(?:time|course)\b|\bwill\s+(?:provide|give)\s+(?:its\s+)?responses?\b|\bwill\s+be\s+(?:further\s+)?(?:considered|studied)\b",
            re.I,
        ),
    ),
    (
        "supported",
        re.compile(
            r"\benjoy(?:s|ed)?\s+(?:the\s+|its\s+|their\s+)?support\b|\balready\s+(?:been\s+)?implemented\b|\bin\s+the\s+process\s+of\s+(?:being\s+)?implement|\b(?:were|are|have\s+been)\s+(?:accepted|supported)\b"
            r"|\bagrees?\s+to\s+follow\s+up\b|\baccepts?\s+(?:the\s+|these\s+|all\s+)?(?:following\s+)?recommendations\b",
            re.I,
        ),
    ),
    (
        "no_position",
        re.compile(
            r"\bfollowing\s+recommendations\s+were\s+(?:made|formulated|put\s+forward)\b|\brecommendations\s+were\s+made\s+to\b|\brecommendations\s+(?:were\s+)?made\s+during\b"
            r"|\bit\s+was\s+recommended\b|\brecommendations\s+as\s+follows\b|\bpresented\s+(?:the\s+following\s+)?recommendations\b",
            re.I,
        ),
    ),
)


def _first_match(
    rules: tuple[tuple[str, re.Pattern[str]], ...], text: str
) -> tuple[str, str] | None:
    """(position, matched wording) of the first rule whose pattern occurs in ``text``."""
    for position, pattern in rules:
        match = pattern.search(text)
        if match:
            return position, match.group(0)
    return None


def lead_in_position(text: str) -> tuple[str, str] | None:
    """(position, deciding wording) for a lead-in paragraph, or None."""
    return _first_match(_LEAD_IN_RULES, text)


_STATEMENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("partially_supported", re.compile(r"\bpartial(?:ly)?\b|\bin\s+part\b", re.I)),
    (
        "noted",
        re.compile(
            r"\b(?:does|do|can|could)\s*(?:not|n't)\s+(?:accept|support)|\bcannot\s+(?:accept|support)|\breject|\bnot\s+(?:be\s+)?(?:accepted|supported)|\btakes?\s+note|\bnotes?\b|\bnoted\b|\bcannot\b[^.]{0,60}\b(?:definitive|commit|position)",
            re.I,
        ),
    ),
    ("supported", re.compile(r"\baccept|\bsupport|\bagrees?\b|\benjoys?\b", re.I)),
)


def statement_position(text: str) -> tuple[str, str] | None:
    """(position, wording) for an Add.1 statement such as "The Government accepts ..."."""
    return _first_match(_STATEMENT_RULES, text)


_MATRIX_POSITIONS = (
    ("partially_supported", re.compile(r"support\w*\s*/\s*not|partial|in part", re.I)),
    ("noted", re.compile(r"\bnot\s*(?:ed|e|supported|accepted)\b|\breject|\bnoted\b", re.I)),
    ("supported", re.compile(r"\bsupport|\baccept", re.I)),
    ("pending", re.compile(r"\bpending\b", re.I)),
)


def matrix_position(cell: str) -> str | None:
    """Position of a matrix "Position" cell ("Supported", "Noted", "Supported/Noted")."""
    for position, pattern in _MATRIX_POSITIONS:
        if pattern.search(cell):
            return position
    return None
