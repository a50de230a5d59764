"""`followup import-uhri` as an operator runs it: a real process, its summary, exit codes.

The process commits for real (outside the test transaction), so the test removes what it
imported afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.cli import run_followup
from tests.uhri_import.helpers import PERU_ID, records, write_export


async def followup(*args: str) -> tuple[int, str]:
    return await run_followup(*args, columns=160)


async def _remove_imported(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "DELETE FROM deadlines WHERE subject_type = 'document' AND subject_id IN"
                " (SELECT id::text FROM documents WHERE provenance ->> 'source' = 'uhri')"
            )
        )
        await conn.execute(text("DELETE FROM uhri_records"))
        await conn.execute(text("DELETE FROM recommendations WHERE uhri_id IS NOT NULL"))
        await conn.execute(text("DELETE FROM documents WHERE provenance ->> 'source' = 'uhri'"))
        await conn.execute(text("DELETE FROM uhri_imports"))


@pytest.fixture
async def clean(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    yield engine
    await _remove_imported(engine)


def _row(output: str) -> list[str]:
    """The cells of the summary table's data row."""
    lines = [line for line in output.splitlines() if line.count("│") >= 7]
    return [cell.strip() for cell in lines[-1].split("│")[1:-1]]


async def test_import_then_again_then_unmapped_and_broken(
    clean: AsyncEngine, tmp_path: Path
) -> None:
    items = records()
    export = write_export(tmp_path / "export-full-en.json", items)

    code, output = await followup("import-uhri", str(export))
    assert code == 0, output
    assert "status=succeeded" in output
    assert "full=yes" in output
    # records, new, updated, unchanged, merged, tombstoned, unmapped
    assert _row(output) == ["22", "22", "0", "0", "0", "0", "0"]
    assert "Land & property rights" in output  # an unmapped theme label, listed

    code, output = await followup("import-uhri", str(export))
    assert code == 0, output
    assert _row(output) == ["22", "0", "0", "22", "0", "0", "0"]

    for item in items:
        if item["AnnotationId"] == PERU_ID:
            item["Countries"] = ["Atlantis"]
    code, output = await followup(
        "import-uhri", "--partial", str(write_export(tmp_path / "b.json", items))
    )
    assert code == 0, output
    assert "full=no" in output
    assert _row(output)[-1] == "1"
    assert "Atlantis" in output

    broken = tmp_path / "broken.json"
    broken.write_bytes(export.read_bytes()[:5000])
    code, output = await followup("import-uhri", str(broken))
    assert code == 1, output
    assert "UHRI import failed" in output
    assert "invalid JSON" in output
    async with clean.connect() as conn:
        tombstoned = await conn.scalar(
            text("SELECT count(*) FROM recommendations WHERE deleted_at IS NOT NULL")
        )
        statuses = (
            (await conn.execute(text("SELECT status FROM uhri_imports ORDER BY started_at")))
            .scalars()
            .all()
        )
    assert tombstoned == 0
    assert statuses == ["succeeded", "succeeded", "succeeded", "failed"]


async def test_missing_file_is_exit_2(clean: AsyncEngine) -> None:
    code, output = await followup("import-uhri", "/nonexistent/export.json")
    assert code == 2, output
    assert "no such file" in output
