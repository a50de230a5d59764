"""Per-key rate limiting: a fixed one-minute window counted in Redis."""

from __future__ import annotations

import time

import structlog
from redis.exceptions import RedisError

from shared.auth.schemas import Actor
from shared.errors import RateLimited
from shared.queue import JobQueue

log = structlog.get_logger(__name__)


class RateLimiter:
    def __init__(self, queue: JobQueue, per_minute: int) -> None:
        self.queue = queue
        self.per_minute = per_minute

    async def check(self, actor: Actor) -> None:
        if self.per_minute <= 0 or actor.api_key_id is None:
            return
        now = time.time()
        window = int(now // 60)
        key = f"followup:rate:{actor.api_key_id}:{window}"
        try:
            pipe = self.queue.redis.pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, 120)
            count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            # The limiter protects the service; it must not take reads down with Redis.
            log.warning("rate_limit_unavailable", error=str(exc)[:200])
            return
        if int(count) > self.per_minute:
            retry_after = max(1, int(60 - (now % 60)) + 1)
            raise RateLimited(
                f"more than {self.per_minute} requests a minute for this key",
                retry_after=retry_after,
            )
