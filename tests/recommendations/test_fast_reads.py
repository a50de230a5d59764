"""The anonymous list and detail routes answer exactly as the documented FastAPI routes.

Anonymous reads go through ``services.api.recommendations.fast``; a request carrying an API
key goes through the FastAPI routes. Every answer is compared between the two.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from starlette.routing import Match

from services.api import lean
from services.api.app import create_app
from services.api.lean import InstalledLeanRoute
from services.api.metrics import REGISTRY
from shared.db import Database
from shared.queue import JobQueue
from shared.settings import Settings
from tests.conftest import KeyFactory
from tests.recommendations.conftest import Corpus

VALID_QUERIES: list[dict[str, Any]] = [
    {},
    {"country": "PRY"},
    {"country": "pry", "limit": 1},
    {"country": ["PRY", "URY"], "cycle": 3, "position": "supported"},
    {"country": "PRY", "cycle": [2, 3], "position": ["supported", "noted"], "limit": 2},
    {"q": "torture"},
    {"q": "ratify", "country": "PRY", "limit": 1},
    {"updated_since": "2000-01-01T00:00:00Z", "limit": 2},
    {"updated_since": "2000-01-01T00:00:00", "include_deleted": "true"},
    {"theme": "A12", "sdg": ["16", "5.2"], "recommending_state": "FRA"},
    {"institution": "Ministry of Justice", "kind": "recommendation", "status": "in_progress"},
    {"mechanism": "upr", "session": 38, "document": "A/HRC/48/9"},
    {"country": "PRY", "unknown_parameter": "ignored"},
]
# Each must be the same problem on both paths.
INVALID_QUERIES: list[dict[str, Any]] = [
    {"cycle": 99},
    {"cycle": "three"},
    {"position": "maybe", "status": "done"},
    {"limit": 0},
    {"limit": 501},
    {"q": ""},
    {"q": "x" * 501},
    {"updated_since": "yesterday"},
    {"include_deleted": "perhaps"},
    {"include_deleted": "true"},
    {"country": ["XXX", "PRY"], "theme": "no such theme", "sdg": "99"},
    {"cursor": "not-a-cursor"},
    {"cursor": "x" * 4001},
    {"since_token": "not-a-token"},
    {"since_token": "e30.AAAA", "updated_since": "2000-01-01T00:00:00Z"},
]


@pytest.fixture
async def key(api_keys: KeyFactory) -> dict[str, str]:
    """Headers of a valid key: its requests go through the documented FastAPI routes."""
    return await api_keys.headers("recommendations:write")


async def both(
    client: httpx.AsyncClient, key: dict[str, str], url: str, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    anonymous = await client.get(url, **kwargs)
    headers = {**kwargs.pop("headers", {}), **key}
    keyed = await client.get(url, headers=headers, **kwargs)
    return anonymous, keyed


# Differ by nature between two requests; everything else must be the same.
UNCOMPARED = {"date", "x-request-id", "server-timing"}
# What depends on the credentials sent, not on the route that answered.
CREDENTIAL_HEADERS = {"cache-control", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}


def same_answer(
    anonymous: httpx.Response, keyed: httpx.Response, *, ignore: frozenset[str] = frozenset()
) -> None:
    assert anonymous.status_code == keyed.status_code, (anonymous.text, keyed.text)
    assert anonymous.content == keyed.content
    skip = UNCOMPARED | CREDENTIAL_HEADERS | ignore
    lean_headers = sorted((k, v) for k, v in anonymous.headers.multi_items() if k not in skip)
    twin_headers = sorted((k, v) for k, v in keyed.headers.multi_items() if k not in skip)
    assert lean_headers == twin_headers


@pytest.mark.parametrize("params", VALID_QUERIES)
async def test_list_answers_match(
    client: httpx.AsyncClient, key: dict[str, str], corpus: Corpus, params: dict[str, Any]
) -> None:
    anonymous, keyed = await both(client, key, "/v1/recommendations", params=params)
    assert anonymous.status_code == 200, anonymous.text
    same_answer(anonymous, keyed)


@pytest.mark.parametrize("params", INVALID_QUERIES)
async def test_list_problems_match(
    client: httpx.AsyncClient, key: dict[str, str], corpus: Corpus, params: dict[str, Any]
) -> None:
    anonymous, keyed = await both(client, key, "/v1/recommendations", params=params)
    same_answer(anonymous, keyed)
    assert anonymous.headers["content-type"] == "application/problem+json"
    problem = anonymous.json()
    if params == {"cursor": "not-a-cursor"}:
        assert (anonymous.status_code, problem["code"]) == (400, "invalid_cursor")
    elif params == {"since_token": "not-a-token"}:
        assert (anonymous.status_code, problem["code"]) == (400, "invalid_sync_token")
    else:
        assert anonymous.status_code == 422
        assert problem["errors"]


async def test_following_pages_match(
    client: httpx.AsyncClient, key: dict[str, str], corpus: Corpus
) -> None:
    params: dict[str, Any] = {"limit": 2}
    seen = []
    while True:
        anonymous, keyed = await both(client, key, "/v1/recommendations", params=params)
        same_answer(anonymous, keyed)
        body = anonymous.json()
        seen += [item["ref"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)) == len(corpus.recs)
    # The delta after that pass, through its sync token, answers the same on both paths.
    anonymous, keyed = await both(
        client, key, "/v1/recommendations", params={"since_token": body["sync_token"]}
    )
    same_answer(anonymous, keyed)
    assert anonymous.status_code == 200


async def test_detail_answers_match(
    client: httpx.AsyncClient, key: dict[str, str], corpus: Corpus
) -> None:
    rec = corpus.recs["p1"]
    url = f"/v1/recommendations/{rec.id}"
    anonymous, keyed = await both(client, key, url)
    same_answer(anonymous, keyed)
    assert anonymous.status_code == 200
    assert anonymous.json()["ref"] == rec.ref
    etag = anonymous.headers["etag"]
    for tags in (etag, f"W/{etag}", f'"v0", {etag}', "*"):
        anonymous, keyed = await both(client, key, url, headers={"If-None-Match": tags})
        same_answer(anonymous, keyed)
        assert anonymous.status_code == 304
    anonymous, keyed = await both(client, key, url, headers={"If-None-Match": '"v0"'})
    same_answer(anonymous, keyed)
    assert anonymous.status_code == 200
    missing = f"/v1/recommendations/{uuid.uuid4()}"
    anonymous, keyed = await both(client, key, missing)
    same_answer(anonymous, keyed)
    assert anonymous.status_code == 404
    assert anonymous.headers["content-type"] == "application/problem+json"


async def test_other_spellings_reach_the_documented_route(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    rec = corpus.recs["p1"]
    upper = await client.get(f"/v1/recommendations/{str(rec.id).upper()}")
    assert upper.status_code == 200
    assert upper.json()["id"] == str(rec.id)
    by_ref = await client.get(f"/v1/recommendations/{rec.ref.replace('#', '%23')}")
    assert by_ref.status_code == 200
    assert by_ref.json()["id"] == str(rec.id)
    updates = await client.get(f"/v1/recommendations/{rec.id}/updates")
    assert updates.status_code == 200
    assert updates.json() == []


def _scope(method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    return {
        "type": "http",
        "method": method,
        "path": "/v1/recommendations",
        "root_path": "",
        "headers": headers or [],
        "query_string": b"",
    }


@pytest.mark.parametrize("public_read", [True, False])
def test_which_requests_take_the_lean_route(
    public_read: bool, settings: Settings, db: Database, clean_redis: JobQueue
) -> None:
    app = create_app(
        settings.model_copy(update={"api_public_read": public_read}), db=db, queue=clean_redis
    )
    installed = [r for r in app.router.routes if isinstance(r, InstalledLeanRoute)]
    assert [r.spec for r in installed] == lean.REGISTRY
    assert app.router.routes[: len(installed)] == installed
    route = installed[0]
    assert route.twin_path == "/v1/recommendations"
    match, child = route.matches(_scope())
    assert match is (Match.FULL if public_read else Match.NONE)
    if public_read:
        assert child["route"].path == "/v1/recommendations"
    assert route.matches(_scope(headers=[(b"authorization", b"Bearer k")]))[0] is Match.NONE
    assert route.matches(_scope("HEAD"))[0] is Match.NONE
    assert route.matches(_scope("POST"))[0] is Match.NONE
    detail = installed[1]
    assert (detail.path, detail.twin_path) == (
        "/v1/recommendations/{rec_id:uuid}",
        "/v1/recommendations/{rec_id:anything}",
    )


def test_a_lean_route_without_its_twin_fails_at_start_up(
    settings: Settings, db: Database, clean_redis: JobQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def endpoint(request: Any) -> Any:
        raise AssertionError

    registry = [*lean.REGISTRY, lean.LeanRoute("no_such_route", endpoint)]
    monkeypatch.setattr(lean, "REGISTRY", registry)
    with pytest.raises(RuntimeError, match="no_such_route"):
        create_app(settings, db=db, queue=clean_redis)
    narrowing = lean.LeanRoute("list_recommendations", endpoint, {"rec_id": "uuid"})
    monkeypatch.setattr(lean, "REGISTRY", [narrowing])
    with pytest.raises(RuntimeError, match="rec_id"):
        create_app(settings, db=db, queue=clean_redis)


async def test_private_reads_still_need_a_key(
    settings: Settings, db: Database, clean_redis: JobQueue, corpus: Corpus, key: dict[str, str]
) -> None:
    private = create_app(
        settings.model_copy(update={"api_public_read": False}), db=db, queue=clean_redis
    )
    transport = httpx.ASGITransport(app=private)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for url in ("/v1/recommendations", f"/v1/recommendations/{corpus.recs['p1'].id}"):
            response = await client.get(url)
            assert response.status_code == 401
            assert response.json()["code"] == "api_key_required"
            response = await client.get(url, headers=key)
            assert response.status_code == 200


async def test_metrics_name_the_documented_routes(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    def count(route: str, status: str) -> float:
        labels = {"method": "GET", "route": route, "status": status}
        return REGISTRY.get_sample_value("followup_http_requests_total", labels) or 0.0

    detail = "/v1/recommendations/{rec_id:anything}"
    before = {
        "list": count("/v1/recommendations", "200"),
        "detail": count(detail, "200"),
        "unmatched": count("unmatched", "200"),
    }
    await client.get("/v1/recommendations", params={"country": "PRY"})
    await client.get(f"/v1/recommendations/{corpus.recs['p1'].id}")
    assert count("/v1/recommendations", "200") == before["list"] + 1
    assert count(detail, "200") == before["detail"] + 1
    assert count("unmatched", "200") == before["unmatched"]
