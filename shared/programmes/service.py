"""Rules of programmes: places, periods, partners, taxonomy tags, links to
recommendations, indicators and measurements, milestones and evaluations (deadlines)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.deadlines import service as deadlines
from shared.errors import InvalidCursor, InvalidInput, NotFound
from shared.kernel import outbox, validation
from shared.kernel.concurrency import require_version
from shared.kernel.sdg import sdg_goals_of
from shared.kernel.validation import Problems
from shared.mandates import rules
from shared.pagination import (
    Page,
    decode_cursor,
    decode_time_key,
    encode_cursor,
    encode_time_key,
)
from shared.programmes.models import (
    Evaluation,
    Indicator,
    Measurement,
    Milestone,
    Partner,
    Programme,
)
from shared.programmes.repository import ProgrammeRepository
from shared.programmes.schemas import (
    EvaluationIn,
    EvaluationOut,
    EvaluationPatch,
    IndicatorIn,
    IndicatorOut,
    LinkedProgramme,
    LinkedRecommendation,
    LinkIn,
    MeasurementIn,
    MeasurementOut,
    MilestoneIn,
    MilestoneOut,
    MilestonePatch,
    PartnerOut,
    ProgrammeFilter,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePatch,
)

MILESTONE_RULE = "programme.milestone:"
EVALUATION_RULE = "programme.evaluation:"

Model = TypeVar("Model", bound=BaseModel)


# --- shapes ------------------------------------------------------------------------------


def to_out(p: Programme, partners: Sequence[Partner], today: dt.date) -> ProgrammeOut:
    return ProgrammeOut(
        id=p.id,
        title=p.title,
        summary=p.summary,
        country=p.country,
        region=p.region,
        countries=list(p.countries),
        mandate_id=p.mandate_id,
        start_date=p.start_date,
        end_date=p.end_date,
        status=rules.programme_status(p.start_date, p.end_date, today),
        budget=p.budget,
        currency=p.currency,
        partners=[PartnerOut(code=x.code, name=x.name) for x in partners],
        objectives=list(p.objectives),
        target_groups=list(p.target_groups),
        themes=list(p.themes),
        sdg_targets=list(p.sdg_targets),
        version=p.version,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _fields(p: Programme) -> dict[str, Any]:
    """The stored programme in the terms of ``ProgrammeIn``, partners aside."""
    return {
        "title": p.title,
        "summary": p.summary,
        "country": p.country,
        "region": p.region,
        "countries": list(p.countries),
        "mandate_id": p.mandate_id,
        "start_date": p.start_date,
        "end_date": p.end_date,
        "budget": p.budget,
        "currency": p.currency,
        "objectives": list(p.objectives),
        "target_groups": list(p.target_groups),
        "themes": list(p.themes),
        "sdg_targets": list(p.sdg_targets),
    }


def _as_input(p: Programme, partner_codes: Sequence[str]) -> ProgrammeIn:
    # ``countries`` of a country programme is derived ([country]); as input it stays empty.
    return ProgrammeIn.model_validate(
        {
            **_fields(p),
            "countries": [] if p.country else list(p.countries),
            "partners": list(partner_codes),
        }
    )


def _invalid(exc: ValidationError) -> InvalidInput:
    errors: list[dict[str, Any]] = [
        {
            "loc": ["body", *[str(x) for x in e["loc"]]],
            "field": ".".join(str(x) for x in e["loc"]),
            "message": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors()
    ]
    return InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


def _merge_place(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Moving to a region leaves the country, and the other way round."""
    if patch.get("region") and "country" not in patch:
        patch["country"] = None
    if patch.get("country") and "region" not in patch:
        patch["region"] = None
        patch.setdefault("countries", [])
    return {**base, **patch}


# --- validation ----------------------------------------------------------------------------


async def _partner_codes(
    repo: ProgrammeRepository, values: Sequence[str], problems: Problems, field: str = "partners"
) -> list[str]:
    """Partner codes of ``values`` (codes or names, any case)."""
    known = await repo.all_partners()
    index = {p.code.casefold(): p.code for p in known} | {p.name.casefold(): p.code for p in known}
    out = []
    for value in values:
        code = index.get(" ".join(value.split()).casefold())
        if code is None:
            problems.add(
                field,
                f"unknown partner {value!r}; allowed: {sorted(p.code for p in known)}"
                " (the list is at /v1/partners)",
            )
        else:
            out.append(code)
    return list(dict.fromkeys(out))


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
    snapshot: dict[str, Any] = _json(out)
    return snapshot


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dt.date | uuid.UUID):
        return str(value)
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)  # Decimal
    return value


def _row_snapshot(p: Programme, partners: Sequence[str]) -> dict[str, Any]:
    return _snapshot(_fields(p), partners)


def _clean_text(value: str | None) -> str | None:
    """Free text trimmed; blank is absent."""
    return (value or "").strip() or None


def _part(key: str, ident: uuid.UUID, data: BaseModel) -> dict[str, Any]:
    """Audit value of a programme part: its id beside the (JSON) input."""
    return {key: str(ident), **_json(data.model_dump())}


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


async def _sync_deadlines(
    session: AsyncSession,
    p: Programme,
    milestones: Sequence[Milestone] | None = None,
    evaluations: Sequence[Evaluation] | None = None,
) -> None:
    repo = ProgrammeRepository(session)
    if milestones is None:
        milestones = await repo.milestones(p.id)
    if evaluations is None:
        evaluations = await repo.evaluations(p.id)
    for rule, kind, due, title, met in deadline_sources(p, milestones, evaluations):
        await deadlines.upsert_derived(
            session,
            rule=rule,
            subject_type="programme",
            subject_id=str(p.id),
            kind=kind,
            due_date=due,
            country=p.country,
            title=title,
            met=met,
        )


async def _emit(session: AsyncSession, p: Programme, action: str) -> None:
    """A ``programme.updated`` change event per country the programme covers, in the
    same transaction as the change (subscriptions filter on the country)."""
    for country in p.countries:
        await outbox.emit(
            session,
            "programme.updated",
            country,
            {"programme_id": str(p.id), "action": action, "title": p.title},
        )


async def _record_change(
    session: AsyncSession,
    actor: Actor,
    p: Programme,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """What every change to a programme's parts does in the caller's transaction: bump
    the programme's version (its ETag), emit the change event, write the audit entry."""
    await ProgrammeRepository(session).touch(p.id)
    await _emit(session, p, action)
    audit.record(session, actor, action, "programme", str(p.id), before=before, after=after)


async def _remove_deadline(session: AsyncSession, programme_id: uuid.UUID, rule: str) -> None:
    await deadlines.remove_derived(
        session, rule=rule, subject_type="programme", subject_id=str(programme_id)
    )


# --- programmes: reads ---------------------------------------------------------------------


async def _existing(repo: ProgrammeRepository, programme_id: uuid.UUID) -> Programme:
    p = await repo.get(programme_id)
    if p is None:
        raise NotFound(f"no programme {programme_id}")
    return p


async def _out(repo: ProgrammeRepository, p: Programme) -> ProgrammeOut:
    partners = await repo.partners_of([p.id])
    return to_out(p, partners[p.id], dt.date.today())


async def _partner_codes_of(repo: ProgrammeRepository, programme_id: uuid.UUID) -> list[str]:
    return [x.code for x in (await repo.partners_of([programme_id]))[programme_id]]


async def get(session: AsyncSession, programme_id: uuid.UUID) -> ProgrammeOut:
    repo = ProgrammeRepository(session)
    return await _out(repo, await _existing(repo, programme_id))


async def list_page(
    session: AsyncSession, f: ProgrammeFilter, *, cursor: str | None, limit: int
) -> Page[ProgrammeOut]:
    after = decode_time_key(cursor, "programmes", dt.date.fromisoformat)
    repo = ProgrammeRepository(session)
    today = dt.date.today()
    rows = await repo.page(f, today=today, after=after, limit=limit + 1)
    page = list(rows[:limit])
    partners = await repo.partners_of([p.id for p in page])
    next_cursor = (
        encode_time_key("programmes", page[-1].start_date, page[-1].id)
        if len(rows) > limit
        else None
    )
    return Page(items=[to_out(p, partners[p.id], today) for p in page], next_cursor=next_cursor)


# --- programmes: writes --------------------------------------------------------------------


async def create(session: AsyncSession, actor: Actor, data: ProgrammeIn) -> ProgrammeOut:
    repo = ProgrammeRepository(session)
    values, partners = await _values(repo, data)
    rules.require_countries(actor, values["countries"])
    p = Programme(id=uuid.uuid4(), version=1, **values)
    await repo.insert(p)
    await repo.set_partners(p.id, partners)
    await _emit(session, p, "programme.create")
    audit.record(
        session,
        actor,
        "programme.create",
        "programme",
        str(p.id),
        after=_snapshot(values, partners),
    )
    return await _out(repo, p)


async def _writable(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, version: int | None = None
) -> Programme:
    p = await ProgrammeRepository(session).get(programme_id, for_update=True)
    if p is None:
        raise NotFound(f"no programme {programme_id}")
    rules.require_countries(actor, p.countries)
    if version is not None:
        require_version("programme", p.version, version)
    return p


async def patch(
    session: AsyncSession,
    actor: Actor,
    programme_id: uuid.UUID,
    version: int,
    changes: ProgrammePatch,
) -> ProgrammeOut:
    """Change a programme at ``version``; the key must cover the old and the new place."""
    repo = ProgrammeRepository(session)
    p = await _writable(session, actor, programme_id, version)
    current_partners = await _partner_codes_of(repo, p.id)
    before = _row_snapshot(p, current_partners)
    base = _as_input(p, current_partners).model_dump()
    try:
        merged = ProgrammeIn.model_validate(
            _merge_place(base, changes.model_dump(exclude_unset=True))
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
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
    await repo.update_versioned("programme", p.id, version, values)
    await repo.set_partners(p.id, partners)
    p = await _reloaded(repo, p.id)
    await _sync_deadlines(session, p)
    await _emit(session, p, "programme.update")
    audit.record(
        session,
        actor,
        "programme.update",
        "programme",
        str(p.id),
        before=before,
        after=_snapshot(values, partners),
    )
    return await _out(repo, p)


async def _reloaded(repo: ProgrammeRepository, programme_id: uuid.UUID) -> Programme:
    p = await repo.get(programme_id)
    assert p is not None
    return p


async def delete(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, version: int | None
) -> None:
    """Delete a programme with its links, indicators, milestones, evaluations, deadlines."""
    repo = ProgrammeRepository(session)
    p = await _writable(session, actor, programme_id, version)
    before = _row_snapshot(p, await _partner_codes_of(repo, p.id))
    for rule, *_ in deadline_sources(p, await repo.milestones(p.id), await repo.evaluations(p.id)):
        await _remove_deadline(session, p.id, rule)
    await repo.delete(p.id)
    await _emit(session, p, "programme.delete")
    audit.record(session, actor, "programme.delete", "programme", str(p.id), before=before)


async def partners(session: AsyncSession) -> list[PartnerOut]:
    return [
        PartnerOut(code=p.code, name=p.name)
        for p in await ProgrammeRepository(session).all_partners()
    ]


# --- links -------------------------------------------------------------------------------


async def link(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, data: LinkIn
) -> tuple[LinkedRecommendation, bool]:
    """Link a recommendation of a country the programme covers; (link, created)."""
    repo = ProgrammeRepository(session)
    problems = Problems("body")
    if (data.recommendation_id is None) == (data.ref is None):
        problems.add("recommendation_id", "give recommendation_id or ref")
        problems.raise_if_any()
    p = await _writable(session, actor, programme_id)
    rec = await repo.recommendation(rec_id=data.recommendation_id, ref=data.ref)
    field = "recommendation_id" if data.recommendation_id else "ref"
    if rec is None:
        problems.add(field, f"unknown recommendation {data.recommendation_id or data.ref!r}")
    elif rec.state_under_review not in p.countries:
        if p.region:
            message = (
                f"the recommendation is addressed to {rec.state_under_review}, which the"
                f" regional programme ({p.region}) does not cover ({', '.join(p.countries)})"
            )
        else:
            message = (
                f"the recommendation is addressed to {rec.state_under_review}; the programme"
                f" is in {p.country}"
            )
        problems.add(field, message)
    problems.raise_if_any()
    assert rec is not None
    note = _clean_text(data.note)
    created = await repo.link(p.id, rec.id, note)
    await repo.touch(p.id)
    await _emit(session, p, "programme.link")
    audit.record(
        session,
        actor,
        "programme.link" if created else "programme.link_note",
        "programme",
        str(p.id),
        after={"recommendation_id": str(rec.id), "ref": rec.ref, "note": note},
    )
    row = (await repo.links_of(rec.id, [p.id]))[p.id]
    return _linked_recommendation(rec, row), created


def _linked_recommendation(r: Any, pr: Any) -> LinkedRecommendation:
    return LinkedRecommendation(
        recommendation_id=r.id,
        ref=r.ref,
        state_under_review=r.state_under_review,
        position=r.position,
        status=r.status,
        text=r.text,
        note=pr.note,
        linked_at=pr.created_at,
    )


async def unlink(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, rec_id: uuid.UUID
) -> None:
    repo = ProgrammeRepository(session)
    p = await _writable(session, actor, programme_id)
    if not await repo.unlink(p.id, rec_id):
        raise NotFound(f"the programme is not linked to recommendation {rec_id}")
    await _record_change(
        session,
        actor,
        p,
        "programme.unlink",
        before={"recommendation_id": str(rec_id)},
    )


async def linked_recommendations(
    session: AsyncSession, programme_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Page[LinkedRecommendation]:
    """The recommendations a programme supports, by ref."""
    repo = ProgrammeRepository(session)
    await _existing(repo, programme_id)
    after = decode_cursor(cursor, "programme-recommendations", [str])[0] if cursor else None
    rows = await repo.linked_recommendations(programme_id, after=after, limit=limit + 1)
    items = [_linked_recommendation(r, pr) for r, pr in rows[:limit]]
    next_cursor = (
        encode_cursor("programme-recommendations", [items[-1].ref]) if len(rows) > limit else None
    )
    return Page(items=items, next_cursor=next_cursor)


async def programmes_of_recommendation(
    session: AsyncSession, rec_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Page[LinkedProgramme]:
    """The programmes that support a recommendation, by start date."""
    repo = ProgrammeRepository(session)
    if await repo.recommendation(rec_id=rec_id, ref=None) is None:
        raise NotFound(f"no recommendation {rec_id}")
    after = decode_time_key(cursor, "recommendation-programmes", dt.date.fromisoformat)
    today = dt.date.today()
    rows = await repo.page(
        ProgrammeFilter(), today=today, after=after, limit=limit + 1, recommendation_id=rec_id
    )
    page = list(rows[:limit])
    links = await repo.links_of(rec_id, [p.id for p in page])
    items = [
        LinkedProgramme(
            programme_id=p.id,
            title=p.title,
            country=p.country,
            region=p.region,
            start_date=p.start_date,
            end_date=p.end_date,
            status=rules.programme_status(p.start_date, p.end_date, today),
            note=links[p.id].note,
            linked_at=links[p.id].created_at,
        )
        for p in page
    ]
    next_cursor = (
        encode_time_key("recommendation-programmes", page[-1].start_date, page[-1].id)
        if len(rows) > limit
        else None
    )
    return Page(items=items, next_cursor=next_cursor)


# --- indicators and measurements ----------------------------------------------------------


def _measurement_out(m: Measurement) -> MeasurementOut:
    return MeasurementOut(
        id=m.id,
        indicator_id=m.indicator_id,
        measured_on=m.measured_on,
        value=m.value,
        note=m.note,
        created_at=m.created_at,
    )


def _indicator_out(i: Indicator, latest: Measurement | None) -> IndicatorOut:
    return IndicatorOut(
        id=i.id,
        programme_id=i.programme_id,
        name=i.name,
        unit=i.unit,
        baseline=i.baseline,
        target=i.target,
        frequency=i.frequency,
        latest=_measurement_out(latest) if latest is not None else None,
        created_at=i.created_at,
    )


async def add_indicator(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, data: IndicatorIn
) -> IndicatorOut:
    repo = ProgrammeRepository(session)
    p = await _writable(session, actor, programme_id)
    row = Indicator(
        id=uuid.uuid4(),
        programme_id=p.id,
        name=" ".join(data.name.split()),
        unit=data.unit.strip(),
        baseline=data.baseline,
        target=data.target,
        frequency=data.frequency,
    )
    await repo.add_row(row)
    await _record_change(
        session,
        actor,
        p,
        "programme.indicator_add",
        after=_part("indicator_id", row.id, data),
    )
    return _indicator_out(row, None)


async def list_indicators(session: AsyncSession, programme_id: uuid.UUID) -> list[IndicatorOut]:
    repo = ProgrammeRepository(session)
    await _existing(repo, programme_id)
    rows = await repo.indicators(programme_id)
    latest = await repo.latest_measurements([i.id for i in rows])
    return [_indicator_out(i, latest.get(i.id)) for i in rows]


async def _indicator(
    repo: ProgrammeRepository, programme_id: uuid.UUID, indicator_id: uuid.UUID
) -> Indicator:
    row = await repo.indicator(programme_id, indicator_id)
    if row is None:
        raise NotFound(f"no indicator {indicator_id} in programme {programme_id}")
    return row


async def get_indicator(
    session: AsyncSession, programme_id: uuid.UUID, indicator_id: uuid.UUID
) -> IndicatorOut:
    repo = ProgrammeRepository(session)
    row = await _indicator(repo, programme_id, indicator_id)
    return _indicator_out(row, (await repo.latest_measurements([row.id])).get(row.id))


async def delete_indicator(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, indicator_id: uuid.UUID
) -> None:
    repo = ProgrammeRepository(session)
    p = await _writable(session, actor, programme_id)
    row = await _indicator(repo, p.id, indicator_id)
    await repo.remove(row)
    await _record_change(
        session,
        actor,
        p,
        "programme.indicator_delete",
        before={"indicator_id": str(indicator_id), "name": row.name},
    )


async def add_measurement(
    session: AsyncSession,
    actor: Actor,
    programme_id: uuid.UUID,
    indicator_id: uuid.UUID,
    data: MeasurementIn,
) -> MeasurementOut:
    """A dated value; the date must fall inside the programme period (422 otherwise)."""
    repo = ProgrammeRepository(session)
    p = await _writable(session, actor, programme_id)
    indicator = await _indicator(repo, p.id, indicator_id)
    if not p.start_date <= data.measured_on <= p.end_date:
        problems = Problems("body")
        problems.add(
            "measured_on",
            f"{data.measured_on} is outside the programme period ({p.start_date} to {p.end_date})",
        )
        problems.raise_if_any()
    row = Measurement(
        indicator_id=indicator.id,
        measured_on=data.measured_on,
        value=data.value,
        note=data.note.strip() if data.note else None,
    )
    await repo.add_row(row)
    await _record_change(
        session,
        actor,
        p,
        "programme.measurement_add",
        after={
            "indicator_id": str(indicator.id),
            "measurement_id": row.id,
            **_json(data.model_dump()),
        },
    )
    return _measurement_out(row)


async def list_measurements(
    session: AsyncSession,
    programme_id: uuid.UUID,
    indicator_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> Page[MeasurementOut]:
    repo = ProgrammeRepository(session)
    await _indicator(repo, programme_id, indicator_id)
    after = None
    if cursor:
        day, ident = decode_cursor(cursor, "measurements", [str, int])
        try:
            after = (dt.date.fromisoformat(day), int(ident))
        except ValueError:
            raise InvalidCursor("the cursor is malformed; use next_cursor as given") from None
    rows = await repo.measurements(indicator_id, after=after, limit=limit + 1)
    items = [_measurement_out(m) for m in rows[:limit]]
    next_cursor = (
        encode_cursor("measurements", [items[-1].measured_on.isoformat(), items[-1].id])
        if len(rows) > limit
        else None
    )
    return Page(items=items, next_cursor=next_cursor)


# --- milestones and evaluations -----------------------------------------------------------


def _milestone_out(m: Milestone) -> MilestoneOut:
    return MilestoneOut(
        id=m.id,
        programme_id=m.programme_id,
        title=m.title,
        due_date=m.due_date,
        achieved_on=m.achieved_on,
        created_at=m.created_at,
    )


def _evaluation_out(e: Evaluation) -> EvaluationOut:
    return EvaluationOut(
        id=e.id,
        programme_id=e.programme_id,
        date=e.date,
        kind=e.kind,
        findings=e.findings,
        created_at=e.created_at,
    )


def _milestone_values(data: MilestoneIn) -> dict[str, Any]:
    return {
        "title": " ".join(data.title.split()),
        "due_date": data.due_date,
        "achieved_on": data.achieved_on,
    }


def _evaluation_values(data: EvaluationIn) -> dict[str, Any]:
    return {"date": data.date, "kind": data.kind, "findings": _clean_text(data.findings)}


def _assign(row: Milestone | Evaluation, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(row, name, value)


async def _milestone(
    repo: ProgrammeRepository, programme_id: uuid.UUID, milestone_id: uuid.UUID
) -> Milestone:
    row = await repo.milestone(programme_id, milestone_id)
    if row is None:
        raise NotFound(f"no milestone {milestone_id} in programme {programme_id}")
    return row


async def _evaluation(
    repo: ProgrammeRepository, programme_id: uuid.UUID, evaluation_id: uuid.UUID
) -> Evaluation:
    row = await repo.evaluation(programme_id, evaluation_id)
    if row is None:
        raise NotFound(f"no evaluation {evaluation_id} in programme {programme_id}")
    return row


async def list_milestones(session: AsyncSession, programme_id: uuid.UUID) -> list[MilestoneOut]:
    repo = ProgrammeRepository(session)
    await _existing(repo, programme_id)
    return [_milestone_out(m) for m in await repo.milestones(programme_id)]


async def list_evaluations(session: AsyncSession, programme_id: uuid.UUID) -> list[EvaluationOut]:
    repo = ProgrammeRepository(session)
    await _existing(repo, programme_id)
    return [_evaluation_out(e) for e in await repo.evaluations(programme_id)]


def _patched(model: Model, changes: BaseModel) -> Model:
    """``model`` with ``changes`` applied, validated again as a whole (422 if it breaks)."""
    try:
        return type(model).model_validate(
            {**model.model_dump(), **changes.model_dump(exclude_unset=True)}
        )
    except ValidationError as exc:
        raise _invalid(exc) from None


async def _delete_dated(
    session: AsyncSession,
    actor: Actor,
    p: Programme,
    row: Milestone | Evaluation,
    rule: str,
    action: str,
    before: dict[str, Any],
) -> None:
    """Delete a milestone or evaluation with the deadline it implies."""
    await _remove_deadline(session, p.id, rule)
    await ProgrammeRepository(session).remove(row)
    await _record_change(session, actor, p, action, before=before)


async def add_milestone(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, data: MilestoneIn
) -> MilestoneOut:
    """A milestone; its due date becomes a deadline, met once achieved."""
    repo = ProgrammeRepository(session)
    p = await _writable(session, actor, programme_id)
    row = Milestone(id=uuid.uuid4(), programme_id=p.id, **_milestone_values(data))
    await repo.add_row(row)
    await _sync_deadlines(session, p, [row], [])
    await _record_change(
        session, actor, p, "programme.milestone_add", after=_part("milestone_id", row.id, data)
    )
    return _milestone_out(row)


async def patch_milestone(
    session: AsyncSession,
    actor: Actor,
    programme_id: uuid.UUID,
    milestone_id: uuid.UUID,
    changes: MilestonePatch,
) -> MilestoneOut:
    repo = ProgrammeRepository(session)
    p = await _writable(session, actor, programme_id)
    row = await _milestone(repo, p.id, milestone_id)
    before = MilestoneIn(title=row.title, due_date=row.due_date, achieved_on=row.achieved_on)
    data = _patched(before, changes)
    _assign(row, _milestone_values(data))
    await session.flush()
    await _sync_deadlines(session, p, [row], [])
    await _record_change(
        session,
        actor,
        p,
        "programme.milestone_update",
        before=_part("milestone_id", row.id, before),
        after=_part("milestone_id", row.id, data),
    )
    return _milestone_out(row)


async def delete_milestone(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, milestone_id: uuid.UUID
) -> None:
    p = await _writable(session, actor, programme_id)
    row = await _milestone(ProgrammeRepository(session), p.id, milestone_id)
    await _delete_dated(
        session,
        actor,
        p,
        row,
        f"{MILESTONE_RULE}{row.id}",
        "programme.milestone_delete",
        {"milestone_id": str(milestone_id), "title": row.title},
    )


async def add_evaluation(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, data: EvaluationIn
) -> EvaluationOut:
    """An evaluation; its date becomes a deadline, met once it has findings."""
    repo = ProgrammeRepository(session)
    p = await _writable(session, actor, programme_id)
    row = Evaluation(id=uuid.uuid4(), programme_id=p.id, **_evaluation_values(data))
    await repo.add_row(row)
    await _sync_deadlines(session, p, [], [row])
    await _record_change(
        session, actor, p, "programme.evaluation_add", after=_part("evaluation_id", row.id, data)
    )
    return _evaluation_out(row)


async def patch_evaluation(
    session: AsyncSession,
    actor: Actor,
    programme_id: uuid.UUID,
    evaluation_id: uuid.UUID,
    changes: EvaluationPatch,
) -> EvaluationOut:
    repo = ProgrammeRepository(session)
    p = await _writable(session, actor, programme_id)
    row = await _evaluation(repo, p.id, evaluation_id)
    before = EvaluationIn(date=row.date, kind=row.kind, findings=row.findings)
    data = _patched(before, changes)
    _assign(row, _evaluation_values(data))
    await session.flush()
    await _sync_deadlines(session, p, [], [row])
    await _record_change(
        session,
        actor,
        p,
        "programme.evaluation_update",
        before=_part("evaluation_id", row.id, before),
        after=_part("evaluation_id", row.id, data),
    )
    return _evaluation_out(row)


async def delete_evaluation(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, evaluation_id: uuid.UUID
) -> None:
    p = await _writable(session, actor, programme_id)
    row = await _evaluation(ProgrammeRepository(session), p.id, evaluation_id)
    await _delete_dated(
        session,
        actor,
        p,
        row,
        f"{EVALUATION_RULE}{row.id}",
        "programme.evaluation_delete",
        {"evaluation_id": str(evaluation_id), "kind": row.kind},
    )


async def resolve_partner_filter(session: AsyncSession, f: ProgrammeFilter) -> ProgrammeFilter:
    """The partner filter as codes; 422 naming the allowed codes for an unknown one."""
    if not f.partners:
        return f
    problems = Problems("query")
    codes = await _partner_codes(ProgrammeRepository(session), f.partners, problems, "partner")
    problems.raise_if_any()
    return dataclasses.replace(f, partners=tuple(codes))
