from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.api import edge
from services.api.deps import AdminReader, ReadSession
from services.api.schemas import PageOut
from shared.audit import service
from shared.audit.schemas import AuditEntryRead, AuditFilter

router = APIRouter(prefix="/v1/audit", tags=["audit"])


async def audit_filter(
    entity: str | None = None,
    entity_id: str | None = None,
    since: Annotated[dt.datetime | None, Query()] = None,
) -> AuditFilter:
    return AuditFilter(entity=entity, entity_id=entity_id, since=since)


@router.get("", response_model=PageOut[AuditEntryRead])
async def list_audit_entries(
    paging: edge.Paging,
    session: ReadSession,
    _admin: AdminReader,
    f: Annotated[AuditFilter, Depends(audit_filter)],
) -> PageOut[AuditEntryRead]:
    """The audit log, newest first: every write with its API key, before and after.

    Needs an `admin` key.
    """
    return await paging.fetch(PageOut[AuditEntryRead], service.list_entries, session, f)
