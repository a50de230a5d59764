"""The reminder scan over 1,000,000 deadlines and 1,000 subscriptions (target: <= 2 s).

Not a test. Run on throw-away servers:

    bash scripts/dev.sh scratch .venv/bin/python -m bench.reminder_scan_bench

It loads the data set with set-based SQL (deadlines spread over ten years around today,
every country; subscriptions for one to three countries each, one in ten for all, with
the default windows 90/30/7/1 days and overdue), then times the daily scan: the windows
that opened since yesterday's watermark. Figures go to bench/results/reminder_scan.json.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import statistics
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from shared.notifications import periodic
from shared.queue import JobQueue, connect_queue, discard_pending_jobs, flush_pending_jobs
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "reminder_scan.json"
DEADLINES = 1_000_000
SUBSCRIPTIONS = 1_000
ROUNDS = 3
# Scenarios: every subscription names its countries (1 to 3), or one in ten follows
# every country (those dominate the number of reminders created).
SCENARIOS = {"country_subscriptions": 0, "one_in_ten_global": 10}


def _upgrade(connection: Connection) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["connection"] = connection
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


LOAD = [
    "TRUNCATE delivery_attempts, reminders, outbox, subscriptions, deadlines, reminder_scans",
    """
    INSERT INTO deadlines (id, kind, due_date, subject_type, subject_id, country, title,
                           status, origin, rule, version, created_at, updated_at)
    WITH c AS (SELECT array_agg(iso3 ORDER BY iso3) AS a FROM countries),
    g AS (
        SELECT i, CURRENT_DATE + ((i::bigint * 7919) % 3650 - 1825)::int AS due,
               c.a[1 + i % cardinality(c.a)] AS iso3
        FROM generate_series(1, :deadlines) AS i, c
    )
    SELECT gen_random_uuid(),
           (ARRAY['hrc_response','upr_midterm_report','upr_next_review','treaty_followup',
                  'mandate_renewal','programme_milestone'])[1 + i % 6],
           due, 'country', iso3, iso3, 'deadline ' || i,
           CASE WHEN due < CURRENT_DATE THEN 'missed' WHEN i % 10 = 0 THEN 'met'
                ELSE 'open' END,
           'manual', NULL, 1, now() - interval '30 days', now() - interval '30 days'
    FROM g
    """,
    "ANALYZE deadlines",
]
SUBSCRIBE = [
    "TRUNCATE subscriptions CASCADE",
    """
    INSERT INTO subscriptions (id, channel, address, url, secret, countries, kinds, lead_days,
                               overdue, events, active, version, created_at, updated_at)
    SELECT gen_random_uuid(),
           CASE WHEN i % 2 = 0 THEN 'email' ELSE 'webhook' END,
           CASE WHEN i % 2 = 0 THEN 'sub' || i || '@example.org' END,
           CASE WHEN i % 2 = 1 THEN 'https://hooks.example.org/' || i END,
           CASE WHEN i % 2 = 1 THEN 'v1.sealed' END,
           CASE WHEN :global_every > 0 AND i % :global_every = 0 THEN ARRAY[]::varchar[]
                ELSE (SELECT array_agg(iso3) FROM (
                        SELECT iso3 FROM countries
                        ORDER BY md5(iso3 || i::text) LIMIT 1 + i % 3) x) END,
           ARRAY[]::varchar[], ARRAY[90, 30, 7, 1]::smallint[], true, ARRAY[]::varchar[],
           true, 1, now() - interval '30 days', now() - interval '30 days'
    FROM generate_series(1, :subscriptions) AS i
    """,
    "ANALYZE subscriptions",
]


async def _rounds(engine: AsyncEngine, queue: JobQueue, today: dt.date) -> list[dict[str, Any]]:
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    rounds: list[dict[str, Any]] = []
    for _ in range(ROUNDS):
        async with sessionmaker() as session:
            # Yesterday's scan ran an hour ago: today's windows are new, nothing changed.
            await session.execute(text("DELETE FROM reminder_scans"))
            await session.execute(text("TRUNCATE reminders CASCADE"))
            await session.execute(
                text(
                    "INSERT INTO reminder_scans (id, scanned_through, started_at)"
                    " VALUES (1, :d, now() - interval '1 hour')"
                ),
                {"d": today - dt.timedelta(days=1)},
            )
            await session.commit()
            t0 = time.perf_counter()
            result = await periodic.scan(session, today)
            await session.commit()
            scan_s = time.perf_counter() - t0
            # After the commit: the (batch) delivery jobs reach Redis, as in the worker.
            t0 = time.perf_counter()
            await flush_pending_jobs(session, queue)
            enqueue_s = time.perf_counter() - t0
            await queue.redis.flushdb()
            t0 = time.perf_counter()
            again = await periodic.scan(session, today)
            await session.commit()
            rescan_s = time.perf_counter() - t0
            discard_pending_jobs(session)
        rounds.append(
            {
                "scan_s": round(scan_s, 3),
                "created": result.created,
                "enqueue_s": round(enqueue_s, 3),
                "rescan_s": round(rescan_s, 3),
                "rescan_created": again.created,
            }
        )
        print(rounds[-1])
    return rounds


async def main() -> None:
    settings = Settings()
    engine = create_async_engine(settings.database_url)
    queue = connect_queue(settings.redis_url)
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
    t0 = time.perf_counter()
    async with engine.begin() as conn:
        for statement in LOAD:
            await conn.execute(text(statement), {"deadlines": DEADLINES})
    load_s = time.perf_counter() - t0
    today = dt.datetime.now(dt.UTC).date()
    scenarios: dict[str, Any] = {}
    for name, global_every in SCENARIOS.items():
        async with engine.begin() as conn:
            for statement in SUBSCRIBE:
                await conn.execute(
                    text(statement),
                    {"subscriptions": SUBSCRIPTIONS, "global_every": global_every},
                )
        rounds = await _rounds(engine, queue, today)
        scans = [r["scan_s"] for r in rounds]
        scenarios[name] = {
            "reminders_created_per_scan": rounds[0]["created"],
            "scan_s_median": statistics.median(scans),
            "scan_s_max": max(scans),
            "rounds": rounds,
        }
    await engine.dispose()
    await queue.close()
    report = {
        "deadlines": DEADLINES,
        "subscriptions": SUBSCRIPTIONS,
        "load_s": round(load_s, 1),
        "target_s": 2.0,
        "scenarios": scenarios,
        "note": "daily scan: windows opened since yesterday's watermark, one transaction"
        " (INSERT ... SELECT ... WHERE NOT EXISTS ... RETURNING id::text),"
        " commit included; enqueue_s = pushing the delivery jobs to Redis after the commit"
        " (one batch job per 1,000 reminders, fanned out by the worker); rescan = the same"
        " scan again (nothing new)",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
