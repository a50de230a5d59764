"""Cached facets and statistics, and list ETags, under the snapshot they were read at.

These need transactions that really commit (and stay open), so they run in a scratch
database of their own: writers use plain SQL on their own connections (the triggers stamp
every row whoever writes), readers the same service calls and HTTP routes as production.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.api.app import create_app
from shared.db import Database
from shared.queue import JobQueue
from shared.recommendations import facets, stats
from shared.recommendations.schemas import RecommendationFilter
from shared.settings import Settings
from tests.conftest import scratch_database, upgrade

SCRATCH = "followup_freshness"
STATES = ("PRY", "URY")
POSITIONS = ("supported", "noted", "pending")
STATUSES = ("no_information", "in_progress", "implemented")
THEMES = ("A12", "F12", "G1", "B31")

_INSERT = """
INSERT INTO recommendations (id, ref, kind, document_symbol, document_date, paragraph,
    paragraph_key, text, state_under_review, mechanism, cycle, position, themes,
    affected_persons, sdg_targets, sdg_goals, institutions, status, version)
VALUES ($1, $2, 'recommendation', $3, '2020-01-01', $4, ARRAY[$5::int], 'Ratify the
    Convention', $6, 'UPR', $7, $8, $9, '{}', '{}', $10, '{}', $11, 1)
"""


@pytest.fixture(scope="module")
async def scratch(settings: Settings) -> AsyncIterator[tuple[AsyncEngine, str]]:
    async with scratch_database(settings, SCRATCH) as engine:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
        url = make_url(settings.database_url).set(database=SCRATCH)
        yield engine, url.render_as_string(hide_password=False)


@pytest.fixture
async def writer(scratch: tuple[AsyncEngine, str]) -> AsyncIterator[Any]:
    dsn = make_url(scratch[1]).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    await conn.execute("TRUNCATE recommendations CASCADE")
    yield conn
    await conn.close()


class World:
    """Recommendations written through committed SQL, one random change at a time."""

    def __init__(self, conn: Any, rng: random.Random) -> None:
        self.conn = conn
        self.rng = rng
        self.ids: list[uuid.UUID] = []
        self.count = 0

    async def insert(self, conn: Any | None = None) -> uuid.UUID:
        """A new recommendation; only committed ones are changed later (a row another
        transaction has not committed yet would make the change wait for it)."""
        self.count += 1
        rid, n = uuid.uuid4(), self.count
        state = self.rng.choice(STATES)
        await (conn or self.conn).execute(
            _INSERT,
            rid,
            f"A/HRC/{state}/1#{n}",
            f"A/HRC/{state}/1",
            str(n),
            n,
            state,
            self.rng.choice((2, 3)),
            self.rng.choice(POSITIONS),
            self.rng.sample(THEMES, self.rng.randint(0, 2)),
            self.rng.sample([5, 16], self.rng.randint(0, 2)),
            self.rng.choice(STATUSES),
        )
        await (conn or self.conn).execute(
            "INSERT INTO recommending_states (recommendation_id, ordinal, name, iso3)"
            " VALUES ($1, 1, 'France', 'FRA')",
            rid,
        )
        if conn is None:
            self.ids.append(rid)
        return rid

    async def change(self) -> str:
        """One random committed write; returns what it was."""
        conn = self.conn
        kind = self.rng.choice(("insert", "status", "position", "themes", "delete", "state"))
        if kind == "insert" or not self.ids:
            await self.insert()
            return "insert"
        rid = self.rng.choice(self.ids)
        if kind == "status":
            await conn.execute(
                "UPDATE recommendations SET status = $2, version = version + 1 WHERE id = $1",
                rid,
                self.rng.choice(STATUSES),
            )
        elif kind == "position":
            await conn.execute(
                "UPDATE recommendations SET position = $2 WHERE id = $1",
                rid,
                self.rng.choice(POSITIONS),
            )
        elif kind == "themes":
            await conn.execute(
                "UPDATE recommendations SET themes = $2 WHERE id = $1",
                rid,
                self.rng.sample(THEMES, self.rng.randint(0, 3)),
            )
        elif kind == "delete":
            await conn.execute(
                "UPDATE recommendations SET deleted_at = now() WHERE id = $1 AND deleted_at"
                " IS NULL",
                rid,
            )
        else:
            await conn.execute(
                "INSERT INTO recommending_states (recommendation_id, ordinal, name, iso3)"
                " SELECT $1, coalesce(max(ordinal), 0) + 1, 'Chile', 'CHL'"
                " FROM recommending_states WHERE recommendation_id = $1",
                rid,
            )
        return kind


FILTERS = (
    RecommendationFilter(countries=("PRY",)),
    RecommendationFilter(countries=("URY",)),
    RecommendationFilter(),
    RecommendationFilter(countries=("PRY",), cycles=(3,)),
)


async def test_cached_facets_and_statistics_equal_fresh_counts_after_random_writes(
    scratch: tuple[AsyncEngine, str], writer: Any, settings: Settings
) -> None:
    engine = scratch[0]
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    world = World(writer, rng)
    for _ in range(12):
        await world.insert()
    long_conn = await asyncpg.connect(
        make_url(scratch[1]).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    long_tx = None
    pending: list[uuid.UUID] = []
    hits = 0
    try:
        for step in range(40):
            # Now and then a long transaction writes early and commits a few steps later
            # (new rows: the short writes never wait on its row locks).
            if long_tx is None and rng.random() < 0.2:
                long_tx = long_conn.transaction()
                await long_tx.start()
                pending.append(await world.insert(long_conn))
            elif long_tx is not None and rng.random() < 0.4:
                await long_tx.commit()
                long_tx = None
                world.ids.extend(pending)
                pending.clear()
            what = await world.change() if rng.random() < 0.7 else "nothing"
            async with AsyncSession(engine) as session:
                for f in FILTERS:
                    before = await facets.cached_facets_json(session, f)
                    sent = await facets.cached_facets_json(session, f)
                    hits += sent is before
                    fresh = await facets.count_facets(session, f)
                    assert json.loads(sent.value) == fresh.model_dump(mode="json"), (
                        seed,
                        step,
                        what,
                        f,
                    )
                for country in (*STATES, None):
                    progress = await stats.progress(session, country, None)
                    assert progress == await stats.compute_progress(session, country, None), (
                        seed,
                        step,
                        what,
                        country,
                    )
    finally:
        if long_tx is not None:
            await long_tx.rollback()
        await long_conn.close()
    # Read twice with no write in between, the second answer is the cached one.
    assert hits == 40 * len(FILTERS), seed


@pytest.fixture
async def scratch_client(
    scratch: tuple[AsyncEngine, str], settings: Settings, clean_redis: JobQueue
) -> AsyncIterator[httpx.AsyncClient]:
    db = Database(settings.model_copy(update={"database_url": scratch[1]}))
    app = create_app(settings, db=db, queue=clean_redis)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await db.dispose()


@pytest.mark.parametrize("path", ["/v1/recommendations", "/v1/recommendations/facets"])
async def test_etag_revalidates_without_the_query_until_the_state_changes(
    scratch_client: httpx.AsyncClient, writer: Any, path: str
) -> None:
    world = World(writer, random.Random(7))
    for _ in range(6):
        await world.insert()
    pry = {"country": "PRY", "limit": "2"}
    first = await scratch_client.get(path, params=pry)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    again = await scratch_client.get(path, params=pry, headers={"If-None-Match": etag})
    assert (again.status_code, again.headers["etag"], again.content) == (304, etag, b"")
    # The same ETag does not answer another question.
    other = await scratch_client.get(
        path, params={"country": "PRY", "limit": "3"}, headers={"If-None-Match": etag}
    )
    assert other.status_code == 200

    # A change in another State leaves PRY's answer valid; one in PRY does not.
    await writer.execute(
        "UPDATE recommendations SET status = 'implemented' WHERE state_under_review = 'URY'"
    )
    still = await scratch_client.get(path, params=pry, headers={"If-None-Match": etag})
    assert still.status_code == 304
    await writer.execute(
        "UPDATE recommendations SET status = 'in_progress' WHERE state_under_review = 'PRY'"
    )
    changed = await scratch_client.get(path, params=pry, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.content != first.content
