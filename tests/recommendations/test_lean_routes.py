"""Every lean route answers as its FastAPI twin on the production read path.

The app here owns its `Database`, as in production: the lean routes read through the
pooled asyncpg connections of `Database.read_driver()`, not the test's bound connection,
so the data lives committed in a scratch database of its own. Each registered lean route
must have cases below; each case is asked anonymously (the lean route) and with a key
(the twin), and the answers must match in status, body and headers.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Match

from services.api import lean
from services.api.app import create_app
from shared.auth import service as keys
from shared.queue import JobQueue
from shared.settings import Settings
from tests.conftest import scratch_database, upgrade
from tests.recommendations.test_fast_reads import same_answer

SCRATCH = "followup_lean_routes"
MISSING = "00000000-0000-4000-8000-000000000000"

# Per twin: (path, query) asked of both routes; {id} is a recommendation of the world.
CASES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "list_recommendations": [
        ("/v1/recommendations", {}),
        ("/v1/recommendations", {"country": "PRY", "limit": 2}),
        ("/v1/recommendations", {"country": ["pry", "URY"], "position": "supported"}),
        ("/v1/recommendations", {"updated_since": "2000-01-01T00:00:00Z", "limit": 3}),
        ("/v1/recommendations", {"cycle": 99}),
        ("/v1/recommendations", {"cursor": "not-a-cursor"}),
    ],
    "get_recommendation": [
        ("/v1/recommendations/{id}", {}),
        (f"/v1/recommendations/{MISSING}", {}),
    ],
}

_INSERT = """
INSERT INTO recommendations (id, ref, kind, document_symbol, document_date, paragraph,
    paragraph_key, text, state_under_review, mechanism, position, themes, affected_persons,
    sdg_targets, sdg_goals, institutions, status, version)
VALUES (:id, :ref, 'recommendation', 'A/HRC/1/1', '2020-01-01', :paragraph,
    ARRAY[CAST(:n AS int)], :text, :country, 'UPR', 'supported', '{}', '{}', '{}', '{}', '{}',
    'no_information', 1)
"""


@dataclass
class World:
    settings: Settings
    ids: list[str]
    key: str


@pytest.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[World]:
    async with scratch_database(settings, SCRATCH) as engine:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
        ids = []
        async with AsyncSession(engine) as session:
            for n, country in enumerate(["PRY", "PRY", "PRY", "URY", "URY"], start=1):
                ids.append(str(uuid.uuid4()))
                await session.execute(
                    text(_INSERT),
                    {
                        "id": ids[-1],
                        "ref": f"A/HRC/1/1#{n}",
                        "paragraph": str(n),
                        "n": n,
                        "text": f"Recommendation {n}",
                        "country": country,
                    },
                )
            created = await keys.create_key(session, "twin", ["recommendations:write"], None)
            await session.commit()
        url = make_url(settings.database_url).set(database=SCRATCH)
        own = settings.model_copy(
            update={
                "database_url": url.render_as_string(hide_password=False),
                "rate_limit_per_minute": 0,
                "rate_limit_anonymous_per_minute": 0,
            }
        )
        yield World(own, ids, created.key)


async def test_every_lean_route_answers_as_its_twin_on_the_pooled_connection(
    world: World, queue: JobQueue
) -> None:
    assert set(CASES) == {spec.twin for spec in lean.REGISTRY}, "add cases for new lean routes"
    app = create_app(world.settings, queue=queue)  # its own Database: the production pools
    installed = [r for r in app.router.routes if isinstance(r, lean.InstalledLeanRoute)]
    by_twin = {r.spec.twin: r for r in installed}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for twin, cases in CASES.items():
                for path, params in cases:
                    url = path.format(id=world.ids[0])
                    scope = {"type": "http", "method": "GET", "path": url, "headers": []}
                    assert by_twin[twin].matches(scope)[0] is Match.FULL, url
                    anonymous = await client.get(url, params=params)
                    keyed = await client.get(
                        url, params=params, headers={"Authorization": f"Bearer {world.key}"}
                    )
                    assert anonymous.status_code < 500, anonymous.text
                    same_answer(anonymous, keyed)
            listed = await client.get("/v1/recommendations", params={"country": "PRY"})
            assert len(listed.json()["items"]) == 3
    finally:
        await app.state.db.dispose()
