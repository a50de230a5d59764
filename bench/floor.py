"""The floor: a bare Starlette app running the service's own SQL through raw asyncpg.

It answers the benchmarked routes with the same statements (built by
``shared.recommendations.queries``) and the same bodies, but with no FastAPI, no
SQLAlchemy, no middleware and no validation beyond what the SQL needs. The API is measured
against it: whatever the API does on top costs the difference.

``BENCH_FLOOR_ITEMS=built`` runs the statements as they were before items were stored in
their rows: PostgreSQL builds each item's JSON (with its recommending States and
document) per request. That floor stays in the bench so the gain is measured in one run.

    BENCH_FLOOR_DSN=postgresql://... uvicorn bench.floor:app --loop uvloop --http httptools
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from shared import sync
from shared.db import copy_out
from shared.recommendations import queries
from shared.recommendations.repository import _ITEM_BY_ID
from shared.recommendations.schemas import RecommendationFilter
from shared.recommendations.service import RESOURCE, _cursor, _order, filters_key


def args(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    return queries.positional(sql, params)


# Each item built from its row per request, as every read did before items were stored.
BUILT_ITEM_JSON = """json_build_object(
    'id', r.id, 'ref', r.ref, 'kind', r.kind, 'paragraph', r.paragraph, 'text', r.text,
    'state_under_review', r.state_under_review,
    'recommending_states', coalesce((
        SELECT json_agg(json_build_object('iso3', s.iso3, 'name', s.name) ORDER BY s.ordinal)
        FROM recommending_states s WHERE s.recommendation_id = r.id
    ), '[]'::json),
    'mechanism', r.mechanism, 'cycle', r.cycle, 'session', r.session,
    'document', (SELECT json_build_object('symbol', r.document_symbol, 'kind', d.kind,
                                          'date', d.date)
                 FROM documents d WHERE d.id = r.document_id),
    'position', r.position, 'position_source', r.position_source, 'themes', r.themes,
    'affected_persons', r.affected_persons, 'sdg_targets', r.sdg_targets,
    'institutions', r.institutions, 'status', r.status, 'version', r.version,
    'created_at', r.created_at, 'updated_at', r.updated_at
)::text"""
BUILT = os.environ.get("BENCH_FLOOR_ITEMS", "stored") == "built"


def _items(statement: str) -> str:
    return statement.replace(queries.ITEM_JSON, BUILT_ITEM_JSON) if BUILT else statement


def _filter(request: Request) -> RecommendationFilter:
    qp = request.query_params
    since = qp.get("updated_since")
    f = RecommendationFilter(
        countries=tuple(qp.getlist("country")),
        cycles=tuple(int(c) for c in qp.getlist("cycle")),
        positions=tuple(qp.getlist("position")),
        q=qp.get("q") or None,
        updated_since=dt.datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None,
    )
    token = qp.get("since_token")
    if token:
        # The token is checked as the service checks it (its HMAC and filters).
        snapshot = sync.decode(token, resource=RESOURCE, filters=filters_key(f)).snapshot
        f = dataclasses.replace(f, since=snapshot, include_deleted=True)
    return f


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def list_recommendations(request: Request) -> Response:
    f = _filter(request)
    limit = int(request.query_params.get("limit", "50"))
    order = _order(f)
    text, values = queries.page_statement(f, order, limit=limit + 1, with_snapshot=True)
    rows = await _pool(request).fetch(_items(text), *values)
    if rows:
        snapshot = rows[0]["snapshot"]
    else:  # as the service does: the snapshot at which the page is empty
        text, values = queries.empty_page_statement(f, order, limit=limit + 1)
        snapshot = (await _pool(request).fetchrow(text, *values))["snapshot"]
    # The sync token, as the service signs it.
    token = sync.encode(sync.SyncToken(RESOURCE, filters_key(f), sync.Snapshot.parse(snapshot)))
    more = len(rows) > limit
    next_cursor = _cursor(order, rows[limit - 1], token) if more else None
    body = (
        '{"items":['
        + ",".join(r["item"] for r in rows[:limit])
        + '],"next_cursor":'
        + orjson.dumps(next_cursor).decode()
        + ',"sync_token":'
        + orjson.dumps(None if more else token).decode()
        + "}"
    )
    return Response(body.encode(), media_type="application/json")


# The statement the service runs for one recommendation.
_ITEM = _ITEM_BY_ID


async def get_recommendation(request: Request) -> Response:
    row = await _pool(request).fetchrow(_items(_ITEM), uuid.UUID(request.path_params["ident"]))
    if row is None:
        return Response(status_code=404)
    etag = f'"v{row["version"]}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(row["item"].encode(), media_type="application/json", headers={"ETag": etag})


async def facets(request: Request) -> Response:
    w = queries.where(_filter(request))
    text, values = args(queries.facets_sql(w), w.params)
    groups: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("position", "status", "theme", "sdg_goal", "recommending_state", "cycle")
    }
    total = 0
    for facet, value, n in await _pool(request).fetch(text, *values):
        if facet == "total":
            total = n
        else:
            groups[facet].append({"value": str(value), "count": n})
    for values_ in groups.values():
        values_.sort(key=lambda v: (-v["count"], v["value"]))
    return Response(orjson.dumps({"total": total, **groups}), media_type="application/json")


async def export_csv(request: Request) -> StreamingResponse:
    w = queries.where(_filter(request))
    text, values = args(queries.export_csv_sql(w), w.params)
    pool = _pool(request)

    async def chunks() -> AsyncIterator[bytes]:
        async with pool.acquire() as conn:
            async for chunk in copy_out(conn, text, values, format="csv", header=True):
                yield chunk

    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8")


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_FLOOR_DSN"],
        min_size=int(os.environ.get("BENCH_FLOOR_POOL", "40")),
        max_size=int(os.environ.get("BENCH_FLOOR_POOL", "40")),
        server_settings={"application_name": "followup-floor", "timezone": "UTC"},
    )
    # The API's own start-up setting (services/api/app.py): the floor is the best this
    # machine does, so it gets it too.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/v1/recommendations", list_recommendations),
        Route("/v1/recommendations/facets", facets),
        Route("/v1/recommendations/export.csv", export_csv),
        Route("/v1/recommendations/{ident}", get_recommendation),
    ],
    lifespan=lifespan,
)
