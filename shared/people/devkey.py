"""The development signing key of `followup dev-token`: derived from SECRET_KEY, so the
CLI and the API agree on it without a file, and trusted only when ENVIRONMENT=development."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.people.config import MembershipSpec, OidcIssuer
from shared.settings import Settings

DEV_ISSUER = "urn:followup:development"
DEV_AUDIENCE = "followup"
DEV_KID = "development"


def _private_key(settings: Settings) -> Ed25519PrivateKey:
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"followup dev-token key"
    ).derive(settings.secret_key.get_secret_value().encode("utf-8"))
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key(settings: Settings) -> Ed25519PublicKey:
    return _private_key(settings).public_key()


def issuer_config() -> OidcIssuer:
    return OidcIssuer(issuer=DEV_ISSUER, audience=DEV_AUDIENCE, algorithms=("EdDSA",))


def group_of(spec: MembershipSpec) -> str:
    """A development token carries its membership as a `role:COUNTRY:institution` group."""
    return f"{spec.role}:{spec.country or ''}:{spec.institution or ''}"


def mint(
    settings: Settings,
    spec: MembershipSpec,
    *,
    subject: str | None = None,
    name: str | None = None,
    email: str | None = None,
    lifetime_s: int = 8 * 3600,
) -> str:
    if not settings.dev_tokens_enabled:
        raise RuntimeError(
            "development tokens are trusted only when ENVIRONMENT=development"
            f" (now {settings.environment!r}, DEV_TOKENS={settings.dev_tokens})"
        )
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": subject or f"dev-{uuid.uuid5(uuid.NAMESPACE_URL, group_of(spec))}",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_s,
        "name": name or f"Development {spec.role.replace('_', ' ')}",
        "groups": [group_of(spec)],
    }
    if email:
        claims["email"] = email
    return jwt.encode(claims, _private_key(settings), algorithm="EdDSA", headers={"kid": DEV_KID})
