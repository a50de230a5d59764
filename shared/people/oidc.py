"""Verification of OpenID Connect bearer tokens (JWT access tokens) against the JWKS of
the trusted issuers.

Keys are fetched through the issuer's discovery document and cached; a token signed
with an unknown `kid` triggers one refresh (at most every OIDC_JWKS_MIN_REFRESH_S per
issuer, so random `kid`s cannot make the API hammer the provider), which is how a key
rotation is picked up without a restart. When the provider is unreachable the cached
keys keep working; with none cached the answer is 503 `identity_provider_unavailable`.
Token contents never reach the logs: only the issuer, the `kid` and the error code.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import structlog
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from shared.errors import Forbidden, InvalidToken, Unavailable
from shared.people import devkey
from shared.people.config import ALGORITHMS, MembershipSpec, OidcIssuer
from shared.people.service import TokenIdentity, group_specs
from shared.settings import Settings

log = structlog.get_logger(__name__)

# Tokens already verified, by their full text (signature included, so nothing else can
# match): a client sends the same access token for minutes, and a repeat costs a lookup
# and an expiry check instead of a signature verification. Bounded; oldest out first.
VERIFIED_CACHE_SIZE = 10_000

_ALGORITHM_OF_KEY: dict[tuple[object, object], str] = {
    ("RSA", None): "RS256",
    ("EC", "P-256"): "ES256",
    ("OKP", "Ed25519"): "EdDSA",
}


def _load_key(jwk: dict[str, Any]) -> tuple[str, Any] | None:
    """(algorithm, public key object) for a JWK we accept, or None."""
    kty, crv = jwk.get("kty"), jwk.get("crv")
    algorithm = _ALGORITHM_OF_KEY.get((kty, None if kty == "RSA" else crv))
    if (
        algorithm is None
        or jwk.get("alg") not in (None, algorithm)
        or jwk.get("use") not in (None, "sig")
    ):
        return None
    try:
        if algorithm == "RS256":
            return algorithm, RSAAlgorithm.from_jwk(jwk)
        if algorithm == "ES256":
            return algorithm, ECAlgorithm.from_jwk(jwk)
        return algorithm, OKPAlgorithm.from_jwk(jwk)
    except (jwt.InvalidKeyError, ValueError, TypeError, KeyError):
        return None


# Why PyJWT refused a token, as the message and problem code of the 401: the first class
# the error is an instance of wins (the more specific ones come first).
_REJECTIONS: tuple[tuple[type[jwt.InvalidTokenError], str, str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired", "token_expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet", "token_not_yet_valid"),
    (jwt.InvalidAudienceError, "the token is meant for another audience", "invalid_audience"),
    (jwt.InvalidIssuerError, "the token's issuer is not trusted", "invalid_issuer"),
    (jwt.InvalidSignatureError, "the token's signature is invalid", "invalid_signature"),
)


def _rejection(exc: jwt.InvalidTokenError) -> InvalidToken:
    for kind, message, code in _REJECTIONS:
        if isinstance(exc, kind):
            return InvalidToken(message, code=code)
    return InvalidToken("the token is invalid", code="invalid_token")


@dataclass
class IssuerKeys:
    """The cached keys of one issuer."""

    config: OidcIssuer
    literal_groups: bool = False
    static: bool = False
    keys: dict[str | None, tuple[str, Any]] = field(default_factory=dict)
    jwks_uri: str | None = None
    fetched_at: float = 0.0
    attempted_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class TokenVerifier:
    def __init__(self, settings: Settings, *, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._http = http
        self._owns_http = http is None
        self.issuers: dict[str, IssuerKeys] = {
            cfg.issuer: IssuerKeys(cfg) for cfg in settings.oidc_issuers
        }
        self._verified: OrderedDict[str, tuple[float, TokenIdentity, list[MembershipSpec]]] = (
            OrderedDict()
        )
        if settings.dev_tokens_enabled:
            dev = IssuerKeys(devkey.issuer_config(), literal_groups=True, static=True)
            dev.keys[devkey.DEV_KID] = ("EdDSA", devkey.public_key(settings))
            self.issuers[devkey.DEV_ISSUER] = dev

    @property
    def enabled(self) -> bool:
        return bool(self.issuers)

    async def close(self) -> None:
        if self._http is not None and self._owns_http:
            await self._http.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self.settings.oidc_http_timeout_s, follow_redirects=False
            )
        return self._http

    async def _fetch(self, state: IssuerKeys) -> None:
        client = self._client()
        if state.jwks_uri is None:
            response = await client.get(state.config.discovery)
            response.raise_for_status()
            document = response.json()
            if document.get("issuer") != state.config.issuer:
                raise ValueError("the discovery document names another issuer")
            state.jwks_uri = str(document["jwks_uri"])
        response = await client.get(state.jwks_uri)
        response.raise_for_status()
        keys: dict[str | None, tuple[str, Any]] = {}
        for jwk in response.json().get("keys", []):
            loaded = _load_key(jwk) if isinstance(jwk, dict) else None
            if loaded is not None:
                keys[jwk.get("kid")] = loaded
        if set(state.keys) - set(keys):
            # A key was withdrawn (rotated out, or compromised): tokens it signed must be
            # checked again, not served from the verified cache.
            self._verified.clear()
        state.keys = keys
        state.fetched_at = time.monotonic()

    async def _refresh(self, state: IssuerKeys) -> None:
        async with state.lock:
            now = time.monotonic()
            # Another request refreshed while this one waited, or one tried a moment ago:
            # unknown `kid`s and outages must not turn into a flood of fetches.
            if now - state.attempted_at < self.settings.oidc_jwks_min_refresh_s:
                return
            state.attempted_at = now
            try:
                await self._fetch(state)
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                # A provider outage: keep the keys we have; discover again next time.
                state.jwks_uri = None
                log.warning(
                    "oidc_keys_unavailable",
                    issuer=state.config.issuer,
                    error=type(exc).__name__,
                    cached_keys=len(state.keys),
                )

    async def _key(self, state: IssuerKeys, kid: str | None, algorithm: str) -> Any:
        if not state.static:
            age = time.monotonic() - state.fetched_at
            if not state.keys or age > self.settings.oidc_jwks_max_age_s:
                await self._refresh(state)
            if not state.keys:
                raise Unavailable(
                    "the identity provider is unreachable and no keys are cached; retry shortly",
                    code="identity_provider_unavailable",
                )
            if self._pick(state, kid) is None:
                await self._refresh(state)
        found = self._pick(state, kid)
        if found is None:
            log.info("oidc_unknown_key", issuer=state.config.issuer, kid=str(kid)[:64])
            raise InvalidToken("the token is signed with an unknown key", code="unknown_key")
        key_algorithm, key = found
        if key_algorithm != algorithm:
            raise InvalidToken(
                "the token's algorithm does not match its key", code="invalid_signature"
            )
        return key

    @staticmethod
    def _pick(state: IssuerKeys, kid: str | None) -> tuple[str, Any] | None:
        if kid is not None:
            return state.keys.get(kid)
        # No `kid`: acceptable only when the issuer publishes a single key.
        return next(iter(state.keys.values())) if len(state.keys) == 1 else None

    async def verify(self, token: str) -> tuple[TokenIdentity, list[MembershipSpec]]:
        """The identity and the group memberships of a valid token; InvalidToken (401),
        Forbidden (403, a required scope missing) or Unavailable (503) otherwise."""
        cached = self._verified.get(token)
        if cached is not None:
            if time.time() < cached[0] + self.settings.oidc_clock_skew_s:
                return cached[1], cached[2]
            del self._verified[token]  # expired: verified again below, refused as such
        try:
            # One parse for the header and the claims that pick the issuer and the key.
            unverified_all = jwt.api_jwt.decode_complete(token, options={"verify_signature": False})
            header, unverified = unverified_all["header"], unverified_all["payload"]
        except jwt.InvalidTokenError:
            raise InvalidToken(
                "the bearer token is not a well-formed JWT", code="malformed_token"
            ) from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise InvalidToken(
                f"tokens signed with {str(algorithm)[:20]!r} are refused;"
                f" allowed: {', '.join(ALGORITHMS)}",
                code="unsupported_algorithm",
            )
        state = self.issuers.get(str(unverified.get("iss")))
        if state is None:
            raise InvalidToken("the token's issuer is not trusted", code="invalid_issuer")
        cfg = state.config
        if algorithm not in cfg.algorithms:
            raise InvalidToken(
                f"this issuer's tokens may not use {algorithm}", code="unsupported_algorithm"
            )
        kid = header.get("kid")
        key = await self._key(state, kid if isinstance(kid, str) else None, algorithm)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=cfg.audience,
                issuer=cfg.issuer,
                leeway=self.settings.oidc_clock_skew_s,
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.InvalidTokenError as exc:
            raise _rejection(exc) from None
        if cfg.required_scope is not None:
            raw = claims.get(cfg.scope_claim) or ""
            scopes = raw if isinstance(raw, list) else str(raw).split()
            if cfg.required_scope not in scopes:
                raise Forbidden(
                    f"the token lacks the scope {cfg.required_scope!r}", code="insufficient_scope"
                )
        groups = claims.get(cfg.groups_claim) or []
        groups = [str(g) for g in groups] if isinstance(groups, list) else []
        identity = TokenIdentity(
            issuer=cfg.issuer,
            subject=str(claims["sub"]),
            name=_text(claims.get(cfg.name_claim)),
            email=_text(claims.get(cfg.email_claim)),
            groups=tuple(groups),
        )
        specs = group_specs(cfg.groups, groups, literal=state.literal_groups)
        self._verified[token] = (float(claims["exp"]), identity, specs)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return identity, specs


def _text(value: object) -> str | None:
    return value[:300] if isinstance(value, str) and value else None
