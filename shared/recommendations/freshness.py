"""Has anything changed since a snapshot? Cheap revalidation and cached aggregates.

A snapshot (``pg_current_snapshot()``, see ``shared/sync.py``) names exactly which
transactions an answer saw. Every write of a recommendation stamps the row with its
transaction's id (``sync_xid``), so "nothing in these States changed since snapshot S"
is the absence of rows stamped by a transaction S did not see: a range over the rows
written since, on ``ix_recommendations_state_sync``. No counter row is bumped on write,
so writers of one State never wait on each other for it.

Answers computed over a State (facets, progress statistics) are cached per process under
the snapshot they were computed at and served while that check finds nothing; list and
facet answers carry an ETag holding their snapshot, and ``If-None-Match`` is answered by
the same check instead of the query.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import database_of, driver_of
from shared.recommendations.repository import RecommendationReads
from shared.sync import Snapshot

T = TypeVar("T")

_ETAG_PREFIX = 'W/"s.'


def etag(digest: str, snapshot: Snapshot) -> str:
    """A weak ETag naming what was asked (``digest``) and the snapshot it was read at."""
    xip = "_".join(str(x) for x in snapshot.xip)
    raw = f"{digest}.{snapshot.xmin}.{snapshot.xmax}.{xip}".encode()
    return _ETAG_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + '"'


def snapshot_of(if_none_match: str | None, digest: str) -> Snapshot | None:
    """The snapshot of the first of the client's ETags that this server issued for the
    same question (``digest``); None otherwise."""
    if not if_none_match:
        return None
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if not (tag.startswith(_ETAG_PREFIX) and tag.endswith('"')):
            continue
        body = tag[len(_ETAG_PREFIX) : -1]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
            sent_digest, xmin, xmax, xip = raw.split(".")
            if sent_digest != digest:
                continue
            return Snapshot(int(xmin), int(xmax), tuple(int(x) for x in xip.split("_") if x))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            continue
    return None


@dataclass(frozen=True, slots=True)
class Cached(Generic[T]):
    snapshot: Snapshot
    value: T


class SnapshotCache(Generic[T]):
    """Values computed over some States, kept while none of those States changed.

    The check is ``RecommendationReads.changed_since``. The snapshot is read before the
    value is computed: a change committed in between is then in the value and also counts
    as "changed" on the next check, so an entry can be recomputed once too often but
    never served stale. A value computed by a transaction that wrote is not kept: it may
    hold changes that will be rolled back.
    """

    def __init__(self, maxsize: int) -> None:
        self._entries: LRUCache[Hashable, Cached[T]] = LRUCache(maxsize=maxsize)

    async def over(
        self,
        session: AsyncSession,
        key: Hashable,
        countries: tuple[str, ...],
        compute: Callable[[], Awaitable[T]],
    ) -> Cached[T]:
        """The value ``compute`` gives over the recommendations of ``countries`` (of every
        State when empty), checked on the session's connection; kept per database."""
        reads = RecommendationReads(await driver_of(await session.connection()))
        cache_key = (database_of(session), key)
        entry = self._entries.get(cache_key)
        if entry is not None and not await reads.changed_since(entry.snapshot, countries):
            return entry
        taken, writing = await reads.snapshot()
        entry = Cached(taken, await compute())
        if not writing:
            self._entries[cache_key] = entry
        return entry
