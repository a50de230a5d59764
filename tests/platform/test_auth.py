"""API keys: hashed at rest, scoped, country-limited, revocable; the audit log."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth import service as keys
from shared.auth.models import ApiKey
from shared.auth.schemas import Actor, Scope
from shared.errors import Forbidden, InvalidInput
from tests.conftest import KeyFactory


async def test_keys_are_stored_only_as_hashes(session: AsyncSession) -> None:
    created = await keys.create_key(session, "ministry", ["recommendations:write"], ["PRY"])
    rows = (await session.execute(select(ApiKey))).scalars().all()
    assert len(rows) == 1
    stored = rows[0]
    assert stored.key_hash == hashlib.sha256(created.key.encode()).hexdigest()
    for value in (stored.name, stored.prefix, stored.key_hash, *stored.scopes):
        assert created.key not in value
    assert created.key.startswith(stored.prefix)
    assert stored.countries == ["PRY"]


async def test_unknown_scope_or_country_is_refused(session: AsyncSession) -> None:
    with pytest.raises(InvalidInput, match="unknown scopes"):
        await keys.create_key(session, "x", ["recommendations:delete"], None)
    with pytest.raises(InvalidInput, match="unknown country codes"):
        await keys.create_key(session, "x", ["admin"], ["XXX"])


async def test_authenticate_and_revoke(session: AsyncSession) -> None:
    created = await keys.create_key(session, "un country team", ["programmes:write"], None)
    actor = await keys.authenticate(session, created.key)
    assert actor is not None
    assert actor.has(Scope.PROGRAMMES_WRITE)
    assert not actor.has(Scope.MANDATES_WRITE)
    await keys.revoke_key(session, created.prefix)
    assert await keys.authenticate(session, created.key) is None
    assert await keys.authenticate(session, "fu_not-a-key") is None


def test_country_limits() -> None:
    actor = Actor(
        name="k", scopes=frozenset({"recommendations:write"}), countries=frozenset({"PRY"})
    )
    actor.require_country("PRY")
    with pytest.raises(Forbidden):
        actor.require_country("URY")
    with pytest.raises(Forbidden):
        actor.require(Scope.ADMIN)


async def test_audit_route_needs_an_admin_key(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    assert (await client.get("/v1/audit")).status_code == 401
    bad = await client.get("/v1/audit", headers={"Authorization": "Bearer fu_wrong"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "invalid_api_key"
    scheme = await client.get("/v1/audit", headers={"Authorization": "Basic abc"})
    assert scheme.status_code == 401
    writer = await api_keys.headers("recommendations:write")
    assert (await client.get("/v1/audit", headers=writer)).status_code == 403

    admin = await api_keys.headers("admin", name="auditor")
    audit.record(
        session,
        Actor(name="ministry", scopes=frozenset(), countries=None),
        "recommendation.update",
        "recommendation",
        "A/HRC/43/15#122.3",
        before={"themes": []},
        after={"themes": ["A12"]},
    )
    await session.commit()
    response = await client.get("/v1/audit", headers=admin)
    assert response.status_code == 200
    entries = response.json()["items"]
    assert entries[0]["action"] == "recommendation.update"
    assert entries[0]["after"] == {"themes": ["A12"]}


async def test_audit_pages_do_not_skip_or_repeat(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    actor = Actor(name="op", scopes=frozenset(), countries=None)
    for i in range(7):
        audit.record(session, actor, "thing.create", "thing", str(i))
    await session.commit()
    headers = await api_keys.headers("admin")
    seen: list[str] = []
    url: str | None = "/v1/audit?limit=3&entity=thing"
    while url:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200
        seen += [e["entity_id"] for e in response.json()["items"]]
        link = response.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert seen == [str(i) for i in reversed(range(7))]


async def test_malformed_cursor_is_400(client: httpx.AsyncClient, api_keys: KeyFactory) -> None:
    headers = await api_keys.headers("admin")
    for cursor in ("garbage!!", "WyJ4IiwgWzFdXQ", "WyJhdWRpdCIsWyJ4Il1d"):
        response = await client.get("/v1/audit", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 400, cursor
        assert response.json()["code"] == "invalid_cursor"
