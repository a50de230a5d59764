"""Natural keys of paragraph ids, so that 115.2 sorts before 115.10."""

from __future__ import annotations


def natural_key(paragraph: str) -> list[int]:
    """The sort key of a paragraph id: its numbers, so 115.2 sorts before 115.10."""
    numbers: list[int] = []
    current = ""
    for ch in paragraph:
        if "0" <= ch <= "9":  # not isdigit(): "¹" is a digit int() refuses
            current += ch
        elif current:
            numbers.append(int(current))
            current = ""
    if current:
        numbers.append(int(current))
    return [min(n, 2_000_000_000) for n in numbers] or [0]
