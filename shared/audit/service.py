"""The audit log: written in the same transaction as the change it records."""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.audit.repository import AuditRepository
from shared.audit.schemas import AuditEntryRead, AuditFilter
from shared.auth.schemas import Actor
from shared.pagination import Page, decode_cursor, encode_cursor, split_page


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    AuditRepository(session).add(
        AuditEntry(
            actor=actor.name,
            api_key_id=actor.api_key_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            request_id=request_id,
        )
    )


class States(TypedDict, total=False):
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def record_change(
    session: AsyncSession, actor: Actor, action: str, row_id: object, **states: Unpack[States]
) -> None:
    """``record`` of ``action`` (``<entity>.<verb>``) on the row ``row_id`` of that entity."""
    record(session, actor, action, action.partition(".")[0], str(row_id), **states)


async def list_entries(
    session: AsyncSession, f: AuditFilter, *, cursor: str | None, limit: int
) -> Page[AuditEntryRead]:
    after_id = int(decode_cursor(cursor, "audit", [int])[0]) if cursor else None
    rows = await AuditRepository(session).page(f, after_id=after_id, limit=limit + 1)
    page, next_cursor = split_page(rows, limit, lambda r: encode_cursor("audit", [r.id]))
    items = [AuditEntryRead.model_validate(r, from_attributes=True) for r in page]
    return Page(items=items, next_cursor=next_cursor)
