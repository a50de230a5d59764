from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.api import edge
from services.api.deps import AdminReader, ReadSession
from services.api.schemas import PageOut
from shared.audit import service
from shared.audit.schemas import AuditEntryRead, AuditFilter

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", response_model=PageOut[AuditEntryRead])
async def list_audit_entries(
    request: Request,
    response: Response,
    session: ReadSession,
    _admin: AdminReader,
    limit: edge.LimitParam = 50,
    cursor: edge.Cursor = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: Annotated[dt.datetime | None, Query()] = None,
) -> PageOut[AuditEntryRead]:
    """The audit log, newest first: every write with its API key, before and after.

    Needs an `admin` key.
    """
    f = AuditFilter(entity=entity, entity_id=entity_id, since=since)
    page = await service.list_entries(session, f, cursor=cursor, limit=limit)
    edge.link_header(request, response, page.next_cursor)
    return PageOut(items=page.items, next_cursor=page.next_cursor)
