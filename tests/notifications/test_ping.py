"""Testing a webhook: POST /v1/subscriptions/{id}/ping sends a signed test event through
the real delivery path to a local HTTP server started here; its signature is checked with
this test's own HMAC computation (stdlib ``hmac``), not the project's helper; GET
/v1/subscriptions/{id}/deliveries lists the attempts."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from services.api.app import create_app
from services.worker.reminders import deliver_reminder
from shared.db import Database
from shared.queue import JobQueue
from shared.settings import Settings
from tests.conftest import KeyFactory
from tests.notifications.helpers import local_settings, receiver, smtp_server


def signature_is_valid(secret: str, header: str, body: bytes) -> bool:
    """What a receiver written from the README does: t=<unix>,v1=<hex HMAC-SHA256 of
    "<t>." + raw body>, compared in constant time, timestamp recent."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = parts["t"]
    expected = hmac.new(
        secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(timestamp)) < 300


@pytest.fixture
async def stack(
    settings: Settings, db: Database, clean_redis: JobQueue
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    cfg = local_settings(settings)
    app = create_app(cfg, db=db, queue=clean_redis)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, {"db": db, "queue": clean_redis, "settings": cfg}


async def test_ping_delivers_a_signed_test_event(
    stack: tuple[httpx.AsyncClient, dict[str, Any]], api_keys: KeyFactory
) -> None:
    client, ctx = stack
    headers = await api_keys.headers("subscriptions:write")
    async with receiver() as rec:
        created = await client.post(
            "/v1/subscriptions", json={"channel": "webhook", "url": rec.url}, headers=headers
        )
        assert created.status_code == 201, created.text
        sub = created.json()
        url = f"/v1/subscriptions/{sub['id']}"

        pinged = await client.post(f"{url}/ping", headers=headers)
        assert pinged.status_code == 202, pinged.text
        event_id = pinged.json()["event_id"]
        assert pinged.json()["event_type"] == "subscription.ping"
        # The job the commit queued, run here as the worker runs it.
        assert await deliver_reminder(ctx, event_id) == "delivered"

        assert len(rec.requests) == 1
        request = rec.requests[0]
        assert signature_is_valid(
            sub["secret"], request.headers["x-followup-signature"], request.body
        )
        assert not signature_is_valid(
            "whsec_wrong", request.headers["x-followup-signature"], request.body
        )
        assert not signature_is_valid(
            sub["secret"], request.headers["x-followup-signature"], request.body + b" "
        )
        assert request.headers["x-followup-event-id"] == event_id
        assert request.headers["x-followup-event-type"] == "subscription.ping"
        event = orjson.loads(request.body)
        assert event["id"] == event_id
        assert event["type"] == "subscription.ping"
        assert event["data"]["subscription_id"] == sub["id"]

        listed = await client.get(f"{url}/deliveries", headers=headers)
        assert listed.status_code == 200, listed.text
        [attempt] = listed.json()["items"]
        assert attempt["event_id"] == event_id
        assert attempt["status_code"] == 200
        assert attempt["outcome"] == "delivered"
        assert attempt["attempt"] == 1
        assert attempt["latency_ms"] >= 0
        assert attempt["error"] is None
        assert attempt["next_retry_at"] is None


async def test_failed_ping_shows_the_error_and_the_next_retry(
    stack: tuple[httpx.AsyncClient, dict[str, Any]], api_keys: KeyFactory
) -> None:
    client, ctx = stack
    headers = await api_keys.headers("subscriptions:write")
    async with receiver(status=503) as rec:
        sub = (
            await client.post(
                "/v1/subscriptions", json={"channel": "webhook", "url": rec.url}, headers=headers
            )
        ).json()
        url = f"/v1/subscriptions/{sub['id']}"
        first = (await client.post(f"{url}/ping", headers=headers)).json()["event_id"]
        second = (await client.post(f"{url}/ping", headers=headers)).json()["event_id"]
        assert await deliver_reminder(ctx, first) == "pending"
        assert await deliver_reminder(ctx, second) == "pending"
        page = await client.get(f"{url}/deliveries", params={"limit": 1}, headers=headers)
        body = page.json()
        [newest] = body["items"]
        assert newest["event_id"] == second
        assert newest["status_code"] == 503
        assert newest["outcome"] == "retry"
        assert "503" in newest["error"]
        assert newest["next_retry_at"] is not None
        assert body["next_cursor"]
        assert 'rel="next"' in page.headers["link"]
        rest = await client.get(
            f"{url}/deliveries", params={"cursor": body["next_cursor"]}, headers=headers
        )
        assert [i["event_id"] for i in rest.json()["items"]] == [first]
        bad = await client.get(f"{url}/deliveries", params={"cursor": "x"}, headers=headers)
        assert bad.status_code == 400


async def test_ping_refusals_and_email(
    stack: tuple[httpx.AsyncClient, dict[str, Any]], api_keys: KeyFactory
) -> None:
    client, ctx = stack
    headers = await api_keys.headers("subscriptions:write")
    mail = (
        await client.post(
            "/v1/subscriptions",
            json={"channel": "email", "address": "focal@example.org"},
            headers=headers,
        )
    ).json()
    url = f"/v1/subscriptions/{mail['id']}"
    other = await api_keys.headers("subscriptions:write", name="someone else")
    for path in ("ping", "deliveries"):
        call = client.post if path == "ping" else client.get
        response = await call(f"{url}/{path}", headers=other)
        assert response.status_code == 404
    missing = f"/v1/subscriptions/{uuid.uuid4()}/ping"
    assert (await client.post(missing, headers=headers)).status_code == 404
    assert (await client.post(f"{url}/ping")).status_code == 401

    # An e-mail subscription gets a test message.
    event_id = (await client.post(f"{url}/ping", headers=headers)).json()["event_id"]
    with smtp_server() as (smtp_url, mailbox):
        cfg = local_settings(ctx["settings"], smtp_url=smtp_url)
        assert await deliver_reminder({**ctx, "settings": cfg}, event_id) == "delivered"
    [message] = mailbox
    assert message["To"] == "focal@example.org"
    assert message["X-Followup-Event-Id"] == event_id
    assert "Test message" in message["Subject"]

    # A deleted subscription cannot be pinged.
    assert (await client.delete(url, headers=headers)).status_code == 204
    response = await client.post(f"{url}/ping", headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "subscription_inactive"
