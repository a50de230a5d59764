"""Fault tests run against their own PostgreSQL and Redis, which they may stop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from scripts.servers import Postgres, Redis
from services.api.app import create_app
from shared.db import Database
from shared.queue import connect_queue
from shared.settings import Settings
from tests.conftest import upgrade
from tests.recommendations.conftest import corpus

__all__ = ["Stack", "corpus", "stack"]


class Stack:
    def __init__(self, pg: Postgres, redis: Redis, client: httpx.AsyncClient, db: Database) -> None:
        self.pg, self.redis, self.client, self.db = pg, redis, client, db


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    pg, redis = Postgres(), Redis()
    pg.start()
    redis.start()
    engine = create_async_engine(pg.url)
    async with engine.begin() as conn:
        await conn.run_sync(upgrade)
    await engine.dispose()
    own = settings.model_copy(
        update={"database_url": pg.url, "redis_url": redis.url, "db_pool_size": 2}
    )
    db = Database(own)
    queue = connect_queue(redis.url)
    app = create_app(own, db=db, queue=queue)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Stack(pg, redis, client, db)
    finally:
        await db.dispose()
        await queue.close()
        pg.remove()
        redis.remove()
