"""Test fixtures: real PostgreSQL (schema built by the migrations) and real Redis.

`make test` starts throw-away servers and exports DATABASE_URL and REDIS_URL. Each test
runs inside a transaction that is rolled back; code under test that commits only
releases a savepoint inside it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from services.api.app import create_app
from shared.auth import service as keys
from shared.db import Database
from shared.queue import JobQueue, connect_queue
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

# The suite serves documents, exports and webhooks from 127.0.0.1: outbound requests may
# reach loopback (and no other non-public address) unless a test sets its own policy.
# Nothing outside the tests has this default (shared/egress).
os.environ.setdefault("EGRESS_ALLOW_HOSTS", "127.0.0.1,localhost")
# Every request of the suite comes from 127.0.0.1 without a key: the per-address limit
# is off for the servers tests start (tests/platform/test_ratelimit.py turns it on).
os.environ.setdefault("RATE_LIMIT_ANONYMOUS_PER_MINUTE", "0")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


def downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


@asynccontextmanager
async def scratch_database(settings: Settings, name: str) -> AsyncIterator[AsyncEngine]:
    """An empty database of its own on the test server, dropped afterwards (for tests
    that run migrations from the start)."""
    url = make_url(settings.database_url)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(url.set(database=name))
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(environment="test", rate_limit_per_minute=0, rate_limit_anonymous_per_minute=0)


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(settings.database_url, pool_size=10, max_overflow=20)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
            await conn.run_sync(upgrade)
    except OSError as exc:
        pytest.exit(f"PostgreSQL is not reachable at DATABASE_URL ({exc}); run `make test`", 3)
    yield engine
    await engine.dispose()


# After every test, whatever it wrote: each recommendation's stored item equals the item
# built from its row now (the triggers of migration 0015 keep them in step).
STALE_ITEMS = text(
    "SELECT array_agg(r.ref) FROM recommendations r"
    " WHERE r.item::text <> recommendation_item(r)::text"
)


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        stale: list[str] | None = None
        try:
            yield conn
            # A test that left its transaction failed has nothing to check.
            with contextlib.suppress(DBAPIError):
                stale = await conn.scalar(STALE_ITEMS)
        finally:
            if transaction.is_active:
                await transaction.rollback()
        assert not stale, f"stored items differ from their rows: {stale}"


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
async def session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def db(engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]) -> Database:
    return Database.bound(engine, sessionmaker)


@pytest.fixture(scope="session")
async def queue(settings: Settings) -> AsyncIterator[JobQueue]:
    queue = connect_queue(settings.redis_url)
    yield queue
    await queue.close()


@pytest.fixture
async def clean_redis(queue: JobQueue) -> JobQueue:
    await queue.redis.flushdb()
    return queue


@pytest.fixture
def app(settings: Settings, db: Database, clean_redis: JobQueue) -> FastAPI:
    return create_app(settings, db=db, queue=clean_redis)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class KeyFactory:
    """Creates API keys inside the test transaction and returns auth headers."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def headers(
        self, *scopes: str, countries: list[str] | None = None, name: str = "test key"
    ) -> dict[str, str]:
        created = await keys.create_key(self.session, name, list(scopes), countries)
        await self.session.commit()
        return {"Authorization": f"Bearer {created.key}"}


@pytest.fixture
def api_keys(session: AsyncSession) -> KeyFactory:
    return KeyFactory(session)
