"""Property-based fuzzing of the whole API from its own OpenAPI document.

A live server (uvicorn, as in production) on its own PostgreSQL and Redis, seeded with
the shared UPR documents (ingested by the CLI) and generated mandates, programmes and
plans. Schemathesis generates requests for every operation and chains them along the
links it infers (create -> get -> patch -> delete); every answer must be no 5xx, a
documented status code and media type, headers and a body matching the declared schema.

Randomized: the seed is printed and written to `.local/fuzz/last-run.txt`; rerun a
failure with `FUZZ_SEED=<seed> make fuzz` (or the same pytest command). The fast run
(`make test`) takes a few examples per operation; `make fuzz` takes FUZZ_EXAMPLES (100)
on the whole corpus. Rate limits are off for the run (RATE_LIMIT_PER_MINUTE=0 and
RATE_LIMIT_ANONYMOUS_PER_MINUTE=0): the fuzzer's request rate is not what is under test.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.servers import Postgres, Redis, free_port
from tests.data import UPR_DATA, require
from tests.fault import fuzz_seed

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OUT = ROOT / ".local" / "fuzz"

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
FULL = os.environ.get("FUZZ_FULL", "") == "1"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "use_after_free",
    "ensure_resource_availability",
]


def _seed() -> int:
    given = os.environ.get("FUZZ_SEED")
    return int(given) if given else random.SystemRandom().randrange(2**31)


SEED = _seed()


class LiveServer:
    def __init__(self, url: str, admin_key: str, seeded: dict[str, int]) -> None:
        self.url, self.admin_key, self.seeded = url, admin_key, seeded


@pytest.fixture(scope="module")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    require(UPR_DATA)
    _record(SEED, request)
    pg, redis = Postgres(), Redis()
    pg.start()
    redis.start()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": pg.url,
        "REDIS_URL": redis.url,
        "RATE_LIMIT_PER_MINUTE": "0",
        "RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    }
    server: subprocess.Popen[bytes] | None = None
    try:
        followup = BIN / "followup"
        subprocess.run([followup, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
        created = subprocess.run(
            [followup, "api-key", "create", "--name", "fuzz", "--scopes", "admin"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        key = created.stdout.strip().splitlines()[-1]
        fuzz_seed.ingest(followup, env, ROOT, fuzz_seed.documents(FULL))
        OUT.mkdir(parents=True, exist_ok=True)
        # The server's log, for the traceback behind a 5xx or a broken stream.
        log = (OUT / "api.log").open("wb")
        server = subprocess.Popen(
            [followup, "api", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        seeded = fuzz_seed.generate(url, key, random.Random(0), per_country=3 if FULL else 1)
        yield LiveServer(url, key, seeded)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        pg.remove()
        redis.remove()


def _schemathesis(
    server: LiveServer, name: str, seed: int, extra: list[str]
) -> subprocess.CompletedProcess[str]:
    OUT.mkdir(parents=True, exist_ok=True)
    command = [
        str(BIN / "st"),
        "run",
        f"{server.url}/openapi.json",
        "--seed",
        str(seed),
        "--max-examples",
        str(EXAMPLES),
        "--checks",
        ",".join(CHECKS),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(OUT / f"{name}.xml"),
        *extra,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(Path(__file__).parent / "fuzz_hooks.py")}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=4 * 3600
    )


def _record(seed: int, request: pytest.FixtureRequest) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    line = (
        f"seed={seed} examples={EXAMPLES} full={int(FULL)}\n"
        f"rerun: FUZZ_SEED={seed} FUZZ_EXAMPLES={EXAMPLES} FUZZ_FULL={int(FULL)} "
        'make test ARGS="tests/fault/test_fuzz.py"\n'
    )
    (OUT / "last-run.txt").write_text(line)
    # Past pytest's capture: the seed shows whether the run passes or fails.
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"fuzz {line.splitlines()[0]}")


def _explain(done: subprocess.CompletedProcess[str], seed: int) -> str:
    return (
        f"schemathesis found answers that do not match the OpenAPI document (seed {seed}; "
        f"rerun with FUZZ_SEED={seed}). A failure in the document itself (a status code, "
        "header or schema it does not declare) belongs in the route's `responses=` or "
        "response model; a 5xx is a bug in the route (server log: .local/fuzz/api.log).\n"
        + done.stdout[-12000:]
        + done.stderr
    )


def test_admin_requests_and_stateful_chains_conform(live_server: LiveServer) -> None:
    seed = SEED
    done = _schemathesis(
        live_server,
        "admin",
        seed,
        [
            "--phases",
            # The nightly run adds the boundary values of every schema (coverage phase).
            "examples,coverage,fuzzing,stateful" if FULL else "examples,fuzzing,stateful",
            "--header",
            f"Authorization: Bearer {live_server.admin_key}",
        ],
    )
    assert done.returncode == 0, _explain(done, seed)


def test_anonymous_reads_conform(live_server: LiveServer) -> None:
    seed = SEED
    done = _schemathesis(
        live_server, "anonymous", seed, ["--phases", "examples,fuzzing", "--include-method", "GET"]
    )
    assert done.returncode == 0, _explain(done, seed)
