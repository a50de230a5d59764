"""What each coding and level costs on a real list page: CPU time and bytes on the wire,
with the libraries starlette-compress uses (zstandard, brotli, gzip). The levels the API
and the portal use (``Settings.compression``) were chosen from these figures; ``make
bench`` measures the whole cost on the list's throughput.

    bash scripts/dev.sh shell .venv/bin/python -m bench.compression_levels

Reads a page of 50 items from the bench database (BENCH_DATABASE, default
``followup_bench``; ``make bench`` loads it). Figures go to
bench/results/compression_levels.json.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import brotli
from zstandard import ZstdCompressor

from bench import generate, load

OUT = Path(__file__).resolve().parent / "results" / "compression_levels.json"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))
CODINGS: dict[str, tuple[int, Callable[[bytes, int], bytes]]] = {
    "zstd": (4, lambda body, level: ZstdCompressor(level=level).compress(body)),
    "br": (4, lambda body, level: brotli.compress(body, quality=level)),
    "gzip": (6, lambda body, level: gzip.compress(body, compresslevel=level)),
}


async def page() -> bytes:
    base = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:54329/followup")
    url = generate.with_database(base, os.environ.get("BENCH_DATABASE", "followup_bench"))
    conn = await asyncpg.connect(generate.pg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT item::text FROM recommendations WHERE state_under_review = 'KEN'"
            " AND deleted_at IS NULL ORDER BY document_date, paragraph_key LIMIT 50"
        )
    finally:
        await conn.close()
    return ('{"items":[' + ",".join(r[0] for r in rows) + "]}").encode()


def measure(body: bytes, compress: Callable[[bytes, int], bytes], level: int) -> dict[str, float]:
    size = len(compress(body, level))
    start = time.process_time()
    for _ in range(ROUNDS):
        compress(body, level)
    return {"bytes": size, "cpu_us": round((time.process_time() - start) / ROUNDS * 1e6, 1)}


def main() -> None:
    body = asyncio.run(page())
    figures = {
        coding: {str(level): measure(body, compress, level) for level in range(1, top + 1)}
        for coding, (top, compress) in CODINGS.items()
    }
    result = {
        "what": "CPU time and size of one compressed list page of 50 items, per level",
        "page_bytes": len(body),
        "rounds": ROUNDS,
        "codings": figures,
        "cpu": load.cpu_model(),
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
