"""Webhooks: HMAC-SHA256 signatures, the SSRF check, and the signing secrets at rest.

Signature header: ``X-Followup-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256(secret, f"{t}.".encode() + body). Receivers recompute it over the raw body,
compare in constant time, refuse old timestamps, and deduplicate on
``X-Followup-Event-Id`` (a resend after a crash carries the same id).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from shared import egress
from shared.errors import InvalidInput
from shared.settings import Settings

SIGNATURE_HEADER = "X-Followup-Signature"
EVENT_ID_HEADER = "X-Followup-Event-Id"
EVENT_TYPE_HEADER = "X-Followup-Event-Type"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


class UnsafeWebhook(InvalidInput):
    """A webhook URL that may not be called (scheme, or a non-public address)."""

    code = "unsafe_webhook_url"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, *, tolerance_s: int = 300, now: float | None = None
) -> bool:
    """What a receiver does: check the HMAC and that the timestamp is recent."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


# --- secrets at rest -------------------------------------------------------------------
# The worker must recover a secret to sign, so it cannot be hashed. It is encrypted with
# keys derived from SECRET_KEY: a stream cipher built from HMAC-SHA256 in counter mode
# (a PRF) and an HMAC-SHA256 tag over nonce and ciphertext (encrypt-then-MAC); stdlib
# only, since no cryptography package is in the lock file.


def _keys(secret_key: str) -> tuple[bytes, bytes]:
    root = secret_key.encode("utf-8")
    enc = hmac.new(root, b"followup/webhook-secret/enc", hashlib.sha256).digest()
    mac = hmac.new(root, b"followup/webhook-secret/mac", hashlib.sha256).digest()
    return enc, mac


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = []
    for counter in range((length + 31) // 32):
        blocks.append(hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest())
    return b"".join(blocks)[:length]


def seal(plain: str, secret_key: str) -> str:
    enc, mac = _keys(secret_key)
    nonce = secrets.token_bytes(16)
    data = plain.encode("utf-8")
    cipher = bytes(a ^ b for a, b in zip(data, _keystream(enc, nonce, len(data)), strict=True))
    tag = hmac.new(mac, nonce + cipher, hashlib.sha256).digest()
    return "v1." + base64.urlsafe_b64encode(nonce + cipher + tag).decode("ascii")


def unseal(sealed: str, secret_key: str) -> str:
    if not sealed.startswith("v1."):
        raise ValueError("unknown secret format")
    raw = base64.urlsafe_b64decode(sealed[3:].encode("ascii"))
    nonce, cipher, tag = raw[:16], raw[16:-32], raw[-32:]
    enc, mac = _keys(secret_key)
    if not hmac.compare_digest(tag, hmac.new(mac, nonce + cipher, hashlib.sha256).digest()):
        raise ValueError("the secret does not decrypt with this SECRET_KEY")
    plain = bytes(a ^ b for a, b in zip(cipher, _keystream(enc, nonce, len(cipher)), strict=True))
    return plain.decode("utf-8")


# --- SSRF ---------------------------------------------------------------------------------


def policy(settings: Settings) -> egress.Policy:
    """The egress policy of webhooks: https only (http too with WEBHOOK_ALLOW_HTTP), and
    WEBHOOK_ALLOWED_HOSTS added to EGRESS_ALLOW_HOSTS."""
    schemes = ("https", "http") if settings.webhook_allow_http else ("https",)
    return egress.Policy.from_settings(
        settings, extra_hosts=settings.webhook_allowed_hosts, schemes=schemes
    )


async def check_url(url: str, settings: Settings) -> None:
    """Refuse a webhook URL that is not https (unless WEBHOOK_ALLOW_HTTP) or whose host is
    not public (shared/egress). Called when a subscription is created; the delivery's
    connection checks again, and connects to the address it checked."""
    try:
        await egress.check_url(url, policy(settings))
    except egress.EgressRefused as exc:
        detail = exc.detail
        if "must use" in detail and not settings.webhook_allow_http:
            detail = "webhook URLs must use https (http is allowed only for local use)"
        raise UnsafeWebhook(detail) from None
