"""Hostile documents through the whole ingestion path: clear errors, nothing partial,
bounded memory and time. The files are generated here; one real report rides along."""

from __future__ import annotations

import asyncio
import io
import os
import resource
import shutil
import sys
import zipfile
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.data import UPR_DATA, require
from tests.fault.conftest import Stack

ROOT = Path(__file__).resolve().parents[2]
FOLLOWUP = str(Path(sys.executable).parent / "followup")


def _hostile_folder(folder: Path) -> None:
    real = require(UPR_DATA / "reports" / "slovenia" / "C3_A_HRC_43_15_WG_report.pdf")
    pdf = real.read_bytes()
    shutil.copy(real, folder / "good_report.pdf")
    (folder / "truncated.pdf").write_bytes(pdf[: len(pdf) // 3])
    (folder / "garbage.pdf").write_bytes(os.urandom(200_000))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\x00" * (200 * 1024 * 1024))
    (folder / "bomb.docx").write_bytes(bomb.getvalue())
    (folder / "scripts.html").write_text(
        "<html><script>" + "alert(1);" * 10_000 + "</script><p>Nothing to see</p></html>"
    )
    page = "Report of the Working Group on the Universal Periodic Review\n" + "x " * 1500 + "\f"
    (folder / "ten_thousand_pages.txt").write_text(page * 10_000)
    (folder / "oversized.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * (60 * 1024 * 1024))


async def test_hostile_folder_fails_item_by_item(stack: Stack, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    _hostile_folder(folder)
    env = {
        **os.environ,
        "DATABASE_URL": stack.pg.url,
        "REDIS_URL": stack.redis.url,
        "COLUMNS": "500",
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    process = await asyncio.create_subprocess_exec(
        FOLLOWUP,
        "ingest",
        str(folder),
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    raw_out, raw_err = await asyncio.wait_for(process.communicate(), 240)
    stdout, stderr = raw_out.decode(), raw_err.decode()
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert process.returncode == 1, stdout + stderr
    failed = {
        line.split(": ")[1].rsplit("/", 1)[-1]: line
        for line in stdout.splitlines()
        if line.startswith("failed: ")
    }
    assert set(failed) == {
        "truncated.pdf",
        "garbage.pdf",
        "bomb.docx",
        "ten_thousand_pages.txt",
        "oversized.pdf",
    }, stdout
    assert "compression bomb" in failed["bomb.docx"]
    assert "over the limit" in failed["oversized.pdf"]
    assert "too large" in failed["ten_thousand_pages.txt"]
    assert "Traceback" not in stdout + stderr
    # Memory stayed bounded although a 200 MB document hid in a 200 kB zip.
    assert max(peak_kb, before) < 600 * 1024

    engine = create_async_engine(stack.pg.url)
    async with engine.connect() as conn:
        symbols = (
            (await conn.execute(text("SELECT DISTINCT document_symbol FROM recommendations")))
            .scalars()
            .all()
        )
        documents = (await conn.execute(text("SELECT count(*) FROM documents"))).scalar_one()
    await engine.dispose()
    assert symbols == ["A/HRC/43/15"]
    assert documents == 1
