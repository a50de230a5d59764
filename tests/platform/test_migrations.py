"""Migrations: up, down to base, up again, and no drift between models and migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.models import Base
from shared.settings import Settings
from tests.conftest import downgrade, upgrade

SCRATCH = "followup_migrations"


@pytest.fixture
async def scratch_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    url = make_url(settings.database_url)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
    engine = create_async_engine(url.set(database=SCRATCH))
    yield engine
    await engine.dispose()
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
    await admin.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_downgrade_upgrade_without_drift(scratch_engine: AsyncEngine) -> None:
    async with scratch_engine.begin() as conn:
        await conn.run_sync(upgrade)
        assert await conn.run_sync(_tables) == set(Base.metadata.tables)
    async with scratch_engine.begin() as conn:
        await conn.run_sync(downgrade, "base")
        assert await conn.run_sync(_tables) == set()
    async with scratch_engine.begin() as conn:
        await conn.run_sync(upgrade)
        assert await conn.run_sync(_drift) == []
