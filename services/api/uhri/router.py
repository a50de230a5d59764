"""UHRI imports (admin): what each import of the Universal Human Rights Index did."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.api import edge
from services.api.deps import AdminReader, ReadSession
from services.api.schemas import PageOut
from shared.uhri import service
from shared.uhri.schemas import UhriImportOut

router = APIRouter(prefix="/v1/ingestion/uhri-imports", tags=["ingestion"])
routes = edge.Routes(router)


@routes.read("", PageOut[UhriImportOut], "List UHRI imports")
async def list_uhri_imports(
    paging: edge.Paging, session: ReadSession, _admin: AdminReader
) -> PageOut[UhriImportOut]:
    """Imports of the UHRI export (cron or `followup import-uhri`), newest first: status
    (`running`, `succeeded`, `failed` with its `error`, `not_modified` for a 304), counts
    (new, updated, unchanged, merged, tombstoned, unmapped), the labels that mapped to
    nothing, and the HTTP validators used for the next conditional GET. Admin keys only.
    """
    return await paging.fetch(PageOut[UhriImportOut], service.list_imports, session)


@routes.read("/{import_id}", UhriImportOut, "One UHRI import")
async def get_uhri_import(
    import_id: uuid.UUID, session: ReadSession, _admin: AdminReader
) -> UhriImportOut:
    """One UHRI import with its counts, unmapped labels and first record errors."""
    return await service.get_import(session, import_id)
