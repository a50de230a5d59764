from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.institutions import world as world_module
from tests.institutions.world import World


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await world_module.build(session)
