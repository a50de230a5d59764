from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    async def page(
        self,
        *,
        entity: str | None,
        entity_id: str | None,
        since: dt.datetime | None,
        after_id: int | None,
        limit: int,
    ) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if entity is not None:
            query = query.where(AuditEntry.entity == entity)
        if entity_id is not None:
            query = query.where(AuditEntry.entity_id == entity_id)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if after_id is not None:
            query = query.where(AuditEntry.id < after_id)
        return (await self.session.execute(query)).scalars().all()
