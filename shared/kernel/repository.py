"""The repository base every domain builds on: get, get for update, add, a versioned
update and a soft delete, written once.

Every write stamps ``updated_at`` with ``clock_timestamp()``, not ``now()``: several
changes in one transaction then keep their order, and delta sync (``updated_since``)
sees each of them. ``now()`` would give every change of a transaction the same stamp.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import ColumnElement, Select, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, QueryableAttribute

from shared.db import Base
from shared.errors import NotFound
from shared.kernel.concurrency import changed_meanwhile, require_version

RowT = TypeVar("RowT", bound=Base)
SelectT = TypeVar("SelectT", bound=Select[Any])
KeyT = TypeVar("KeyT", bound=Hashable)
ItemT = TypeVar("ItemT")


def _soft_deletes(model: type[Base]) -> bool:
    return "deleted_at" in model.__table__.c


async def get_row(
    session: AsyncSession, model: type[RowT], ident: uuid.UUID, *, for_update: bool = False
) -> RowT | None:
    """The row as it is in the database now (tombstones excluded); locked when asked."""
    m = cast(Any, model)
    query = select(model).where(m.id == ident).execution_options(populate_existing=True)
    if _soft_deletes(model):
        query = query.where(m.deleted_at.is_(None))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def update_if_version(
    session: AsyncSession,
    model: type[Base],
    ident: uuid.UUID,
    version: int,
    values: dict[str, Any],
) -> int | None:
    """Apply ``values`` when the row is still at ``version``; the new version, or None.

    The UPDATE checks the version itself, so two editors cannot lose each other's change.
    """
    m = cast(Any, model)
    statement = update(model).where(m.id == ident, m.version == version)
    if _soft_deletes(model):
        statement = statement.where(m.deleted_at.is_(None))
    result = await session.execute(
        statement.values(**values, version=m.version + 1, updated_at=func.clock_timestamp())
        .returning(m.version)
        .execution_options(synchronize_session=False)
    )
    return cast(int | None, result.scalar_one_or_none())


def keyset_page(
    query: SelectT,
    key: InstrumentedAttribute[Any],
    ident: InstrumentedAttribute[Any],
    after: tuple[Any, Any] | None,
    limit: int,
) -> SelectT:
    """``query`` ordered by (``key``, ``ident``), ``limit`` rows from after the row whose
    sort key is ``after`` (a cursor's key; None for the first page)."""
    if after is not None:
        query = query.where(tuple_(key, ident) > tuple_(*after))
    return query.order_by(key, ident).limit(limit)


def tagged_sdg(model: Any, goals: Sequence[int], targets: Sequence[str]) -> ColumnElement[bool]:
    """The rows of ``model`` tagged with any of the SDG ``goals`` or ``targets`` (its
    ``sdg_goals`` and ``sdg_targets`` array columns)."""
    return or_(model.sdg_goals.overlap(list(goals)), model.sdg_targets.overlap(list(targets)))


def matches(search: InstrumentedAttribute[Any], q: str) -> ColumnElement[bool]:
    """The rows whose full-text ``search`` column matches ``q``, a web-search query
    (words, "quoted phrases", -excluded)."""
    return search.op("@@")(func.websearch_to_tsquery("english", q))


def where_equal(query: SelectT, values: Mapping[QueryableAttribute[Any], Any]) -> SelectT:
    """``query`` kept to the rows whose columns equal the ``values`` given (None: any)."""
    return query.where(*(column == v for column, v in values.items() if v is not None))


def where_in(query: SelectT, values: Mapping[QueryableAttribute[Any], Sequence[Any]]) -> SelectT:
    """``query`` kept to the rows whose columns take one of the ``values`` given (an
    empty sequence: any)."""
    return query.where(*(column.in_(v) for column, v in values.items() if v))


def lists_by_key(
    keys: Iterable[KeyT], pairs: Iterable[tuple[KeyT, ItemT]]
) -> dict[KeyT, list[ItemT]]:
    """The items of (key, item) ``pairs`` listed under their keys, in order; each of
    ``keys`` has a list (empty when no pair names it)."""
    out: dict[KeyT, list[ItemT]] = {key: [] for key in keys}
    for key, item in pairs:
        out[key].append(item)
    return out


async def rows_by(
    session: AsyncSession,
    model: type[RowT],
    order_by: Sequence[QueryableAttribute[Any]],
    **equal: Any,
) -> Sequence[RowT]:
    """The rows of ``model`` whose columns have the values ``equal`` names (``run_id=...``),
    in ``order_by`` order."""
    result = await session.execute(select(model).filter_by(**equal).order_by(*order_by))
    return result.scalars().all()


async def row_by(session: AsyncSession, model: type[RowT], **equal: Any) -> RowT | None:
    """The one row of ``model`` whose columns have the values ``equal`` names, or None."""
    result = await session.execute(select(model).filter_by(**equal))
    return result.scalar_one_or_none()


class Repository(Generic[RowT]):
    """SQL of one table; subclasses name it in ``model`` and add their own queries."""

    model: type[RowT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, ident: uuid.UUID, *, for_update: bool = False) -> RowT | None:
        return await get_row(self.session, self.model, ident, for_update=for_update)

    async def found(self, what: str, ident: uuid.UUID, *, for_update: bool = False) -> RowT:
        """The row, or 404 naming it (``no {what} {ident}``)."""
        row = await self.get(ident, for_update=for_update)
        if row is None:
            raise NotFound(f"no {what} {ident}")
        return row

    async def for_change(
        self,
        what: str,
        ident: uuid.UUID,
        version: int | None = None,
        check: Callable[[RowT], None] | None = None,
    ) -> RowT:
        """The row locked for a change: 404 when there is none, then ``check`` (who may
        change it), then 412 when it is no longer at ``version`` (when one is given)."""
        row = await self.found(what, ident, for_update=True)
        if check is not None:
            check(row)
        if version is not None:
            require_version(what, cast(Any, row).version, version)
        return row

    async def grouped(
        self, keys: Sequence[KeyT], query: Select[KeyT, ItemT]
    ) -> dict[KeyT, list[ItemT]]:
        """The (key, item) rows of ``query`` as a list for each of ``keys``, in the query's
        order (an empty list for a key without rows; no query at all without keys)."""
        if not keys:
            return {}
        rows = await self.session.execute(query)
        return lists_by_key(keys, ((key, item) for key, item in rows))

    async def replace_links(
        self, link: type[Base], owner: str, ident: uuid.UUID, other: str, ids: Sequence[Any]
    ) -> None:
        """Make ``ids`` the whole set of ``other`` ends linked to ``ident`` (the ``owner``
        end) in the link table ``link``."""
        await self.session.execute(delete(link).where(getattr(link, owner) == ident))
        if ids:
            await self.session.execute(insert(link), [{owner: ident, other: i} for i in ids])

    async def delete(self, ident: uuid.UUID) -> None:
        """Delete the row for good (its dependent rows go as their foreign keys say)."""
        m = cast(Any, self.model)
        await self.session.execute(delete(self.model).where(m.id == ident))

    def add(self, row: Base) -> None:
        self.session.add(row)

    async def insert(self, row: Base) -> None:
        """Add, flush and reload ``row`` (server defaults and triggers filled in)."""
        self.session.add(row)
        await self.session.flush()
        await self.session.refresh(row)

    async def bump(self, row: RowT) -> None:
        """Count the changes made to ``row`` in place: the next version, ``updated_at``
        from the database's clock (as every other write), flushed and reloaded."""
        m = cast(Any, row)
        m.version += 1
        m.updated_at = func.clock_timestamp()
        await self.session.flush()
        await self.session.refresh(row)

    async def update_if_version(
        self, ident: uuid.UUID, version: int, values: dict[str, Any]
    ) -> int | None:
        return await update_if_version(self.session, self.model, ident, version, values)

    async def update_versioned(
        self, what: str, ident: uuid.UUID, version: int, values: dict[str, Any]
    ) -> int:
        """``update_if_version``, or 412 when someone changed the row meanwhile."""
        new = await self.update_if_version(ident, version, values)
        if new is None:
            raise changed_meanwhile(what)
        return new

    async def update_row(self, what: str, row: RowT, version: int, values: dict[str, Any]) -> None:
        """``update_versioned`` of ``row``, which is then reloaded with the new values."""
        await self.update_versioned(what, cast(Any, row).id, version, values)
        await self.session.refresh(row)

    async def soft_delete(self, ident: uuid.UUID) -> bool:
        """Tombstone the row (clients syncing deltas see it go); False when already gone."""
        m = cast(Any, self.model)
        result = await self.session.execute(
            update(self.model)
            .where(m.id == ident, m.deleted_at.is_(None))
            .values(
                deleted_at=func.clock_timestamp(),
                updated_at=func.clock_timestamp(),
                version=m.version + 1,
            )
            .returning(m.id)
            .execution_options(synchronize_session=False)
        )
        return result.scalar_one_or_none() is not None
