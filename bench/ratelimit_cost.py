"""What the per-address rate limit adds to a request: one EVALSHA of the GCRA script,
against a PING (the cheapest possible round trip) on the same connection, and a check as
the API makes it (``RateLimiter.hit``: tokens leased a second at a time, spent locally).

Run with throw-away servers: ``bash scripts/dev.sh scratch .venv/bin/python -m
bench.ratelimit_cost``. Figures go to bench/results/ratelimit.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from pathlib import Path

from redis.asyncio import Redis

from bench import load
from services.api.ratelimit import GCRA, RateLimiter
from shared.queue import connect_queue

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5000"))
OUT = Path(__file__).resolve().parent / "results" / "ratelimit.json"


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": round(statistics.median(ordered) * 1e6, 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99)] * 1e6, 1),
    }


async def main() -> None:
    redis = Redis.from_url(os.environ["REDIS_URL"])
    script = redis.register_script(GCRA)
    ping: list[float] = []
    gcra: list[float] = []
    now_ms = int(time.time() * 1000)
    for i in range(ROUNDS):
        start = time.perf_counter()
        await redis.ping()
        ping.append(time.perf_counter() - start)
        start = time.perf_counter()
        # Addresses vary as real clients do; a huge limit never refuses.
        await script(keys=[f"followup:rl:bench:{i % 500}"], args=[now_ms + i, 1, 10**9, 1])
        gcra.append(time.perf_counter() - start)
    await redis.aclose()
    queue = connect_queue(os.environ["REDIS_URL"])
    limiter = RateLimiter(queue, 0)
    leased: list[float] = []
    for i in range(ROUNDS):
        start = time.perf_counter()
        await limiter.hit(f"bench:{i % 50}", 10**9)
        leased.append(time.perf_counter() - start)
    await queue.close()
    result = {
        "what": "one GCRA check (EVALSHA) against one PING, same client and connection; "
        "a leased check (RateLimiter.hit) over 50 clients",
        "rounds": ROUNDS,
        "ping": _summary(ping),
        "gcra": _summary(gcra),
        "leased_hit": _summary(leased),
        "cpu": load.cpu_model(),
        "note": "2-core machine shared with other work while measuring: absolute figures "
        "are noisy; the comparison of the two is the point",
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
