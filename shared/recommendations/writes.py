"""The one write path of recommendations.

Every writer of ``recommendations`` rows (the API, the ingestion pipeline, the UHRI
import, institutions, spreadsheet imports) goes through this module: the methods of
``RecommendationWrites``, or, for the set-based UHRI batches, statements built here by
``update_sql`` / ``insert_select_sql`` / ``soft_delete_sql``.
``tests/recommendations/test_write_path.py`` fails when SQL writing the table appears
anywhere else.

One clock: every change bumps ``version`` and stamps ``updated_at = clock_timestamp()``
(``STAMP``; not ``now()``: changes in one transaction keep their order), and the trigger
of migration 0009 stamps ``sync_xid`` with the writing transaction's id, which is what
sync tokens follow (shared/sync.py): ``updated_at`` is for people, ``sync_xid`` for
delta sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations.models import Recommendation
from shared.recommendations.queries import FRESH_ITEM_JSON

# The alias every statement gives the table.
TABLE = "recommendations r"
STAMP = "version = r.version + 1, updated_at = clock_timestamp()"


def update_sql(
    assignments: str, *, where: str, from_: str | None = None, returning: str | None = None
) -> str:
    """``UPDATE recommendations r SET <assignments>, <STAMP> [FROM ...] WHERE ...``
    (``assignments`` empty: the stamp only)."""
    sets = f"{assignments}, {STAMP}" if assignments else STAMP
    source = f" FROM {from_}" if from_ else ""
    tail = f" RETURNING {returning}" if returning else ""
    # The fragments are the callers' SQL text, never input (values are bound parameters).
    return f"UPDATE {TABLE} SET {sets}{source} WHERE {where}{tail}"  # noqa: S608


def soft_delete_sql(*, where: str, from_: str | None = None, returning: str | None = None) -> str:
    """Tombstones (delta-sync clients see them go): never a DELETE."""
    return update_sql(
        "deleted_at = clock_timestamp()",
        where=f"({where}) AND r.deleted_at IS NULL",
        from_=from_,
        returning=returning,
    )


def insert_select_sql(columns: Sequence[str], values: str, from_: str) -> str:
    """``INSERT INTO recommendations (<columns>, created_at, updated_at) SELECT <values>,
    clock_timestamp(), clock_timestamp() FROM <from_>``: new rows from a set."""
    head = f"INSERT INTO recommendations ({', '.join(columns)}, created_at, updated_at)"
    return f"{head} SELECT {values}, clock_timestamp(), clock_timestamp() FROM {from_}"  # noqa: S608


class RecommendationWrites:
    """Row-at-a-time and list writes, in the caller's transaction (never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """New recommendations (the ingestion pipeline), stamped by the clock."""
        if rows:
            await self.session.execute(
                insert(Recommendation).values(
                    created_at=func.clock_timestamp(), updated_at=func.clock_timestamp()
                ),
                list(rows),
            )

    async def update(
        self,
        rec_id: uuid.UUID,
        values: dict[str, Any],
        *,
        version: int | None = None,
        live_only: bool = True,
    ) -> int | None:
        """Apply ``values`` to a recommendation (a tombstone too, unless ``live_only``),
        at ``version`` when given; the new version, or None when the row is gone or
        moved on."""
        r = Recommendation
        statement = update(r).where(r.id == rec_id)
        if live_only:
            statement = statement.where(r.deleted_at.is_(None))
        if version is not None:
            statement = statement.where(r.version == version)
        result = await self.session.execute(
            statement.values(**values, version=r.version + 1, updated_at=func.clock_timestamp())
            .returning(r.version)
            .execution_options(synchronize_session=False)
        )
        new: int | None = result.scalar_one_or_none()
        return new

    async def touch(self, rec_id: uuid.UUID) -> None:
        """A change of what the item shows that lives in another table (its assessments):
        a new version and ETag, and delta sync hands the item out again."""
        await self.session.execute(text(update_sql("", where="r.id = :id")), {"id": rec_id})

    async def set_status(self, rec_id: uuid.UUID, status: str) -> tuple[str, int]:
        """Record the latest status (of a progress update); (previous status, new version)."""
        result = await self.session.execute(
            text(
                update_sql(
                    "status = :status",
                    from_="(SELECT id, status FROM recommendations WHERE id = :id FOR UPDATE) old",
                    where="r.id = old.id",
                    returning="old.status, r.version",
                )
            ),
            {"id": rec_id, "status": status},
        )
        previous, version = result.one()
        return str(previous), int(version)

    async def soft_delete(self, rec_id: uuid.UUID) -> bool:
        """Tombstone a recommendation; False when it was already gone."""
        result = await self.session.execute(
            text(soft_delete_sql(where="r.id = :id", returning="r.id")), {"id": rec_id}
        )
        return result.scalar_one_or_none() is not None

    async def rename_institution(self, institution_id: uuid.UUID, old: str, new: str) -> int:
        """Keep the denormalized name of an institution in step on the recommendations
        it owns; the number of recommendations changed."""
        result = await self.session.execute(
            text(
                update_sql(
                    "institutions = array_replace(r.institutions, CAST(:old AS varchar),"
                    " CAST(:new AS varchar))",
                    from_="recommendation_institutions l",
                    where="l.recommendation_id = r.id AND l.institution_id = :id"
                    " AND r.deleted_at IS NULL",
                )
            ),
            {"id": institution_id, "old": old, "new": new},
        )
        return int(getattr(result, "rowcount", 0) or 0)


async def rebuild_items(
    session: AsyncSession, after: uuid.UUID | None, size: int
) -> tuple[uuid.UUID | None, int]:
    """Rewrite the stored items that differ from a fresh build among the next ``size``
    rows by id after ``after`` (a rewritten item is a change: stamped like any other);
    returns the last id read (None at the end) and how many were rewritten."""
    rebuilt = update_sql(
        "item = r.item",  # the row trigger builds it
        from_="batch",
        where=f"r.id = batch.id AND r.item::text <> {FRESH_ITEM_JSON}",
        returning="r.id",
    )
    # The fragments are this module's SQL text; values are bound parameters.
    sql = (
        "WITH batch AS (SELECT b.id FROM recommendations b"  # noqa: S608
        " WHERE CAST(:after AS uuid) IS NULL OR b.id > :after ORDER BY b.id LIMIT :size),"
        f" rebuilt AS ({rebuilt})"
        " SELECT (SELECT id FROM batch ORDER BY id DESC LIMIT 1), (SELECT count(*) FROM rebuilt)"
    )
    row = (await session.execute(text(sql), {"after": after, "size": size})).one()
    return row[0], int(row[1])
