"""Delta sync through sync tokens at UHRI scale (not a test).

For each table size (BENCH_SYNC_ROWS, default "300000"; "300000,3000000" for both), loads
the benchmark data (bench/generate.py) into a database of its own (BENCH_SYNC_DATABASE,
default ``followup_bench_sync``: the writes below change it), then, for K committed
changes after a token (K = 0, 10, 100, 1,000, 10,000 rows updated, plus K/10 tombstones),
times the delta a client fetches with that token: every page (500 a page) through
``service.list_page``, the function both HTTP paths run, on one asyncpg connection.
Also times the same change set through ``updated_since`` (the best-effort path) and
records EXPLAIN (ANALYZE, BUFFERS) of the delta's first page. Writes
bench/results/sync.json (BENCH_SYNC_OUT).

    bash scripts/dev.sh scratch .venv/bin/python -m bench.sync_bench

What it shows: the delta costs what the changes cost, not what the table holds (an index
range scan on ix_recommendations_sync from the token's xmin). The machine may be shared
with other work: the figures say so, with the load average before and after.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]

from bench import generate, load
from shared import sync
from shared.recommendations import queries, service
from shared.recommendations.schemas import RecommendationFilter

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("BENCH_SYNC_OUT", ROOT / "bench" / "results" / "sync.json"))
CHANGES = (0, 10, 100, 1000, 10_000)
REPEAT = int(os.environ.get("BENCH_SYNC_REPEAT", "7"))
PAGE = 500


async def token_now(conn: Any, f: RecommendationFilter) -> str:
    """The token a client holds after a complete pass read now."""
    snapshot = sync.Snapshot.parse(await conn.fetchval("SELECT pg_current_snapshot()::text"))
    return sync.encode(sync.SyncToken(service.RESOURCE, service.filters_key(f), snapshot))


async def delta(conn: Any, f: RecommendationFilter, token: str | None) -> tuple[int, int]:
    """Every page of a delta: (items, pages)."""
    cursor: str | None = None
    items = pages = 0
    while True:
        page = await service.list_page(conn, f, cursor=cursor, limit=PAGE, since_token=token)
        items += len(page.items)
        pages += 1
        if page.next_cursor is None:
            return items, pages
        cursor = page.next_cursor


def timing(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def explain_first_page(conn: Any, f: RecommendationFilter) -> dict[str, Any]:
    w = queries.where(f, include_deleted=True)
    sql = queries.list_sql(
        w, queries.ORDERS["sync"], keyset=None, limit=PAGE + 1, tombstones=True,
        with_snapshot=True,
    )  # fmt: skip
    text, values = queries.positional(sql, w.params)
    raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {text}", *values)
    plan = json.loads(raw)[0]

    def nodes(node: dict[str, Any]) -> list[str]:
        label = node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else "")
        return [label] + [n for child in node.get("Plans", []) for n in nodes(child)]

    return {
        "execution_ms": plan.get("Execution Time"),
        "nodes": nodes(plan["Plan"]),
        "shared_buffers_hit": plan["Plan"].get("Shared Hit Blocks"),
        "shared_buffers_read": plan["Plan"].get("Shared Read Blocks"),
        "sql": " ".join(text.split()),
        "plan": plan,
    }


async def measure(url: str, rows: int) -> dict[str, Any]:
    loaded = await generate.prepare(url, rows)
    dsn = generate.pg_dsn(url)
    reader = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
    writer = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
    everything = RecommendationFilter()
    out: dict[str, Any] = {"rows": rows, "load": loaded, "changes": {}}
    try:
        out["table_size"] = await reader.fetchval(
            "SELECT pg_size_pretty(pg_total_relation_size('recommendations'))"
        )
        for k in CHANGES:
            token = await token_now(reader, everything)
            watermark = await reader.fetchval("SELECT max(updated_at) FROM recommendations")
            if k:
                # K rows changed and K/10 tombstoned, in transactions of 100 rows, as
                # editors and imports would.
                ids = await writer.fetch(
                    "SELECT id FROM recommendations WHERE deleted_at IS NULL"
                    " ORDER BY random() LIMIT $1",
                    k + k // 10,
                )
                for start in range(0, len(ids), 100):
                    batch = [r["id"] for r in ids[start : start + 100]]
                    async with writer.transaction():
                        for n, rid in enumerate(batch):
                            if (start + n) < k:
                                await writer.execute(
                                    "UPDATE recommendations SET status = 'in_progress',"
                                    " version = version + 1, updated_at = clock_timestamp()"
                                    " WHERE id = $1",
                                    rid,
                                )
                            else:
                                await writer.execute(
                                    "UPDATE recommendations SET deleted_at = clock_timestamp(),"
                                    " version = version + 1, updated_at = clock_timestamp()"
                                    " WHERE id = $1",
                                    rid,
                                )
            await reader.execute("ANALYZE recommendations")
            by_token: list[float] = []
            by_time: list[float] = []
            counts: tuple[int, int] = (0, 0)
            since = dataclasses.replace(everything, updated_since=watermark, include_deleted=True)
            for _ in range(REPEAT):
                t = time.perf_counter()
                counts = await delta(reader, everything, token)
                by_token.append(time.perf_counter() - t)
                t = time.perf_counter()
                await delta(reader, since, None)
                by_time.append(time.perf_counter() - t)
            decoded = sync.decode(
                token, resource=service.RESOURCE, filters=service.filters_key(everything)
            )
            out["changes"][str(k)] = {
                "changed_rows": k,
                "tombstones": k // 10,
                "items_received": counts[0],
                "pages": counts[1],
                "since_token": timing(by_token),
                "updated_since": timing(by_time),
                "plan_first_page": await explain_first_page(
                    reader, dataclasses.replace(everything, since=decoded.snapshot)
                ),
            }
            entry = out["changes"][str(k)]
            print(
                f"[sync-bench] {rows} rows, {k} changes: {entry['items_received']} items in"
                f" {entry['pages']} pages, since_token {entry['since_token']['median_ms']} ms,"
                f" updated_since {entry['updated_since']['median_ms']} ms",
                file=sys.stderr,
            )
    finally:
        await reader.close()
        await writer.close()
    return out


def main() -> None:
    sizes = [int(x) for x in os.environ.get("BENCH_SYNC_ROWS", "300000").split(",") if x]
    base = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:54329/followup")
    url = generate.with_database(base, os.environ.get("BENCH_SYNC_DATABASE", "followup_bench_sync"))
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    results = [asyncio.run(measure(url, n)) for n in sizes]
    cpu = load.cpu_model()
    OUT.write_text(
        json.dumps(
            {
                "what": "delta sync through sync_token (every page, 500 a page) after K"
                " committed changes, against updated_since over the same changes; time of"
                " service.list_page on one asyncpg connection (no HTTP), median of"
                f" {REPEAT} runs",
                "started_at": started.isoformat(),
                "finished_at": dt.datetime.now(dt.UTC).isoformat(),
                "machine": {
                    "cpu_model": cpu,
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "shared": "the 2-core machine was shared with other work during this run"
                    " (load average before and after below): absolute times are noisy;"
                    " compare sizes and K, not milliseconds",
                    "load_average_before": load_before,
                    "load_average_after": os.getloadavg(),
                },
                "results": results,
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    print(f"[sync-bench] wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
