"""UHRI exports for the import tests, built from the real rows of ../shared/data/uhri.

The records come from ``tests/fixtures/uhri`` (22 real records: CRC/Peru, 15 CESCR/Australia,
6 UPR/USA; see its README for what was adapted), never invented; tests change copies of them
(text, country, presence) to exercise updates, unmapped labels and tombstones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from email.utils import formatdate
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.ingestion_db.server import Served
from tests.ingestion_db.server import serve as serve_files
from tests.uhri.samples import PERU_ID, USA_FIRST_ID, json_records

__all__ = ["PERU_ID", "USA_FIRST_ID", "count", "records", "serve", "write_export"]


def records() -> list[dict[str, Any]]:
    """The 22 real records in the JSON export's shape (fresh copies)."""
    return json_records()


def write_export(path: Path, items: Sequence[dict[str, Any]]) -> Path:
    """A compact JSON array, like the real export."""
    path.write_text(json.dumps(list(items), ensure_ascii=False, separators=(",", ":")), "utf-8")
    return path


async def count(session: AsyncSession, sql: str, **params: Any) -> int:
    return int((await session.execute(text(sql), params)).scalar_one())


def serve(files: dict[str, bytes]) -> AbstractContextManager[Served]:
    """A real HTTP server on 127.0.0.1 (free port, own thread) honouring If-None-Match."""
    return serve_files(
        {path: (body, "application/json") for path, body in files.items()},
        validators={"Last-Modified": formatdate(1_700_000_000, usegmt=True)},
    )
