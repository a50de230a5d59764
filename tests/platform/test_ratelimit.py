"""Rate limits: GCRA in Redis, per key and per client address, with a fixed clock (no
minute boundary for a test to race)."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from scripts.servers import free_port
from services.api.app import create_app
from services.api.ratelimit import Decision, RateLimiter
from shared.db import Database
from shared.queue import JobQueue, connect_queue
from shared.settings import Settings
from tests.conftest import KeyFactory


class Clock:
    def __init__(self, now: float = 1_800_000_059.9) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def renewed(limiter: RateLimiter) -> None:
    """Waits for the renewals the limiter started in the background (ahead of need): a
    fixed sleep would race them on a busy machine."""
    await asyncio.gather(*limiter._pending.values())


async def test_gcra_has_no_window_boundary_to_burst_across(clean_redis: JobQueue) -> None:
    clock = Clock()  # 0.1 s before a minute boundary
    limiter = RateLimiter(clean_redis, 0, clock=clock)
    decisions = [await limiter.hit("k", 3) for _ in range(4)]
    assert [d.allowed for d in decisions if d] == [True, True, True, False]
    assert [d.remaining for d in decisions if d] == [2, 1, 0, 0]
    assert decisions[3] is not None
    assert decisions[3].retry_after_s == 20  # one request every 60/3 s
    clock.now += 0.2  # past the minute boundary: a fixed window would start afresh
    assert (await limiter.hit("k", 3)) == Decision(
        allowed=False, limit=3, remaining=0, retry_after_s=20, reset_s=60
    )
    clock.now += 19.8  # the next slot
    again = await limiter.hit("k", 3)
    assert again is not None
    assert again.allowed
    assert again.remaining == 0
    assert (await limiter.hit("other", 3)) is not None  # buckets are per client


async def test_leases_spend_locally_and_never_exceed_the_limit_across_replicas(
    clean_redis: JobQueue,
) -> None:
    clock = Clock()
    replicas = [RateLimiter(clean_redis, 0, clock=clock) for _ in range(2)]
    # 600 a minute: a lease holds what one second refills, 10 tokens.
    first = await replicas[0].hit("k", 600)
    assert first is not None
    assert first.allowed
    assert first.remaining == 599  # 590 left in the bucket, 9 in the lease
    paid = await clean_redis.redis.get("followup:rl:k")
    assert int(paid) == int(clock.now * 1000) + 10 * 100  # ten 100 ms slots taken
    for _ in range(4):
        decision = await replicas[0].hit("k", 600)
        assert decision is not None
        assert decision.allowed
    assert await clean_redis.redis.get("followup:rl:k") == paid  # no round trip
    # Under half the lease left, the next ten are taken ahead of need and added to it.
    await replicas[0].hit("k", 600)
    await renewed(replicas[0])
    assert int(await clean_redis.redis.get("followup:rl:k")) == int(paid) + 10 * 100
    # Two replicas on one clock (no lease expires): never more than the limit passes, and
    # at most one lease a replica goes unspent.
    allowed = 6
    for i in range(700):
        decision = await replicas[i % 2].hit("k", 600)
        assert decision is not None
        allowed += decision.allowed
        await asyncio.sleep(0)
    assert 600 - 2 * 10 <= allowed <= 600
    refused = await replicas[1].hit("k", 600)
    assert refused is not None
    assert not refused.allowed
    assert refused.retry_after_s == 1
    # A refusal is remembered until the next slot, then Redis is asked again.
    clock.now += 0.1
    again = await replicas[1].hit("k", 600)
    assert again is not None
    assert again.allowed


async def test_concurrent_requests_of_one_client_share_one_call_to_redis(
    clean_redis: JobQueue,
) -> None:
    limiter = RateLimiter(clean_redis, 0, clock=Clock())
    decisions = await asyncio.gather(*(limiter.hit("k", 600) for _ in range(8)))
    assert all(d is not None and d.allowed for d in decisions)
    # One lease of 10 served all eight (and one more was taken ahead of need, two left
    # being under half): the bucket paid for at most twenty slots, not eighty.
    await renewed(limiter)
    paid = int(await clean_redis.redis.get("followup:rl:k"))
    assert paid - int(Clock().now * 1000) in (10 * 100, 20 * 100)


async def test_a_refused_renewal_keeps_the_tokens_already_paid_for(
    clean_redis: JobQueue,
) -> None:
    clock = Clock()
    limiter = RateLimiter(clean_redis, 0, clock=clock)
    # 600 a minute: a lease of 10 tokens, renewed ahead of need under 5 left.
    first = await limiter.hit("k", 600)
    assert first is not None
    assert first.allowed
    # Meanwhile other replicas empty the bucket: the renewal ahead of need is refused.
    now_ms = int(clock.now * 1000)
    await clean_redis.redis.set("followup:rl:k", now_ms + 60_000, px=60_000)
    for _ in range(5):  # 4 left: the renewal starts
        decision = await limiter.hit("k", 600)
        assert decision is not None
        assert decision.allowed
    await renewed(limiter)
    assert int(await clean_redis.redis.get("followup:rl:k")) == now_ms + 60_000  # refused
    # The four tokens the lease still holds were paid for: they are spent, then refused.
    decisions = [await limiter.hit("k", 600) for _ in range(5)]
    assert [d.allowed for d in decisions if d] == [True, True, True, True, False]


async def test_a_request_that_waited_for_a_renewal_is_not_refused_by_the_lease_it_waited_for(
    clean_redis: JobQueue,
) -> None:
    clock = Clock()
    limiter = RateLimiter(clean_redis, 0, clock=clock)
    # No lease yet: this request asks Redis, and waits.
    waiting = asyncio.ensure_future(limiter.hit("k", 600))
    for _ in range(10_000):  # until the lease of 10 is in, the request not resumed yet
        if "k" in limiter._leases:
            break
        await asyncio.sleep(0)
    assert not waiting.done()
    # Requests that come meanwhile, a little later, spend the whole lease.
    clock.now += 0.005
    for _ in range(10):
        decision = await limiter.hit("k", 600)
        assert decision is not None
        assert decision.allowed
    # The bucket still holds 580 tokens: the request that waited renews the lease rather
    # than take the spent one for a refusal.
    waited = await waiting
    assert waited is not None
    assert waited.allowed


def limited_app(settings: Settings, db: Database, queue: JobQueue, **limits: object) -> FastAPI:
    app = create_app(settings.model_copy(update=limits), db=db, queue=queue)
    app.state.rate_limiter.clock = Clock()
    return app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("10.9.8.7", 5))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_per_key_limit_answers_429_with_ratelimit_fields(
    settings: Settings, db: Database, clean_redis: JobQueue, api_keys: KeyFactory
) -> None:
    app = limited_app(settings, db, clean_redis, rate_limit_per_minute=3)
    headers = await api_keys.headers("recommendations:write")
    async with client_of(app) as client:
        answers = [await client.get("/v1/countries", headers=headers) for _ in range(4)]
        anonymous = await client.get("/v1/countries")
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["ratelimit-limit"] for a in answers} == {"3"}
    limited = answers[3]
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["code"] == "rate_limited"
    assert limited.headers["retry-after"] == "20"
    assert limited.headers["ratelimit-reset"] == "60"
    # The per-address limit is off here: a request without a key is not counted.
    assert anonymous.status_code == 200
    assert "ratelimit-limit" not in anonymous.headers


async def test_per_address_limit_covers_the_lean_read_routes(
    settings: Settings, db: Database, clean_redis: JobQueue, api_keys: KeyFactory
) -> None:
    app = limited_app(settings, db, clean_redis, rate_limit_anonymous_per_minute=2)
    async with client_of(app) as client:
        answers = [await client.get("/v1/recommendations", params={"limit": 1}) for _ in range(3)]
        other_route = await client.get("/v1/countries")
        with_key = await client.get(
            "/v1/countries", headers=await api_keys.headers("recommendations:write")
        )
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["ratelimit-remaining"] == "1"
    limited = answers[2]
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["code"] == "rate_limited"
    assert limited.headers["retry-after"] == "30"
    assert other_route.status_code == 429  # one bucket per address, whatever the route
    assert with_key.status_code == 200  # keyed requests count against their key only


async def test_an_empty_authorization_header_is_counted_per_address(
    settings: Settings, db: Database, clean_redis: JobQueue
) -> None:
    app = limited_app(settings, db, clean_redis, rate_limit_anonymous_per_minute=2)
    async with client_of(app) as client:
        answers = [
            await client.get("/v1/countries", headers={"Authorization": ""}) for _ in range(3)
        ]
    # It carries no credential (the route reads the caller as anonymous): no key counts
    # it, so the address must.
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["cache-control"].startswith("public")


async def test_client_address_from_the_trusted_proxy_header(
    settings: Settings, db: Database, clean_redis: JobQueue
) -> None:
    app = limited_app(
        settings,
        db,
        clean_redis,
        rate_limit_anonymous_per_minute=1,
        rate_limit_client_header="X-Forwarded-For",
    )

    async def status(forwarded: str) -> int:
        headers = {"X-Forwarded-For": forwarded}
        async with client_of(app) as client:
            return (await client.get("/v1/countries", headers=headers)).status_code

    # The proxy appends the address it saw; what the client wrote before it is ignored.
    assert await status("1.2.3.4, 192.0.2.10") == 200
    assert await status("5.6.7.8, 192.0.2.10") == 429
    assert await status("1.2.3.4, 192.0.2.11") == 200


async def test_the_limits_stand_aside_when_redis_is_down() -> None:
    down = connect_queue(f"redis://127.0.0.1:{free_port()}/0")
    limiter = RateLimiter(down, 1, anonymous_per_minute=1)
    try:
        assert await limiter.hit("k", 1) is None  # refused connection: let the request in
        assert limiter._down_until > 0  # and stop asking for a while
        assert await limiter.hit("k", 1) is None
    finally:
        await down.close()
