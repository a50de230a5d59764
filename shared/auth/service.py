"""API keys: created at random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth.models import ApiKey
from shared.auth.repository import ApiKeyRepository
from shared.auth.schemas import Actor, ApiKeyCreated, ApiKeyRead, Scope
from shared.db import utcnow
from shared.errors import InvalidInput, NotFound
from shared.reference.countries import by_iso3

KEY_PREFIX = "fu_"


def hash_key(key: str) -> str:
    # The keys carry 256 random bits, so a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _validate(scopes: list[str], countries: list[str] | None) -> tuple[list[str], list[str] | None]:
    allowed = {s.value for s in Scope}
    unknown = sorted(set(scopes) - allowed)
    if unknown or not scopes:
        raise InvalidInput(
            f"unknown scopes {unknown}; allowed: {sorted(allowed)}"
            if unknown
            else f"give at least one scope; allowed: {sorted(allowed)}"
        )
    if countries is None:
        return sorted(set(scopes)), None
    codes = sorted({c.strip().upper() for c in countries if c.strip()})
    bad = [c for c in codes if c not in by_iso3()]
    if bad:
        raise InvalidInput(f"unknown country codes {bad}: use ISO 3166-1 alpha-3 codes")
    return sorted(set(scopes)), codes


def to_read(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=list(key.scopes),
        countries=list(key.countries) if key.countries is not None else None,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
    )


async def create_key(
    session: AsyncSession, name: str, scopes: list[str], countries: list[str] | None
) -> ApiKeyCreated:
    if not name.strip():
        raise InvalidInput("the key needs a name")
    scopes, countries = _validate(scopes, countries)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=uuid.uuid4(),
        name=name.strip(),
        prefix=secret[: len(KEY_PREFIX) + 8],
        key_hash=hash_key(secret),
        scopes=scopes,
        countries=countries,
    )
    await ApiKeyRepository(session).insert(key)
    return ApiKeyCreated(**to_read(key).model_dump(), key=secret)


async def list_keys(session: AsyncSession) -> list[ApiKeyRead]:
    return [to_read(k) for k in await ApiKeyRepository(session).list()]


async def revoke_key(session: AsyncSession, ident: str) -> ApiKeyRead:
    """Revoke by id or by prefix (as `api-key list` shows it)."""
    repo = ApiKeyRepository(session)
    key: ApiKey | None = None
    try:
        key = await repo.get(uuid.UUID(ident))
    except ValueError:
        matches = await repo.by_prefix(ident)
        if len(matches) > 1:
            raise InvalidInput(f"prefix {ident!r} matches several keys; use the id") from None
        key = matches[0] if matches else None
    if key is None:
        raise NotFound(f"no API key {ident!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return to_read(key)


async def authenticate(session: AsyncSession, secret: str) -> Actor | None:
    """The actor for a presented key, or None when the key is unknown or revoked."""
    if not secret.startswith(KEY_PREFIX):
        return None
    key = await ApiKeyRepository(session).by_hash(hash_key(secret))
    if key is None or key.revoked_at is not None:
        return None
    return Actor(
        name=key.name,
        scopes=frozenset(key.scopes),
        countries=frozenset(key.countries) if key.countries is not None else None,
        api_key_id=key.id,
    )
