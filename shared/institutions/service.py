"""Rules of institutions, recommendation owners and national mechanisms.

Focal points of a national mechanism are personal data: they are read from the database
only for a caller with ``personal_data:read`` (or admin) who may write that State's data,
and the audit log records a redacted marker instead of their contents.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth.schemas import Actor, Scope
from shared.errors import Conflict, InvalidCursor, InvalidInput
from shared.institutions import csvio
from shared.institutions.models import INSTITUTION_KINDS, Institution
from shared.institutions.repository import InstitutionRepository
from shared.institutions.schemas import (
    ImportReport,
    InstitutionFilter,
    InstitutionIn,
    InstitutionOut,
    InstitutionPatch,
    InstitutionRef,
)
from shared.kernel import validation
from shared.kernel.concurrency import require_version
from shared.pagination import Page, decode_cursor, encode_cursor, split_page
from shared.recommendations.repository import RecommendationRepository


def country_code(value: str, field: str = "country") -> str:
    problems = validation.Problems("body")
    codes = validation.countries([value], field, problems)
    problems.raise_if_any()
    return codes[0]


def clean_name(value: str, field: str = "name") -> str:
    problems = validation.Problems("body")
    names = validation.institutions([value], field, problems)
    problems.raise_if_any()
    return names[0]


def may_see_personal_data(actor: Actor | None, country: str) -> bool:
    return (
        actor is not None
        and actor.has(Scope.PERSONAL_DATA_READ)
        and actor.may_write_country(country)
    )


# --- institutions ----------------------------------------------------------------------------


def institution_out(row: Institution) -> InstitutionOut:
    return InstitutionOut.model_validate(row, from_attributes=True)


def _snapshot(row: Institution) -> dict[str, Any]:
    return {"country": row.country, "name": row.name, "kind": row.kind, "acronym": row.acronym}


async def list_institutions(
    session: AsyncSession, f: InstitutionFilter, *, cursor: str | None, limit: int
) -> Page[InstitutionOut]:
    after = None
    if cursor:
        country, name, ident = decode_cursor(cursor, "institutions", [str, str, str])
        try:
            if "\x00" in country + name:
                raise ValueError("NUL")
            after = (country, name, uuid.UUID(ident))
        except ValueError:
            raise InvalidCursor("the cursor is malformed") from None
    if f.q is not None and "\x00" in f.q:
        raise InvalidInput("q may not contain NUL characters")
    rows = await InstitutionRepository(session).page(f, after=after, limit=limit + 1)
    page, next_cursor = split_page(
        rows, limit, lambda r: encode_cursor("institutions", [r.country, r.name, str(r.id)])
    )
    return Page(items=[institution_out(r) for r in page], next_cursor=next_cursor)


async def get_institution(session: AsyncSession, ident: uuid.UUID) -> Institution:
    return await InstitutionRepository(session).found("institution", ident)


async def create_institution(
    session: AsyncSession, actor: Actor, data: InstitutionIn
) -> InstitutionOut:
    country = country_code(data.country)
    actor.require_country(country)
    name = clean_name(data.name)
    repo = InstitutionRepository(session)
    if await repo.by_names(country, [name]):
        raise Conflict(f"{country} already has an institution named {name!r}", code="duplicate")
    row = Institution(
        id=uuid.uuid4(), country=country, name=name, kind=data.kind, acronym=data.acronym, version=1
    )
    await repo.insert(row)
    audit.record_change(session, actor, "institution.create", row.id, after=_snapshot(row))
    return institution_out(row)


async def patch_institution(
    session: AsyncSession, actor: Actor, ident: uuid.UUID, version: int, data: InstitutionPatch
) -> InstitutionOut:
    repo = InstitutionRepository(session)
    row = await get_institution(session, ident)
    actor.require_country(row.country)
    require_version("institution", row.version, version)
    before = _snapshot(row)
    changes = data.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    if changes.get("name") is not None:
        values["name"] = clean_name(changes["name"])
        if values["name"] != row.name and await repo.by_names(row.country, [values["name"]]):
            raise Conflict(
                f"{row.country} already has an institution named {values['name']!r}",
                code="duplicate",
            )
    if changes.get("kind") is not None:
        values["kind"] = changes["kind"]
    if "acronym" in changes:
        values["acronym"] = changes["acronym"]
    if not values:
        return institution_out(row)
    await repo.update_row("institution", row, version, values)
    if "name" in values and values["name"] != before["name"]:
        await repo.rename_on_recommendations(ident, before["name"], values["name"])
    audit.record_change(
        session, actor, "institution.update", ident, before=before, after=_snapshot(row)
    )
    return institution_out(row)


async def import_institutions(
    session: AsyncSession, actor: Actor, country: str, body: bytes
) -> ImportReport:
    """CSV columns: name (required), kind, acronym. Known names (case-insensitive) are
    updated, new ones created; any bad row rejects the whole file."""
    country = country_code(country)
    actor.require_country(country)
    rows = csvio.read_rows(body, required=("name",), optional=("kind", "acronym"))
    errors = csvio.RowErrors()
    repo = InstitutionRepository(session)
    # Locked: the versions the updates below name stay current until the commit.
    existing = await repo.by_folded_names(country, for_update=True)
    seen: dict[str, int] = {}
    planned: list[tuple[str, str, str | None]] = []
    for number, cells in rows:
        name = " ".join(cells["name"].split())
        if not name or len(name) > 300:
            errors.add(number, "name", "a name of 1 to 300 characters is required")
            continue
        if name.casefold() in seen:
            errors.add(number, "name", f"{name!r} already appears on row {seen[name.casefold()]}")
            continue
        seen[name.casefold()] = number
        kind = (cells.get("kind") or "other").strip().lower().replace(" ", "_")
        if kind not in INSTITUTION_KINDS:
            errors.add(
                number,
                "kind",
                f"unknown kind {cells.get('kind')!r}; allowed: {list(INSTITUTION_KINDS)}",
            )
            continue
        acronym = cells.get("acronym") or None
        if acronym is not None and len(acronym) > 50:
            errors.add(number, "acronym", "at most 50 characters")
            continue
        planned.append((name, kind, acronym))
    errors.raise_if_any()

    created = updated = unchanged = 0
    for name, kind, acronym in planned:
        row = existing.get(name.casefold())
        if row is None:
            row = Institution(
                id=uuid.uuid4(), country=country, name=name, kind=kind, acronym=acronym, version=1
            )
            repo.add(row)
            await session.flush()
            created += 1
            audit.record_change(session, actor, "institution.create", row.id, after=_snapshot(row))
            continue
        # An empty acronym cell keeps the one already known.
        values = {"kind": kind, "acronym": acronym if acronym is not None else row.acronym}
        if (row.kind, row.acronym) != (values["kind"], values["acronym"]):
            before = _snapshot(row)
            await repo.update_versioned("institution", row.id, row.version, values)
            updated += 1
            audit.record_change(
                session,
                actor,
                "institution.update",
                row.id,
                before=before,
                after={**before, **values},
            )
        else:
            unchanged += 1
    return ImportReport(rows=len(rows), created=created, updated=updated, unchanged=unchanged)


async def resolve_institutions(
    session: AsyncSession, country: str, ids: Sequence[uuid.UUID], field: str
) -> list[Institution]:
    """The institutions named by id, in the order given; 422 for unknown or foreign ones."""
    ids = list(dict.fromkeys(ids))
    found = await InstitutionRepository(session).get_many(ids)
    problems = validation.Problems("body")
    out = []
    for ident in ids:
        row = found.get(ident)
        if row is None:
            problems.add(field, f"no institution {ident}")
        elif row.country != country:
            problems.add(field, f"institution {ident} belongs to {row.country}, not {country}")
        else:
            out.append(row)
    problems.raise_if_any()
    return out


async def resolve_institution_ids(
    session: AsyncSession, country: str, ids: Sequence[uuid.UUID], field: str
) -> list[uuid.UUID]:
    """The ids of ``resolve_institutions``: each once, in the order given, all of
    ``country`` (else 422)."""
    return [i.id for i in await resolve_institutions(session, country, ids, field)]


# --- owners of a recommendation --------------------------------------------------------------


async def owners(session: AsyncSession, rec_id: uuid.UUID) -> list[InstitutionRef]:
    await RecommendationRepository(session).found("recommendation", rec_id)
    return [
        InstitutionRef.model_validate(r, from_attributes=True)
        for r in await InstitutionRepository(session).owners(rec_id)
    ]


async def set_owners(
    session: AsyncSession,
    actor: Actor,
    rec_id: uuid.UUID,
    version: int,
    institution_ids: Sequence[uuid.UUID],
) -> int:
    """Make these institutions the owners of a recommendation at ``version``.

    The recommendation's ``institutions`` names follow (so its JSON, filters and exports
    stay as they were), and its version and ``updated_at`` move: delta-sync clients see
    the change. Returns the new version.
    """
    rec_repo = RecommendationRepository(session)
    rec = await rec_repo.found("recommendation", rec_id)
    actor.require_country(rec.state_under_review)
    chosen = await resolve_institutions(
        session, rec.state_under_review, institution_ids, "institution_ids"
    )
    require_version("recommendation", rec.version, version)
    before = {"institutions": list(rec.institutions)}
    await InstitutionRepository(session).set_owners(rec_id, [i.id for i in chosen])
    names = [i.name for i in chosen]
    new_version = await rec_repo.update_versioned(
        "recommendation", rec_id, version, {"institutions": names}
    )
    audit.record_change(
        session,
        actor,
        "recommendation.owners",
        rec_id,
        before=before,
        after={"institutions": names, "institution_ids": [str(i.id) for i in chosen]},
    )
    return new_version
