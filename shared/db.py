"""Database plumbing: the declarative base, engines, sessions and the unit of work."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, get_args

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Identity,
    MetaData,
    event,
    func,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column
from sqlalchemy.util import greenlet_spawn

from shared.queue import JobQueue, discard_pending_jobs, flush_pending_jobs
from shared.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: DateTime(timezone=True)}


def sql_in(column: str, values: Sequence[str]) -> str:
    """The SQL of a CheckConstraint keeping ``column`` to ``values`` (enumerations are
    strings with a check, cheaper to extend than PostgreSQL enums)."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def sql_not_before(later: str, earlier: str) -> str:
    """The SQL of a CheckConstraint keeping the date ``later`` on or after ``earlier``
    when both are known."""
    return f"{later} IS NULL OR {earlier} IS NULL OR {later} >= {earlier}"


def link_key(target: str, *, ondelete: str) -> MappedColumn[uuid.UUID]:
    """A column of a link table: a foreign key to ``target`` that is part of the primary
    key."""
    return mapped_column(ForeignKey(target, ondelete=ondelete), primary_key=True)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class CreatedAt:
    """``created_at`` from ``clock_timestamp()``: rows created in one transaction keep their
    order in lists (``now()`` would give them all the same stamp)."""

    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())


class ClockTimestamps(CreatedAt):
    """``created_at`` and ``updated_at``, both from ``clock_timestamp()``."""

    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())


class HistoryEntry(CreatedAt):
    """A row appended to a history and never moved: a bigint key the database numbers."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)


def search_vector(document: str) -> MappedColumn[str]:
    """A full-text search column PostgreSQL keeps from ``document`` (an SQL expression of
    the row's columns), deferred: no answer reads it, only the ``@@`` filters."""
    return mapped_column(
        TSVECTOR,
        Computed(f"to_tsvector('english'::regconfig, {document})", persisted=True),
        deferred=True,
    )


def one_of(column: str, allowed: Any) -> CheckConstraint:
    """The check, named after ``column``, keeping it to the values of the Literal
    ``allowed`` (the API's Literal is the one list of allowed values)."""
    return CheckConstraint(sql_in(column, get_args(allowed)), name=column)


def make_engine(url: str, settings: Settings, **kwargs: Any) -> AsyncEngine:
    connect_args: dict[str, Any] = {
        "server_settings": {
            "application_name": "followup",
            # JSON built by PostgreSQL then carries UTC offsets.
            "timezone": "UTC",
            "statement_timeout": str(settings.db_statement_timeout_ms),
        },
    }
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=False,
        connect_args=connect_args,
        **kwargs,
    )
    event.listen(engine.sync_engine, "checkout", _discard_closed)
    return engine


async def driver_of(connection: AsyncConnection) -> Any:
    """The asyncpg connection under a SQLAlchemy one (its transaction, if any)."""
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    return driver


async def copy_out(
    driver: Any, statement: str, args: Sequence[Any], **options: Any
) -> AsyncIterator[bytes]:
    """``COPY (statement) TO STDOUT`` on an asyncpg connection, as chunks to iterate.

    The COPY runs as a task that hands each chunk over and waits while the consumer is
    behind (a bounded queue: memory stays flat). An error of the statement is raised by
    the iteration; a consumer that stops early cancels the COPY.
    """
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=16)

    async def sink(chunk: bytes | bytearray) -> None:
        await chunks.put(bytes(chunk))

    async def copy() -> None:
        try:
            await driver.copy_from_query(statement, *args, output=sink, **options)
        except asyncio.CancelledError:
            raise  # the consumer is gone: nobody waits for the end
        except BaseException:
            await chunks.put(None)
            raise
        await chunks.put(None)

    task = asyncio.create_task(copy())
    try:
        while (chunk := await chunks.get()) is not None:
            yield chunk
        await task
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def database_of(session: AsyncSession) -> str:
    """Which database a session talks to (server and name): what is cached per process
    from one database is never served for another."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def _discard_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Never hand out a connection the server has closed (a restart, a failover, an idle
    timeout). asyncpg notices the closed socket on its own, so the check costs no round
    trip, unlike ``pool_pre_ping``; the pool replaces the connection and checks out again.
    The hot reads run on the asyncpg connection directly, where SQLAlchemy's own
    disconnect detection does not see their errors: without this, a dead connection went
    back to the pool and failed every request that drew it."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


class Database:
    """Engines and session factories for one process.

    Writes always go to the primary; ``read_sessionmaker`` uses ``DATABASE_REPLICA_URL``
    when it is set (list and detail reads may lag a little behind the primary).
    """

    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings.database_url, settings)
        self.read_engine = (
            make_engine(settings.database_replica_url, settings)
            if settings.database_replica_url
            else self.engine
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # Reads run in AUTOCOMMIT (same pool): no BEGIN/ROLLBACK round trips around a
        # request's SELECTs (bench/BENCHMARKS.md measured them at ~15% of a list request).
        # Each statement still sees a consistent snapshot, as under READ COMMITTED.
        self._autocommit_reads: AsyncEngine | None = self.read_engine.execution_options(
            isolation_level="AUTOCOMMIT"
        )
        self.read_sessionmaker = async_sessionmaker(self._autocommit_reads, expire_on_commit=False)

    @classmethod
    def bound(
        cls,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        read_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> Database:
        """A Database over given session factories (tests bind them to one transaction)."""
        db = cls.__new__(cls)
        db.engine = db.read_engine = engine
        db.sessionmaker = sessionmaker
        db.read_sessionmaker = read_sessionmaker or sessionmaker
        db._autocommit_reads = None
        return db

    @asynccontextmanager
    async def read_driver(self) -> AsyncIterator[Any]:
        """An asyncpg connection from the read pool (the replica when one is set), outside
        any transaction, for the hottest reads: an ``AsyncSession``, or even an
        ``AsyncConnection``, costs more CPU than their query (BENCHMARKS.md). A bound
        Database hands out its session's connection instead."""
        if self._autocommit_reads is None:
            async with self.read_sessionmaker() as session:
                yield await driver_of(await session.connection())
            return
        pooled = await self._autocommit_reads.raw_connection()
        try:
            yield pooled.driver_connection
        finally:
            # The pool's return path may await the driver: it runs under a greenlet.
            await greenlet_spawn(pooled.close)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession], queue: JobQueue | None
) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on error.

    Jobs requested inside it (``enqueue_after_commit``) reach Redis only once the
    transaction has committed; when it rolls back they are dropped.
    """
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            discard_pending_jobs(session)
            await session.rollback()
            raise
        await flush_pending_jobs(session, queue)
