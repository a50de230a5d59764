"""Rate limits: GCRA (the generic cell rate algorithm) in Redis, one atomic Lua script.

A limit of L a minute lets a client send up to L requests at once, then one every 60/L
seconds: the bucket refills continuously, so there is no minute boundary to burst
across (the fixed window this replaces let 2L through around one). The state is one
Redis string per client (its "theoretical arrival time"), which expires when full.

Two kinds of client: an API key (``RATE_LIMIT_PER_MINUTE``, checked after the key is
authenticated) and, for requests without a key, the client address
(``RATE_LIMIT_ANONYMOUS_PER_MINUTE``; behind a proxy, ``RATE_LIMIT_CLIENT_HEADER`` names
the header it sets). The middleware covers the lean anonymous read routes too, before
routing.

A round trip to Redis on every request cost about as much CPU as the rest of a list
request (BENCHMARKS.md), so a process takes tokens in **leases**: one EVALSHA takes up to
what the client's rate refills in ``LEASE_S`` (at most ``LEASE_MAX``), which the process
then spends locally for at most ``LEASE_S``. Under half a lease left, the next is taken
ahead of need (one call to Redis per client at a time) and added to what is left, so a
client keeping its pace never waits for Redis. The tokens are paid for in Redis when
leased, so no client ever gets more than its limit across replicas; tokens a lease did
not spend expire unused, so a client spread over several replicas may be refused up to a
lease and a half's worth a replica early. A refusal is remembered until the client's next
slot (exact: the bucket only fills up with time). Limits under ``60 / LEASE_S`` a minute
lease one token at a time, as before.

Answers carry the field names of draft-ietf-httpapi-ratelimit-headers up to -06:
``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (seconds until the
bucket is full again), and 429s ``Retry-After`` (seconds until one request passes).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.deps import is_anonymous
from shared.asgi import HttpMiddleware
from shared.auth.schemas import Actor
from shared.errors import RateLimited
from shared.queue import JobQueue

log = structlog.get_logger(__name__)

# KEYS[1] the client's bucket; ARGV now (ms), interval (ms between requests at the
# sustained rate), burst (requests at once), want (tokens asked for). Takes as many of
# them as the bucket holds now and returns {taken, remaining, retry_ms, reset_ms}: with
# want = 1, plain GCRA. Integer milliseconds: Lua numbers are doubles, exact far beyond.
GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local taken = math.floor((now - tat) / interval) + burst
if taken < 1 then
  return {0, 0, tat + interval - interval * burst - now, tat - now}
end
if taken > want then taken = want end
local new_tat = tat + taken * interval
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return {taken, math.floor((now + interval * burst - new_tat) / interval), 0, new_tat - now}
"""
# How long a lease lives, and the most tokens one may hold.
LEASE_S = 1.0
LEASE_MAX = 1000
# Leases and refusals kept at most (one a client address or key): past it, the expired
# ones are dropped, and all of them if that is not enough.
LEASES_KEPT = 50_000
# After Redis fails, the limiter stands aside this long rather than make every request
# wait for a connection error: it protects the service, it must not take it down.
BACKOFF_S = 5.0


@dataclass(slots=True)
class _Lease:
    """Tokens this process took for one client (``left`` of them unspent) until ``until``
    (0 once the last is spent: the next request renews it), or a refusal (``left`` 0) until
    ``until``, the client's next slot; times in the limiter's clock, milliseconds."""

    left: int
    until: int
    remaining: int
    reset_at: int
    # Below this many tokens left, the lease is renewed ahead of need (0: never).
    low: int


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int
    reset_s: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_s).encode()),
        ]


class RateLimiter:
    def __init__(
        self,
        queue: JobQueue,
        per_minute: int,
        *,
        anonymous_per_minute: int = 0,
        client_header: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis: Redis = queue.redis
        self.per_minute = per_minute
        self.anonymous_per_minute = anonymous_per_minute
        self.client_header = client_header.lower().encode("latin-1") if client_header else None
        self.clock = clock
        self.script = self.redis.register_script(GCRA)
        self._down_until = 0.0
        self._leases: dict[str, _Lease] = {}
        self._pending: dict[str, asyncio.Future[_Lease | None]] = {}

    async def hit(self, key: str, limit: int) -> Decision | None:
        """Count one request against ``key``; None when Redis cannot say."""
        now = int(self.clock() * 1000)
        lease = self._leases.get(key)
        while lease is None or now >= lease.until:
            lease = await self._renewed(key, limit, now)
            if lease is None:
                return None
        if lease.left == 0:
            return Decision(
                allowed=False,
                limit=limit,
                remaining=0,
                retry_after_s=max(1, math.ceil((lease.until - now) / 1000)),
                reset_s=math.ceil((lease.reset_at - now) / 1000),
            )
        lease.left -= 1
        if lease.left == 0:
            # Over for every request, whatever its ``now``: one that read the clock before
            # waiting for this lease must renew it, not take it for a refusal.
            lease.until = 0
        if lease.left < lease.low and key not in self._pending:
            # Renewed ahead of need, so that a client keeping its pace never waits for Redis.
            self._renew(key, limit, now)
        return Decision(
            allowed=True,
            limit=limit,
            remaining=lease.remaining + lease.left,
            retry_after_s=1,
            reset_s=math.ceil((lease.reset_at - now) / 1000),
        )

    async def _renewed(self, key: str, limit: int, now: int) -> _Lease | None:
        """The client's lease after a call to Redis. One call per client at a time: under
        load a herd of requests each asking Redis at once waited ~80 ms for their turn on
        a busy event loop, where they now wait for the one call in flight."""
        pending = self._pending.get(key) or self._renew(key, limit, now)
        # Shielded: a request that goes away must not cancel the others' lease.
        return await asyncio.shield(pending)

    def _renew(self, key: str, limit: int, now: int) -> asyncio.Future[_Lease | None]:
        pending = asyncio.ensure_future(self._lease(key, limit, now))
        self._pending[key] = pending
        pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return pending

    async def _lease(self, key: str, limit: int, now: int) -> _Lease | None:
        """Tokens for ``key`` from Redis (a refusal when there are none), added to what is
        left of the client's lease."""
        if time.monotonic() < self._down_until:
            return None
        interval = max(1, round(60_000 / limit))
        want = min(LEASE_MAX, max(1, int(limit * LEASE_S / 60)))
        try:
            taken, remaining, retry_ms, reset_ms = await self.script(
                keys=[f"followup:rl:{key}"], args=[now, interval, limit, want]
            )
        except (RedisError, OSError) as exc:
            self._down_until = time.monotonic() + BACKOFF_S
            log.warning("rate_limit_unavailable", error=str(exc)[:200])
            return None
        taken = int(taken)
        current = self._leases.get(key)
        if current is not None and current.left and now < current.until:
            # Tokens paid for are never dropped: the renewal tops up what is left, and a
            # refusal waits until they are spent (the next renewal asks again).
            if taken:
                current.left += taken
                current.until = now + int(LEASE_S * 1000)
                current.remaining = int(remaining)
                current.reset_at = now + int(reset_ms)
            return current
        # A refusal holds until the client's next slot; tokens for LEASE_S at most.
        until = now + int(retry_ms) if taken == 0 else now + int(LEASE_S * 1000)
        lease = _Lease(taken, until, int(remaining), now + int(reset_ms), want // 2)
        if len(self._leases) >= LEASES_KEPT:
            self._forget_expired(now)
        self._leases[key] = lease
        return lease

    def _forget_expired(self, now: int) -> None:
        self._leases = {k: v for k, v in self._leases.items() if now < v.until}
        if len(self._leases) >= LEASES_KEPT:
            self._leases.clear()

    async def check(self, actor: Actor, state: dict[str, Any] | None = None) -> None:
        """The per-key limit; raises RateLimited (429). ``state``: the request's, where
        the middleware finds the decision to add its headers to the answer."""
        if self.per_minute <= 0:
            return
        if actor.api_key_id is not None:
            decision = await self.hit(f"key:{actor.api_key_id}", self.per_minute)
        elif actor.user_id is not None:
            decision = await self.hit(f"user:{actor.user_id}", self.per_minute)
        else:
            return
        if decision is None:
            return
        if state is not None:
            state["rate_limit"] = decision
        if not decision.allowed:
            raise RateLimited(
                f"more than {self.per_minute} requests a minute for this key",
                retry_after=decision.retry_after_s,
            )

    def client_address(self, scope: Scope) -> str:
        if self.client_header is not None:
            for name, value in scope["headers"]:
                if name == self.client_header:
                    # The last entry is the one the trusted proxy added (X-Forwarded-For
                    # lists the client's own claims first).
                    last: str = value.decode("latin-1").rsplit(",", 1)[-1].strip()
                    if last:
                        return last[:100]
        client = scope.get("client")
        return str(client[0]) if client else "unknown"


class RateLimitMiddleware(HttpMiddleware):
    """Limits requests without an API key per client address (before routing, so the
    lean read routes are covered), and adds the RateLimit fields to every answer that
    was counted, per address or per key."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        super().__init__(app)
        self.limiter = limiter

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope.setdefault("state", {})
        limit = self.limiter.anonymous_per_minute
        if limit > 0 and is_anonymous(scope["headers"]):
            decision = await self.limiter.hit(f"ip:{self.limiter.client_address(scope)}", limit)
            if decision is not None:
                if not decision.allowed:
                    await _refuse(scope, send, decision)
                    return
                state["rate_limit"] = decision

        async def send_with_fields(message: Message) -> None:
            if message["type"] == "http.response.start":
                counted: Decision | None = state.get("rate_limit")
                if counted is not None:
                    message = {**message, "headers": [*message["headers"], *counted.headers()]}
            await send(message)

        await self.app(scope, receive, send_with_fields)


async def _refuse(scope: Scope, send: Send, decision: Decision) -> None:
    body = orjson.dumps(
        {
            "type": "https://followup.example.org/problems/rate_limited",
            "title": "Too many requests",
            "status": 429,
            "detail": f"more than {decision.limit} requests a minute from this address "
            "without an API key",
            "instance": scope["path"],
            "code": "rate_limited",
        }
    )
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(decision.retry_after_s).encode()),
        *decision.headers(),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
