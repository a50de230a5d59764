"""Authorization matrix of the write routes, rate limits, and keys never kept in clear."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.app import create_app
from shared.auth import service as keys
from shared.db import Database
from shared.queue import JobQueue
from shared.settings import Settings
from tests.conftest import KeyFactory
from tests.recommendations.conftest import Corpus


@dataclass(frozen=True)
class WriteRoute:
    name: str
    scope: str
    call: Callable[[httpx.AsyncClient, Corpus, dict[str, str]], Awaitable[httpx.Response]]


async def _patch(
    client: httpx.AsyncClient, corpus: Corpus, headers: dict[str, str]
) -> httpx.Response:
    return await client.patch(
        f"/v1/recommendations/{corpus.recs['p1'].id}",
        json={"themes": ["A12"]},
        headers={**headers, "If-Match": '"v1"'},
    )


async def _update(
    client: httpx.AsyncClient, corpus: Corpus, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(
        f"/v1/recommendations/{corpus.recs['p1'].id}/updates",
        json={"status": "in_progress", "narrative": "n", "source": "government"},
        headers=headers,
    )


async def _tags(
    client: httpx.AsyncClient, corpus: Corpus, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(
        f"/v1/recommendations/{corpus.recs['p1'].id}/tags",
        json={"add": {"themes": ["D51"]}},
        headers=headers,
    )


async def _delete(
    client: httpx.AsyncClient, corpus: Corpus, headers: dict[str, str]
) -> httpx.Response:
    return await client.delete(f"/v1/recommendations/{corpus.recs['p1'].id}", headers=headers)


ROUTES = [
    WriteRoute("PATCH /v1/recommendations/{id}", "recommendations:write", _patch),
    WriteRoute("POST /v1/recommendations/{id}/updates", "recommendations:write", _update),
    WriteRoute("POST /v1/recommendations/{id}/tags", "recommendations:write", _tags),
    WriteRoute("DELETE /v1/recommendations/{id}", "admin", _delete),
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("no key", 401),
        ("wrong scope", 403),
        ("other country", 403),
        ("revoked key", 401),
        ("right key", 2),
    ],
)
async def test_authorization_matrix(
    client: httpx.AsyncClient,
    corpus: Corpus,
    session: AsyncSession,
    api_keys: KeyFactory,
    route: WriteRoute,
    caller: str,
    expected: int,
) -> None:
    headers: dict[str, str] = {}
    if caller == "wrong scope":
        wrong = (
            "subscriptions:write" if route.scope != "subscriptions:write" else "programmes:write"
        )
        headers = await api_keys.headers(wrong)
    elif caller == "other country":
        # An admin key limited to Uruguay may not delete Paraguay's recommendation either.
        headers = await api_keys.headers(route.scope, countries=["URY"])
    elif caller == "revoked key":
        created = await keys.create_key(session, "old", [route.scope], None)
        await keys.revoke_key(session, str(created.id))
        await session.commit()
        headers = {"Authorization": f"Bearer {created.key}"}
    elif caller == "right key":
        headers = await api_keys.headers(
            route.scope, countries=None if route.scope == "admin" else ["PRY"]
        )
    response = await route.call(client, corpus, headers)
    if expected == 2:
        assert 200 <= response.status_code < 300, response.text
    else:
        assert response.status_code == expected, response.text
        assert response.headers["content-type"] == "application/problem+json"


async def test_rate_limit_answers_429_with_retry_after(
    settings: Settings, db: Database, clean_redis: JobQueue, api_keys: KeyFactory
) -> None:
    app: FastAPI = create_app(
        settings.model_copy(update={"rate_limit_per_minute": 3}), db=db, queue=clean_redis
    )
    headers = await api_keys.headers("recommendations:write")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        statuses = [
            (await client.get("/v1/countries", headers=headers)).status_code for _ in range(5)
        ]
        limited = await client.get("/v1/countries", headers=headers)
        anonymous = await client.get("/v1/countries")
    assert statuses == [200, 200, 200, 429, 429]
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 61
    assert anonymous.status_code == 200


async def test_keys_are_never_logged_or_stored_in_clear(
    client: httpx.AsyncClient,
    corpus: Corpus,
    session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    created = await keys.create_key(session, "secret holder", ["recommendations:write"], None)
    await session.commit()
    headers = {"Authorization": f"Bearer {created.key}", "If-Match": '"v1"'}
    with caplog.at_level(logging.DEBUG):
        await client.patch(
            f"/v1/recommendations/{corpus.recs['p1'].id}", json={"themes": []}, headers=headers
        )
        await client.get("/v1/recommendations", headers=headers)
    logged = caplog.text + "".join(capsys.readouterr())
    assert "request" in logged
    assert created.key not in logged
    dump = (
        await session.execute(
            text("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM api_keys) t")
        )
    ).scalar_one()
    audit = (
        await session.execute(text("SELECT string_agg(a::text, ' ') FROM audit_log a"))
    ).scalar_one()
    assert created.key not in dump
    assert created.key not in (audit or "")
