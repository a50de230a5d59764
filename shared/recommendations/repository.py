"""All SQL of recommendations."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import copy_out, driver_of
from shared.kernel.repository import Repository, row_by, rows_by
from shared.recommendations import queries
from shared.recommendations.models import (
    ImplementationUpdate,
    PositionChange,
    Recommendation,
)
from shared.recommendations.schemas import RecommendationFilter
from shared.recommendations.writes import RecommendationWrites
from shared.sync import Snapshot

EXPORT_BATCH = 1000


class RecommendationReads:
    """The list page and the item on an asyncpg connection (``Database.read_driver``, or
    ``driver_of`` a session's connection): no statement compilation, bind processing or
    result wrapping per request; asyncpg keeps each statement text prepared (the texts
    vary only with the filters present)."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def page(
        self,
        f: RecommendationFilter,
        *,
        order: str,
        keyset: str | None,
        keyset_params: dict[str, Any],
        limit: int,
        with_snapshot: bool = False,
    ) -> Sequence[Any]:
        statement, args = queries.page_statement(
            f,
            order,
            limit=limit,
            keyset=keyset,
            keyset_params=keyset_params,
            with_snapshot=with_snapshot,
        )
        rows: Sequence[Any] = await self.driver.fetch(statement, *args)
        return rows

    async def empty_page_snapshot(
        self, f: RecommendationFilter, *, order: str, limit: int
    ) -> tuple[str, bool]:
        """(the statement's snapshot, whether the first page is empty at it)."""
        statement, args = queries.empty_page_statement(f, order, limit=limit)
        row = await self.driver.fetchrow(statement, *args)
        return str(row["snapshot"]), bool(row["empty"])

    async def changed_since(self, snapshot: Snapshot, countries: tuple[str, ...]) -> bool:
        """Whether a recommendation of ``countries`` (of any State when empty) was written
        by a transaction ``snapshot`` did not see."""
        statement, args = queries.changed_since_statement(snapshot, countries)
        return bool(await self.driver.fetchval(statement, *args))

    async def snapshot(self) -> tuple[Snapshot, bool]:
        """The current snapshot, and whether the current transaction has written."""
        row = await self.driver.fetchrow(
            "SELECT pg_current_snapshot()::text AS snapshot,"
            " pg_current_xact_id_if_assigned() IS NOT NULL AS writing"
        )
        return Snapshot.parse(row["snapshot"]), bool(row["writing"])

    async def item_json(self, ident: uuid.UUID | str) -> Any | None:
        """The item's stored JSON, id, version and State; by id or ref."""
        sql = _ITEM_BY_ID if isinstance(ident, uuid.UUID) else _ITEM_BY_REF
        row: Any | None = await self.driver.fetchrow(sql, ident)
        return row


class StoredItems:
    """The stored item documents against the items built from the rows now."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stale(self, limit: int) -> tuple[int, list[str]]:
        """How many stored items differ from a fresh build, and the refs of the first."""
        row = (
            await self.session.execute(
                text(
                    "SELECT count(*), (array_agg(r.ref ORDER BY r.ref))[1:CAST(:n AS int)]"
                    f" FROM recommendations r WHERE r.item::text <> {queries.FRESH_ITEM_JSON}"
                ),
                {"n": limit},
            )
        ).one()
        return int(row[0]), list(row[1] or [])


class RecommendationRepository(Repository[Recommendation]):
    """Reads of the domain; its writes are the one write path of ``writes.py``, which the
    base class's versioned update and soft delete are routed to."""

    model = Recommendation

    async def update_if_version(
        self, ident: uuid.UUID, version: int, values: dict[str, Any]
    ) -> int | None:
        return await RecommendationWrites(self.session).update(ident, values, version=version)

    async def soft_delete(self, ident: uuid.UUID) -> bool:
        return await RecommendationWrites(self.session).soft_delete(ident)

    async def set_status(self, rec_id: uuid.UUID, status: str) -> tuple[str, int]:
        """Record the latest status; returns (previous status, new version)."""
        return await RecommendationWrites(self.session).set_status(rec_id, status)

    async def updates(self, rec_id: uuid.UUID) -> Sequence[ImplementationUpdate]:
        u = ImplementationUpdate
        return await rows_by(self.session, u, (u.created_at, u.id), recommendation_id=rec_id)

    async def update(self, rec_id: uuid.UUID, update_id: uuid.UUID) -> ImplementationUpdate | None:
        return await row_by(
            self.session, ImplementationUpdate, recommendation_id=rec_id, id=update_id
        )

    async def position_history(self, rec_id: uuid.UUID) -> Sequence[PositionChange]:
        c = PositionChange
        return await rows_by(self.session, c, (c.id,), recommendation_id=rec_id)

    async def facets(self, f: RecommendationFilter) -> Sequence[Row[str, str, int]]:
        w = queries.where(f)
        return (await self.session.execute(text(queries.facets_sql(w)), w.params)).all()

    async def export(self, f: RecommendationFilter) -> AsyncIterator[Sequence[Any]]:
        """Items in batches through a server-side cursor: memory stays flat at any size.

        Rows are the driver's records (the item's JSON first), EXPORT_BATCH at a time.
        """
        w = queries.where(f)
        statement, args = queries.positional(queries.export_sql(w), w.params)
        # Straight on asyncpg: SQLAlchemy's result layer would cost more than the rows.
        driver = await driver_of(await self.session.connection())
        if driver.is_in_transaction():
            async for batch in _batches(driver, statement, args):
                yield batch
        else:
            # A read session runs in autocommit; a server-side cursor needs a transaction.
            async with driver.transaction(readonly=True):
                async for batch in _batches(driver, statement, args):
                    yield batch

    async def export_csv(self, f: RecommendationFilter, *, timeout_ms: int) -> AsyncIterator[bytes]:
        """The CSV export as PostgreSQL writes it (COPY), in chunks: no row passes through
        Python, and memory stays flat at any size. The COPY is one statement, allowed
        ``timeout_ms`` rather than a request's statement timeout."""
        w = queries.where(f)
        statement, args = queries.positional(queries.export_csv_sql(w), w.params)
        driver = await driver_of(await self.session.connection())
        async with contextlib.AsyncExitStack() as stack:
            if not driver.is_in_transaction():
                # set_config(..., true) lasts until the end of a transaction.
                await stack.enter_async_context(driver.transaction(readonly=True))
            await driver.execute(
                "SELECT set_config('statement_timeout', $1, true)", str(timeout_ms)
            )
            async for chunk in copy_out(driver, statement, args, format="csv", header=True):
                yield chunk


_ITEM = (
    f"SELECT {queries.ITEM_DETAIL_JSON} AS item, r.id, r.version, r.state_under_review"
    f" FROM {queries.FROM} WHERE <column> = $1 AND r.deleted_at IS NULL"
)
_ITEM_BY_ID = _ITEM.replace("<column>", "r.id")
_ITEM_BY_REF = _ITEM.replace("<column>", "r.ref")


async def _batches(driver: Any, statement: str, args: list[Any]) -> AsyncIterator[list[Any]]:
    cursor = await driver.cursor(statement, *args)
    while batch := await cursor.fetch(EXPORT_BATCH):
        yield batch


_STATS_WHERE = (
    "r.deleted_at IS NULL"
    " AND (CAST(:country AS varchar) IS NULL OR r.state_under_review = :country)"
    " AND (CAST(:cycle AS smallint) IS NULL OR r.cycle = :cycle)"
)

_BY_TAG = """
SELECT tag::text, count(*),
       count(*) FILTER (WHERE r.position IN ('supported', 'partially_supported')),
       count(*) FILTER (WHERE r.position IN ('supported', 'partially_supported')
                         AND r.status = 'implemented')
FROM recommendations r, unnest(r.{column}) tag
WHERE {where} GROUP BY tag ORDER BY count(*) DESC, tag
"""

_OVER_TIME = """
WITH recs AS (SELECT r.id FROM recommendations r WHERE {where}),
changes AS (
    SELECT DISTINCT ON (u.recommendation_id, date_trunc('month', u.reported_on))
           u.recommendation_id AS id, date_trunc('month', u.reported_on)::date AS m, u.status
    FROM implementation_updates u JOIN recs ON recs.id = u.recommendation_id
    ORDER BY u.recommendation_id, date_trunc('month', u.reported_on),
             u.reported_on DESC, u.created_at DESC
),
spans AS (SELECT id, m, status, lead(m) OVER (PARTITION BY id ORDER BY m) AS until FROM changes),
months AS (
    SELECT generate_series(min(m), date_trunc('month', current_date)::date,
                           interval '1 month')::date AS m
    FROM changes
)
SELECT months.m, spans.status, count(*)
FROM months JOIN spans ON spans.m <= months.m AND (spans.until IS NULL OR spans.until > months.m)
GROUP BY months.m, spans.status ORDER BY months.m, spans.status
"""


class StatsRepository:
    """Aggregates over recommendations for progress statistics."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _params(self, country: str | None, cycle: int | None) -> dict[str, Any]:
        return {"country": country, "cycle": cycle}

    async def position_status(
        self, country: str | None, cycle: int | None
    ) -> Sequence[Row[str, str, int]]:
        sql = (
            "SELECT r.position, r.status, count(*) FROM recommendations r"
            f" WHERE {_STATS_WHERE} GROUP BY r.position, r.status ORDER BY 1, 2"
        )
        return (await self.session.execute(text(sql), self._params(country, cycle))).all()

    async def by_tag(
        self, column: str, country: str | None, cycle: int | None
    ) -> Sequence[Row[str, int, int, int]]:
        assert column in ("themes", "sdg_goals")
        sql = _BY_TAG.format(column=column, where=_STATS_WHERE)
        return (await self.session.execute(text(sql), self._params(country, cycle))).all()

    async def over_time(
        self, country: str | None, cycle: int | None
    ) -> Sequence[Row[dt.date, str, int]]:
        sql = _OVER_TIME.format(where=_STATS_WHERE)
        return (await self.session.execute(text(sql), self._params(country, cycle))).all()
