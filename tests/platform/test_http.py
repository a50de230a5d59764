"""The HTTP platform: health, readiness, metrics, problem+json errors, request ids, CORS."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from services.api.app import create_app
from shared.db import Database
from shared.queue import JobQueue, connect_queue
from shared.settings import Settings

PROBLEM = "application/problem+json"


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_everything_is_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_readyz_names_redis_when_it_is_down(settings: Settings, db: Database) -> None:
    dead = connect_queue("redis://127.0.0.1:1/0")
    app = create_app(settings, db=db, queue=dead)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/readyz")
    await dead.close()
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "not_ready"
    assert "redis" in body["detail"]
    assert "database" not in body["detail"]


async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["instance"] == "/v1/nothing-here"
    assert body["type"].endswith("/not_found")


async def test_wrong_method_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "method_not_allowed"


async def test_validation_errors_list_each_field(
    client: httpx.AsyncClient, api_keys: object
) -> None:
    from tests.conftest import KeyFactory

    assert isinstance(api_keys, KeyFactory)
    headers = await api_keys.headers("admin")
    response = await client.get(
        "/v1/audit", params={"limit": 9999, "since": "yesterday"}, headers=headers
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"limit", "since"}


async def test_oversized_body_is_rejected(
    settings: Settings, db: Database, clean_redis: JobQueue
) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1024})
    app = create_app(small, db=db, queue=clean_redis)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/v1/audit", content=b"x" * 5000)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "payload_too_large"


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert 'followup_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "followup_http_request_duration_seconds_bucket" in text
    assert "followup_queue_depth" in text


async def test_openapi_and_docs(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "Follow-up API"
    assert "/readyz" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200


async def test_cors_when_configured(
    settings: Settings, db: Database, clean_redis: JobQueue
) -> None:
    app: FastAPI = create_app(
        settings.model_copy(update={"cors_origins": ["https://portal.example.org"]}),
        db=db,
        queue=clean_redis,
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        allowed = await client.options(
            "/healthz",
            headers={
                "Origin": "https://portal.example.org",
                "Access-Control-Request-Method": "GET",
            },
        )
        other = await client.get("/healthz", headers={"Origin": "https://evil.example.com"})
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example.org"
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_platform_routes_need_no_key(client: httpx.AsyncClient, path: str) -> None:
    settings_off = (await client.get(path)).status_code
    assert settings_off == 200
