"""Recommending-State lists as printed in parentheses: split, resolve, never drop."""

from __future__ import annotations

import re

from shared.ingestion.parsed import RecommendingState
from shared.reference.countries import resolve

_QUALIFIER = re.compile(
    r"\s*,?\s*(?:on behalf of|speaking on behalf of|also on behalf of)\b.*$", re.I
)
_AND = re.compile(r"\s+(?:and|&)\s+", re.I)
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'’.\-]*|of|and|the|de|d'|du|des|la|le|&|\(|\))+$")
_DIGIT = re.compile(r"\d")
# Words that mark an instrument or body, never a State ("Paris Principles", "OP CAT").
_NOT_A_STATE = re.compile(
    r"\b(?:Conventions?|Protocols?|Principles|Covenant|Statute|Declaration|Committee|Council|"
    r"Rules|OP|Agenda|Programme|Plan|Law|Act)\b"
)


def split_top_level(content: str) -> list[str]:
    """Split on ``;``, ``,`` and ``/`` outside nested parentheses."""
    pieces: list[str] = []
    depth = 0
    current: list[str] = []
    for char in content:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if depth == 0 and char in ";,/":
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return [p.strip(" .;:\t\n") for p in pieces if p.strip(" .;:\t\n")]


def looks_like_name(piece: str) -> bool:
    """A plausible State name: capitalised words and connectors, no digits, short."""
    if not piece or len(piece) > 80 or _DIGIT.search(piece) or _NOT_A_STATE.search(piece):
        return False
    words = piece.replace("(", " ( ").replace(")", " ) ").split()
    if len(words) == 1 and piece.isupper() and len(piece) > 1 and resolve(piece) is None:
        return False  # an acronym such as "ICRMW", not a State
    return bool(words) and words[0][:1].isupper() and all(_NAME_WORD.match(w) for w in words)


def _resolve_piece(piece: str) -> list[RecommendingState]:
    iso3 = resolve(piece)
    if iso3:
        return [RecommendingState(piece, iso3)]
    # "Denmark and Mexico": split only when every part is a known State.
    parts = _AND.split(piece)
    if len(parts) > 1:
        resolved = [resolve(p) for p in parts]
        if all(resolved):
            return [RecommendingState(p, r) for p, r in zip(parts, resolved, strict=True)]
    return [RecommendingState(piece, None)]


def parse_state_list(content: str) -> list[RecommendingState]:
    """States in one parenthesis: ``France``, ``Spain, Tunisia``, ``Iran (Islamic Republic of)``."""
    content = " ".join(content.split())
    pieces = split_top_level(content)
    states: list[RecommendingState] = []
    i = 0
    while i < len(pieces):
        piece = _QUALIFIER.sub("", pieces[i]).strip()
        if not piece:
            i += 1
            continue
        # Inverted names split by the comma: "Venezuela, Bolivarian Republic of".
        if resolve(piece) is None and i + 1 < len(pieces):
            joined = f"{piece}, {pieces[i + 1]}"
            if resolve(joined):
                states.append(RecommendingState(joined, resolve(joined)))
                i += 2
                continue
        states.extend(_resolve_piece(piece))
        i += 1
    return states


def is_state_list(content: str, *, trailing: bool) -> bool:
    """Whether a parenthesis holds States. Trailing ones need only look like names."""
    content = " ".join(content.split())
    pieces = [_QUALIFIER.sub("", p).strip() for p in split_top_level(content)]
    pieces = [p for p in pieces if p]
    if not pieces:
        return False
    # ISO3-looking acronyms inside a sentence ("CAT") are treaty names, not States.
    resolved = [resolve(p) if not (len(p) <= 4 and p.isupper()) else None for p in pieces]
    if trailing:
        return any(resolved) or all(looks_like_name(p) for p in pieces)
    return any(resolved) and all(
        r or looks_like_name(p) for p, r in zip(pieces, resolved, strict=True)
    )
