"""The one write path of the two tables recommendations own beside their rows:
``recommending_states`` (the States that made each recommendation, in order) and
``position_changes`` (every position it has had, with the document that stated it).

The ingestion pipeline writes them through ``RelatedWrites``; the set-based UHRI batches
through statements built here (``insert_states_sql``, ``delete_states_sql``,
``insert_positions_sql``) from their own ``SELECT``. ``tests/platform/test_table_owners.py``
fails when SQL writing either table appears anywhere else.

A change of recommending States shows in the stored item: the item triggers of migration
0015 follow ``recommending_states`` and stamp the recommendation's row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations.models import PositionChange, RecommendingState

STATE_COLUMNS = "recommendation_id, ordinal, name, iso3"
POSITION_COLUMNS = "recommendation_id, position, position_raw, source_symbol"
# The column's width: a longer printed name is cut, never refused.
STATE_NAME_LENGTH = 300


def insert_states_sql(select: str) -> str:
    """``INSERT INTO recommending_states (<STATE_COLUMNS>) <select>``: States from a set."""
    return f"INSERT INTO recommending_states ({STATE_COLUMNS})\n{select}"


def delete_states_sql(*, using: str, where: str) -> str:
    """``DELETE FROM recommending_states rs USING <using> WHERE <where>``."""
    # The fragments are the caller's SQL text, never input.
    return f"DELETE FROM recommending_states rs USING {using}\nWHERE {where}"  # noqa: S608


def insert_positions_sql(select: str) -> str:
    """``INSERT INTO position_changes (<POSITION_COLUMNS>) <select>``: positions from a set."""
    return f"INSERT INTO position_changes ({POSITION_COLUMNS})\n{select}"


class RelatedWrites:
    """Row writes of recommending States and position changes, in the caller's
    transaction (never commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace_states(
        self, rec_id: uuid.UUID, states: Sequence[tuple[str, str | None]]
    ) -> None:
        """The recommendation's States become ``states`` (name, ISO3 or None), in order."""
        await self.session.execute(
            delete(RecommendingState).where(RecommendingState.recommendation_id == rec_id)
        )
        await self.insert_states([(rec_id, states)])

    async def insert_states(
        self, per_rec: Sequence[tuple[uuid.UUID, Sequence[tuple[str, str | None]]]]
    ) -> None:
        """The States of recommendations that have none yet, numbered from 1."""
        rows = [
            {
                "recommendation_id": rec_id,
                "ordinal": i,
                "name": name[:STATE_NAME_LENGTH],
                "iso3": iso3,
            }
            for rec_id, states in per_rec
            for i, (name, iso3) in enumerate(states, start=1)
        ]
        if rows:
            await self.session.execute(insert(RecommendingState), rows)

    async def insert_position_changes(self, rows: Sequence[dict[str, Any]]) -> None:
        """Positions stated by a document (``recommendation_id``, ``position``,
        ``position_raw``, ``source_symbol``)."""
        if rows:
            await self.session.execute(insert(PositionChange), list(rows))
