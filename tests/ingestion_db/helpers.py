"""Shared helpers of the ingestion database tests: real documents and row snapshots."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.recommendations.models import Recommendation
from tests.data import UPR_DATA, require

SLOVENIA = UPR_DATA / "reports" / "slovenia"
MATRICES = UPR_DATA / "matrices"
C3_REPORT = "C3_A_HRC_43_15_WG_report.pdf"
C3_ADD1 = "C3_A_HRC_43_15_Add1_views.pdf"
C3_MATRIX = "slovenia_UPR34_2019_thematic_list.docx"

# Tables ingestion writes, for tests that commit for real (worker, CLI subprocess).
INGESTION_TABLES = (
    "ingestion_items, ingestion_runs, ingestion_source_cache, position_changes,"
    " recommending_states, recommendations, documents, document_files"
)


def slovenia(name: str) -> Path:
    return require(SLOVENIA / name)


def matrix(name: str) -> Path:
    return require(MATRICES / name)


async def positions(session: AsyncSession, symbol: str) -> Counter[str]:
    rows = await session.execute(
        select(Recommendation.position).where(Recommendation.document_symbol == symbol)
    )
    return Counter(r[0] for r in rows)


async def snapshot(session: AsyncSession, symbol: str) -> dict[str, tuple[Any, ...]]:
    rows = await session.execute(
        select(
            Recommendation.ref,
            Recommendation.version,
            Recommendation.updated_at,
            Recommendation.position,
        )
        .where(Recommendation.document_symbol == symbol)
        .execution_options(populate_existing=True)
    )
    return {r.ref: (r.version, r.updated_at, r.position) for r in rows}


async def count(session: AsyncSession | AsyncConnection, table: str) -> int:
    return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608


async def truncate(conn: AsyncConnection) -> None:
    # Keeps deadlines and others' rows consistent: CASCADE reaches what references documents.
    await conn.execute(text(f"TRUNCATE {INGESTION_TABLES} CASCADE"))
