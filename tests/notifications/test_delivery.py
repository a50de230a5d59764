"""Delivery in process: e-mail to a real SMTP server, signed webhooks to a real HTTP
receiver, the SSRF check, and the subscriptions API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.app import create_app
from services.worker.reminders import deliver_reminder
from shared.auth.schemas import OPERATOR
from shared.db import Database
from shared.notifications import periodic, subscriptions, webhooks
from shared.notifications.models import DeliveryAttempt, Reminder, Subscription
from shared.notifications.schemas import SubscriptionIn
from shared.queue import JobQueue
from shared.settings import Settings
from tests.conftest import KeyFactory
from tests.deadline_rows import country_deadline
from tests.notifications.helpers import local_settings, receiver, smtp_server


def test_signature_round_trip() -> None:
    body = b'{"id":"x"}'
    header = webhooks.signature("whsec_test", 1_800_000_000, body)
    assert webhooks.verify("whsec_test", header, body, now=1_800_000_010)
    assert not webhooks.verify("whsec_test", header, body + b" ", now=1_800_000_010)
    assert not webhooks.verify("whsec_other", header, body, now=1_800_000_010)
    assert not webhooks.verify("whsec_test", header, body, now=1_800_001_000)  # too old


def test_secret_sealing() -> None:
    sealed = webhooks.seal("whsec_abc", "key-one")
    assert "whsec_abc" not in sealed
    assert webhooks.unseal(sealed, "key-one") == "whsec_abc"
    with pytest.raises(ValueError, match="SECRET_KEY"):
        webhooks.unseal(sealed, "key-two")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://example.org/hook", False),  # http not allowed
        ("https://127.0.0.1/hook", False),
        ("https://10.1.2.3/hook", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://[::1]/hook", False),
        ("https://[::ffff:192.168.0.1]/hook", False),
        ("https://localhost/hook", False),
        ("https://8.8.8.8/hook", True),
    ],
)
async def test_ssrf_check(settings: Settings, url: str, allowed: bool) -> None:
    # The production default: the suite's loopback allowance (tests/conftest.py) removed.
    settings = settings.model_copy(update={"egress_allow_hosts": []})
    if allowed:
        await webhooks.check_url(url, settings)
    else:
        with pytest.raises(webhooks.UnsafeWebhook):
            await webhooks.check_url(url, settings)


async def test_allow_list_and_http_setting(settings: Settings) -> None:
    local = local_settings(settings)
    await webhooks.check_url("http://127.0.0.1:9/hook", local)
    with pytest.raises(webhooks.UnsafeWebhook):
        await webhooks.check_url("http://10.0.0.1/hook", local)


async def _setup(session: AsyncSession, sub: Subscription) -> uuid.UUID:
    due = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)
    d = country_deadline(due, "UPR mid-term report (cycle 4)", kind="upr_midterm_report")
    session.add_all([d, sub])
    await session.flush()
    reminder = Reminder(
        id=uuid.uuid4(),
        subscription_id=sub.id,
        event_type="deadline.reminder",
        deadline_id=d.id,
        window_days=30,
        status="pending",
        attempts=0,
    )
    session.add(reminder)
    await session.commit()
    return reminder.id


def _ctx(db: Database, queue: JobQueue, settings: Settings) -> dict[str, Any]:
    return {"db": db, "queue": queue, "settings": settings}


async def test_email_reminder(
    session: AsyncSession, db: Database, clean_redis: JobQueue, settings: Settings
) -> None:
    sub = Subscription(
        id=uuid.uuid4(),
        name="SIMORE",
        channel="email",
        address="focal@example.org",
        countries=["PRY"],
        kinds=[],
        lead_days=[30],
        overdue=False,
        events=[],
        active=True,
    )
    reminder_id = await _setup(session, sub)
    with smtp_server() as (url, mailbox):
        cfg = local_settings(settings, smtp_url=url)
        assert await deliver_reminder(_ctx(db, clean_redis, cfg), str(reminder_id)) == "delivered"
        # Delivered once: running the job again sends nothing.
        assert await deliver_reminder(_ctx(db, clean_redis, cfg), str(reminder_id)) == "skipped"
    assert len(mailbox) == 1
    mail = mailbox[0]
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert mail["To"] == "focal@example.org"
    assert "Paraguay" in mail["Subject"]
    assert "due in 30 days" in mail["Subject"]
    assert "UPR mid-term report (cycle 4)" in text
    assert "Country:  Paraguay (PRY)" in text
    assert "/v1/deadlines/" in text
    assert mail["Message-ID"] == f"<{reminder_id}@followup>"
    row = await session.get(Reminder, reminder_id, populate_existing=True)
    assert row is not None
    assert row.status == "delivered"


async def test_signed_webhook_and_reminders_api(
    session: AsyncSession,
    db: Database,
    clean_redis: JobQueue,
    settings: Settings,
    api_keys: KeyFactory,
) -> None:
    cfg = local_settings(settings)
    app = create_app(cfg, db=db, queue=clean_redis)
    headers = await api_keys.headers("subscriptions:write")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
        receiver() as rec,
    ):
        private = await client.post(
            "/v1/subscriptions",
            json={"channel": "webhook", "url": "http://10.0.0.8/hook"},
            headers=headers,
        )
        assert private.status_code == 422
        assert private.json()["code"] == "unsafe_webhook_url"
        created = await client.post(
            "/v1/subscriptions",
            json={"channel": "webhook", "url": rec.url, "countries": ["pry"], "lead_days": [30]},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        sub = created.json()
        secret = sub["secret"]
        assert secret.startswith("whsec_")
        assert sub["countries"] == ["PRY"]
        shown = await client.get(f"/v1/subscriptions/{sub['id']}", headers=headers)
        assert "secret" not in shown.json()
        stored = await session.get(Subscription, uuid.UUID(sub["id"]))
        assert stored is not None
        assert stored.secret is not None
        assert secret not in stored.secret  # encrypted at rest

        sub_id = uuid.UUID(sub["id"])
        row = await session.get(Subscription, sub_id)
        assert row is not None
        reminder_id = await _setup(session, row)
        assert await deliver_reminder(_ctx(db, clean_redis, cfg), str(reminder_id)) == "delivered"

        assert len(rec.requests) == 1
        request = rec.requests[0]
        assert request.headers["x-followup-event-id"] == str(reminder_id)
        assert webhooks.verify(secret, request.headers["x-followup-signature"], request.body)
        body = orjson.loads(request.body)
        assert body["id"] == str(reminder_id)
        assert body["type"] == "deadline.reminder"
        assert body["data"]["deadline"]["country"] == "PRY"
        assert body["data"]["window"] == {"lead_days": 30, "overdue": False}

        listed = await client.get("/v1/reminders", params={"status": "delivered"}, headers=headers)
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert [i["id"] for i in items] == [str(reminder_id)]
        assert items[0]["attempt_log"][0]["status_code"] == 200
        other = await api_keys.headers("subscriptions:write", name="someone else")
        assert (await client.get("/v1/reminders", headers=other)).json()["items"] == []
        assert (
            await client.get(f"/v1/subscriptions/{sub['id']}", headers=other)
        ).status_code == 404

        etag = shown.headers["ETag"]
        patched = await client.patch(
            f"/v1/subscriptions/{sub['id']}",
            json={"lead_days": [14, 60, 14]},
            headers={**headers, "If-Match": etag},
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["lead_days"] == [60, 14]
        gone = await client.delete(f"/v1/subscriptions/{sub['id']}", headers=headers)
        assert gone.status_code == 204
    attempts = (await session.execute(select(DeliveryAttempt))).scalars().all()
    assert [a.outcome for a in attempts] == ["delivered"]


async def test_email_subscription_validation(
    client: httpx.AsyncClient, api_keys: KeyFactory
) -> None:
    headers = await api_keys.headers("subscriptions:write", countries=["PRY"])
    bad = await client.post(
        "/v1/subscriptions", json={"channel": "email", "address": "nope"}, headers=headers
    )
    assert bad.status_code == 422
    limited = await client.post(
        "/v1/subscriptions",
        json={"channel": "email", "address": "a@example.org", "countries": ["URY"]},
        headers=headers,
    )
    assert limited.status_code == 403
    ok = await client.post(
        "/v1/subscriptions",
        json={"channel": "email", "address": "a@example.org", "countries": ["PRY"]},
        headers=headers,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["secret"] is None
    assert ok.json()["lead_days"] == [90, 30, 7, 1]
    reader = await api_keys.headers("recommendations:write")
    assert (await client.get("/v1/subscriptions", headers=reader)).status_code == 403


async def test_deactivation_is_not_lost_to_a_change_meanwhile(
    session: AsyncSession, settings: Settings
) -> None:
    """The subscription changed after this session read it: deactivating it still stops
    it (the row is read again, locked), rather than writing nothing and auditing a stop."""
    data = SubscriptionIn(channel="email", address="a@example.org")
    created = await subscriptions.create_subscription(session, OPERATOR, data, settings)
    read = await session.get(Subscription, created.id)  # held: the session's copy
    await session.execute(
        text("UPDATE subscriptions SET version = version + 1 WHERE id = :id"), {"id": created.id}
    )
    await subscriptions.deactivate_subscription(session, OPERATOR, created.id)
    active = await session.scalar(
        text("SELECT active FROM subscriptions WHERE id = :id"), {"id": created.id}
    )
    assert active is False
    assert read is not None
    assert read.active is False


async def test_scan_enqueues_after_commit(session: AsyncSession) -> None:
    """The scan asks for delivery jobs on the session; they are pushed after commit."""
    from shared.queue import pending_jobs

    result = await periodic.scan(session, dt.date(2031, 1, 1))
    assert sum(len(j.args) for j in pending_jobs(session)) == result.created
