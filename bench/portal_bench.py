"""Server time of the portal's heaviest pages: a State page and a search page.

    DATABASE_URL=... python -m bench.portal_bench     # after bench/generate.py

Starts `followup web` on the benchmark database (BENCH_DATABASE, default followup_bench,
as loaded by ``python -m bench.generate``), warms it up, then requests State pages of
random States and searches (a State's list, full text, filters, a second page) one at a
time, reading the server's own `Server-Timing` (request to response start). Writes
bench/results/portal.json with p50/p95/p99 per page kind, the data size and the CPU.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import httpx

from bench import generate, load
from scripts.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "results" / "portal.json"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
WARMUP = int(os.environ.get("BENCH_WARMUP_REQUESTS", "40"))
TERMS = ("torture", "women", "children", "education", "death penalty", "migrants")
THEMES = ("A12", "B31", "D51", "F12", "G1", "E41")


def _server_ms(response: httpx.Response) -> float:
    found = re.search(r"app;dur=([0-9.]+)", response.headers.get("server-timing", ""))
    assert found, "no Server-Timing header"
    return float(found.group(1))


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {
        "n": len(values),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(values), 2),
    }


def search_urls(states: list[str], rng: random.Random) -> list[str]:
    """Searches as the portal's visitors make them: from a State's page (as the API's
    own search scenario: `q` within one State), or by theme and cycle."""
    kinds = [
        lambda: {"country": rng.choice(states)},
        lambda: {"country": rng.choice(states), "q": rng.choice(TERMS)},
        lambda: {"country": rng.choice(states), "q": rng.choice(TERMS), "position": "supported"},
        lambda: {"theme": rng.choice(THEMES), "cycle": str(rng.randint(1, 4))},
        lambda: {"sdg": "16", "country": rng.choice(states)},
        lambda: {"recommending_state": rng.choice(states), "country": rng.choice(states)},
    ]
    return ["/en/recommendations?" + urlencode(rng.choice(kinds)()) for _ in range(REQUESTS)]


def wide_urls(states: list[str], rng: random.Random) -> list[str]:
    """Searches over every State: full text ranks every match (BENCHMARKS.md: 77-105 ms
    in SQL alone at 300,000), and a recommending State's whole record."""
    kinds = [
        lambda: {"q": rng.choice(TERMS)},
        lambda: {"recommending_state": rng.choice(states), "status": "no_information"},
    ]
    return ["/en/recommendations?" + urlencode(rng.choice(kinds)()) for _ in range(REQUESTS // 3)]


async def measure(base: str, urls: list[str], client: httpx.AsyncClient) -> dict[str, Any]:
    server: list[float] = []
    wall: list[float] = []
    by_kind: dict[str, list[float]] = {}
    for url in urls:
        started = time.perf_counter()
        response = await client.get(base + url)
        wall.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        server.append(_server_ms(response))
        kind = ",".join(sorted(k.split("=")[0] for k in url.partition("?")[2].split("&") if k))
        by_kind.setdefault(kind or url.rsplit("/", 2)[1], []).append(server[-1])
    return {
        "server": _summary(server),
        "client": _summary(wall),
        "bytes_last": len(response.content),
        "server_by_filters": {k: _summary(v) for k, v in sorted(by_kind.items())},
    }


async def run(url: str) -> dict[str, Any]:
    dsn = generate.pg_dsn(url)
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetchval("SELECT count(*) FROM recommendations")
        states = [r[0] for r in await conn.fetch(
            "SELECT DISTINCT state_under_review FROM recommendations ORDER BY 1")]  # fmt: skip
    finally:
        await conn.close()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "LOG_JSON": "true", "LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(
        str(ROOT / ".venv" / "bin" / "followup"), "web", "--host", "127.0.0.1", "--port",
        str(port), env=env, cwd=ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(11)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            for _ in range(300):
                try:
                    if (await client.get(base + "/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            state_urls = [f"/en/countries/{rng.choice(states)}" for _ in range(REQUESTS)]
            searches = search_urls(states, rng)
            await measure(base, state_urls[:WARMUP] + searches[:WARMUP], client)
            state = await measure(base, state_urls, client)
            search = await measure(base, searches, client)
            # Second pages: keyset cursors from the first page of a State's list.
            second: list[str] = []
            for iso3 in rng.sample(states, min(40, len(states))):
                page = await client.get(f"{base}/en/recommendations?country={iso3}")
                found = re.search(r'<a href="(\?[^"]+)" rel="next">', page.text)
                if found:
                    second.append("/en/recommendations" + found.group(1).replace("&amp;", "&"))
            paged = await measure(base, second, client)
            wide = await measure(base, wide_urls(states, rng), client)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=30)
    return {
        "what": "server time (request to response start, Server-Timing) of portal pages,"
        " one request at a time against one `followup web` process",
        "recommendations": rows,
        "states": len(states),
        "state_page": state,
        "search_page": search,
        "search_second_page": paged,
        "search_all_states": wide,
        "cpu": load.cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "machine": "shared: 2 cores used by several engineers' builds and tests at the same"
        " time, so the figures carry their noise",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def main() -> None:
    base = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:54329/followup")
    url = generate.with_database(base, os.environ.get("BENCH_DATABASE", "followup_bench"))
    result = asyncio.run(run(url))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
