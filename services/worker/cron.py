"""The "MINUTE HOUR" schedules of the worker's settings, as arq cron arguments."""

from __future__ import annotations

from typing import TypedDict


class CronArgs(TypedDict, total=False):
    """The schedule arguments of arq's ``cron`` (None: every value)."""

    minute: int | set[int] | None
    hour: int | set[int] | None


def _field(value: str, upper: int) -> int | set[int] | None:
    """One cron field: ``*``, ``*/n``, ``a,b,c`` or a number (arq's minute/hour values)."""
    value = value.strip()
    if value == "*":
        return None
    if value.startswith("*/"):
        step = int(value[2:])
        if step < 1:
            raise ValueError(value)
        return set(range(0, upper, step))
    numbers = {int(v) for v in value.split(",")}
    if any(not 0 <= n < upper for n in numbers):
        raise ValueError(value)
    return numbers


def parse_schedule(spec: str, *, setting: str, example: str) -> CronArgs | None:
    """``spec`` ("MINUTE HOUR") as arq cron arguments; None for "off". Errors name the
    ``setting`` the operator wrote and an ``example`` of a valid value."""
    if spec.strip().lower() in ("off", "none", ""):
        return None
    parts = spec.split()
    if len(parts) != 2:
        raise ValueError(
            f"{setting} must be 'MINUTE HOUR' (e.g. '{example}') or 'off', not {spec!r}"
        )
    try:
        return CronArgs(minute=_field(parts[0], 60), hour=_field(parts[1], 24))
    except ValueError:
        raise ValueError(f"{setting} {spec!r}: use *, */n, a,b or numbers") from None
