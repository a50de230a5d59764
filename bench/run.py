"""`make bench`: the API at UHRI scale, between its floor and its ceiling.

1. Loads N recommendations (BENCH_ROWS, default 300,000; 3,000,000 works too) into a
   database of its own (BENCH_DATABASE, default ``followup_bench``) on the server
   DATABASE_URL names, through the application's migrations (bench/generate.py). A
   database already holding the same data is reused (BENCH_RELOAD=1 reloads).
2. Starts the API as production runs it (``followup api``: uvicorn, uvloop, httptools,
   one worker), the floor app (bench/floor.py: the same SQL on raw asyncpg) on stored
   items and, as ``floor_built``, building items per request as reads did before items
   were stored, and the ceiling (bench/ceiling.py: the API's own stack, middleware
   included, sending pre-rendered bodies of the same size), all the same way, pinned to
   core 0. Each figure
   then sits between what the database work costs and what the server alone does.
3. For each scenario, drives each app with wrk pinned to core 1 (BENCH_CONNECTIONS, 32),
   BENCH_WARMUP seconds (10) then BENCH_DURATION seconds (20); a run during which other
   processes used more than BENCH_MAX_FOREIGN cores (0.15) is redone up to
   BENCH_RETRIES times (2) and the quietest run kept.
4. Times a full CSV export from each app with the server's peak RSS; EXPLAINs each list
   query (failing the check on a sequential scan of recommendations).
5. Writes bench/results/api.json (BENCH_OUT) and prints a summary.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.metadata
import json
import os
import platform
import random
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import httpx

from bench import generate, load
from scripts.servers import free_port
from shared import sync
from shared.recommendations import queries, service
from shared.recommendations.repository import _ITEM_BY_ID
from shared.recommendations.schemas import RecommendationFilter
from shared.recommendations.service import RESOURCE, filters_key

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "results" / "api.json"))
LOGS = ROOT / ".local" / "bench"
SEARCH_TERMS = (
    "torture",
    "women",
    "children",
    "discrimination",
    "education",
    "death penalty",
    "freedom of expression",
    "migrants",
    "trafficking",
    "disabilities",
)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


# --- scenarios --------------------------------------------------------------------------


SYNC_TRANSACTIONS = 40
SYNC_ROWS_PER_TRANSACTION = 100


async def sync_tokens(conn: asyncpg.Connection) -> list[str]:
    """Sync tokens of clients that last synced 1 to 40 transactions ago: committed changes
    (100 rows each, as the API's writers make them) with the snapshot before each."""
    rng = random.Random(13)
    ids = [
        r[0]
        for r in await conn.fetch(
            "SELECT id FROM recommendations TABLESAMPLE SYSTEM (2) REPEATABLE (3)"
            " WHERE deleted_at IS NULL"
        )
    ]
    digest = filters_key(RecommendationFilter())
    tokens = []
    for _ in range(SYNC_TRANSACTIONS):
        snapshot = await conn.fetchval("SELECT pg_current_snapshot()::text")
        tokens.append(sync.encode(sync.SyncToken(RESOURCE, digest, sync.Snapshot.parse(snapshot))))
        await conn.execute(
            "UPDATE recommendations SET status = $2, version = version + 1,"
            " updated_at = clock_timestamp() WHERE id = ANY($1)",
            rng.sample(ids, min(SYNC_ROWS_PER_TRANSACTION, len(ids))),
            rng.choice(("in_progress", "partially_implemented", "implemented")),
        )
    return tokens


async def scenario_inputs(url: str) -> dict[str, Any]:
    """Request parameters drawn from the loaded data (fixed seed)."""
    rng = random.Random(11)
    conn = await asyncpg.connect(generate.pg_dsn(url))
    try:
        tokens = await sync_tokens(conn)
        rows = await conn.fetch(
            "SELECT state_under_review, count(*) FROM recommendations"
            " WHERE cycle = 3 AND position = 'supported' AND deleted_at IS NULL"
            " GROUP BY 1 HAVING count(*) > 50 ORDER BY 1"
        )
        list_countries = [r[0] for r in rows]
        all_countries = [
            r[0]
            for r in await conn.fetch(
                "SELECT DISTINCT state_under_review FROM recommendations ORDER BY 1"
            )
        ]
        items = await conn.fetch(
            "SELECT id, version FROM recommendations TABLESAMPLE SYSTEM (1) REPEATABLE (7)"
            " WHERE deleted_at IS NULL LIMIT 2000"
        )
        newest = await conn.fetchval("SELECT max(updated_at) FROM recommendations")
        ranked = await conn.fetch(
            "SELECT updated_at FROM recommendations ORDER BY updated_at DESC OFFSET 500 LIMIT 1"
        )
        # A client that has seen everything and polls: its token is the snapshot of now.
        snapshot = sync.Snapshot.parse(await conn.fetchval("SELECT pg_current_snapshot()::text"))
        first_xid = await conn.fetchval("SELECT min(sync_xid) FROM recommendations")
    finally:
        await conn.close()
    everything = RecommendationFilter()
    token = sync.encode(sync.SyncToken(service.RESOURCE, service.filters_key(everything), snapshot))
    # Delta sync: clients that last synced between a day and a week before the newest change.
    since = [
        (newest - dt.timedelta(seconds=rng.randrange(86400, 7 * 86400))).isoformat()
        for _ in range(200)
    ]
    return {
        "list_countries": rng.sample(list_countries, min(40, len(list_countries))),
        "search_countries": rng.sample(all_countries, min(40, len(all_countries))),
        "items": [(str(r[0]), r[1]) for r in items],
        "since": since,
        "delta_floor": ranked[0][0].isoformat() if ranked else None,
        "sync_token": token,
        # A token from before the load: its delta is the whole table (the plan's worst case).
        "sync_oldest": sync.Snapshot(first_xid, first_xid) if first_xid else None,
        "sync_tokens": tokens,
    }


def scenarios(inputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rng = random.Random(5)
    lists = [
        "/v1/recommendations?" + urlencode({"country": c, "cycle": 3, "position": "supported"})
        for c in inputs["list_countries"]
    ]
    searches = [
        "/v1/recommendations?" + urlencode({"q": term, "country": c})
        for c in inputs["search_countries"]
        for term in rng.sample(SEARCH_TERMS, 3)
    ]
    deltas = ["/v1/recommendations?" + urlencode({"updated_since": s}) for s in inputs["since"]]
    token_deltas = [
        "/v1/recommendations?" + urlencode({"since_token": t}) for t in inputs["sync_tokens"]
    ]
    details = [f'/v1/recommendations/{i}\tIf-None-Match: "v{v}"' for i, v in inputs["items"]]
    polls = ["/v1/recommendations?" + urlencode({"since_token": inputs["sync_token"]})]
    facets = [
        "/v1/recommendations/facets?" + urlencode({"country": c})
        for c in inputs["search_countries"]
    ]
    return {
        "filtered_list": {
            "requests": lists,
            "what": f"country + cycle 3 + supported, 50 a page, {len(lists)} States in rotation",
        },
        "search": {
            "requests": searches,
            "what": "q (web-search syntax) within one State, by relevance; "
            f"{len(searches)} term/State pairs",
        },
        "delta_sync": {
            "requests": deltas,
            "what": "updated_since between 1 and 7 days before the newest change, 50 a page",
        },
        "sync_token_poll": {
            "requests": polls,
            "what": "since_token of a client that has seen everything (nothing new); the"
            " delta after K changes is in bench/results/sync.json (bench/sync_bench.py)",
        },
        "delta_sync_token": {
            "requests": token_deltas,
            "what": f"since_token of clients 1 to {SYNC_TRANSACTIONS} transactions behind"
            f" ({SYNC_ROWS_PER_TRANSACTION} rows each), 50 a page",
        },
        "detail_304": {
            "requests": details,
            "what": f"GET by id with a matching If-None-Match ({len(details)} ids)",
        },
        "facets": {"requests": facets, "what": "facet counts for one State"},
    }


COMPRESSED = "\tAccept-Encoding: gzip, br, zstd"
# Which apps each scenario runs on besides the API (the floor answers all of them).
OTHERS: dict[str, tuple[str, ...]] = {
    "filtered_list": ("floor", "floor_built", "ceiling", "api_compressed"),
    "detail_304": ("floor", "floor_built", "ceiling"),
    "facets": ("floor", "ceiling"),
}


# --- servers ----------------------------------------------------------------------------


@contextmanager
def server(name: str, cmd: list[str], env: dict[str, str], port: int) -> Iterator[int]:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("w")
    proc = subprocess.Popen(  # noqa: S603
        ["/usr/bin/taskset", "-c", os.environ.get("BENCH_SERVER_CORE", "0"), *cmd],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited at start; see {LOGS / (name + '.log')}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.2)
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# --- measurements -----------------------------------------------------------------------


def compare(
    wrk: str,
    apps: list[tuple[str, str, int, list[str]]],
    database: str,
    *,
    connections: int,
) -> dict[str, Any]:
    """The apps under the same load, in alternating rounds (A/B/A/B), so that whatever
    else the machine does falls on both alike.

    Each app gets BENCH_WARMUP seconds of warm-up, then BENCH_ROUNDS runs of
    BENCH_DURATION / BENCH_ROUNDS seconds. While a round ran with more than
    BENCH_MAX_FOREIGN cores used by other processes, another round is added (at most
    BENCH_RETRIES). Requests/s are the mean over rounds; latencies come from the
    quietest round; ``ratio_to_<app>`` is the first app's total over that app's.
    """
    warmup = env_float("BENCH_WARMUP", 10)
    rounds = max(1, env_int("BENCH_ROUNDS", 2))
    duration = env_float("BENCH_DURATION", 20) / rounds
    retries = env_int("BENCH_RETRIES", 2)
    max_foreign = env_float("BENCH_MAX_FOREIGN", 0.15)
    core = os.environ.get("BENCH_CLIENT_CORE", "1")

    def run(base: str, pid: int, requests: list[str], seconds: float) -> dict[str, Any]:
        return load.run_wrk(
            wrk,
            base,
            requests,
            seconds=seconds,
            connections=connections,
            core=int(core) if core else None,
            server_pid=pid,
            database=database,
        )

    if warmup > 0:
        for _, base, pid, requests in apps:
            run(base, pid, requests, warmup)
    runs: list[dict[str, dict[str, Any]]] = []
    while len(runs) < rounds or (
        len(runs) < rounds + retries
        and min(max(r["foreign_cores"] for r in x.values()) for x in runs) > max_foreign
    ):
        runs.append(
            {name: run(base, pid, requests, duration) for name, base, pid, requests in apps}
        )
    quietest = min(runs, key=lambda x: max(r["foreign_cores"] for r in x.values()))
    out: dict[str, Any] = {}
    for name, *_ in apps:
        best = dict(quietest[name])
        best["requests_per_s"] = round(sum(x[name]["requests_per_s"] for x in runs) / len(runs), 1)
        best["rounds_requests_per_s"] = [x[name]["requests_per_s"] for x in runs]
        best["rounds_foreign_cores"] = [x[name]["foreign_cores"] for x in runs]
        best["cpu_ms_per_request"] = round(
            1000 * best["server_cores"] / max(quietest[name]["requests_per_s"], 0.1), 3
        )
        out[name] = best
    first = apps[0][0]
    for name, *_ in apps[1:]:
        out[f"ratio_to_{name}"] = round(
            sum(x[first]["requests_per_s"] for x in runs)
            / max(sum(x[name]["requests_per_s"] for x in runs), 0.1),
            3,
        )
    return out


def export(base: str, pid: int) -> dict[str, Any]:
    start = time.perf_counter()
    size = lines = 0
    first: float | None = None
    with (
        load.RssSampler(pid, 0.02) as sampler,
        httpx.stream("GET", f"{base}/v1/recommendations/export.csv", timeout=600) as response,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            if first is None:
                first = time.perf_counter() - start
            size += len(chunk)
            lines += chunk.count(b"\n")
    return {
        "seconds": round(time.perf_counter() - start, 2),
        "first_byte_s": round(first or 0.0, 3),
        "rows": lines - 1,
        "mb": round(size / 1e6, 1),
        "peak_rss_mb": round(sampler.peak, 1),
        "rss_after_mb": round(load.rss_mb(pid)[0], 1),
    }


def page_sizes(api: str, path: str) -> dict[str, int]:
    """Bytes on the wire of one list page of 50, as sent for each content coding."""
    sizes = {}
    for coding in ("identity", "gzip", "br", "zstd"):
        with httpx.stream(
            "GET", api + path, headers={"Accept-Encoding": coding}, timeout=30
        ) as response:
            response.raise_for_status()
            assert response.headers.get("content-encoding", "identity") == coding
            sizes[coding] = sum(len(chunk) for chunk in response.iter_raw())
    return sizes


def ceiling_bodies(api: str, work: dict[str, dict[str, Any]], path: Path) -> None:
    """Bodies the API sent, for the ceiling to send again."""
    detail = work["detail_304"]["requests"][0].split("\t")[0]
    bodies = {
        "list": httpx.get(api + work["filtered_list"]["requests"][0], timeout=30).text,
        "facets": httpx.get(api + work["facets"]["requests"][0], timeout=30).text,
        "detail": httpx.get(api + detail, timeout=30).text,
    }
    path.write_text(json.dumps(bodies))


def same_bodies(api: str, floor: str, requests: list[str]) -> bool:
    """The floor answers what the API answers (list bodies are byte-identical)."""
    for line in requests[:3]:
        path = line.split("\t")[0]
        a = httpx.get(api + path, timeout=30)
        b = httpx.get(floor + path, timeout=30)
        if a.status_code != 200 or a.content != b.content:
            return False
    return True


# --- plans ------------------------------------------------------------------------------


def _seq_scans(node: dict[str, Any]) -> list[str]:
    found = []
    if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") == "recommendations":
        found.append("Seq Scan on recommendations")
    for child in node.get("Plans", []):
        found.extend(_seq_scans(child))
    return found


def _nodes(node: dict[str, Any]) -> list[str]:
    label = node["Node Type"]
    if "Index Name" in node:
        label += f" using {node['Index Name']}"
    elif "Relation Name" in node:
        label += f" on {node['Relation Name']}"
    out = [label]
    for child in node.get("Plans", []):
        out.extend(_nodes(child))
    return out


async def plans(url: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements the API runs, built by its own code."""
    item_id = inputs["items"][0][0]
    cases: dict[str, tuple[RecommendationFilter, str]] = {
        "filtered_list": (
            RecommendationFilter(
                countries=(inputs["list_countries"][0],), cycles=(3,), positions=("supported",)
            ),
            "natural",
        ),
        "search": (
            RecommendationFilter(q="torture", countries=(inputs["search_countries"][0],)),
            "rank",
        ),
        "search_all_states": (RecommendationFilter(q="torture"), "rank"),
        "delta_sync": (
            RecommendationFilter(updated_since=dt.datetime.fromisoformat(inputs["since"][0])),
            "updated",
        ),
        "delta_sync_oldest": (
            RecommendationFilter(updated_since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
            "updated",
        ),
        "unfiltered_first_page": (RecommendationFilter(), "natural"),
        "delta_sync_token": (
            RecommendationFilter(
                since=sync.decode(
                    inputs["sync_tokens"][0],
                    resource=RESOURCE,
                    filters=filters_key(RecommendationFilter()),
                ).snapshot,
                include_deleted=True,
            ),
            "sync",
        ),
    }
    out: dict[str, Any] = {}
    conn = await asyncpg.connect(generate.pg_dsn(url), server_settings={"timezone": "UTC"})
    try:
        for name, (f, order) in cases.items():
            w = queries.where(f, include_deleted=f.include_deleted)
            sql = queries.list_sql(
                w, queries.ORDERS[order], keyset=None, limit=51, tombstones=f.include_deleted
            )
            out[name] = await _explain(conn, sql, w.params, checked=True)
        if inputs["sync_oldest"] is not None:
            f = RecommendationFilter(since=inputs["sync_oldest"], include_deleted=True)
            w = queries.where(f, include_deleted=True)
            sql = queries.list_sql(
                w, queries.ORDERS["sync"], keyset=None, limit=51, tombstones=True
            )
            out["delta_sync_token_oldest"] = await _explain(conn, sql, w.params, checked=True)
        out["detail"] = await _explain(
            conn, _ITEM_BY_ID.replace("$1", ":ident"), {"ident": uuid.UUID(item_id)}, checked=True
        )
        w = queries.where(RecommendationFilter(countries=(inputs["search_countries"][0],)))
        out["facets"] = await _explain(conn, queries.facets_sql(w), w.params, checked=True)
        # The revalidation of a State's cached answers and list ETags.
        snapshot = sync.Snapshot.parse(await conn.fetchval("SELECT pg_current_snapshot()::text"))
        for scope, countries in (("state", (inputs["list_countries"][0],)), ("all", ())):
            sql, args = queries.changed_since_statement(snapshot, countries)
            raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", *args)
            plan = json.loads(raw)[0]
            out[f"changed_since_{scope}"] = {
                "checked": True,
                "ok": not _seq_scans(plan["Plan"]),
                "seq_scans": _seq_scans(plan["Plan"]),
                "execution_ms": plan.get("Execution Time"),
                "nodes": _nodes(plan["Plan"]),
                "sql": re.sub(r"\s+", " ", sql),
            }
        w = queries.where(RecommendationFilter())
        out["export_all"] = await _explain(conn, queries.export_csv_sql(w), w.params, checked=False)
    finally:
        await conn.close()
    return out


async def _explain(
    conn: asyncpg.Connection, sql: str, params: dict[str, Any], *, checked: bool
) -> dict[str, Any]:
    text, values = queries.positional(sql, params)
    raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {text}", *values)
    plan = json.loads(raw)[0]
    seq = _seq_scans(plan["Plan"])
    return {
        "checked": checked,
        "ok": not seq if checked else None,
        "seq_scans": seq,
        "execution_ms": plan.get("Execution Time"),
        "planning_ms": plan.get("Planning Time"),
        "shared_buffers_hit": plan["Plan"].get("Shared Hit Blocks"),
        "shared_buffers_read": plan["Plan"].get("Shared Read Blocks"),
        "nodes": _nodes(plan["Plan"]),
        "sql": re.sub(r"\s+", " ", text),
        "plan": plan,
    }


# --- the machine ------------------------------------------------------------------------


async def machine(url: str, wrk: str, lscpu: str, meminfo: str) -> dict[str, Any]:
    cpu = {k.strip(): v.strip() for k, _, v in (x.partition(":") for x in lscpu.splitlines())}
    mem_kb = next(int(x.split()[1]) for x in meminfo.splitlines() if x.startswith("MemTotal:"))
    conn = await asyncpg.connect(generate.pg_dsn(url))
    try:
        pg = {
            "version": await conn.fetchval("SHOW server_version"),
            "shared_buffers": await conn.fetchval("SHOW shared_buffers"),
            "work_mem": await conn.fetchval("SHOW work_mem"),
            "max_connections": await conn.fetchval("SHOW max_connections"),
            "database_size": await conn.fetchval(
                "SELECT pg_size_pretty(pg_database_size(current_database()))"
            ),
        }
    finally:
        await conn.close()
    versions: dict[str, str | None] = {}
    for package in (
        "fastapi", "starlette", "sqlalchemy", "asyncpg", "pydantic", "uvicorn", "uvloop",
        "httptools", "orjson",
    ):  # fmt: skip
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu_model": cpu.get("Model name"),
        "cpus": os.cpu_count(),
        "hypervisor": cpu.get("Hypervisor vendor"),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg,
        "wrk": load.wrk_version(wrk),
        "packages": versions,
        "pinning": "API and floor on core 0, wrk on core 1, PostgreSQL not pinned",
    }


# --- main -------------------------------------------------------------------------------


def _target(value: Any, ok: bool) -> dict[str, Any]:
    return {"value": value, "ok": bool(ok)}


def targets(results: dict[str, Any]) -> dict[str, Any]:
    """Every target of the benchmark, named for what it measures; ratios taken in one run."""
    s = results["scenarios"]
    ex = results["export"]["api"]
    lst = s["filtered_list"]
    search1 = results["search_single_client"]["api"]
    facets1 = results["facets_single_client"]["api"]
    sizes = results["list_page_bytes"]
    p99 = lst["api"]["latency_ms"]["p99"]
    floor_p99 = lst["floor"]["latency_ms"]["p99"]
    compression_cost = round(1 - 1 / lst["ratio_to_api_compressed"], 3)
    return {
        "filtered_list_vs_built_floor>=2": _target(
            lst["ratio_to_floor_built"], lst["ratio_to_floor_built"] >= 2
        ),
        "filtered_list_vs_floor>=0.9": _target(lst["ratio_to_floor"], lst["ratio_to_floor"] >= 0.9),
        "filtered_list_vs_ceiling>=0.35": _target(
            lst["ratio_to_ceiling"], lst["ratio_to_ceiling"] >= 0.35
        ),
        "filtered_list_p99<=1.25x_floor_p99": _target(
            {"api_ms": p99, "floor_ms": floor_p99}, p99 <= 1.25 * floor_p99
        ),
        "detail_304_vs_floor>=0.8": _target(
            s["detail_304"]["ratio_to_floor"], s["detail_304"]["ratio_to_floor"] >= 0.8
        ),
        "delta_sync_vs_floor>=0.9": _target(
            s["delta_sync"]["ratio_to_floor"], s["delta_sync"]["ratio_to_floor"] >= 0.9
        ),
        "delta_sync_token_vs_floor>=0.9": _target(
            s["delta_sync_token"]["ratio_to_floor"],
            s["delta_sync_token"]["ratio_to_floor"] >= 0.9,
        ),
        "facets_single_client_p50<=10ms": _target(
            facets1["latency_ms"]["p50"], facets1["latency_ms"]["p50"] <= 10
        ),
        "facets_at_32_vs_todays_query_on_floor>=10": _target(
            s["facets"]["ratio_to_floor"], s["facets"]["ratio_to_floor"] >= 10
        ),
        "export_seconds<=5": _target(ex["seconds"], ex["seconds"] <= 5),
        "export_peak_rss<=200MB": _target(ex["peak_rss_mb"], ex["peak_rss_mb"] <= 200),
        "compressed_list_page<=10KB": _target(sizes, min(sizes["br"], sizes["zstd"]) <= 10_240),
        "compression_cost<=15%_of_list_throughput": _target(
            compression_cost, compression_cost <= 0.15
        ),
        "search_p50<=20ms_single_client": _target(
            search1["latency_ms"]["p50"], search1["latency_ms"]["p50"] <= 20
        ),
        "search_vs_floor>=0.9_at_32": _target(
            s["search"]["ratio_to_floor"], s["search"]["ratio_to_floor"] >= 0.9
        ),
        "delta_sync_index_bounded": _target(
            results["plans"]["delta_sync"]["nodes"],
            not results["plans"]["delta_sync"]["seq_scans"]
            and not results["plans"]["delta_sync_oldest"]["seq_scans"],
        ),
        "no_seq_scan_in_list_plans": _target(
            [k for k, p in results["plans"].items() if p["checked"] and not p["ok"]],
            all(p["ok"] for p in results["plans"].values() if p["checked"]),
        ),
    }


def main() -> None:
    rows = env_int("BENCH_ROWS", generate.DEFAULT_ROWS)
    connections = env_int("BENCH_CONNECTIONS", 32)
    base_url = os.environ.get(
        "DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:54329/followup"
    )
    database = os.environ.get("BENCH_DATABASE", "followup_bench")
    url = generate.with_database(base_url, database)
    only = {s for s in os.environ.get("BENCH_ONLY", "").split(",") if s}
    wrk = load.ensure_wrk()
    started = dt.datetime.now(dt.UTC)
    # One key for the run: the bench signs the sync tokens its clients send back.
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(32)

    print(f"[bench] data: {rows} recommendations in {database}", file=sys.stderr)
    loaded = asyncio.run(generate.prepare(url, rows, force=os.environ.get("BENCH_RELOAD") == "1"))
    inputs = asyncio.run(scenario_inputs(url))
    plan_results = asyncio.run(plans(url, inputs))

    ports = {name: free_port() for name in ("api", "floor", "floor_built", "ceiling")}
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "production",
        "LOG_JSON": "true",
        # The per-address limit runs (its cost is part of the figures) but never refuses
        # the load generator's single address.
        "RATE_LIMIT_ANONYMOUS_PER_MINUTE": "1000000000",
    }

    def uvicorn(target: str, port: int) -> list[str]:
        return [
            str(ROOT / ".venv/bin/uvicorn"), target, "--host", "127.0.0.1",
            "--port", str(port), "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip

    api_cmd = [
        str(ROOT / ".venv/bin/followup"), "api", "--host", "127.0.0.1", "--port", str(ports["api"])
    ]  # fmt: skip
    floor_env = {**env, "BENCH_FLOOR_DSN": generate.pg_dsn(url)}
    bodies = LOGS / "ceiling_bodies.json"
    work = scenarios(inputs)
    results: dict[str, Any] = {
        "started_at": started.isoformat(),
        "rows": rows,
        "connections": connections,
        "warmup_s": env_float("BENCH_WARMUP", 10),
        "duration_s": env_float("BENCH_DURATION", 20),
        "load": loaded,
        "scenarios": {},
    }
    base = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    with (
        server("api", api_cmd, env, ports["api"]) as api_pid,
        server(
            "floor", uvicorn("bench.floor:app", ports["floor"]), floor_env, ports["floor"]
        ) as floor_pid,
        server(
            "floor_built",
            uvicorn("bench.floor:app", ports["floor_built"]),
            {**floor_env, "BENCH_FLOOR_ITEMS": "built"},
            ports["floor_built"],
        ) as built_pid,
    ):
        LOGS.mkdir(parents=True, exist_ok=True)
        ceiling_bodies(base["api"], work, bodies)
        ceiling_env = {**env, "BENCH_CEILING_BODIES": str(bodies)}
        with server(
            "ceiling", uvicorn("bench.ceiling:app", ports["ceiling"]), ceiling_env, ports["ceiling"]
        ) as ceiling_pid:
            pids = {
                "api": api_pid,
                "api_compressed": api_pid,
                "floor": floor_pid,
                "floor_built": built_pid,
                "ceiling": ceiling_pid,
            }
            results["same_bodies"] = {
                name: same_bodies(base["api"], base["floor"], work[name]["requests"])
                and same_bodies(base["api"], base["floor_built"], work[name]["requests"])
                for name in ("filtered_list", "search", "delta_sync")
            }
            results["list_page_bytes"] = page_sizes(
                base["api"], work["filtered_list"]["requests"][0]
            )

            def apps(name: str, requests: list[str]) -> list[tuple[str, str, int, list[str]]]:
                out = [("api", base["api"], api_pid, requests)]
                for other in OTHERS.get(name, ("floor",)):
                    if other == "api_compressed":
                        out.append(
                            (other, base["api"], api_pid, [r + COMPRESSED for r in requests])
                        )
                    else:
                        out.append((other, base[other], pids[other], requests))
                return out

            for name, spec in work.items():
                if only and name not in only:
                    continue
                print(f"[bench] {name}", file=sys.stderr)
                entry: dict[str, Any] = {"what": spec["what"]}
                entry.update(
                    compare(wrk, apps(name, spec["requests"]), database, connections=connections)
                )
                results["scenarios"][name] = entry
                print(f"[bench] {name}: {_line(entry)}", file=sys.stderr)
            for name in ("search", "facets"):
                if not only or name in only:
                    print(f"[bench] {name}, one client", file=sys.stderr)
                    results[f"{name}_single_client"] = compare(
                        wrk, apps(name, work[name]["requests"])[:2], database, connections=1
                    )
            if not only or "export" in only:
                results["export"] = {}
                for app in ("api", "floor"):
                    print(f"[bench] export: {app}", file=sys.stderr)
                    results["export"][app] = export(base[app], pids[app])
            results["peak_rss_mb"] = {
                name: round(load.rss_mb(pid)[1], 1)
                for name, pid in pids.items()
                if name != "api_compressed"
            }
    results["plans"] = plan_results
    lscpu = subprocess.run(["/usr/bin/lscpu"], capture_output=True, text=True, check=False)
    meminfo = Path("/proc/meminfo").read_text()
    results["machine"] = asyncio.run(machine(url, wrk, lscpu.stdout, meminfo))
    results["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    if not only:
        results["targets"] = targets(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(summary(results))
    print(f"[bench] figures in {OUT.relative_to(ROOT) if OUT.is_relative_to(ROOT) else OUT}")


def _line(entry: dict[str, Any]) -> str:
    a, f = entry["api"], entry["floor"]
    ratios = " ".join(
        f"{k.removeprefix('ratio_to_')} x{v}" for k, v in entry.items() if k.startswith("ratio_to_")
    )
    return (
        f"api {a['requests_per_s']} req/s p50 {a['latency_ms']['p50']}"
        f" p99 {a['latency_ms']['p99']} ms"
        f" | floor {f['requests_per_s']} req/s p99 {f['latency_ms']['p99']} ms"
        f" | api/{ratios} | foreign cores {a['foreign_cores']}/{f['foreign_cores']}"
    )


def summary(results: dict[str, Any]) -> str:
    lines = [f"{results['rows']} recommendations, {results['connections']} connections"]
    for name, entry in results["scenarios"].items():
        lines.append(f"  {name:14} {_line(entry)}")
    for name in ("search", "facets"):
        if f"{name}_single_client" in results:
            s = results[f"{name}_single_client"]
            lines.append(
                f"  {name}, 1 client: api p50 {s['api']['latency_ms']['p50']} ms,"
                f" floor p50 {s['floor']['latency_ms']['p50']} ms"
            )
    if "list_page_bytes" in results:
        lines.append(f"  list page of 50, bytes on the wire: {results['list_page_bytes']}")
    for app, e in results.get("export", {}).items():
        lines.append(
            f"  export {app}: {e['seconds']} s, {e['rows']} rows, peak RSS {e['peak_rss_mb']} MB"
        )
    for name, t in results.get("targets", {}).items():
        lines.append(f"  {'ok  ' if t['ok'] else 'MISS'} {name}: {t['value']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
