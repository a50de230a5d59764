"""`followup ingest` as an operator runs it: a real process, progress, summary, exit codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.cli import run_followup
from tests.ingestion_db.helpers import C3_ADD1, C3_REPORT, count, slovenia, truncate


async def followup(*args: str) -> tuple[int, str]:
    return await run_followup(*args, columns=120)


@pytest.fixture
async def clean(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    yield engine
    async with engine.begin() as conn:
        await truncate(conn)


async def test_ingest_files_then_again_then_a_failure(clean: AsyncEngine, tmp_path: Path) -> None:
    report, add1 = slovenia(C3_REPORT), slovenia(C3_ADD1)
    code, output = await followup("ingest", str(report), str(add1))
    assert code == 0, output
    assert "Ingestion summary" in output
    lines = {
        line.split("│")[1].strip(): line for line in output.splitlines() if line.count("│") >= 4
    }
    assert "│ 2 " in lines["new"]
    assert "│ 215 " in lines["new"]
    assert "│ 157 " in lines["updated"]  # the Add.1 answered the 157 pending
    async with clean.connect() as conn:
        assert await count(conn, "recommendations") == 215

    code, output = await followup("ingest", str(report), str(add1))
    assert code == 0, output
    lines = {
        line.split("│")[1].strip(): line for line in output.splitlines() if line.count("│") >= 4
    }
    assert "│ 2 " in lines["unchanged"]

    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 nothing more")
    code, output = await followup("ingest", "--quiet", str(tmp_path))
    assert code == 1, output
    assert "failed: " in output
    assert "broken.pdf" in output


async def test_missing_path_is_exit_2(clean: AsyncEngine) -> None:
    code, output = await followup("ingest", "/nonexistent/report.pdf")
    assert code == 2, output
    assert "no such file or folder" in output
