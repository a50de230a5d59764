"""OpenID Connect bearer tokens from a real provider: discovery, JWKS, rotation, expiry,
audience, algorithms, outages; and `GET /v1/me`."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.app import create_app
from shared.db import Database
from shared.errors import InvalidToken
from shared.people import devkey
from shared.people.config import MembershipSpec
from shared.people.oidc import TokenVerifier
from shared.queue import JobQueue
from shared.settings import Settings
from tests.conftest import KeyFactory
from tests.people.conftest import World, oidc_settings
from tests.people.provider import OpenIdProvider


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge


async def test_token_signs_in_with_group_roles(
    oidc_client: httpx.AsyncClient, oidc_provider: OpenIdProvider, world: World
) -> None:
    token = await oidc_provider.token("pry-justice")
    me = await oidc_client.get("/v1/me", headers=_bearer(token))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["kind"] == "user"
    assert (body["name"], body["email"], body["subject"]) == (
        "Ana Focal",
        "ana@example.org",
        "pry-justice",
    )
    assert [
        (m["role"], m["country"], m["institution"], m["source"]) for m in body["memberships"]
    ] == [("focal_point", "PRY", "Ministry of Justice", "token")]
    assert body["may"]["draft_progress_for"] == [str(world.justice.id)]
    assert body["may"]["validate_progress_in"] == []
    # The person was registered on first sight, once.
    again = await oidc_client.get("/v1/me", headers=_bearer(token))
    assert again.json()["id"] == body["id"]


async def test_es256_tokens_and_api_keys_side_by_side(
    oidc_client: httpx.AsyncClient, oidc_provider: OpenIdProvider, api_keys: KeyFactory
) -> None:
    token = await oidc_provider.token("es-user")
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    me = await oidc_client.get("/v1/me", headers=_bearer(token))
    assert me.status_code == 200, me.text
    assert me.json()["name"] == "Eve Elliptic"
    key = await oidc_client.get(
        "/v1/me", headers=await api_keys.headers("recommendations:write", countries=["PRY"])
    )
    assert key.status_code == 200
    assert key.json()["kind"] == "api_key"
    assert key.json()["may"]["validate_progress_in"] == ["PRY"]


async def test_key_rotation_without_restart(
    oidc_client: httpx.AsyncClient, oidc_provider: OpenIdProvider
) -> None:
    old = await oidc_provider.token("plain-user")
    assert (await oidc_client.get("/v1/me", headers=_bearer(old))).status_code == 200
    await oidc_provider.rotate()
    new = await oidc_provider.token("plain-user")
    assert jwt.get_unverified_header(new)["kid"] != jwt.get_unverified_header(old)["kid"]
    # The unknown kid triggers one JWKS refresh: the new key is picked up.
    assert (await oidc_client.get("/v1/me", headers=_bearer(new))).status_code == 200
    # The old key is gone from the provider's JWKS, so its tokens are refused.
    _refused(await oidc_client.get("/v1/me", headers=_bearer(old)), "unknown_key")


async def test_expired_token(oidc_client: httpx.AsyncClient, oidc_provider: OpenIdProvider) -> None:
    token = await oidc_provider.token("short-lived")  # one second
    await asyncio.sleep(2.1)
    _refused(await oidc_client.get("/v1/me", headers=_bearer(token)), "token_expired")


async def test_wrong_audience(
    oidc_client: httpx.AsyncClient, oidc_provider: OpenIdProvider
) -> None:
    token = await oidc_provider.token("plain-user", resource="urn:another:api")
    _refused(await oidc_client.get("/v1/me", headers=_bearer(token)), "invalid_audience")


def _forge(
    token: str, *, header: dict[str, object] | None = None, claims: dict[str, object] | None = None
) -> str:
    head, body, signature = token.split(".")

    def enc(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    def dec(part: str) -> dict[str, object]:
        return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))

    new_head = enc({**dec(head), **header}) if header else head
    new_body = enc({**dec(body), **claims}) if claims else body
    return f"{new_head}.{new_body}.{signature}"


async def test_forged_tokens_are_refused(
    oidc_client: httpx.AsyncClient, oidc_provider: OpenIdProvider
) -> None:
    token = await oidc_provider.token("plain-user")
    none = _forge(token, header={"alg": "none"}).rsplit(".", 1)[0] + "."
    _refused(await oidc_client.get("/v1/me", headers=_bearer(none)), "unsupported_algorithm")
    # HMAC keyed with the provider's public key: the classic confusion attack.
    hmac = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}),
        "the provider public key, as an HMAC secret",
        algorithm="HS256",
    )
    _refused(await oidc_client.get("/v1/me", headers=_bearer(hmac)), "unsupported_algorithm")
    tampered = _forge(token, claims={"sub": "someone-else"})
    _refused(await oidc_client.get("/v1/me", headers=_bearer(tampered)), "invalid_signature")
    other = _forge(token, claims={"iss": "https://evil.example"})
    _refused(await oidc_client.get("/v1/me", headers=_bearer(other)), "invalid_issuer")
    _refused(await oidc_client.get("/v1/me", headers=_bearer("not.a.jwt")), "malformed_token")


async def test_inactive_user_is_refused(
    oidc_client: httpx.AsyncClient, oidc_provider: OpenIdProvider, session: AsyncSession
) -> None:
    token = await oidc_provider.token("plain-user")
    user_id = (await oidc_client.get("/v1/me", headers=_bearer(token))).json()["id"]
    await session.execute(text("UPDATE users SET active = false WHERE id = :id"), {"id": user_id})
    await session.commit()
    _refused(await oidc_client.get("/v1/me", headers=_bearer(token)), "inactive_user")


async def test_unreachable_provider(db: Database, clean_redis: JobQueue, world: World) -> None:
    """Cached keys keep working when the provider goes away; with none cached, 503."""
    provider = OpenIdProvider()
    provider.start()
    app = create_app(
        oidc_settings(provider.issuer, oidc_jwks_max_age_s=0.001), db=db, queue=clean_redis
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            token = await provider.token("plain-user")
            assert (await client.get("/v1/me", headers=_bearer(token))).status_code == 200
            provider.stop()
            # The cache is stale (max age ~0): the refresh fails, the cached keys answer.
            assert (await client.get("/v1/me", headers=_bearer(token))).status_code == 200
        cold = create_app(oidc_settings(provider.issuer), db=db, queue=clean_redis)
        transport = httpx.ASGITransport(app=cold, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answer = await client.get("/v1/me", headers=_bearer(token))
            assert answer.status_code == 503
            assert answer.json()["code"] == "identity_provider_unavailable"
        await cold.state.tokens.close()
    finally:
        provider.stop()
        await app.state.tokens.close()


async def test_token_contents_never_logged(
    oidc_client: httpx.AsyncClient,
    oidc_provider: OpenIdProvider,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = await oidc_provider.token("pry-justice")
    await oidc_client.get("/v1/me", headers=_bearer(token))
    await oidc_client.get("/v1/me", headers=_bearer(_forge(token, claims={"sub": "x"})))
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    for secret in (token, token.split(".")[1], "ana@example.org", "Ana Focal"):
        assert secret not in logged


async def test_verified_tokens_are_kept_only_until_they_expire() -> None:
    settings = Settings(environment="development", secret_key="k" * 40, oidc_clock_skew_s=0)
    verifier = TokenVerifier(settings)
    token = devkey.mint(settings, MembershipSpec(role="viewer"), lifetime_s=2)
    await verifier.verify(token)
    assert token in verifier._verified
    await asyncio.sleep(2.5)
    with pytest.raises(InvalidToken) as refused:
        await verifier.verify(token)
    assert refused.value.code == "token_expired"
    assert token not in verifier._verified
