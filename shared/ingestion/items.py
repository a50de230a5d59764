"""One recommendation item's text: its parentheses, recommending States and clean text."""

from __future__ import annotations

import re

from shared.ingestion.names import is_state_list, parse_state_list
from shared.ingestion.parsed import RecommendingState

_TRAILING_JUNK = re.compile(r"[\s;,.:]+(?:and|or)?[\s;,.:]*$")
_BETWEEN_PARENS = re.compile(r"^[\s;,.:/]*(?:and\s+)?$")


def paren_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level parenthesis, end exclusive; unbalanced ones ignored."""
    spans: list[tuple[int, int]] = []
    depth = 0
    start = -1
    for i, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = i
            depth += 1
        elif char == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def states_in_item(text: str) -> tuple[list[RecommendingState], int]:
    """Recommending States of an item and where its recommendation prose ends.

    The trailing group (consecutive parentheses at the end) is always read as States;
    parentheses inside the sentence count only when they resolve ("joining (Algeria)/
    sign and ratify (Egypt)"). Returns the index just past the last State parenthesis,
    so that stray prose after the item (a note by the State under review) can be cut.
    """
    spans = paren_spans(text)
    tail_end = len(_TRAILING_JUNK.sub("", text))
    trailing: set[int] = set()
    position = tail_end
    for index in range(len(spans) - 1, -1, -1):
        start, end = spans[index]
        if _BETWEEN_PARENS.match(text[end:position]):
            trailing.add(index)
            position = start
        else:
            break
    states: list[RecommendingState] = []
    last_end = -1
    for index, (start, end) in enumerate(spans):
        content = text[start + 1 : end - 1]
        if is_state_list(content, trailing=index in trailing):
            states.extend(parse_state_list(content))
            last_end = end
    return _dedupe(states), last_end


def _dedupe(states: list[RecommendingState]) -> list[RecommendingState]:
    seen: set[str] = set()
    out: list[RecommendingState] = []
    for state in states:
        key = state.iso3 or state.name.lower()
        if key not in seen:
            seen.add(key)
            out.append(state)
    return out


def strip_terminator(text: str) -> str:
    return text.strip().rstrip(";,").rstrip().removesuffix(" and").rstrip(";, ")
