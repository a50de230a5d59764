"""Migrations: up, down to base, up again, and no drift between models and migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.models import Base
from shared.settings import Settings
from tests.conftest import downgrade, scratch_database, upgrade

SCRATCH = "followup_migrations"


@pytest.fixture
async def scratch_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    async with scratch_database(settings, SCRATCH) as engine:
        yield engine


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
