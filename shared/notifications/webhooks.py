"""Webhooks: HMAC-SHA256 signatures, the SSRF check, and the signing secrets at rest.

Signature header: ``X-Followup-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256(secret, f"{t}.".encode() + body). Receivers recompute it over the raw body,
compare in constant time, refuse old timestamps, and deduplicate on
``X-Followup-Event-Id`` (a resend after a crash carries the same id).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from urllib.parse import urlsplit

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


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, shared (100.64/10), reserved
    # and documentation ranges; multicast is refused too.
    return ip.is_global and not ip.is_multicast


async def check_url(url: str, settings: Settings) -> None:
    """Refuse a webhook URL that is not https (unless WEBHOOK_ALLOW_HTTP) or that resolves
    to a non-public address (unless its host is in WEBHOOK_ALLOWED_HOSTS).

    Called when a subscription is created and again before every delivery, since DNS
    answers change.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeWebhook(f"the webhook URL is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and settings.webhook_allow_http):
        raise UnsafeWebhook(
            "webhook URLs must use https"
            + ("" if settings.webhook_allow_http else " (http is allowed only for local use)")
        )
    host = parts.hostname
    if not host:
        raise UnsafeWebhook("the webhook URL has no host")
    allowed = {h.lower() for h in settings.webhook_allowed_hosts}
    if host.lower() in allowed:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port or (443 if scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError) as exc:
        raise UnsafeWebhook(f"the webhook host {host!r} does not resolve ({exc})") from None
    addresses = {str(info[4][0]) for info in infos}
    blocked = sorted(a for a in addresses if not _public(a))
    if not addresses or blocked:
        raise UnsafeWebhook(
            f"the webhook host {host!r} resolves to non-public addresses {blocked}; "
            "ask an operator to allow it (WEBHOOK_ALLOWED_HOSTS) if it is intended"
        )
