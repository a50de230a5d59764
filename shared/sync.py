"""Sync tokens: where a delta-sync client stands, in PostgreSQL's own terms.

A token carries the snapshot (``pg_current_snapshot()``) that a list answer was read at:
``xmin`` (every transaction below it had finished), ``xmax`` (every transaction from it
on had not started) and ``xip`` (those in between still running). Rows carry the 64-bit
id of the transaction that last wrote them (``sync_xid``, stamped by a trigger). The
answer showed exactly the rows whose transaction the snapshot saw; so the changes a
client has not seen yet are the rows whose ``sync_xid`` is at least ``xmax`` or in
``xip``. No clock is involved: a transaction that wrote early and committed late is in
``xip``, and is found when it commits, whatever ``updated_at`` says.

Tokens are opaque to clients: base64url JSON, then an HMAC-SHA256 tag under a key derived
from ``SECRET_KEY``. They name the list and a digest of its filters, so a token is only
accepted by the list and filters that issued it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from functools import cache, lru_cache

import orjson

from shared.errors import DomainError
from shared.settings import get_settings

VERSION = 1
_TAG_BYTES = 16


class InvalidSyncToken(
    DomainError, status=400, code="invalid_sync_token", title="Invalid sync token"
): ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A ``pg_snapshot``: ``xmin:xmax:xip,...`` as PostgreSQL prints it."""

    xmin: int
    xmax: int
    xip: tuple[int, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Snapshot:
        return _parsed_snapshot(text)

    def unseen(self) -> dict[str, object]:
        """The bound parameters of ``UNSEEN_SQL``."""
        return {"sync_xmin": self.xmin, "sync_xmax": self.xmax, "sync_xip": list(self.xip)}


# A page read at a snapshot most other pages were read at too: parsed once per process.
@lru_cache(maxsize=256)
def _parsed_snapshot(text: str) -> Snapshot:
    xmin, xmax, xip = text.split(":")
    return Snapshot(int(xmin), int(xmax), tuple(int(x) for x in xip.split(",") if x))


# Rows written by a transaction the snapshot did not see (committed after it was taken).
# The first clause is the index range (ix_<table>_sync on (sync_xid, id)); xip values are
# all >= xmin, so it only narrows the scan.
UNSEEN_SQL = (
    "r.sync_xid >= :sync_xmin"
    " AND (r.sync_xid >= :sync_xmax OR r.sync_xid = ANY(CAST(:sync_xip AS bigint[])))"
)


@dataclass(frozen=True, slots=True)
class SyncToken:
    resource: str
    filters: str
    snapshot: Snapshot


@cache
def _key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), b"follow-up sync token v1", hashlib.sha256).digest()


def _secret() -> str:
    return get_settings().secret_key.get_secret_value()


def filters_digest(parts: object) -> str:
    """A short digest of a list's filters (JSON-serializable, in a canonical order)."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def encode(token: SyncToken) -> str:
    return _signed(_key(_secret()), token)


# Every page of a pass and every client of a list read at one snapshot get the same
# token: signed once per process (tokens only change when a transaction commits).
@lru_cache(maxsize=1024)
def _signed(key: bytes, token: SyncToken) -> str:
    snap = token.snapshot
    payload = orjson.dumps(
        [VERSION, token.resource, token.filters, snap.xmin, snap.xmax, list(snap.xip)]
    )
    tag = hmac.new(key, payload, hashlib.sha256).digest()[:_TAG_BYTES]
    return f"{_b64(payload)}.{_b64(tag)}"


def decode(text: str, *, resource: str, filters: str) -> SyncToken:
    """The token a client sent back; InvalidSyncToken unless this server issued it for
    this list with these filters."""
    token = _verified(_key(_secret()), text)
    if token.resource != resource or token.filters != filters:
        raise InvalidSyncToken(
            "the sync_token belongs to another list or other filters: send it back with"
            " the filters of the list that returned it"
        )
    return token


# Clients polling one list send the same token back again and again: checked once per
# process (a token this server refuses is checked again each time, never remembered).
@lru_cache(maxsize=1024)
def _verified(key: bytes, text: str) -> SyncToken:
    try:
        payload_text, tag_text = text.split(".")
        payload, tag = _unb64(payload_text), _unb64(tag_text)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise InvalidSyncToken(
            "the sync_token is malformed; send back sync_token exactly as received"
        ) from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:_TAG_BYTES]
    if not hmac.compare_digest(tag, expected):
        raise InvalidSyncToken(
            "the sync_token was not issued by this server (or was altered); run a full sync",
            code="invalid_sync_token",
        )
    try:
        version, name, digest, xmin, xmax, xip = orjson.loads(payload)
        snapshot = Snapshot(int(xmin), int(xmax), tuple(int(x) for x in xip))
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise InvalidSyncToken("the sync_token is malformed") from None
    if version != VERSION:
        raise InvalidSyncToken("the sync_token has expired (older format); run a full sync")
    return SyncToken(resource=str(name), filters=str(digest), snapshot=snapshot)


def check_not_ahead(token: SyncToken, current: Snapshot) -> None:
    """A token from a snapshot this database has not reached was issued by another
    database (or before a restore to an earlier point): the delta would be wrong."""
    if token.snapshot.xmax > current.xmax:
        raise InvalidSyncToken(
            "the sync_token has expired: the database was restored or replaced since it"
            " was issued; run a full sync"
        )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text:
        raise ValueError("empty")
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))
