"""Import of the Universal Human Rights Index into recommendations, incrementally.

The export is streamed (``shared.uhri.reader``) in batches; each batch is one transaction
(``unit_of_work``): a failure mid-file leaves the batches before it committed and
consistent, and marks the import failed with its reason. Per annotation (OHCHR annotation
id = the stable key):

* unseen, and no recommendation has its ``symbol#paragraph``: a new recommendation
  (``ref`` = ``symbol#paragraph``, else ``uhri:<annotation id>``);
* unseen, but a recommendation parsed from a report has that ``ref``: merged into it (it
  gains the annotation id and the union of themes, affected persons and SDG targets; its
  text, position and recommending States stay the report's; ``provenance`` says where
  each field came from);
* seen, same content hash: nothing is written to the recommendation;
* seen, changed: the recommendation is updated (version + 1, ``updated_at``);
* absent from a complete, successful *full* import: tombstoned (``deleted_at``), never
  deleted. A failed or partial import (xlsx search export) tombstones nothing, and a full
  import that would remove an implausible share of the index tombstones nothing either.

A record whose State or mechanism does not resolve is kept out and counted as unmapped,
with its labels; a record that cannot be read is counted as an error. Treaty-body
concluding observations become ``documents`` rows (kind ``concluding_observations``) and
the deadlines domain derives their follow-up deadline from them.

The package: ``staging`` turns records into staging rows, ``importer`` (an orchestrator)
opens one unit of work per batch, because a quarter-million records do not fit one
transaction, ``download`` fetches the export and imports it, the SQL is in ``repository``.
This module holds the shared names and the reads of past imports.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import DomainError, NotFound
from shared.pagination import Page, decode_time_key, split_time_key_page
from shared.uhri.repository import REPORT_FIELDS, TAG_FIELDS, UhriRepository
from shared.uhri.schemas import UhriImportOut

Trigger = Literal["cli", "cron", "api"]
Progress = Callable[[int, int | None, int | None], None]
"""``progress(records_read, bytes_read, bytes_total)``, called after every batch."""

# Bumped when what a record maps to changes: every annotation then counts as changed once.
MAPPING_VERSION = 1
CO_SYMBOL = re.compile(r"/CO/", re.IGNORECASE)
UHRI_DOCUMENT_URL = "https://uhri.ohchr.org/en/document/{}"
MAX_ERROR_SAMPLES = 20
MAX_UNMAPPED_LABELS = 500
PROVENANCE_FIELDS = (*REPORT_FIELDS, *TAG_FIELDS, "uhri_id")


class UhriImportFailed(DomainError):
    """An import stopped (unreadable file, download refused, database error)."""

    status, code, title = 422, "uhri_import_failed", "UHRI import failed"

    def __init__(self, detail: str, import_id: uuid.UUID | None = None) -> None:
        super().__init__(detail)
        self.import_id = import_id


# --- reads --------------------------------------------------------------------------


async def list_imports(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> Page[UhriImportOut]:
    """Imports, newest first (keyset pagination)."""
    after = decode_time_key(cursor, "uhri-imports", dt.datetime.fromisoformat)
    rows = await UhriRepository(session).imports_page(after=after, limit=limit + 1)
    page, next_cursor = split_time_key_page(
        "uhri-imports", rows, limit, lambda i: (i.started_at, i.id)
    )
    return Page(items=[UhriImportOut.model_validate(r) for r in page], next_cursor=next_cursor)


async def get_import(session: AsyncSession, import_id: uuid.UUID) -> UhriImportOut:
    row = await UhriRepository(session).get_import(import_id)
    if row is None:
        raise NotFound(f"no UHRI import {import_id}")
    return UhriImportOut.model_validate(row)
