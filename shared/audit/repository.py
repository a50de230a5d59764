from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import String, cast, func, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.audit.schemas import AuditFilter


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    async def page(
        self, f: AuditFilter, *, after_id: int | None, limit: int
    ) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if f.entity is not None:
            query = query.where(AuditEntry.entity == f.entity)
        if f.entity_id is not None:
            query = query.where(AuditEntry.entity_id == f.entity_id)
        if f.since is not None:
            query = query.where(AuditEntry.at >= f.since)
        if after_id is not None:
            query = query.where(AuditEntry.id < after_id)
        return (await self.session.execute(query)).scalars().all()

    async def scrub(
        self,
        terms: Sequence[str],
        marker: str,
        *,
        entity: str | None = None,
        entity_ids: Sequence[str] | None = None,
    ) -> int:
        """Replace every occurrence of ``terms`` (without regard to case) in the before
        and after documents of entries by ``marker``; the number of entries changed."""
        terms = [t for t in terms if t]
        if not terms:
            return 0
        # One regular expression of the literal terms: each character escaped.
        pattern = "|".join("".join(f"\\{c}" if not c.isalnum() else c for c in t) for t in terms)
        # JSON text keeps the address as typed; the marker has no character to escape.

        def scrubbed(column: object) -> object:
            return cast(func.regexp_replace(cast(column, String), pattern, marker, "gi"), JSONB)

        query = (
            update(AuditEntry)
            .where(
                or_(
                    cast(AuditEntry.before, String).op("~*")(pattern),
                    cast(AuditEntry.after, String).op("~*")(pattern),
                )
            )
            .values(before=scrubbed(AuditEntry.before), after=scrubbed(AuditEntry.after))
        )
        if entity is not None:
            query = query.where(AuditEntry.entity == entity)
        if entity_ids is not None:
            query = query.where(AuditEntry.entity_id.in_(entity_ids))
        result = await self.session.execute(query)
        return int(getattr(result, "rowcount", 0) or 0)
