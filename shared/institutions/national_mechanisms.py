"""Rules of national mechanisms for implementation, reporting and follow-up: members, meeting
calendar and focal points (personal data, redacted in the audit log)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.errors import Conflict
from shared.institutions.models import NationalMechanism
from shared.institutions.repository import MechanismRepository
from shared.institutions.schemas import (
    REDACTED,
    CalendarEntry,
    FocalPointIn,
    NationalMechanismIn,
    NationalMechanismOut,
    NationalMechanismPatch,
)
from shared.institutions.service import (
    country_code,
    may_see_personal_data,
    resolve_institution_ids,
    resolve_institutions,
)
from shared.kernel.concurrency import require_version
from shared.kernel.patches import merge_patch
from shared.kernel.shapes import row_from, shape_of
from shared.pagination import Page, decode_cursor, encode_cursor, split_page

# --- national mechanisms ---------------------------------------------------------------------


async def _mechanisms_out(
    session: AsyncSession, actor: Actor | None, rows: Sequence[NationalMechanism]
) -> list[NationalMechanismOut]:
    repo = MechanismRepository(session)
    members = await repo.members([r.id for r in rows])
    visible = [r.id for r in rows if may_see_personal_data(actor, r.country)]
    focal = await repo.focal_points(visible) if visible else {}
    return [
        # Focal points are personal data: None where the caller may not see them.
        shape_of(NationalMechanismOut, r, members=members[r.id], focal_points=focal.get(r.id))
        for r in rows
    ]


async def list_mechanisms(
    session: AsyncSession,
    actor: Actor | None,
    countries: Sequence[str],
    *,
    cursor: str | None,
    limit: int,
) -> Page[NationalMechanismOut]:
    after = str(decode_cursor(cursor, "national-mechanisms", [str])[0]) if cursor else None
    rows = await MechanismRepository(session).page(countries, after=after, limit=limit + 1)
    page, next_cursor = split_page(
        rows, limit, lambda r: encode_cursor("national-mechanisms", [r.country])
    )
    return Page(items=await _mechanisms_out(session, actor, page), next_cursor=next_cursor)


async def _mechanism_out(
    session: AsyncSession, actor: Actor | None, row: NationalMechanism
) -> NationalMechanismOut:
    return (await _mechanisms_out(session, actor, [row]))[0]


async def _mechanism(session: AsyncSession, ident: uuid.UUID) -> NationalMechanism:
    return await MechanismRepository(session).found("national mechanism", ident)


async def get_mechanism(
    session: AsyncSession, actor: Actor | None, ident: uuid.UUID
) -> NationalMechanismOut:
    return await _mechanism_out(session, actor, await _mechanism(session, ident))


def _calendar(entries: Sequence[CalendarEntry]) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in sorted(entries, key=lambda e: e.due_date)]


async def _focal_rows(
    session: AsyncSession, country: str, points: Sequence[FocalPointIn]
) -> list[dict[str, Any]]:
    ids = [p.institution_id for p in points if p.institution_id is not None]
    await resolve_institutions(session, country, ids, "focal_points")
    return [
        {
            "name": p.name.strip(),
            "role": p.role,
            "contact": p.contact,
            "institution_id": p.institution_id,
        }
        for p in points
    ]


def _mechanism_snapshot(
    row: NationalMechanism, member_ids: Sequence[uuid.UUID], focal_count: int
) -> dict[str, Any]:
    return {
        "country": row.country,
        "name": row.name,
        "legal_basis": row.legal_basis,
        "established_on": row.established_on.isoformat() if row.established_on else None,
        "member_institution_ids": [str(i) for i in member_ids],
        "reporting_calendar": row.reporting_calendar,
        # Never the personal data itself.
        "focal_points": f"{REDACTED} x{focal_count}",
    }


async def create_mechanism(
    session: AsyncSession, actor: Actor, data: NationalMechanismIn
) -> NationalMechanismOut:
    country = country_code(data.country)
    actor.require_country(country)
    repo = MechanismRepository(session)
    if await repo.by_country(country) is not None:
        raise Conflict(f"{country} already has a national mechanism", code="duplicate")
    members = await resolve_institution_ids(
        session, country, data.member_institution_ids, "member_institution_ids"
    )
    focal = await _focal_rows(session, country, data.focal_points)
    row = row_from(
        NationalMechanism,
        data,
        country=country,
        name=data.name.strip(),
        reporting_calendar=_calendar(data.reporting_calendar),
        version=1,
    )
    await repo.insert(row)
    await repo.set_members(row.id, members)
    await repo.set_focal_points(row.id, focal)
    audit.record_change(
        session,
        actor,
        "national_mechanism.create",
        row.id,
        after=_mechanism_snapshot(row, members, len(focal)),
    )
    return await _mechanism_out(session, actor, row)


async def patch_mechanism(
    session: AsyncSession,
    actor: Actor,
    ident: uuid.UUID,
    version: int,
    data: NationalMechanismPatch,
) -> NationalMechanismOut:
    repo = MechanismRepository(session)
    row = await _mechanism(session, ident)
    actor.require_country(row.country)
    changes = merge_patch(
        data, ("name", "member_institution_ids", "focal_points", "reporting_calendar")
    )
    require_version("national mechanism", row.version, version)
    old_members = [m.id for m in (await repo.members([ident]))[ident]]
    old_focal_count = await repo.focal_point_count(ident)
    before = _mechanism_snapshot(row, old_members, old_focal_count)
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = changes["name"].strip()
    for key in ("legal_basis", "established_on"):
        if key in changes:
            values[key] = changes[key]
    if data.reporting_calendar is not None:
        values["reporting_calendar"] = _calendar(data.reporting_calendar)
    members = old_members
    if data.member_institution_ids is not None:
        members = await resolve_institution_ids(
            session, row.country, data.member_institution_ids, "member_institution_ids"
        )
    focal = None
    if data.focal_points is not None:
        focal = await _focal_rows(session, row.country, data.focal_points)
    await repo.update_row("national mechanism", row, version, values)
    if data.member_institution_ids is not None:
        await repo.set_members(ident, members)
    if focal is not None:
        await repo.set_focal_points(ident, focal)
    audit.record_change(
        session,
        actor,
        "national_mechanism.update",
        ident,
        before=before,
        after=_mechanism_snapshot(row, members, old_focal_count if focal is None else len(focal)),
    )
    return await _mechanism_out(session, actor, row)
