"""Delta sync through sync tokens never misses a change, whatever the interleaving.

These tests need transactions that really commit (and really stay open), so they run in
a scratch database of their own, on separate connections: writers write with plain SQL
(the trigger of migration 0009 stamps every row whoever writes it) and the client reads
with the same service call both HTTP paths make.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlalchemy.engine import make_url

from shared.recommendations import service
from shared.recommendations.schemas import RecommendationFilter
from shared.settings import Settings
from tests.conftest import scratch_database, upgrade

SCRATCH = "followup_sync_guarantee"

_INSERT = """
INSERT INTO recommendations (id, ref, kind, document_symbol, document_date, paragraph,
    paragraph_key, text, state_under_review, mechanism, position, themes, affected_persons,
    sdg_targets, sdg_goals, institutions, status, version)
VALUES ($1, $2, 'recommendation', 'A/HRC/1/1', '2020-01-01', $3, ARRAY[$4::int], $5,
    'PRY', 'UPR', 'supported', '{}', '{}', '{}', '{}', '{}', 'no_information', 1)
"""
_UPDATE = "UPDATE recommendations SET text = $2, version = version + 1 WHERE id = $1"
_DELETE = (
    "UPDATE recommendations SET deleted_at = clock_timestamp(), version = version + 1"
    " WHERE id = $1 AND deleted_at IS NULL"
)
_LIVE = "SELECT id, text FROM recommendations WHERE deleted_at IS NULL"


@pytest.fixture(scope="module")
async def dsn(settings: Settings) -> AsyncIterator[str]:
    async with scratch_database(settings, SCRATCH) as engine:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
        url = make_url(settings.database_url).set(drivername="postgresql", database=SCRATCH)
        yield url.render_as_string(hide_password=False)


@pytest.fixture
async def connect(dsn: str) -> AsyncIterator[Any]:
    """Opens connections on the scratch database; empties its recommendations first and
    closes them all at the end."""
    opened: list[Any] = []

    async def open_one() -> Any:
        conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
        opened.append(conn)
        return conn

    admin = await open_one()
    await admin.execute("TRUNCATE recommendations CASCADE")
    yield open_one
    for conn in opened:
        await conn.close()


class Client:
    """A sync client: a copy of the recommendations by id, kept by full and delta syncs
    that follow every page and keep the token of the last one."""

    def __init__(self, reader: Any, *, limit: int = 7) -> None:
        self.reader = reader
        self.limit = limit
        self.copy: dict[str, str] = {}
        self.token: str | None = None
        self.received: list[str] = []

    async def sync(self) -> None:
        cursor: str | None = None
        while True:
            page = await service.list_page(
                self.reader,
                RecommendationFilter(),
                cursor=cursor,
                limit=self.limit,
                since_token=self.token,
            )
            for text in page.items:
                item = json.loads(text)
                self.received.append(item["id"])
                if item.get("deleted"):
                    self.copy.pop(item["id"], None)
                else:
                    self.copy[item["id"]] = item["text"]
            if page.next_cursor is None:
                assert page.sync_token is not None
                self.token = page.sync_token
                return
            assert page.sync_token is None
            cursor = page.next_cursor


async def database_copy(conn: Any) -> dict[str, str]:
    return {str(r["id"]): r["text"] for r in await conn.fetch(_LIVE)}


async def test_a_change_committed_late_by_a_long_transaction_is_received(connect: Any) -> None:
    """The issue's interleaving: T1 updates A and stays open, B's change commits, the
    client syncs (and sees B), T1 commits: the next delta brings A."""
    setup, t1_conn, t2_conn, reader = [await connect() for _ in range(4)]
    a, b = uuid.uuid4(), uuid.uuid4()
    await setup.execute(_INSERT, a, "A/HRC/1/1#1", "1", 1, "A v1")
    await setup.execute(_INSERT, b, "A/HRC/1/1#2", "2", 2, "B v1")
    client = Client(reader)
    await client.sync()
    assert client.copy == {str(a): "A v1", str(b): "B v1"}

    t1 = t1_conn.transaction()
    await t1.start()
    await t1_conn.execute(_UPDATE, a, "A v2")  # T1 writes A first, and stays open
    await t2_conn.execute(_UPDATE, b, "B v2")  # B's change commits
    await client.sync()
    assert client.copy == {str(a): "A v1", str(b): "B v2"}  # A's change is not visible yet
    # The same delta again: A is still pending, B is not sent twice.
    client.received.clear()
    await client.sync()
    assert client.received == []
    await t1.commit()

    await client.sync()
    assert client.copy == {str(a): "A v2", str(b): "B v2"}
    assert client.received == [str(a)]
    # ... and a tombstone when A goes.
    await t2_conn.execute(_DELETE, a)
    await client.sync()
    assert client.copy == {str(b): "B v2"}


async def test_updated_since_misses_that_change(connect: Any) -> None:
    """Why updated_since is documented as best effort: the same interleaving, with the
    newest updated_at seen as the watermark, never brings A."""
    setup, t1_conn, t2_conn = [await connect() for _ in range(3)]
    a, b = uuid.uuid4(), uuid.uuid4()
    await setup.execute(_INSERT, a, "A/HRC/1/1#1", "1", 1, "A v1")
    await setup.execute(_INSERT, b, "A/HRC/1/1#2", "2", 2, "B v1")
    t1 = t1_conn.transaction()
    await t1.start()
    await t1_conn.execute(
        "UPDATE recommendations SET text = 'A v2', updated_at = clock_timestamp() WHERE id = $1",
        a,
    )
    await t2_conn.execute(
        "UPDATE recommendations SET text = 'B v2', updated_at = clock_timestamp() WHERE id = $1",
        b,
    )
    watermark = await setup.fetchval("SELECT max(updated_at) FROM recommendations")
    await t1.commit()
    late = await setup.fetch("SELECT id FROM recommendations WHERE updated_at > $1", watermark)
    assert late == []


async def test_concurrent_writers_and_a_syncing_client_end_equal(connect: Any) -> None:
    """Several writers (short and long transactions, inserts, updates, deletes, some
    rolled back) race a client that syncs all along: after the writers stop and one more
    sync, the client's copy is exactly the database's."""
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    setup = await connect()
    ids = [uuid.uuid4() for _ in range(40)]
    for n, rid in enumerate(ids[:20]):
        await setup.execute(_INSERT, rid, f"A/HRC/1/1#{n}", str(n), n, "v0")
    reader = await connect()
    client = Client(reader, limit=rng.choice([1, 3, 7, 50]))
    stop = asyncio.Event()
    next_paragraph = iter(range(1000, 100_000))

    class Rollback(Exception):
        pass

    async def transaction(conn: Any, w: int, step: int) -> None:
        long = rng.random() < 0.3
        async with conn.transaction():
            for _ in range(rng.randint(1, 4)):
                rid = rng.choice(ids)
                action = rng.random()
                if action < 0.25:
                    n = next(next_paragraph)
                    await conn.execute(
                        _INSERT, uuid.uuid4(), f"A/HRC/9/{w}#{n}", str(n), n, f"w{w}s{step}"
                    )
                elif action < 0.85:
                    await conn.execute(_UPDATE, rid, f"w{w}s{step}")
                else:
                    await conn.execute(_DELETE, rid)
                # Long transactions hold their changes while others commit and the client
                # syncs: the case that updated_since gets wrong.
                await asyncio.sleep(rng.uniform(0.005, 0.03) if long else 0)
            if rng.random() < 0.1:
                raise Rollback  # a rolled-back transaction leaves nothing to sync

    async def writer(conn: Any, w: int) -> None:
        for step in range(25):
            # Writers touch random rows in random order, so two of them can deadlock:
            # PostgreSQL then rolls one back, which is one more rolled-back transaction.
            with contextlib.suppress(Rollback, asyncpg.exceptions.DeadlockDetectedError):
                await transaction(conn, w, step)
            await asyncio.sleep(0)

    async def syncing() -> None:
        while not stop.is_set():
            await client.sync()
            await asyncio.sleep(rng.uniform(0, 0.01))

    writers = [await connect() for _ in range(4)]
    sync_task = asyncio.create_task(syncing())
    try:
        await asyncio.gather(*(writer(c, w) for w, c in enumerate(writers)))
    finally:
        stop.set()
        await sync_task
    await client.sync()
    expected = await database_copy(setup)
    assert client.copy == expected, f"seed {seed}"
    assert len(expected) > 0


async def test_rolled_back_and_deleted_rows(connect: Any) -> None:
    """A rolled-back write is never handed out; a row inserted then deleted between two
    syncs comes as a tombstone only (nothing to keep)."""
    setup, writer, reader = [await connect() for _ in range(3)]
    client = Client(reader)
    await client.sync()
    assert client.copy == {}
    tx = writer.transaction()
    await tx.start()
    await writer.execute(_INSERT, uuid.uuid4(), "A/HRC/1/1#9", "9", 9, "never")
    await tx.rollback()
    gone = uuid.uuid4()
    await setup.execute(_INSERT, gone, "A/HRC/1/1#8", "8", 8, "brief")
    await setup.execute(_DELETE, gone)
    await client.sync()
    assert client.copy == {}
    assert client.received == [str(gone)]


async def test_token_from_a_snapshot_the_database_has_not_reached(connect: Any) -> None:
    """A token ahead of the database (another database, a restore to an earlier point)
    is refused, not answered with a partial delta."""
    from shared import sync

    reader = await connect()
    current = sync.Snapshot.parse(await reader.fetchval("SELECT pg_current_snapshot()::text"))
    ahead = sync.Snapshot(current.xmax + 1000, current.xmax + 1000)
    token = sync.encode(
        sync.SyncToken(service.RESOURCE, service.filters_key(RecommendationFilter()), ahead)
    )
    with pytest.raises(sync.InvalidSyncToken, match="expired"):
        await service.list_page(
            reader, RecommendationFilter(), cursor=None, limit=5, since_token=token
        )
