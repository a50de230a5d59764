"""Sustainable Development Goals: the goals that SDG targets ("16.3") belong to."""

from __future__ import annotations

from collections.abc import Sequence


def sdg_goals_of(targets: Sequence[str]) -> list[int]:
    return sorted(
        {
            int(t.split(".")[0])
            for t in targets
            if t.split(".")[0].isascii() and t.split(".")[0].isdigit()
        }
    )
