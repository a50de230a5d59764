"""Personal data: erasing one person (API and CLI), and the retention purge."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.worker.privacy import purge_personal_data
from shared.audit.models import AuditEntry
from shared.auth.schemas import WORKER
from shared.db import Database
from shared.notifications.models import Subscription
from shared.people.models import User
from shared.people.repository import PeopleRepository
from shared.privacy import service
from shared.privacy.schemas import ErasureIn
from shared.queue import JobQueue
from shared.settings import Settings
from tests.cli import run_followup
from tests.conftest import KeyFactory
from tests.institutions.test_national_mechanisms import CONTACT, _mechanism


async def audit_text(session: AsyncSession) -> str:
    rows = await session.execute(
        select(AuditEntry.before, AuditEntry.after).execution_options(populate_existing=True)
    )
    return " ".join(f"{before} {after}" for before, after in rows.all()).lower()


async def subscribe(client: httpx.AsyncClient, headers: dict[str, str], address: str) -> str:
    response = await client.post(
        "/v1/subscriptions",
        json={"channel": "email", "address": address, "countries": ["PRY"]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_erasing_a_person_leaves_a_marker_in_the_audit_log(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    admin = await api_keys.headers("admin", "personal_data:read")
    mechanism = await _mechanism(client, admin)
    user = await PeopleRepository(session).upsert_user(
        "https://id.example.org", "s-1", "María González", CONTACT
    )
    await session.commit()
    mine = await subscribe(client, admin, CONTACT)
    other = await subscribe(client, admin, "desk@example.org")
    assert CONTACT in await audit_text(session)  # subscription snapshots hold the address
    url = f"/v1/national-mechanisms/{mechanism['id']}"
    etag = (await client.get(url, headers=admin)).headers["etag"]

    response = await client.post(
        "/v1/personal-data/erasures", json={"email": CONTACT.upper()}, headers=admin
    )

    assert response.status_code == 200, response.text
    erased = response.json()
    assert erased["focal_points"] == 1
    assert erased["users"] == 1
    assert erased["subscriptions"] == 1
    assert erased["audit_entries"] >= 1
    after = await client.get(url, headers=admin)
    assert after.json()["focal_points"] == []
    assert after.headers["etag"] != etag  # caches and editors see the change
    assert (await client.get(f"/v1/subscriptions/{mine}", headers=admin)).status_code == 404
    assert (await client.get(f"/v1/subscriptions/{other}", headers=admin)).status_code == 200
    row = (
        await session.execute(
            select(User).where(User.id == user).execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert (row.name, row.email, row.active) == (None, None, False)
    text = await audit_text(session)
    assert CONTACT not in text
    assert "[erased]" in text
    assert "desk@example.org" in text  # someone else's data is untouched
    entry = (
        await session.execute(select(AuditEntry).where(AuditEntry.entity == "person"))
    ).scalar_one()
    assert entry.action == "erase"
    assert entry.entity_id == "[erased]"
    assert entry.after is not None
    assert entry.after["focal_points"] == 1


async def test_erasing_by_name_removes_matching_focal_points(
    client: httpx.AsyncClient, api_keys: KeyFactory
) -> None:
    admin = await api_keys.headers("admin", "personal_data:read")
    mechanism = await _mechanism(client, admin)
    response = await client.post(
        "/v1/personal-data/erasures", json={"name": "maría gonzález"}, headers=admin
    )
    assert response.json()["focal_points"] == 1
    detail = await client.get(f"/v1/national-mechanisms/{mechanism['id']}", headers=admin)
    assert detail.json()["focal_points"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"name": " "}, 422),
        ({"email": "not an address"}, 422),
        ({"email": 'a"b@example.org'}, 422),
        ({"email": "x@example.org", "extra": 1}, 422),
    ],
)
async def test_erasure_input_is_checked(
    client: httpx.AsyncClient, api_keys: KeyFactory, body: dict[str, object], status: int
) -> None:
    admin = await api_keys.headers("admin")
    response = await client.post("/v1/personal-data/erasures", json=body, headers=admin)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_erasure_needs_an_admin_key_for_every_country(
    client: httpx.AsyncClient, api_keys: KeyFactory
) -> None:
    body = {"email": CONTACT}
    url = "/v1/personal-data/erasures"
    assert (await client.post(url, json=body)).status_code == 401
    writer = await api_keys.headers("recommendations:write", "personal_data:read")
    assert (await client.post(url, json=body, headers=writer)).status_code == 403
    limited = await api_keys.headers("admin", countries=["PRY"])
    assert (await client.post(url, json=body, headers=limited)).status_code == 403


@pytest.fixture
def eraser_registered() -> Iterator[list[ErasureIn]]:
    seen: list[ErasureIn] = []

    async def users(session: AsyncSession, person: ErasureIn) -> int:
        seen.append(person)
        return 1

    service.register("users", eraser=users)
    try:
        yield seen
    finally:
        service.ERASERS.pop("users")


async def test_other_domains_hook_into_the_erasure(
    client: httpx.AsyncClient, api_keys: KeyFactory, eraser_registered: list[ErasureIn]
) -> None:
    admin = await api_keys.headers("admin")
    response = await client.post(
        "/v1/personal-data/erasures", json={"email": "someone@example.org"}, headers=admin
    )
    assert response.json()["other"] == {"users": 1}
    assert [p.email for p in eraser_registered] == ["someone@example.org"]


async def test_retention_purges_stopped_email_subscriptions(
    client: httpx.AsyncClient,
    api_keys: KeyFactory,
    session: AsyncSession,
    db: Database,
    clean_redis: JobQueue,
    settings: Settings,
) -> None:
    admin = await api_keys.headers("admin")
    old = await subscribe(client, admin, "old@example.org")
    recent = await subscribe(client, admin, "recent@example.org")
    active = await subscribe(client, admin, "active@example.org")
    for ident in (old, recent):
        response = await client.delete(
            f"/v1/subscriptions/{ident}", headers={**admin, "If-Match": '"v1"'}
        )
        assert response.status_code == 204, response.text
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    await session.execute(
        update(Subscription).where(Subscription.id == uuid.UUID(old)).values(updated_at=long_ago)
    )
    await session.commit()

    ctx = {"db": db, "queue": clean_redis, "settings": settings}
    assert await purge_personal_data(ctx) == {
        "subscriptions": 1,
        "users": 0,
        "audit_entries": 2,
        "other": {},
    }

    remaining = (await session.execute(select(Subscription.id))).scalars().all()
    assert {str(i) for i in remaining} == {recent, active}
    text = await audit_text(session)
    assert "old@example.org" not in text
    assert "recent@example.org" in text
    # Run again: nothing left to purge (the job is idempotent).
    assert (await purge_personal_data(ctx))["subscriptions"] == 0
    none = await service.purge_expired(session, WORKER, dt.datetime.now(dt.UTC), 0)
    assert none.subscriptions == 0


async def test_cli_erases_a_person(engine: AsyncEngine) -> None:
    code, output = await run_followup("erase-person", columns=120)
    assert code == 2
    assert "email" in output
    address = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    try:
        code, output = await run_followup("erase-person", "--email", address, columns=120)
        assert code == 0, output
        assert "erased 0 focal point(s), 0 user(s), 0 subscription(s)" in output
    finally:  # the command commits: remove its audit entry
        async with engine.begin() as conn:
            await conn.execute(
                delete(AuditEntry).where(
                    AuditEntry.entity == "person", AuditEntry.actor == "operator"
                )
            )


async def test_retention_anonymises_users_deactivated_long_ago(session: AsyncSession) -> None:
    people = PeopleRepository(session)
    old = await people.upsert_user("https://id.example.org", "old", "Old", "old@example.org")
    kept = await people.upsert_user("https://id.example.org", "new", "New", "new@example.org")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    await session.execute(
        update(User).where(User.id == old).values(active=False, updated_at=long_ago)
    )
    await session.execute(update(User).where(User.id == kept).values(active=False))
    out = await service.purge_expired(session, WORKER, dt.datetime.now(dt.UTC), 365)
    assert out.users == 1
    rows = {
        u.id: u
        for u in (
            await session.execute(select(User).execution_options(populate_existing=True))
        ).scalars()
    }
    assert (rows[old].name, rows[old].email) == (None, None)
    assert rows[kept].email == "new@example.org"
    again = await service.purge_expired(session, WORKER, dt.datetime.now(dt.UTC), 365)
    assert again.users == 0
