"""Rules of programmes: places, periods, partners, taxonomy tags, links to
recommendations, indicators and measurements, milestones and evaluations (deadlines)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Unpack

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.deadlines import service as deadlines
from shared.errors import NotFound
from shared.kernel import outbox, validation
from shared.kernel.patches import invalid
from shared.kernel.sdg import sdg_goals_of
from shared.kernel.shapes import shape_of
from shared.kernel.validation import Problems
from shared.mandates import rules
from shared.pagination import (
    Page,
    decode_time_key,
    split_time_key_page,
)
from shared.programmes.models import (
    Evaluation,
    Milestone,
    Partner,
    Programme,
)
from shared.programmes.repository import PartT, ProgrammeRepository
from shared.programmes.schemas import (
    PartnerOut,
    ProgrammeFilter,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePatch,
)

MILESTONE_RULE = "programme.milestone:"
EVALUATION_RULE = "programme.evaluation:"


# --- shapes ------------------------------------------------------------------------------


def to_out(p: Programme, partners: Sequence[Partner], today: dt.date) -> ProgrammeOut:
    status = rules.programme_status(p.start_date, p.end_date, today)
    return shape_of(ProgrammeOut, p, status=status, partners=partners)


def _fields(p: Programme) -> dict[str, Any]:
    """The stored programme in the terms of ``ProgrammeIn``, partners aside."""
    return {name: getattr(p, name) for name in ProgrammeIn.model_fields if name != "partners"}


def _as_input(p: Programme, partner_codes: Sequence[str]) -> ProgrammeIn:
    # ``countries`` of a country programme is derived ([country]); as input it stays empty.
    return ProgrammeIn.model_validate(
        {
            **_fields(p),
            "countries": [] if p.country else list(p.countries),
            "partners": list(partner_codes),
        }
    )


# --- validation ----------------------------------------------------------------------------


async def _partner_codes(
    repo: ProgrammeRepository, values: Sequence[str], problems: Problems, field: str = "partners"
) -> list[str]:
    """Partner codes of ``values`` (codes or names, any case)."""
    known = await repo.all_partners()
    index = {p.code.casefold(): p.code for p in known} | {p.name.casefold(): p.code for p in known}

    def resolve(value: str) -> str | None:
        return index.get(" ".join(value.split()).casefold())

    def unknown(value: str) -> str:
        allowed = sorted(p.code for p in known)
        return f"unknown partner {value!r}; allowed: {allowed} (the list is at /v1/partners)"

    return list(problems.resolved(field, values, resolve, unknown))


async def _values(repo: ProgrammeRepository, data: ProgrammeIn) -> tuple[dict[str, Any], list[str]]:
    """Column values and partner codes of a valid programme; one 422 naming every rule broken."""
    problems = Problems("body")
    where = rules.place(data.country, data.region, data.countries, problems)
    rules.period(data.start_date, data.end_date, problems)
    if data.budget is not None and data.budget < 0:
        problems.add("budget", "the budget cannot be negative")
    partners = await _partner_codes(repo, data.partners, problems)
    themes = validation.themes(data.themes, "themes", problems)
    _, targets = validation.sdg(data.sdg_targets, "sdg_targets", problems, goals_allowed=False)
    objectives = [o.strip() for o in data.objectives]
    if any(not o or len(o) > 2000 for o in objectives):
        problems.add("objectives", "objectives must have 1 to 2000 characters")
    if data.mandate_id is not None:
        covered = await repo.mandate_countries(data.mandate_id)
        if covered is None:
            problems.add("mandate_id", f"unknown mandate {data.mandate_id}")
        elif where.countries and not set(where.countries) <= set(covered):
            problems.add(
                "mandate_id",
                f"the mandate covers {', '.join(covered)}, not"
                f" {', '.join(sorted(set(where.countries) - set(covered)))}",
            )
    problems.raise_if_any()
    values = {
        "title": " ".join(data.title.split()),
        "summary": data.summary.strip(),
        "country": where.country,
        "region": where.region,
        "countries": where.countries,
        "mandate_id": data.mandate_id,
        "start_date": data.start_date,
        "end_date": data.end_date,
        "budget": data.budget,
        "currency": data.currency,
        "objectives": list(dict.fromkeys(objectives)),
        "target_groups": list(dict.fromkeys(data.target_groups)),
        "themes": list(themes),
        "sdg_targets": list(targets),
        "sdg_goals": sdg_goals_of(targets),
    }
    return values, partners


def _snapshot(values: dict[str, Any], partners: Sequence[str]) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if k != "sdg_goals"}
    out["partners"] = list(partners)
    snapshot: dict[str, Any] = json_value(out)
    return snapshot


def json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dt.date | uuid.UUID):
        return str(value)
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)  # Decimal
    return value


def _row_snapshot(p: Programme, partners: Sequence[str]) -> dict[str, Any]:
    return _snapshot(_fields(p), partners)


def clean_text(value: str | None) -> str | None:
    """Free text trimmed; blank is absent."""
    return (value or "").strip() or None


def part(key: str, ident: uuid.UUID, data: BaseModel) -> dict[str, Any]:
    """Audit value of a programme part: its id beside the (JSON) input."""
    return {key: str(ident), **json_value(data.model_dump())}


# --- deadlines -----------------------------------------------------------------------------


def deadline_sources(
    p: Programme, milestones: Sequence[Milestone], evaluations: Sequence[Evaluation]
) -> list[tuple[str, str, dt.date, str, bool]]:
    """(rule, kind, due date, title, met) of the deadlines a programme implies: one per
    milestone (met once achieved) and per evaluation (met once it has findings)."""
    out = [
        (
            f"{MILESTONE_RULE}{m.id}",
            "programme_milestone",
            m.due_date,
            f"Milestone: {m.title} ({p.title})",
            m.achieved_on is not None,
        )
        for m in milestones
    ]
    out += [
        (
            f"{EVALUATION_RULE}{e.id}",
            "programme_evaluation",
            e.date,
            f"Evaluation ({e.kind.replace('_', '-')}): {p.title}",
            bool(e.findings),
        )
        for e in evaluations
    ]
    return out


async def sync_deadlines(
    session: AsyncSession,
    p: Programme,
    milestones: Sequence[Milestone] | None = None,
    evaluations: Sequence[Evaluation] | None = None,
) -> None:
    repo = ProgrammeRepository(session)
    if milestones is None:
        milestones = await repo.parts(Milestone, p.id)
    if evaluations is None:
        evaluations = await repo.parts(Evaluation, p.id)
    sources = deadline_sources(p, milestones, evaluations)
    await deadlines.sync_derived(session, "programme", str(p.id), p.country, sources)


async def emit_change(session: AsyncSession, p: Programme, action: str) -> None:
    """A ``programme.updated`` change event per country the programme covers, in the
    same transaction as the change (subscriptions filter on the country)."""
    payload = {"programme_id": str(p.id), "action": action, "title": p.title}
    await outbox.emit_per_country(session, "programme.updated", p.countries, payload)


async def record_change(
    session: AsyncSession, actor: Actor, p: Programme, action: str, **states: Unpack[audit.States]
) -> None:
    """What every change to a programme's parts does in the caller's transaction: bump
    the programme's version (its ETag), emit the change event, write the audit entry."""
    await ProgrammeRepository(session).touch(p.id)
    await emit_change(session, p, action)
    audit.record_change(session, actor, action, p.id, **states)


async def remove_deadline(session: AsyncSession, programme_id: uuid.UUID, rule: str) -> None:
    await deadlines.remove_derived(
        session, rule=rule, subject_type="programme", subject_id=str(programme_id)
    )


# --- programmes: reads ---------------------------------------------------------------------


async def existing(repo: ProgrammeRepository, programme_id: uuid.UUID) -> Programme:
    return await repo.found("programme", programme_id)


async def found_part(
    repo: ProgrammeRepository, model: type[PartT], programme_id: uuid.UUID, part_id: uuid.UUID
) -> PartT:
    """The indicator, milestone or evaluation ``part_id`` of a programme; 404 otherwise."""
    row = await repo.part(model, programme_id, part_id)
    if row is None:
        raise NotFound(f"no {model.__name__.lower()} {part_id} in programme {programme_id}")
    return row


async def _out(repo: ProgrammeRepository, p: Programme) -> ProgrammeOut:
    partners = await repo.partners_of([p.id])
    return to_out(p, partners[p.id], dt.date.today())


async def _partner_codes_of(repo: ProgrammeRepository, programme_id: uuid.UUID) -> list[str]:
    return [x.code for x in (await repo.partners_of([programme_id]))[programme_id]]


async def get(session: AsyncSession, programme_id: uuid.UUID) -> ProgrammeOut:
    repo = ProgrammeRepository(session)
    return await _out(repo, await existing(repo, programme_id))


async def list_page(
    session: AsyncSession, f: ProgrammeFilter, *, cursor: str | None, limit: int
) -> Page[ProgrammeOut]:
    after = decode_time_key(cursor, "programmes", dt.date.fromisoformat)
    repo = ProgrammeRepository(session)
    today = dt.date.today()
    rows = await repo.page(f, today=today, after=after, limit=limit + 1)
    page, next_cursor = split_time_key_page(
        "programmes", rows, limit, lambda p: (p.start_date, p.id)
    )
    partners = await repo.partners_of([p.id for p in page])
    return Page(items=[to_out(p, partners[p.id], today) for p in page], next_cursor=next_cursor)


# --- programmes: writes --------------------------------------------------------------------


async def create(session: AsyncSession, actor: Actor, data: ProgrammeIn) -> ProgrammeOut:
    repo = ProgrammeRepository(session)
    values, partners = await _values(repo, data)
    rules.require_countries(actor, values["countries"])
    p = Programme(id=uuid.uuid4(), version=1, **values)
    await repo.insert(p)
    await repo.set_partners(p.id, partners)
    await emit_change(session, p, "programme.create")
    audit.record_change(
        session,
        actor,
        "programme.create",
        p.id,
        after=_snapshot(values, partners),
    )
    return await _out(repo, p)


async def writable(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, version: int | None = None
) -> Programme:
    return await ProgrammeRepository(session).for_change(
        "programme", programme_id, version, lambda p: rules.require_countries(actor, p.countries)
    )


async def patch(
    session: AsyncSession,
    actor: Actor,
    programme_id: uuid.UUID,
    version: int,
    changes: ProgrammePatch,
) -> ProgrammeOut:
    """Change a programme at ``version``; the key must cover the old and the new place."""
    repo = ProgrammeRepository(session)
    p = await writable(session, actor, programme_id, version)
    current_partners = await _partner_codes_of(repo, p.id)
    before = _row_snapshot(p, current_partners)
    base = _as_input(p, current_partners).model_dump()
    try:
        merged = ProgrammeIn.model_validate(
            rules.merge_place(base, changes.model_dump(exclude_unset=True))
        )
    except ValidationError as exc:
        raise invalid(exc) from None
    values, partners = await _values(repo, merged)
    rules.require_countries(actor, values["countries"])
    problems = Problems("body")
    outside = await repo.measurements_outside(p.id, values["start_date"], values["end_date"])
    if outside:
        problems.add(
            "end_date" if "end_date" in changes.model_fields_set else "start_date",
            f"{outside} measurement(s) would fall outside the new period",
        )
    foreign = await repo.linked_refs_outside(p.id, values["countries"])
    if foreign:
        problems.add(
            "countries" if values["region"] else "country",
            f"linked recommendations of other countries: {', '.join(foreign[:10])}"
            " (unlink them first)",
        )
    problems.raise_if_any()
    await repo.update_row("programme", p, version, values)
    await repo.set_partners(p.id, partners)
    await sync_deadlines(session, p)
    await emit_change(session, p, "programme.update")
    audit.record_change(
        session,
        actor,
        "programme.update",
        p.id,
        before=before,
        after=_snapshot(values, partners),
    )
    return await _out(repo, p)


async def delete(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, version: int | None
) -> None:
    """Delete a programme with its links, indicators, milestones, evaluations, deadlines."""
    repo = ProgrammeRepository(session)
    p = await writable(session, actor, programme_id, version)
    before = _row_snapshot(p, await _partner_codes_of(repo, p.id))
    for rule, *_ in deadline_sources(
        p, await repo.parts(Milestone, p.id), await repo.parts(Evaluation, p.id)
    ):
        await remove_deadline(session, p.id, rule)
    await repo.delete(p.id)
    await emit_change(session, p, "programme.delete")
    audit.record_change(session, actor, "programme.delete", p.id, before=before)


async def partners(session: AsyncSession) -> list[PartnerOut]:
    return [shape_of(PartnerOut, p) for p in await ProgrammeRepository(session).all_partners()]


async def resolve_partner_filter(session: AsyncSession, f: ProgrammeFilter) -> ProgrammeFilter:
    """The partner filter as codes; 422 naming the allowed codes for an unknown one."""
    if not f.partners:
        return f
    problems = Problems("query")
    codes = await _partner_codes(ProgrammeRepository(session), f.partners, problems, "partner")
    problems.raise_if_any()
    return dataclasses.replace(f, partners=tuple(codes))
