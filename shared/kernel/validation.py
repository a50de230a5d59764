"""Input problems (one 422 listing every bad field) and the validators of values that name
reference data: countries, mechanisms, themes, affected persons, SDG goals and targets,
institution names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from shared.errors import InvalidInput
from shared.reference import taxonomies
from shared.reference.countries import by_iso3
from shared.reference.mechanisms import mechanisms

_SDG_TARGET = re.compile(r"^(\d{1,2})\.(\d{1,2}|[a-z])$")


class Problems:
    """Collects one error per bad field value, raised together as one 422."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.errors: list[dict[str, object]] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(
            {
                "loc": [self.location, field],
                "field": field,
                "message": message,
                "type": "value_error",
            }
        )

    def raise_if_any(self) -> None:
        if self.errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)
            raise InvalidInput(detail, errors=self.errors)


def countries(values: Iterable[str], field: str, problems: Problems) -> tuple[str, ...]:
    out = []
    for value in values:
        code = value.strip().upper()
        if code in by_iso3():
            out.append(code)
        else:
            problems.add(
                field,
                f"unknown country code {value!r}: use ISO 3166-1 alpha-3 codes"
                " (the list is at /v1/countries)",
            )
    return tuple(dict.fromkeys(out))


def mechanism_codes(values: Iterable[str], field: str, problems: Problems) -> tuple[str, ...]:
    allowed = {m.code for m in mechanisms()}
    out = []
    for value in values:
        code = value.strip().upper()
        if code in allowed:
            out.append(code)
        else:
            problems.add(field, f"unknown mechanism {value!r}; allowed: {sorted(allowed)}")
    return tuple(dict.fromkeys(out))


def themes(values: Iterable[str], field: str, problems: Problems) -> tuple[str, ...]:
    out = []
    for value in values:
        resolved = taxonomies.resolve_theme(value)
        if resolved is None:
            problems.add(
                field,
                f"unknown theme {value!r}: use a UHRI theme code or name"
                " (the list is at /v1/taxonomies/themes)",
            )
        else:
            out.append(resolved)
    return tuple(dict.fromkeys(out))


def affected_persons(values: Iterable[str], field: str, problems: Problems) -> tuple[str, ...]:
    out = []
    for value in values:
        resolved = taxonomies.resolve_affected_person(value)
        if resolved is None:
            problems.add(
                field,
                f"unknown affected-persons group {value!r}"
                " (the list is at /v1/taxonomies/affected-persons)",
            )
        else:
            out.append(resolved)
    return tuple(dict.fromkeys(out))


@cache
def _sdg_target_codes() -> frozenset[str]:
    return frozenset(t.target for t in taxonomies.sdg_targets())


def sdg(
    values: Iterable[str], field: str, problems: Problems, *, goals_allowed: bool = True
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """SDG goals ("16") and targets ("16.3") named by ``values``."""
    goals: list[int] = []
    targets: list[str] = []
    known_targets = _sdg_target_codes()
    for value in values:
        code = value.strip().lower()
        if goals_allowed and code.isascii() and code.isdigit() and 1 <= int(code) <= 17:
            goals.append(int(code))
        elif _SDG_TARGET.match(code) and code in known_targets:
            targets.append(code)
        else:
            what = "an SDG goal (1-17) or target (e.g. 16.3)" if goals_allowed else "an SDG target"
            problems.add(
                field, f"{value!r} is not {what} (the list is at /v1/taxonomies/sdg-targets)"
            )
    return tuple(dict.fromkeys(goals)), tuple(dict.fromkeys(targets))


def institutions(values: Iterable[str], field: str, problems: Problems) -> tuple[str, ...]:
    out = []
    for value in values:
        name = " ".join(value.split())
        if not name or len(name) > 300:
            problems.add(field, "institution names must have 1 to 300 characters")
        else:
            out.append(name)
    return tuple(dict.fromkeys(out))
