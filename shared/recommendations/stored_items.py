"""The stored item documents (``recommendations.item``): find those that differ from the
items their rows build now, and rewrite them (``followup check-documents`` and
``followup rebuild-documents``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations import writes
from shared.recommendations.repository import StoredItems


@dataclass(frozen=True, slots=True)
class StaleItems:
    count: int
    refs: list[str]


async def check_documents(session: AsyncSession, *, show: int = 20) -> StaleItems:
    """Stored item documents that differ from the items built from their rows now."""
    count, refs = await StoredItems(session).stale(show)
    return StaleItems(count, refs)


async def rebuild_documents(
    session: AsyncSession, after: uuid.UUID | None, size: int
) -> tuple[uuid.UUID | None, int]:
    """Rewrite the stale stored items among the next ``size`` rows (by id) after
    ``after``; returns where to go on from (None when done) and how many were rewritten.
    A rewritten item is a change clients sync (its row is stamped as written)."""
    return await writes.rebuild_items(session, after, size)
