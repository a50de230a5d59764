"""Rules of recommendations: listing, tagging and the append-only implementation history."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.errors import InvalidCursor, NotFound
from shared.kernel import outbox, validation
from shared.kernel.concurrency import changed_meanwhile, require_version
from shared.kernel.sdg import sdg_goals_of
from shared.pagination import decode_cursor, encode_cursor
from shared.recommendations.models import ImplementationUpdate, Recommendation
from shared.recommendations.repository import RecommendationReads, RecommendationRepository
from shared.recommendations.schemas import (
    Facets,
    FacetValue,
    PositionChangeOut,
    RecommendationFilter,
    RecommendationPatch,
    UpdateIn,
    UpdateOut,
)


@dataclass(frozen=True, slots=True)
class RawPage:
    """A page whose items are JSON texts built by PostgreSQL."""

    items: list[str]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class RawItem:
    json: str
    id: uuid.UUID
    version: int
    state_under_review: str


def _order(f: RecommendationFilter) -> str:
    if f.q:
        return "rank"
    if f.updated_since is not None:
        return "updated"
    return "natural"


def _keyset(order: str, cursor: str) -> tuple[str, dict[str, Any]]:
    from shared.recommendations import queries

    kind = f"recommendations:{order}"
    try:
        if order == "natural":
            state, date, para, rid = decode_cursor(cursor, kind, [str, str, list, str])
            if not all(isinstance(p, int) for p in para):
                raise InvalidCursor("the cursor is malformed")
            return queries.KEYSET_NATURAL, {
                "k_state": state,
                "k_date": dt.date.fromisoformat(date),
                "k_para": para,
                "k_id": uuid.UUID(rid),
            }
        if order == "updated":
            updated, rid = decode_cursor(cursor, kind, [str, str])
            return queries.KEYSET_UPDATED, {
                "k_updated": dt.datetime.fromisoformat(updated),
                "k_id": uuid.UUID(rid),
            }
        rank, rid = decode_cursor(cursor, kind, [(float, int), str])
        return queries.keyset_rank(), {"k_rank": float(rank), "k_id": uuid.UUID(rid)}
    except ValueError as exc:
        raise InvalidCursor("the cursor is malformed; use next_cursor as given") from exc


def _cursor(order: str, row: Mapping[str, Any]) -> str:
    kind = f"recommendations:{order}"
    if order == "natural":
        return encode_cursor(
            kind,
            [
                row["state_under_review"],
                row["document_date"].isoformat(),
                list(row["paragraph_key"]),
                str(row["id"]),
            ],
        )
    if order == "updated":
        return encode_cursor(kind, [row["updated_at"].isoformat(), str(row["id"])])
    return encode_cursor(kind, [row["rank"], str(row["id"])])


async def list_page(
    driver: Any, f: RecommendationFilter, *, cursor: str | None, limit: int
) -> RawPage:
    """A page on an asyncpg connection (``Database.read_driver``, ``db.driver_of``)."""
    order = _order(f)
    keyset, params = _keyset(order, cursor) if cursor else (None, {})
    rows = await RecommendationReads(driver).page(
        f, order=order, keyset=keyset, keyset_params=params, limit=limit + 1
    )
    next_cursor = _cursor(order, rows[limit - 1]) if len(rows) > limit else None
    return RawPage(items=[r["item"] for r in rows[:limit]], next_cursor=next_cursor)


def parse_ident(ident: str) -> uuid.UUID | str:
    try:
        return uuid.UUID(ident)
    except ValueError:
        return ident


async def get_item(driver: Any, ident: str) -> RawItem:
    row = await RecommendationReads(driver).item_json(parse_ident(ident))
    if row is None:
        raise NotFound(f"no recommendation {ident!r}")
    return RawItem(
        json=row["item"],
        id=row["id"],
        version=row["version"],
        state_under_review=row["state_under_review"],
    )


async def _writable(
    session: AsyncSession, actor: Actor, rec_id: uuid.UUID, *, for_update: bool = False
) -> Recommendation:
    rec = await RecommendationRepository(session).get(rec_id, for_update=for_update)
    if rec is None:
        raise NotFound(f"no recommendation {rec_id}")
    actor.require_country(rec.state_under_review)
    return rec


def _tags(rec: Recommendation) -> dict[str, list[str]]:
    return {
        "themes": list(rec.themes),
        "affected_persons": list(rec.affected_persons),
        "sdg_targets": list(rec.sdg_targets),
        "institutions": list(rec.institutions),
    }


async def patch(
    session: AsyncSession,
    actor: Actor,
    rec_id: uuid.UUID,
    version: int,
    changes: RecommendationPatch,
) -> int:
    """Change the tags of a recommendation at ``version``; returns the new version."""
    problems = validation.Problems("body")
    values: dict[str, Any] = {}
    if changes.themes is not None:
        values["themes"] = list(validation.themes(changes.themes, "themes", problems))
    if changes.affected_persons is not None:
        values["affected_persons"] = list(
            validation.affected_persons(changes.affected_persons, "affected_persons", problems)
        )
    if changes.sdg_targets is not None:
        _, targets = validation.sdg(
            changes.sdg_targets, "sdg_targets", problems, goals_allowed=False
        )
        values["sdg_targets"] = list(targets)
        values["sdg_goals"] = sdg_goals_of(targets)
    if changes.institutions is not None:
        values["institutions"] = list(
            validation.institutions(changes.institutions, "institutions", problems)
        )
    problems.raise_if_any()

    rec = await _writable(session, actor, rec_id)
    before = _tags(rec)
    require_version("recommendation", rec.version, version)
    new_version = await RecommendationRepository(session).update_if_version(rec_id, version, values)
    if new_version is None:
        raise changed_meanwhile("recommendation")
    after = {**before, **{k: v for k, v in values.items() if k != "sdg_goals"}}
    audit.record(
        session,
        actor,
        "recommendation.update",
        "recommendation",
        str(rec_id),
        before=before,
        after=after,
    )
    return new_version


def _update_out(row: ImplementationUpdate) -> UpdateOut:
    return UpdateOut(
        id=row.id,
        recommendation_id=row.recommendation_id,
        status=row.status,
        narrative=row.narrative,
        evidence_links=list(row.evidence_links),
        source=row.source,
        author=row.author,
        reported_on=row.reported_on,
        created_at=row.created_at,
    )


async def add_update(
    session: AsyncSession, actor: Actor, rec_id: uuid.UUID, data: UpdateIn
) -> UpdateOut:
    """Append a progress report; the recommendation takes its status."""
    # Lock the recommendation first: the update's foreign key would otherwise take a share
    # lock that concurrent reporters then each try to upgrade (a deadlock).
    rec = await _writable(session, actor, rec_id, for_update=True)
    repo = RecommendationRepository(session)
    row = ImplementationUpdate(
        id=uuid.uuid4(),
        recommendation_id=rec_id,
        status=data.status,
        narrative=data.narrative.strip(),
        evidence_links=[str(u) for u in data.evidence_links],
        source=data.source,
        author=data.author,
        reported_on=data.reported_on or dt.date.today(),
        api_key_id=actor.api_key_id,
    )
    repo.add_update(row)
    await session.flush()
    await session.refresh(row, ["created_at"])
    previous, _ = await repo.set_status(rec_id, data.status)
    out = _update_out(row)
    if previous != data.status:
        await outbox.emit(
            session,
            "recommendation.status_changed",
            rec.state_under_review,
            {
                "id": str(rec_id),
                "ref": rec.ref,
                "previous_status": previous,
                "status": data.status,
                "update_id": str(row.id),
            },
        )
    audit.record(
        session,
        actor,
        "recommendation.update_added",
        "recommendation",
        str(rec_id),
        before={"status": previous},
        after={"status": data.status, "update_id": str(row.id)},
    )
    return out


async def list_updates(session: AsyncSession, rec_id: uuid.UUID) -> list[UpdateOut]:
    repo = RecommendationRepository(session)
    if await repo.get(rec_id) is None:
        raise NotFound(f"no recommendation {rec_id}")
    return [_update_out(u) for u in await repo.updates(rec_id)]


async def get_update(session: AsyncSession, rec_id: uuid.UUID, update_id: uuid.UUID) -> UpdateOut:
    row = await RecommendationRepository(session).update(rec_id, update_id)
    if row is None:
        raise NotFound(f"no update {update_id} on recommendation {rec_id}")
    return _update_out(row)


async def position_history(session: AsyncSession, rec_id: uuid.UUID) -> list[PositionChangeOut]:
    repo = RecommendationRepository(session)
    if await repo.get(rec_id) is None:
        raise NotFound(f"no recommendation {rec_id}")
    return [
        PositionChangeOut(
            position=p.position,
            position_raw=p.position_raw,
            source_symbol=p.source_symbol,
            changed_at=p.changed_at,
        )
        for p in await repo.position_history(rec_id)
    ]


async def facets(session: AsyncSession, f: RecommendationFilter) -> Facets:
    groups: dict[str, list[FacetValue]] = {
        "position": [],
        "status": [],
        "theme": [],
        "sdg_goal": [],
        "recommending_state": [],
        "cycle": [],
    }
    total = 0
    for facet, value, count in await RecommendationRepository(session).facets(f):
        if facet == "total":
            total = int(count)
        else:
            groups[facet].append(FacetValue(value=str(value), count=int(count)))
    for values in groups.values():
        values.sort(key=lambda v: (-v.count, v.value))
    return Facets(total=total, **groups)


async def export_rows(
    session: AsyncSession, f: RecommendationFilter, *, json_rows: bool
) -> AsyncIterator[Sequence[Any]]:
    async for batch in RecommendationRepository(session).export(f, json_rows=json_rows):
        yield batch


async def delete(session: AsyncSession, actor: Actor, rec_id: uuid.UUID) -> None:
    """Tombstone a recommendation: delta-sync clients learn of it with include_deleted."""
    rec = await _writable(session, actor, rec_id)
    ref = rec.ref
    if not await RecommendationRepository(session).soft_delete(rec_id):
        raise NotFound(f"no recommendation {rec_id}")
    audit.record(
        session,
        actor,
        "recommendation.delete",
        "recommendation",
        str(rec_id),
        before={"ref": ref},
        after=None,
    )
