"""Links between programmes and the recommendations they support."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.errors import NotFound
from shared.kernel.shapes import shape_of
from shared.kernel.validation import Problems
from shared.mandates import rules
from shared.pagination import (
    Page,
    decode_cursor,
    decode_time_key,
    encode_cursor,
    split_page,
    split_time_key_page,
)
from shared.programmes.repository import ProgrammeRepository
from shared.programmes.schemas import (
    LinkedProgramme,
    LinkedRecommendation,
    LinkIn,
    ProgrammeFilter,
)
from shared.programmes.service import clean_text, emit_change, existing, record_change, writable
from shared.recommendations.repository import RecommendationRepository

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
    p = await writable(session, actor, programme_id)
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
    note = clean_text(data.note)
    created = await repo.link(p.id, rec.id, note)
    await repo.touch(p.id)
    await emit_change(session, p, "programme.link")
    audit.record_change(
        session,
        actor,
        "programme.link" if created else "programme.link_note",
        p.id,
        after={"recommendation_id": str(rec.id), "ref": rec.ref, "note": note},
    )
    row = (await repo.links_of(rec.id, [p.id]))[p.id]
    return _linked_recommendation(rec, row), created


def _linked_recommendation(r: Any, pr: Any) -> LinkedRecommendation:
    return shape_of(
        LinkedRecommendation, r, recommendation_id=r.id, note=pr.note, linked_at=pr.created_at
    )


async def unlink(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, rec_id: uuid.UUID
) -> None:
    repo = ProgrammeRepository(session)
    p = await writable(session, actor, programme_id)
    if not await repo.unlink(p.id, rec_id):
        raise NotFound(f"the programme is not linked to recommendation {rec_id}")
    await record_change(
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
    await existing(repo, programme_id)
    after = decode_cursor(cursor, "programme-recommendations", [str])[0] if cursor else None
    rows = await repo.linked_recommendations(programme_id, after=after, limit=limit + 1)
    page, next_cursor = split_page(
        rows, limit, lambda row: encode_cursor("programme-recommendations", [row[0].ref])
    )
    return Page(items=[_linked_recommendation(r, pr) for r, pr in page], next_cursor=next_cursor)


async def programmes_of_recommendation(
    session: AsyncSession, rec_id: uuid.UUID, *, cursor: str | None, limit: int
) -> Page[LinkedProgramme]:
    """The programmes that support a recommendation, by start date."""
    repo = ProgrammeRepository(session)
    await RecommendationRepository(session).found("recommendation", rec_id)
    after = decode_time_key(cursor, "recommendation-programmes", dt.date.fromisoformat)
    today = dt.date.today()
    rows = await repo.page(
        ProgrammeFilter(), today=today, after=after, limit=limit + 1, recommendation_id=rec_id
    )
    page, next_cursor = split_time_key_page(
        "recommendation-programmes", rows, limit, lambda p: (p.start_date, p.id)
    )
    links = await repo.links_of(rec_id, [p.id for p in page])
    items = [
        shape_of(
            LinkedProgramme,
            p,
            programme_id=p.id,
            status=rules.programme_status(p.start_date, p.end_date, today),
            note=links[p.id].note,
            linked_at=links[p.id].created_at,
        )
        for p in page
    ]
    return Page(items=items, next_cursor=next_cursor)
