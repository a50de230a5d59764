"""Benchmark of the UHRI import into PostgreSQL (not a test).

Generates a JSON export of 300,000 records in the real format (copies of the 22 real rows
of ../shared/data/uhri, shaped by tests/fixtures/uhri/build.py, each with its own
annotation id; see tests/uhri/samples.py), creates a scratch database on the server of
``DATABASE_URL``, migrates it, and imports the file three times: into the empty database
(all new), again (all unchanged), and with 1% of the records changed. Prints the figures
and writes them to bench/results/uhri_import.json.

    scripts/dev.sh scratch .venv/bin/python bench/uhri_import_bench.py [--records N]

Targets: >= 5,000 records/s and <= 300 MB peak RSS for the import.

The machine is shared, so wall-clock figures are noisy: every run also records CPU seconds
of this process (parse, map, driver encoding) and of the PostgreSQL server (sum over the
postmaster's children), and the wall time spent in each stage of a batch (time waiting for
the reader thread, COPY into staging, the classify/apply script, documents, ...).
``--per-statement`` runs the apply script one statement at a time to time each (more round
trips: use it to profile, not for the headline figures).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import resource
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine.url import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine  # noqa: E402

from shared.settings import Settings  # noqa: E402
from shared.uhri import importer, repository, staging  # noqa: E402
from shared.uhri.settings import UhriSettings  # noqa: E402
from tests.conftest import upgrade  # noqa: E402
from tests.data import UHRI_DATA  # noqa: E402
from tests.uhri.samples import write_json_export  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "uhri_import.json"
SCRATCH = "followup_uhri_bench"


def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


_CLK = os.sysconf("SC_CLK_TCK")


def _postgres_cpu_s() -> float | None:
    """CPU seconds of the scratch PostgreSQL server: its processes plus reaped children."""
    data = os.environ.get("FOLLOWUP_TEST_PG_DATA")
    if not data:
        return None
    try:
        postmaster = int(Path(data, "postmaster.pid").read_text().split()[0])
        ticks = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(entry.name), int(fields[1])
            if pid == postmaster:
                ticks += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
            elif ppid == postmaster:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / _CLK
    except (OSError, ValueError, IndexError):
        return None


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class StageTimes:
    """Wall seconds per stage, summed over batches (wrapped methods; see _instrument)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def take(self) -> dict[str, float]:
        taken = {k: round(v, 2) for k, v in sorted(self.seconds.items())}
        self.seconds.clear()
        return taken


def _timed_async(times: StageTimes, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        finally:
            times.seconds[name] += time.perf_counter() - started

    return wrapper


def _instrument(times: StageTimes, per_statement: bool) -> None:
    """Time the repository's batch methods and the reader (thread CPU and wall)."""
    repo = repository.UhriRepository
    for name in (
        "lock",
        "begin_batch",
        "mark_unchanged",
        "stage",
        "apply",
        "upsert_documents",
        "mark_seen",
        "tombstone",
    ):
        if hasattr(repo, name):
            setattr(repo, name, _timed_async(times, f"db_{name}", getattr(repo, name)))
    reader = staging.BatchReader
    next_batch = reader.next_batch

    def timed_next_batch(self: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return next_batch(self)
        finally:
            times.seconds["reader_thread_wall"] += time.perf_counter() - started
            times.seconds["reader_thread_cpu"] += time.thread_time() - cpu

    reader.next_batch = timed_next_batch  # type: ignore[method-assign]
    if per_statement:
        _split_statements(times)


def _split_statements(times: StageTimes) -> None:
    """Run every statement of the apply script alone, timed (profiling only)."""
    original = repository.UhriRepository._driver

    async def driver(self: Any) -> Any:
        conn = await original(self)
        return _TimingConnection(conn, times)

    repository.UhriRepository._driver = driver  # type: ignore[method-assign]


class _TimingConnection:
    def __init__(self, conn: Any, times: StageTimes) -> None:
        self._conn = conn
        self._times = times

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def execute(self, script: str, *args: Any) -> Any:
        if args or ";" not in script:
            return await self._conn.execute(script, *args)
        result = None
        for statement in (s for s in script.split(";\n") if s.strip()):
            label = " ".join(statement.split()[:4])[:60]
            started = time.perf_counter()
            result = await self._conn.execute(statement)
            self._times.seconds[f"sql {label}"] += time.perf_counter() - started
        return result


def _change_one_percent(source: Path, target: Path) -> int:
    """Rewrite the export with every 100th record's text changed (streamed, like the reader)."""
    import ijson

    changed = 0
    with source.open("rb") as handle, target.open("w", encoding="utf-8") as out:
        out.write("[")
        for number, item in enumerate(ijson.items(handle, "item", use_float=True)):
            if number % 100 == 0:
                item["Text"] = item["Text"] + " (revised)"
                changed += 1
            out.write("," if number else "")
            out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        out.write("]")
    return changed


def _cpu_figures(cpu_before: float, pg_before: float | None, records: int) -> dict[str, Any]:
    """CPU seconds of this process and of PostgreSQL since the given readings, and the
    records/s the two would reach with a core each and no other load."""
    own = _own_cpu_s() - cpu_before
    pg_after = _postgres_cpu_s()
    pg = pg_after - pg_before if pg_after is not None and pg_before is not None else None
    figures: dict[str, Any] = {"python_cpu_s": round(own, 2)}
    if pg is not None:
        figures["postgres_cpu_s"] = round(pg, 2)
        figures["records_per_cpu_s_bound"] = round(records / max(own, pg, 1e-9))
    return figures


async def _run(records: int, batch_size: int, per_statement: bool) -> dict[str, Any]:
    settings = Settings()
    url = make_url(settings.database_url)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
    engine = create_async_engine(
        url.set(database=SCRATCH),
        pool_size=2,
        connect_args={"server_settings": {"statement_timeout": "0"}},
    )
    figures: dict[str, Any] = {"batch_size": batch_size, "per_statement": per_statement}
    times = StageTimes()
    _instrument(times, per_statement)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        uhri = UhriSettings(batch_size=batch_size)
        with tempfile.TemporaryDirectory(prefix="uhri-import-bench-") as folder:
            path = Path(folder) / "export-full-en.json"
            started = time.perf_counter()
            size = write_json_export(path, records)
            figures["generate_seconds"] = round(time.perf_counter() - started, 2)
            figures["file_mb"] = round(size / 2**20, 1)
            figures["rss_before_import_mb"] = round(_rss_mb(), 1)

            runs: list[tuple[str, Path]] = [("first_import", path), ("reimport_unchanged", path)]
            for name, file in runs:
                times.take()
                cpu, pg_cpu = _own_cpu_s(), _postgres_cpu_s()
                started = time.perf_counter()
                result = await importer.import_file(sessionmaker, file, settings=uhri)
                seconds = time.perf_counter() - started
                figures[name] = {
                    **_cpu_figures(cpu, pg_cpu, result.records),
                    "seconds": round(seconds, 2),
                    "records_per_s": round(result.records / seconds),
                    "records": result.records,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "tombstoned": result.tombstoned,
                    "record_errors": result.record_errors,
                    "peak_rss_mb_so_far": round(_rss_mb(), 1),
                    "load_average_1": round(os.getloadavg()[0], 2),
                    "stage_wall_s": times.take(),
                }

            changed_path = Path(folder) / "export-changed.json"
            changed = _change_one_percent(path, changed_path)
            times.take()
            cpu, pg_cpu = _own_cpu_s(), _postgres_cpu_s()
            started = time.perf_counter()
            result = await importer.import_file(sessionmaker, changed_path, settings=uhri)
            seconds = time.perf_counter() - started
            figures["reimport_1pct_changed"] = {
                **_cpu_figures(cpu, pg_cpu, result.records),
                "seconds": round(seconds, 2),
                "records_per_s": round(result.records / seconds),
                "changed_in_file": changed,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "peak_rss_mb_so_far": round(_rss_mb(), 1),
                "load_average_1": round(os.getloadavg()[0], 2),
                "stage_wall_s": times.take(),
            }
        async with engine.connect() as conn:
            figures["recommendations_rows"] = await conn.scalar(
                text("SELECT count(*) FROM recommendations")
            )
            figures["database_mb"] = round(
                int(await conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)
                / 2**20,
                1,
            )
            figures["postgres"] = await conn.scalar(text("SHOW server_version"))
            figures["postgres_fsync"] = await conn.scalar(text("SHOW fsync"))
    finally:
        await engine.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
        await admin.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--batch-size", type=int, default=UhriSettings().batch_size)
    parser.add_argument(
        "--per-statement", action="store_true", help="time each SQL statement (profiling)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not UHRI_DATA.exists():
        print(f"the real UHRI rows are needed as templates: {UHRI_DATA} not found")
        return 1
    if "DATABASE_URL" not in os.environ:
        print("DATABASE_URL is not set: run through `scripts/dev.sh scratch` (see the docstring)")
        return 1
    figures = {
        "benchmark": "uhri_import",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": args.records,
        **asyncio.run(_run(args.records, args.batch_size, args.per_statement)),
        "peak_rss_mb": round(_rss_mb(), 1),
        "targets": {"records_per_s": 5000, "peak_rss_mb": 300},
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        # The machine is shared: a load above the CPU count means the figures are low.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "run_id": str(uuid.uuid4()),
    }
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    print(f"written to {output}")
    first = figures["first_import"]
    ok = first["records"] == args.records and first["record_errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
