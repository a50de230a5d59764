"""The repository base every domain builds on: get, get for update, add, a versioned
update and a soft delete, written once.

Every write stamps ``updated_at`` with ``clock_timestamp()``, not ``now()``: several
changes in one transaction then keep their order, and delta sync (``updated_since``)
sees each of them. ``now()`` would give every change of a transaction the same stamp.
"""

from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Base
from shared.kernel.concurrency import changed_meanwhile

RowT = TypeVar("RowT", bound=Base)


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


class Repository(Generic[RowT]):
    """SQL of one table; subclasses name it in ``model`` and add their own queries."""

    model: type[RowT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, ident: uuid.UUID, *, for_update: bool = False) -> RowT | None:
        return await get_row(self.session, self.model, ident, for_update=for_update)

    async def get_for_update(self, ident: uuid.UUID) -> RowT | None:
        return await get_row(self.session, self.model, ident, for_update=True)

    def add(self, row: Base) -> None:
        self.session.add(row)

    async def insert(self, row: RowT) -> None:
        """Add, flush and reload ``row`` (server defaults and triggers filled in)."""
        self.session.add(row)
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
