"""Indicators of programmes and their measurements."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth.schemas import Actor
from shared.errors import InvalidCursor
from shared.kernel.shapes import shape_of
from shared.kernel.validation import Problems
from shared.pagination import (
    Page,
    decode_cursor,
    encode_cursor,
    split_page,
)
from shared.programmes.models import (
    Indicator,
    Measurement,
)
from shared.programmes.repository import ProgrammeRepository
from shared.programmes.schemas import (
    IndicatorIn,
    IndicatorOut,
    MeasurementIn,
    MeasurementOut,
)
from shared.programmes.service import (
    existing,
    found_part,
    json_value,
    part,
    record_change,
    writable,
)

# --- indicators and measurements ----------------------------------------------------------


def _measurement_out(m: Measurement) -> MeasurementOut:
    return shape_of(MeasurementOut, m)


def _indicator_out(i: Indicator, latest: Measurement | None) -> IndicatorOut:
    return shape_of(
        IndicatorOut, i, latest=_measurement_out(latest) if latest is not None else None
    )


async def add_indicator(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, data: IndicatorIn
) -> IndicatorOut:
    repo = ProgrammeRepository(session)
    p = await writable(session, actor, programme_id)
    row = Indicator(
        id=uuid.uuid4(),
        programme_id=p.id,
        name=" ".join(data.name.split()),
        unit=data.unit.strip(),
        baseline=data.baseline,
        target=data.target,
        frequency=data.frequency,
    )
    await repo.insert(row)
    await record_change(
        session,
        actor,
        p,
        "programme.indicator_add",
        after=part("indicator_id", row.id, data),
    )
    return _indicator_out(row, None)


async def list_indicators(session: AsyncSession, programme_id: uuid.UUID) -> list[IndicatorOut]:
    repo = ProgrammeRepository(session)
    await existing(repo, programme_id)
    rows = await repo.parts(Indicator, programme_id)
    latest = await repo.latest_measurements([i.id for i in rows])
    return [_indicator_out(i, latest.get(i.id)) for i in rows]


async def get_indicator(
    session: AsyncSession, programme_id: uuid.UUID, indicator_id: uuid.UUID
) -> IndicatorOut:
    repo = ProgrammeRepository(session)
    row = await found_part(repo, Indicator, programme_id, indicator_id)
    return _indicator_out(row, (await repo.latest_measurements([row.id])).get(row.id))


async def delete_indicator(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, indicator_id: uuid.UUID
) -> None:
    repo = ProgrammeRepository(session)
    p = await writable(session, actor, programme_id)
    row = await found_part(repo, Indicator, p.id, indicator_id)
    await repo.remove(row)
    await record_change(
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
    p = await writable(session, actor, programme_id)
    indicator = await found_part(repo, Indicator, p.id, indicator_id)
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
    await repo.insert(row)
    await record_change(
        session,
        actor,
        p,
        "programme.measurement_add",
        after={
            "indicator_id": str(indicator.id),
            "measurement_id": row.id,
            **json_value(data.model_dump()),
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
    await found_part(repo, Indicator, programme_id, indicator_id)
    after = None
    if cursor:
        day, ident = decode_cursor(cursor, "measurements", [str, int])
        try:
            after = (dt.date.fromisoformat(day), int(ident))
        except ValueError:
            raise InvalidCursor("the cursor is malformed; use next_cursor as given") from None
    rows = await repo.measurements(indicator_id, after=after, limit=limit + 1)
    page, next_cursor = split_page(
        rows, limit, lambda m: encode_cursor("measurements", [m.measured_on.isoformat(), m.id])
    )
    return Page(items=[_measurement_out(m) for m in page], next_cursor=next_cursor)
