from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.web.app import create_app
from shared.db import Database
from shared.settings import Settings
from tests.web.seed import Seeded, seed


@pytest.fixture
async def web(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings, db=db), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        yield client


@pytest.fixture
async def seeded(session: AsyncSession, client: httpx.AsyncClient) -> Seeded:
    return await seed(session, client)
