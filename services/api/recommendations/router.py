"""Recommendations: lists with filters, full-text search, facets, exports, tags, updates."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from services.api import deps, edge
from shared.db import driver_of
from shared.recommendations import facets, freshness, schemas, service, validation

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])
routes = edge.Routes(router)
# The detail route, apart: a ref contains slashes, so its path parameter would shadow every
# other /v1/recommendations/{id}/... route. The app includes it after all other routers,
# and this router first (lists are the hot path: fewer routes to try before a match).
detail_router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])
detail = edge.Routes(detail_router)

SYNC_TOKEN_HEADER = "Sync-Token"  # noqa: S105 - a header name
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


# async: a plain def would run in the thread pool, a thread hop on every request.
async def recommendation_filter(
    query: Annotated[schemas.RecommendationQuery, Query()],
) -> schemas.RecommendationFilter:
    return validation.to_filter(query)


Filter = Annotated[schemas.RecommendationFilter, Depends(recommendation_filter)]


def page_response(
    request: Request, page: service.RawPage, fields: tuple[str, ...], digest: str
) -> Response:
    """The page as JSON (its items are already JSON texts), with the next page's Link and
    an ETag naming the snapshot it was read at."""
    items = service.project(page.items, fields) if fields else page.items
    body = (
        '{"items":['
        + ",".join(items)
        + '],"next_cursor":'
        + orjson.dumps(page.next_cursor).decode()
        + ',"sync_token":'
        + orjson.dumps(page.sync_token).decode()
        + "}"
    )
    response = edge.json_response(body.encode())
    edge.link_header(request, response, page.next_cursor)
    if page.sync_token is not None:
        response.headers[SYNC_TOKEN_HEADER] = page.sync_token
    if page.snapshot is not None:
        response.headers["ETag"] = freshness.etag(digest, page.snapshot)
    return response


@dataclass(frozen=True, slots=True)
class ListRequest:
    """What a list request asks: its validated query, the filter and the item fields."""

    query: schemas.RecommendationListQuery
    filter: schemas.RecommendationFilter
    fields: tuple[str, ...]


def list_request(query: schemas.RecommendationListQuery) -> ListRequest:
    """The filter and fields of a validated query (422 naming unknown values)."""
    return ListRequest(query, validation.to_filter(query), validation.item_fields(query.fields))


async def list_answer(request: Request, driver: Any, asked: ListRequest) -> Response:
    """A list page, or 304 when the client's ETag names a snapshot since which nothing
    the filters cover has changed (checked without running the list query)."""
    digest, not_modified = await _revalidated(
        request, driver, asked.filter, request.headers.get("if-none-match")
    )
    if not_modified is not None:
        return not_modified
    query = asked.query
    page = await service.list_page(
        driver, asked.filter, cursor=query.cursor, limit=query.limit, since_token=query.since_token
    )
    return page_response(request, page, asked.fields, digest)


async def _revalidated(
    request: Request, driver: Any, f: schemas.RecommendationFilter, if_none_match: str | None
) -> tuple[str, Response | None]:
    """The digest of what the request asks, and a 304 when the client's ETag names a
    snapshot since which nothing the filters cover has changed."""
    digest = edge.request_digest(request)
    snapshot = freshness.snapshot_of(if_none_match, digest)
    if snapshot is not None and await service.unchanged_since(driver, f, snapshot):
        return digest, Response(status_code=304, headers={"ETag": freshness.etag(digest, snapshot)})
    return digest, None


def item_response(item: service.RawItem, if_none_match: str | None) -> Response:
    """The item with its ETag, or 304 when the client's If-None-Match names it."""
    return edge.current_json(item.json, item.version, if_none_match)


@routes.read("", schemas.RecommendationPage, "List recommendations")
async def list_recommendations(
    request: Request,
    session: deps.ReadSession,
    _reader: deps.Reader,
    query: Annotated[schemas.RecommendationListQuery, Query()],
    _if_none_match: edge.IfNoneMatch,
) -> Response:
    """Recommendations matching every filter given (values of one filter are alternatives).

    Order: State under review, document date, then paragraph in natural order (115.2
    before 115.10); with `q`, relevance; with `updated_since`, the time of the change;
    with `since_token`, the order of the writing transactions.
    Pages are keyset-based: follow `next_cursor` or the `Link` header.

    **Delta sync.** The last page of a pass (`next_cursor` null) carries a `sync_token`
    (body and `Sync-Token` header). Send it back as `since_token`, with the same filters:
    the answer holds every recommendation changed by a transaction committed after the
    token's answer was read, at least once (deletions as tombstones), whatever the
    interleaving of transactions, and its last page a new token. A token this list did
    not issue (malformed, altered, other filters, another database) is a 400
    `invalid_sync_token`: run a full sync then. `updated_since` is best effort only: a
    long transaction can commit a change stamped earlier than one already seen.
    """
    driver = await driver_of(await session.connection())
    return await list_answer(request, driver, list_request(query))


@routes.read("/facets", schemas.Facets, "Counts by facet")
async def count_recommendation_facets(
    request: Request,
    session: deps.ReadSession,
    _reader: deps.Reader,
    f: Filter,
    if_none_match: edge.IfNoneMatch,
) -> Response:
    """Counts of the matching recommendations by position, status, theme, SDG goal,
    recommending State and cycle (same filters as the list).

    Computed once per change of the States the filters cover, and answered from memory
    until the next; the `ETag` names that state of the data: `If-None-Match` gives 304
    while it holds."""
    driver = await driver_of(await session.connection())
    digest, not_modified = await _revalidated(request, driver, f, if_none_match)
    if not_modified is not None:
        return not_modified
    cached = await facets.cached_facets_json(session, f)
    response = edge.json_response(cached.value)
    response.headers["ETag"] = freshness.etag(digest, cached.snapshot)
    return response


async def _first_batch_fetched(batches: AsyncIterator[T]) -> AsyncIterator[T]:
    """Run the export query before the response starts, so that a failing query is a
    problem+json answer rather than a response cut short after its headers."""
    first = await anext(batches, None)

    async def chained() -> AsyncIterator[T]:
        if first is None:
            return
        yield first
        async for batch in batches:
            yield batch

    return chained()


def _export_route(path: str, media_type: str, description: str, summary: str) -> Callable[[F], F]:
    """Declare a streamed export of the matching recommendations in ``media_type``."""
    return router.get(
        path,
        response_class=StreamingResponse,
        responses={200: {"content": {media_type: {}}, "description": description}},
        summary=summary,
    )


@_export_route("/export.csv", "text/csv", "CSV, one row each", "Export as CSV")
async def export_recommendations_csv(
    session: deps.StreamSession, _reader: deps.StreamReader, f: Filter
) -> StreamingResponse:
    """All matching recommendations as CSV (streamed; multi-valued cells joined by `; `)."""

    return StreamingResponse(
        await _first_batch_fetched(service.export_csv(session, f)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="recommendations.csv"'},
    )


@_export_route("/export.ndjson", "application/x-ndjson", "one JSON a line", "Export as NDJSON")
async def export_recommendations_ndjson(
    session: deps.StreamSession, _reader: deps.StreamReader, f: Filter
) -> StreamingResponse:
    """All matching recommendations, one JSON object a line (streamed)."""

    batches = await _first_batch_fetched(service.export_rows(session, f))

    async def rows() -> AsyncIterator[bytes]:
        async for batch in batches:
            yield ("\n".join(r[0] for r in batch) + "\n").encode()

    return StreamingResponse(rows(), media_type="application/x-ndjson")


# Who changes which recommendation (`recommendations:write` for its State).
Edit = Annotated[
    edge.Target, edge.target_of("rec_id", deps.WriteSession, deps.RecommendationsWriter)
]


async def edited(edit: edge.Target) -> Response:
    """The recommendation as the write left it, with its ETag."""
    item = await service.get_item(await driver_of(await edit.session.connection()), str(edit.id))
    return item_response(item, None)


@routes.change(
    "/{rec_id}",
    schemas.RecommendationOut,
    "Change themes, affected persons, SDG targets, institutions",
)
async def patch_recommendation(
    changes: schemas.RecommendationPatch, version: edge.IfMatch, edit: Edit
) -> Response:
    """Change the tags of a recommendation: a JSON merge patch (RFC 7396, sent as
    `application/merge-patch+json` or `application/json`). A field absent stays as it
    is; a field given **replaces the whole list** (`[]` empties it). To add or remove
    single values without sending the rest, use `POST /v1/recommendations/{id}/tags`.

    Needs `recommendations:write` for the State under review and `If-Match` with the
    current ETag (428 without it, 412 when another editor changed it first). Answers the
    recommendation with its new ETag."""
    await service.patch(*edit.args, version, changes)
    return await edited(edit)


@router.post(
    "/{rec_id}/tags",
    response_model=schemas.RecommendationOut,
    summary="Add and remove tag values",
)
async def change_recommendation_tags(
    ops: schemas.TagOperations, version: edge.OptionalIfMatch, edit: Edit
) -> Response:
    """Add values to and remove values from the themes, affected persons, SDG targets
    and institutions of a recommendation, the other values untouched:
    `{"add": {"themes": ["A12"]}, "remove": {"institutions": ["Ministry of Justice"]}}`.
    Two editors adding different values both keep theirs. Adding a value already there
    or removing one that is not there changes nothing; a value both added and removed is
    a 422.

    `If-Match` is optional here (the operations do not depend on the rest of the list);
    when sent and stale: 412. Needs `recommendations:write` for the State under review.
    Answers the recommendation with its new ETag."""
    await service.change_tags(*edit.args, version, ops)
    return await edited(edit)


@routes.delete("/{rec_id}", "Delete (tombstone)")
async def delete_recommendation(
    rec_id: uuid.UUID, session: deps.WriteSession, actor: deps.AdminWriter
) -> None:
    """Delete a recommendation (admin). It stays as a tombstone for delta-sync clients."""
    await service.delete(session, actor, rec_id)


@routes.create("/{rec_id}/updates", schemas.UpdateOut, "Report progress")
async def create_recommendation_update(
    rec_id: uuid.UUID,
    data: schemas.UpdateIn,
    version: edge.OptionalIfMatch,
    request: Request,
    response: Response,
    session: deps.WriteSession,
    actor: deps.RecommendationsWriter,
) -> schemas.UpdateOut:
    """Append an implementation update (status, narrative, evidence, source). Updates are
    never changed or removed: the history is the accountability record. The
    recommendation takes the update's status.

    `If-Match` with the recommendation's ETag is optional; when sent and the
    recommendation changed since (another update, a tag change): 412, nothing recorded.
    The answer carries the new update's `Location` and the recommendation's new `ETag`."""
    out, new_version = await service.add_update(session, actor, rec_id, data, version=version)
    edge.set_location(
        request, response, "get_recommendation_update", rec_id=rec_id, update_id=out.id
    )
    edge.set_etag(response, new_version)
    return out


@routes.read("/{rec_id}/updates", list[schemas.UpdateOut], "Progress history")
async def list_recommendation_updates(
    rec_id: uuid.UUID, session: deps.ReadSession, _reader: deps.Reader
) -> list[schemas.UpdateOut]:
    """Every implementation update of a recommendation, oldest first."""
    return await service.list_updates(session, rec_id)


@routes.read("/{rec_id}/updates/{update_id}", schemas.UpdateOut, "One update")
async def get_recommendation_update(
    rec_id: uuid.UUID, update_id: uuid.UUID, session: deps.ReadSession, _reader: deps.Reader
) -> schemas.UpdateOut:
    """One implementation update."""
    return await service.get_update(session, rec_id, update_id)


@routes.read("/{rec_id}/positions", list[schemas.PositionChangeOut], "Position history")
async def list_recommendation_positions(
    rec_id: uuid.UUID, session: deps.ReadSession, _reader: deps.Reader
) -> list[schemas.PositionChangeOut]:
    """Every position the recommendation has had, with the document that stated it."""
    return await service.position_history(session, rec_id)


@detail.read("/{rec_id:anything}", schemas.RecommendationOut, "One recommendation")
async def get_recommendation(
    rec_id: str, if_none_match: edge.IfNoneMatch, session: deps.ReadSession, _reader: deps.Reader
) -> Response:
    """A recommendation by UUID or by `ref` (`A/HRC/43/15#122.3`, URL-encoded).

    Carries an `ETag`; send it back in `If-None-Match` to get 304 when unchanged, and in
    `If-Match` when you change the recommendation.
    """
    item = await service.get_item(await driver_of(await session.connection()), rec_id)
    return item_response(item, if_none_match)
