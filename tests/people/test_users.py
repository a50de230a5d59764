"""Users and memberships through the API and the CLI; development tokens."""

from __future__ import annotations

import os
import time

import httpx
import jwt
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from services.api.app import create_app
from services.cli.main import app as cli_app
from shared.db import Database
from shared.people import devkey
from shared.people.config import MembershipSpec
from shared.people.models import UserMembership
from shared.queue import JobQueue
from shared.settings import Settings
from tests.conftest import KeyFactory
from tests.people.conftest import Credentials, World
from tests.people.provider import OpenIdProvider


async def _memberships(session: AsyncSession) -> int:
    return int(
        (await session.execute(select(func.count()).select_from(UserMembership))).scalar_one()
    )


async def test_coordinator_grants_focal_points_of_its_state_only(
    oidc_client: httpx.AsyncClient,
    oidc_provider: OpenIdProvider,
    credentials: Credentials,
    world: World,
    session: AsyncSession,
) -> None:
    coordinator = await credentials("coordinator", country="PRY")
    person = await oidc_client.post(
        "/v1/users",
        json={"issuer": oidc_provider.issuer, "subject": "plain-user"},
        headers=coordinator,
    )
    assert person.status_code == 201, person.text
    user_id = person.json()["id"]
    granted = await oidc_client.post(
        f"/v1/users/{user_id}/memberships",
        json={"role": "focal_point", "country": "PRY", "institution": "Ministry of Justice"},
        headers=coordinator,
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["institution_id"] == str(world.justice.id)
    before = await _memberships(session)
    for refused in (
        {"role": "focal_point", "country": "URY", "institution": "Ministry of Justice"},
        {"role": "nhri", "country": "PRY", "institution": world.nhri.name},
        {"role": "admin"},
    ):
        answer = await oidc_client.post(
            f"/v1/users/{user_id}/memberships", json=refused, headers=coordinator
        )
        assert answer.status_code == 403, (refused, answer.text)
        assert answer.json()["code"] == "not_allowed"
    assert await _memberships(session) == before
    # The person now signs in as a focal point of Justice.
    me = await oidc_client.get(
        "/v1/me", headers={"Authorization": f"Bearer {await oidc_provider.token('plain-user')}"}
    )
    assert [(m["role"], m["source"]) for m in me.json()["memberships"]] == [
        ("focal_point", "granted")
    ]
    listed = await oidc_client.get("/v1/users?country=PRY", headers=coordinator)
    assert user_id in {u["id"] for u in listed.json()["items"]}
    assert (await oidc_client.get("/v1/users?country=URY", headers=coordinator)).status_code == 403
    membership = granted.json()["id"]
    removed = await oidc_client.delete(
        f"/v1/users/{user_id}/memberships/{membership}", headers=coordinator
    )
    assert removed.status_code == 204
    assert await _memberships(session) == before - 1


async def test_grant_rules(
    oidc_client: httpx.AsyncClient, credentials: Credentials, api_keys: KeyFactory, world: World
) -> None:
    admin = await api_keys.headers("admin")
    user = await oidc_client.post(
        "/v1/users", json={"issuer": "https://idp", "subject": "x"}, headers=admin
    )
    url = f"/v1/users/{user.json()['id']}/memberships"
    bad_kind = await oidc_client.post(
        url,
        json={"role": "nhri", "country": "PRY", "institution": "Ministry of Health"},
        headers=admin,
    )
    assert (bad_kind.status_code, bad_kind.json()["code"]) == (422, "institution_kind")
    unknown = await oidc_client.post(
        url, json={"role": "focal_point", "country": "PRY", "institution": "Nope"}, headers=admin
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_institution")
    first = await oidc_client.post(
        url, json={"role": "nhri", "institution": str(world.nhri.id)}, headers=admin
    )
    again = await oidc_client.post(
        url, json={"role": "nhri", "institution": str(world.nhri.id)}, headers=admin
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["country"] == "PRY"
    # A focal point manages nobody.
    focal = await credentials("focal_point", country="PRY", institution="Ministry of Justice")
    assert (await oidc_client.post(url, json={"role": "viewer"}, headers=focal)).status_code == 403
    assert (await oidc_client.get("/v1/users", headers=focal)).status_code == 403


def _cli(*args: str) -> tuple[int, str]:
    # In-process (the CLI's own event loop; this test is synchronous): a subprocess per
    # command costs seconds of imports on a shared machine.
    result = CliRunner().invoke(cli_app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_cli_grant_list_revoke() -> None:
    code, output = _cli(
        "user",
        "grant",
        "--issuer",
        "https://idp.example",
        "--subject",
        "cli-person",
        "--role",
        "coordinator",
        "--country",
        "PRY",
    )
    assert code == 0, output
    membership = output.split()[1].rstrip(":")
    code, listing = _cli("user", "list", "--country", "PRY")
    assert code == 0
    assert "cli-person" in listing
    assert "coordinator" in listing
    code, output = _cli("user", "revoke", membership)
    assert code == 0, output
    code, listing = _cli("user", "list", "--country", "PRY")
    assert "cli-person" not in listing
    code, output = _cli("user", "grant", "--issuer", "i", "--subject", "s", "--role", "boss")
    assert code == 2


def test_dev_tokens_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="development tokens are trusted only in development"):
        Settings(environment="production", secret_key="s" * 40, dev_tokens=True)
    assert not Settings(environment="test").dev_tokens_enabled


def test_dev_token_cli_refused_outside_development() -> None:
    assert os.environ.get("ENVIRONMENT") == "test"
    code, output = _cli("dev-token", "--role", "viewer")
    assert code == 2
    assert "ENVIRONMENT=development" in output


async def test_dev_token_in_development(db: Database, clean_redis: JobQueue, world: World) -> None:
    settings = Settings(environment="development", rate_limit_per_minute=0, secret_key="k" * 40)
    app = create_app(settings, db=db, queue=clean_redis)
    spec = MembershipSpec(role="focal_point", country="PRY", institution="Ministry of Justice")
    token = devkey.mint(settings, spec)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        me = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["may"]["draft_progress_for"] == [str(world.justice.id)]
        # Signed with another SECRET_KEY: another key, refused.
        other = devkey.mint(Settings(environment="development", secret_key="x" * 40), spec)
        refused = await client.get("/v1/me", headers={"Authorization": f"Bearer {other}"})
        assert refused.json()["code"] == "invalid_signature"
        # Not valid before a minute from now.
        claims = jwt.decode(token, options={"verify_signature": False})
        early = jwt.encode(
            {**claims, "nbf": int(time.time()) + 600},
            devkey._private_key(settings),
            algorithm="EdDSA",
            headers={"kid": devkey.DEV_KID},
        )
        answer = await client.get("/v1/me", headers={"Authorization": f"Bearer {early}"})
        assert (answer.status_code, answer.json()["code"]) == (401, "token_not_yet_valid")
    # A test or production API does not trust them.
    strict = create_app(
        Settings(environment="test", rate_limit_per_minute=0), db=db, queue=clean_redis
    )
    transport = httpx.ASGITransport(app=strict, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
