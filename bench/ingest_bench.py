"""Ingestion end to end over the 38 WG-report PDFs: read, extract, parse, upsert, record.

Runs the `followup ingest` code path (one transaction per document) into a throw-away
database created beside DATABASE_URL's, then a second pass over the same files (all
unchanged). Writes documents/s, recommendations/s and the share of time spent in text
extraction to bench/results/ingest.json.

    bash scripts/dev.sh scratch .venv/bin/python -m bench.ingest_bench
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from shared.auth.schemas import OPERATOR
from shared.db import Database
from shared.ingestion import pipeline
from shared.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]
PDFS = ROOT.parent / "shared" / "data" / "upr" / "reports" / "pdf"
OUT = ROOT / "bench" / "results" / "ingest.json"
SCRATCH = "followup_ingest_bench"


async def _scratch(settings: Settings, create: bool) -> str:
    url = make_url(settings.database_url)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
        if create:
            await conn.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
    await admin.dispose()
    return url.set(database=SCRATCH).render_as_string(hide_password=False)


def _migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


async def _pass(db: Database, settings: Settings) -> dict[str, Any]:
    t0 = time.perf_counter()
    run_id = await pipeline.start_run(
        db, OPERATOR, trigger="cli", sources=[{"type": "folder", "path": str(PDFS)}]
    )
    ids = await pipeline.list_run(db, None, settings, run_id, enqueue=False)
    extract_s = parse_s = 0.0
    recs = 0
    statuses: dict[str, int] = {}
    slowest = (0.0, "")
    for item_id in ids:
        outcome = await pipeline.process_item(db, settings, item_id)
        assert outcome is not None
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        slowest = max(slowest, (outcome.seconds, Path(outcome.source_key).name))
        if outcome.result is not None:
            extract_s += outcome.result.extract_seconds
            parse_s += outcome.result.parse_seconds
            recs += outcome.result.created + outcome.result.updated
    total = time.perf_counter() - t0
    return {
        "documents": len(ids),
        "outcomes": statuses,
        "recommendations_written": recs,
        "seconds_total": round(total, 3),
        "documents_per_second": round(len(ids) / total, 2),
        "recommendations_per_second": round(recs / total, 1),
        "extraction_share": round(extract_s / total, 3),
        "parsing_share": round(parse_s / total, 3),
        "database_and_rest_share": round(1 - (extract_s + parse_s) / total, 3),
        "slowest_document": {"name": slowest[1], "seconds": round(slowest[0], 3)},
    }


async def main() -> None:
    if not sorted(PDFS.glob("*.pdf")):
        raise SystemExit(f"no PDFs at {PDFS}")
    base = get_settings()
    url = await _scratch(base, create=True)
    try:
        await asyncio.to_thread(_migrate, url)
        settings = base.model_copy(update={"database_url": url, "db_pool_size": 4})
        db = Database(settings)
        try:
            first = await _pass(db, settings)
            second = await _pass(db, settings)
        finally:
            await db.dispose()
    finally:
        await _scratch(base, create=False)
    result = {"first_pass": first, "second_pass_unchanged": second}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"first pass: {first['documents']} documents in {first['seconds_total']}s,"
        f" {first['documents_per_second']} docs/s, {first['recommendations_per_second']} recs/s,"
        f" extraction {first['extraction_share']:.0%} of time;"
        f" second pass (unchanged): {second['seconds_total']}s -> {OUT.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    asyncio.run(main())
