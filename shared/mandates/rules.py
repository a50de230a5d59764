"""Rules shared by mandates and programmes: where (country or region), when (period and
status), and who may write a place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.sql.elements import SQLCoreOperations

from shared.auth.schemas import Actor
from shared.errors import Forbidden
from shared.kernel import validation
from shared.kernel.validation import Problems


@dataclass(frozen=True, slots=True)
class Place:
    country: str | None
    region: str | None
    countries: list[str]


def place(
    country: str | None, region: str | None, countries: Sequence[str], problems: Problems
) -> Place:
    """A country (ISO3) or a region label with the countries it covers, never both."""
    region = " ".join(region.split()) if region else None
    if country and region:
        problems.add("region", "give either country or region (with countries), not both")
        return Place(None, None, [])
    if country:
        codes = validation.countries([country], "country", problems)
        if countries and set(validation.countries(countries, "countries", problems)) != set(codes):
            problems.add("countries", "a country resource covers its own country only")
        return Place(codes[0] if codes else None, None, list(codes))
    if region:
        codes = validation.countries(countries, "countries", problems)
        if not countries:
            problems.add("countries", "a regional resource lists the countries it covers (ISO3)")
        return Place(None, region, list(codes))
    problems.add("country", "give a country (ISO3) or a region with its countries")
    return Place(None, None, [])


def merge_place(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A JSON merge ``patch`` on the ``base`` fields of a resource with a place: moving to
    a region leaves the country, and moving to a country leaves the region and its
    countries."""
    if patch.get("region") and "country" not in patch:
        patch["country"] = None
    if patch.get("country") and "region" not in patch:
        patch["region"] = None
        patch.setdefault("countries", [])
    return {**base, **patch}


def period(start: dt.date | None, end: dt.date | None, problems: Problems) -> None:
    if start is not None and end is not None and end < start:
        problems.add("end_date", f"the end ({end}) is before the start ({start})")


def require_countries(actor: Actor, countries: Sequence[str]) -> None:
    """A key limited to countries may write a resource only if it may write every
    country the resource covers (a regional one included)."""
    if actor.countries is None:
        return
    denied = sorted(set(countries) - actor.countries)
    if denied or not countries:
        raise Forbidden(
            f"this API key may not write data of {', '.join(denied) or 'this resource'}",
            code="country_not_allowed",
        )


def mandate_status(start: dt.date, end: dt.date | None, today: dt.date, expiring_days: int) -> str:
    """planned (starts later), active, expiring (ends within the window), expired."""
    if start > today:
        return "planned"
    if end is not None and end < today:
        return "expired"
    if end is not None and end <= today + dt.timedelta(days=expiring_days):
        return "expiring"
    return "active"


def programme_status(start: dt.date, end: dt.date, today: dt.date) -> str:
    """planned (starts later), active, completed (ended)."""
    if start > today:
        return "planned"
    if end < today:
        return "completed"
    return "active"


def status_clause(
    start: SQLCoreOperations[dt.date],
    end: SQLCoreOperations[dt.date] | SQLCoreOperations[dt.date | None],
    status: str,
    today: dt.date,
    expiring_days: int | None,
) -> ColumnElement[bool]:
    """One status as a condition on the dates only, so the date indexes serve it.

    ``expiring_days=None`` (programmes): no expiring window, active = started, not ended.
    """
    until = today + dt.timedelta(days=expiring_days) if expiring_days is not None else None
    if status == "planned":
        return start > today
    if status in ("expired", "completed"):
        return end < today
    if status == "expiring" and until is not None:
        return and_(start <= today, end >= today, end <= until)
    if status == "active":
        last = until if until is not None else today - dt.timedelta(days=1)
        return and_(start <= today, or_(end.is_(None), end > last))
    raise ValueError(status)


def active_on_clause(
    start: SQLCoreOperations[dt.date],
    end: SQLCoreOperations[dt.date] | SQLCoreOperations[dt.date | None],
    day: dt.date,
) -> ColumnElement[bool]:
    """Running on ``day``: started, and not ended before it."""
    return and_(start <= day, or_(end.is_(None), end >= day))
