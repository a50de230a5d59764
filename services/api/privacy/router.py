from __future__ import annotations

from fastapi import APIRouter

from services.api.deps import GlobalAdminWriter, WriteSession
from shared.privacy import service
from shared.privacy.schemas import ErasureIn, ErasureOut

router = APIRouter(prefix="/v1/personal-data", tags=["personal data"])


@router.post("/erasures", response_model=ErasureOut)
async def erase_person(
    body: ErasureIn, session: WriteSession, actor: GlobalAdminWriter
) -> ErasureOut:
    """Erase one person's data, by e-mail address and/or name: focal points of national
    mechanisms (their mechanisms take a new version), e-mail subscriptions to the address
    (with their reminders), and every mention of the address in the audit log, replaced
    by `[erased]`. The erasure's own audit entry keeps the counts only.

    Needs an `admin` key not limited to countries. The same as `followup erase-person`.
    """
    return await service.erase_person(session, actor, body)
