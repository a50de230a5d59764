"""Rules of recommendations: listing, tagging and the append-only implementation history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from shared import sync
from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.errors import InvalidCursor, NotFound, Unavailable
from shared.kernel import outbox, validation
from shared.kernel.sdg import sdg_goals_of
from shared.pagination import decode_cursor, encode_cursor
from shared.recommendations import queries
from shared.recommendations.models import ImplementationUpdate, Recommendation
from shared.recommendations.repository import (
    RecommendationReads,
    RecommendationRepository,
)
from shared.recommendations.schemas import (
    TAG_FIELDS,
    PositionChangeOut,
    RecommendationFilter,
    RecommendationPatch,
    TagOperations,
    UpdateIn,
    UpdateOut,
)
from shared.settings import get_settings


@dataclass(frozen=True, slots=True)
class RawPage:
    """A page whose items are stored JSON texts; the sync token on the last page of a
    pass; the snapshot the page was read at (None for an empty page after the first)."""

    items: list[str]
    next_cursor: str | None
    sync_token: str | None = None
    snapshot: sync.Snapshot | None = None


@dataclass(frozen=True, slots=True)
class RawItem:
    json: str
    id: uuid.UUID
    version: int
    state_under_review: str


RESOURCE = "recommendations"
# Not part of what a token is bound to: how the delta is asked for, not what it covers.
_UNBOUND = frozenset({"updated_since", "include_deleted", "since"})


@lru_cache(maxsize=1024)
def filters_key(f: RecommendationFilter) -> str:
    """The digest of the filters a sync token is bound to (values in a canonical order)."""
    parts = {
        name: sorted(value) if isinstance(value, tuple) else value
        for name, value in ((fd.name, getattr(f, fd.name)) for fd in dataclasses.fields(f))
        if name not in _UNBOUND
    }
    return sync.filters_digest(parts)


def _order(f: RecommendationFilter) -> str:
    if f.since is not None:
        return "sync"
    if f.q:
        return "rank"
    if f.updated_since is not None:
        return "updated"
    return "natural"


def _keyset(order: str, cursor: str) -> tuple[str, dict[str, Any], str]:
    """The keyset clause, its parameters and the sync token of the pass a cursor continues."""
    kind = f"recommendations:{order}"
    try:
        if order == "natural":
            state, date, para, rid, token = decode_cursor(cursor, kind, [str, str, list, str, str])
            if not all(isinstance(p, int) for p in para):
                raise InvalidCursor("the cursor is malformed")
            return (
                queries.KEYSET_NATURAL,
                {
                    "k_state": state,
                    "k_date": dt.date.fromisoformat(date),
                    "k_para": para,
                    "k_id": uuid.UUID(rid),
                },
                token,
            )
        if order == "updated":
            updated, rid, token = decode_cursor(cursor, kind, [str, str, str])
            return (
                queries.KEYSET_UPDATED,
                {"k_updated": dt.datetime.fromisoformat(updated), "k_id": uuid.UUID(rid)},
                token,
            )
        if order == "sync":
            xid, rid, token = decode_cursor(cursor, kind, [int, str, str])
            return queries.KEYSET_SYNC, {"k_xid": xid, "k_id": uuid.UUID(rid)}, token
        rank, rid, token = decode_cursor(cursor, kind, [(float, int), str, str])
        return queries.keyset_rank(), {"k_rank": float(rank), "k_id": uuid.UUID(rid)}, token
    except ValueError as exc:
        raise InvalidCursor("the cursor is malformed; use next_cursor as given") from exc


def _cursor(order: str, row: Mapping[str, Any], token: str) -> str:
    kind = f"recommendations:{order}"
    if order == "natural":
        return encode_cursor(
            kind,
            [
                row["state_under_review"],
                row["document_date"].isoformat(),
                list(row["paragraph_key"]),
                str(row["id"]),
                token,
            ],
        )
    if order == "updated":
        return encode_cursor(kind, [row["updated_at"].isoformat(), str(row["id"]), token])
    if order == "sync":
        return encode_cursor(kind, [int(row["sync_xid"]), str(row["id"]), token])
    return encode_cursor(kind, [row["rank"], str(row["id"]), token])


async def _first_page(
    reads: RecommendationReads, f: RecommendationFilter, order: str, limit: int
) -> tuple[Sequence[Any], sync.Snapshot]:
    """The first page of a pass and the snapshot it was read at (the pass's sync token)."""
    for _ in range(10):
        rows = await reads.page(
            f, order=order, keyset=None, keyset_params={}, limit=limit, with_snapshot=True
        )
        if rows:
            return rows, sync.Snapshot.parse(rows[0]["snapshot"])
        # No row to carry the snapshot: ask for one with a statement that checks the page
        # is still empty at it (a row committed in between is read on the next turn).
        snapshot, empty = await reads.empty_page_snapshot(f, order=order, limit=limit)
        if empty:
            return rows, sync.Snapshot.parse(snapshot)
    raise Unavailable("the list kept changing while it was read; try again")


async def list_page(
    driver: Any,
    f: RecommendationFilter,
    *,
    cursor: str | None,
    limit: int,
    since_token: str | None = None,
) -> RawPage:
    """A page on an asyncpg connection (``Database.read_driver``, ``db.driver_of``).

    The first page of a pass is read with its snapshot; the pass's sync token (that
    snapshot) rides in every cursor and is handed out on the last page: a client that
    read every page has seen every change the snapshot saw (or a later state of its row),
    and the next delta returns every change it did not (shared/sync.py).
    """
    digest = filters_key(f)
    token = sync.decode(since_token, resource=RESOURCE, filters=digest) if since_token else None
    if token is not None:
        f = dataclasses.replace(f, since=token.snapshot, include_deleted=True)
    order = _order(f)
    reads = RecommendationReads(driver)
    snapshot: sync.Snapshot | None
    if cursor:
        keyset, params, pass_token = _keyset(order, cursor)
        try:
            sync.decode(pass_token, resource=RESOURCE, filters=digest)
        except sync.InvalidSyncToken:
            raise InvalidCursor("the cursor belongs to another list or other filters") from None
        rows = await reads.page(
            f,
            order=order,
            keyset=keyset,
            keyset_params=params,
            limit=limit + 1,
            with_snapshot=True,
        )
        snapshot = sync.Snapshot.parse(rows[0]["snapshot"]) if rows else None
    else:
        rows, snapshot = await _first_page(reads, f, order, limit + 1)
        if token is not None:
            sync.check_not_ahead(token, snapshot)
        pass_token = sync.encode(sync.SyncToken(RESOURCE, digest, snapshot))
    more = len(rows) > limit
    return RawPage(
        items=[r["item"] for r in rows[:limit]],
        next_cursor=_cursor(order, rows[limit - 1], pass_token) if more else None,
        sync_token=None if more else pass_token,
        snapshot=snapshot,
    )


async def unchanged_since(driver: Any, f: RecommendationFilter, snapshot: sync.Snapshot) -> bool:
    """Whether no recommendation a filter covers (its States, or all) changed since
    ``snapshot``: then an answer read at it is still the answer."""
    return not await RecommendationReads(driver).changed_since(snapshot, f.countries)


def project(items: Sequence[str], fields: Sequence[str]) -> list[str]:
    """Only ``fields`` of each stored item (tombstones keep their own fields)."""
    out = []
    for text in items:
        item = orjson.loads(text)
        if item.get("deleted"):
            out.append(text)
        else:
            out.append(orjson.dumps({k: item[k] for k in fields if k in item}).decode())
    return out


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
    session: AsyncSession, actor: Actor, rec_id: uuid.UUID, version: int | None = None
) -> Recommendation:
    """The recommendation locked for a change: 404, 403 outside the caller's States, then
    412 when it is no longer at ``version`` (when one is given)."""
    return await RecommendationRepository(session).for_change(
        "recommendation", rec_id, version, lambda rec: actor.require_country(rec.state_under_review)
    )


def _tags(rec: Recommendation) -> dict[str, list[str]]:
    return {
        "themes": list(rec.themes),
        "affected_persons": list(rec.affected_persons),
        "sdg_targets": list(rec.sdg_targets),
        "institutions": list(rec.institutions),
    }


def _resolved(field: str, values: Sequence[str], problems: validation.Problems) -> list[str]:
    """The canonical spelling of each tag value (422 for unknown ones, via ``problems``)."""
    if field == "themes":
        return list(validation.themes(values, field, problems))
    if field == "affected_persons":
        return list(validation.affected_persons(values, field, problems))
    if field == "sdg_targets":
        return list(validation.sdg(values, field, problems, goals_allowed=False)[1])
    return list(validation.institutions(values, field, problems))


def _with_goals(values: dict[str, Any]) -> dict[str, Any]:
    """SDG goals follow the targets (a denormalized column for the goal filter)."""
    if "sdg_targets" in values:
        return {**values, "sdg_goals": sdg_goals_of(values["sdg_targets"])}
    return values


async def _write_tags(
    session: AsyncSession,
    actor: Actor,
    rec: Recommendation,
    version: int,
    values: dict[str, list[str]],
) -> int:
    """Write new tag lists at ``version`` (412 when the row moved on), with the audit."""
    before = _tags(rec)
    new_version = await RecommendationRepository(session).update_versioned(
        "recommendation", rec.id, version, _with_goals(values)
    )
    audit.record(
        session,
        actor,
        "recommendation.update",
        "recommendation",
        str(rec.id),
        before=before,
        after={**before, **values},
    )
    return new_version


async def patch(
    session: AsyncSession,
    actor: Actor,
    rec_id: uuid.UUID,
    version: int,
    changes: RecommendationPatch,
) -> int:
    """Apply a JSON merge patch of the tags at ``version``: each list given replaces the
    current one. Returns the new version."""
    problems = validation.Problems("body")
    values = {
        field: _resolved(field, given, problems)
        for field in TAG_FIELDS
        if (given := getattr(changes, field)) is not None
    }
    problems.raise_if_any()
    rec = await _writable(session, actor, rec_id, version)
    return await _write_tags(session, actor, rec, version, values)


async def change_tags(
    session: AsyncSession,
    actor: Actor,
    rec_id: uuid.UUID,
    version: int | None,
    ops: TagOperations,
) -> int:
    """Add and remove single tag values, the others untouched. ``version`` (If-Match)
    is optional: the operations do not depend on the rest of the list, but a version
    named and stale is a 412. Returns the new version (the current one when nothing
    changed)."""
    problems = validation.Problems("body")
    added = {f: _resolved(f, getattr(ops.add, f), problems) for f in TAG_FIELDS}
    removed = {f: _resolved(f, getattr(ops.remove, f), problems) for f in TAG_FIELDS}
    for field in TAG_FIELDS:
        for value in sorted(set(added[field]) & set(removed[field])):
            problems.add(field, f"{value!r} is both added and removed")
    problems.raise_if_any()
    # Locked: the lists are computed from the row as it is, then written.
    rec = await _writable(session, actor, rec_id, version)
    current = _tags(rec)
    values: dict[str, list[str]] = {}
    for field in TAG_FIELDS:
        gone = set(removed[field])
        new = [v for v in current[field] if v not in gone]
        new += [v for v in added[field] if v not in new]
        if new != current[field]:
            values[field] = new
    if not values:
        return rec.version
    return await _write_tags(session, actor, rec, rec.version, values)


async def add_update(
    session: AsyncSession,
    actor: Actor,
    rec_id: uuid.UUID,
    data: UpdateIn,
    *,
    version: int | None = None,
) -> tuple[UpdateOut, int]:
    """Append a progress report; the recommendation takes its status. ``version`` (the
    If-Match of the request, optional): 412 when the recommendation moved on since the
    reporter read it. Returns the update and the recommendation's new version."""
    # Lock the recommendation first: the update's foreign key would otherwise take a share
    # lock that concurrent reporters then each try to upgrade (a deadlock).
    rec = await _writable(session, actor, rec_id, version)
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
    await repo.insert(row)
    previous, new_version = await repo.set_status(rec_id, data.status)
    out = UpdateOut.model_validate(row)
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
    return out, new_version


async def list_updates(session: AsyncSession, rec_id: uuid.UUID) -> list[UpdateOut]:
    repo = RecommendationRepository(session)
    await repo.found("recommendation", rec_id)
    return [UpdateOut.model_validate(u) for u in await repo.updates(rec_id)]


async def get_update(session: AsyncSession, rec_id: uuid.UUID, update_id: uuid.UUID) -> UpdateOut:
    row = await RecommendationRepository(session).update(rec_id, update_id)
    if row is None:
        raise NotFound(f"no update {update_id} on recommendation {rec_id}")
    return UpdateOut.model_validate(row)


async def position_history(session: AsyncSession, rec_id: uuid.UUID) -> list[PositionChangeOut]:
    repo = RecommendationRepository(session)
    await repo.found("recommendation", rec_id)
    return [
        PositionChangeOut(
            position=p.position,
            position_raw=p.position_raw,
            source_symbol=p.source_symbol,
            changed_at=p.changed_at,
        )
        for p in await repo.position_history(rec_id)
    ]


async def export_rows(
    session: AsyncSession, f: RecommendationFilter
) -> AsyncIterator[Sequence[Any]]:
    """Every matching item's JSON, in batches of records."""
    async for batch in RecommendationRepository(session).export(f):
        yield batch


async def export_csv(session: AsyncSession, f: RecommendationFilter) -> AsyncIterator[bytes]:
    """Every matching recommendation as CSV (a header line first), in chunks."""
    timeout_ms = get_settings().export_statement_timeout_ms
    async for chunk in RecommendationRepository(session).export_csv(f, timeout_ms=timeout_ms):
        yield chunk


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
