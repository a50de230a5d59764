"""Input problems (one 422 listing every bad field) and the validators of values that name
reference data: countries, mechanisms, themes, affected persons, SDG goals and targets,
institution names."""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
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

    def resolved(
        self,
        field: str,
        values: Iterable[str],
        resolve: Callable[[str], str | None],
        unknown: Callable[[str], str],
    ) -> tuple[str, ...]:
        """The canonical form ``resolve`` gives each value, without repeats, in order; a
        problem (message ``unknown(value)``) for each value it does not know."""
        out = []
        for value in values:
            resolved = resolve(value)
            if resolved is None:
                self.add(field, unknown(value))
            else:
                out.append(resolved)
        return tuple(dict.fromkeys(out))

    def raise_if_any(self) -> None:
        if self.errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)
            raise InvalidInput(detail, errors=self.errors)


# What a 422 says of a value that names nothing known ({!r}: the value).
_UNKNOWN_COUNTRY = (
    "unknown country code {!r}: use ISO 3166-1 alpha-3 codes (the list is at /v1/countries)"
)
_UNKNOWN_THEME = (
    "unknown theme {!r}: use a UHRI theme code or name (the list is at /v1/taxonomies/themes)"
)
_UNKNOWN_AFFECTED_PERSONS = (
    "unknown affected-persons group {!r} (the list is at /v1/taxonomies/affected-persons)"
)


def _code_in(allowed: Container[str]) -> Callable[[str], str | None]:
    """Resolves a code written in any case, with spaces around it, when ``allowed`` has it."""

    def resolve(value: str) -> str | None:
        code = value.strip().upper()
        return code if code in allowed else None

    return resolve


def countries(values: Iterable[str], field: str, problems: Problems) -> tuple[str, ...]:
    return problems.resolved(field, values, _code_in(by_iso3()), _UNKNOWN_COUNTRY.format)


def mechanism_codes(values: Iterable[str], field: str, problems: Problems) -> tuple[str, ...]:
    allowed = {m.code for m in mechanisms()}

    def unknown(value: str) -> str:
        return f"unknown mechanism {value!r}; allowed: {sorted(allowed)}"

    return problems.resolved(field, values, _code_in(allowed), unknown)


def themes(values: Iterable[str], field: str, problems: Problems) -> tuple[str, ...]:
    return problems.resolved(field, values, taxonomies.resolve_theme, _UNKNOWN_THEME.format)


def affected_persons(values: Iterable[str], field: str, problems: Problems) -> tuple[str, ...]:
    resolve = taxonomies.resolve_affected_person
    return problems.resolved(field, values, resolve, _UNKNOWN_AFFECTED_PERSONS.format)


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


def _institution_name(value: str) -> str | None:
    """The name with its white space folded; None when empty or over 300 characters."""
    name = " ".join(value.split())
    return name if name and len(name) <= 300 else None


def institutions(values: Iterable[str], field: str, problems: Problems) -> tuple[str, ...]:
    def unknown(_value: str) -> str:
        return "institution names must have 1 to 300 characters"

    return problems.resolved(field, values, _institution_name, unknown)
