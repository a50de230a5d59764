"""API CPU per read with an OpenID Connect token against the same read with an API key.

`bash scripts/dev.sh scratch .venv/bin/python -m bench.auth_bench` (throw-away servers):

1. Loads BENCH_AUTH_ROWS recommendations (default 20,000) into a database of its own.
2. Starts the real OpenID provider of the tests (tests/js, Node) and the API as production
   runs it (`followup api`, one uvicorn worker) trusting that provider.
3. For each read, alternates rounds with an API key and with an RS256 access token (and a
   development EdDSA token) and reads the API process's own CPU time (/proc/PID/stat)
   around BENCH_AUTH_REQUESTS sequential requests (default 500); the median round wins.
4. Writes bench/results/auth.json with the CPU model and the machine's load.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from bench import generate, load
from scripts.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "results" / "auth.json"))
ROWS = int(os.environ.get("BENCH_AUTH_ROWS", "20000"))
REQUESTS = int(os.environ.get("BENCH_AUTH_REQUESTS", "500"))
ROUNDS = int(os.environ.get("BENCH_AUTH_ROUNDS", "5"))
AUDIENCE = "urn:followup:api"


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _pinned(core: int, args: list[str]) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", str(core), *args] if taskset else args


def _round(client: httpx.Client, pid: int, path: str, headers: dict[str, str]) -> float:
    before = load.process_cpu_s(pid)
    for _ in range(REQUESTS):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.text[:300]
    return (load.process_cpu_s(pid) - before) / REQUESTS * 1e6


def _token(issuer: str, client_id: str) -> str:
    with httpx.Client() as http:
        response = http.post(
            f"{issuer}/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_id,
                "scope": "api",
                "resource": AUDIENCE,
            },
        )
    response.raise_for_status()
    return str(response.json()["access_token"])


def main() -> None:
    base = os.environ["DATABASE_URL"]
    url = generate.with_database(base, os.environ.get("BENCH_DATABASE", "followup_auth_bench"))
    asyncio.run(generate.prepare(url, ROWS))
    env = {**os.environ, "DATABASE_URL": url, "RATE_LIMIT_PER_MINUTE": "0", "LOG_JSON": "true"}
    followup = str(ROOT / ".venv" / "bin" / "followup")
    key = (
        subprocess.run(  # noqa: S603 - our own CLI
            [followup, "api-key", "create", "--name", "bench", "--scopes", "recommendations:write"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        .stdout.strip()
        .splitlines()[-1]
    )

    op_port = free_port()
    issuer = f"http://127.0.0.1:{op_port}"
    node = shutil.which("node")
    assert node, "Node.js is needed for the OpenID provider"
    provider = subprocess.Popen(  # noqa: S603
        _pinned(1, [node, str(ROOT / "tests" / "js" / "oidc_provider.mjs"), str(op_port)]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    api_env = {
        **env,
        "ENVIRONMENT": "development",
        "OIDC_ISSUERS": json.dumps([{"issuer": issuer, "audience": AUDIENCE}]),
    }
    api = subprocess.Popen(  # noqa: S603
        _pinned(0, [followup, "api", "--host", "127.0.0.1", "--port", str(port)]),
        env=api_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"{issuer}/.well-known/openid-configuration", provider)
        _wait(f"http://127.0.0.1:{port}/readyz", api)
        rs256 = _token(issuer, "plain-user")
        dev = subprocess.run(  # noqa: S603
            [followup, "dev-token", "--role", "viewer"],
            env=api_env,
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout.strip()
        callers = {
            "api_key": {"Authorization": f"Bearer {key}"},
            "oidc_rs256": {"Authorization": f"Bearer {rs256}"},
            "dev_eddsa": {"Authorization": f"Bearer {dev}"},
        }
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            first = (client.get("/v1/recommendations?limit=1")).json()["items"][0]
            reads = {
                "detail": f"/v1/recommendations/{first['id']}",
                "list_20": f"/v1/recommendations?country={first['state_under_review']}&limit=20",
            }
            figures: dict[str, Any] = {}
            for name, path in reads.items():
                for headers in callers.values():  # warm-up: users created, keys cached
                    for _ in range(100):
                        client.get(path, headers=headers)
                rounds: dict[str, list[float]] = {c: [] for c in callers}
                for r in range(ROUNDS):
                    order = list(callers) if r % 2 == 0 else list(reversed(callers))
                    # The provider's tokens live 5 minutes: a fresh one every round.
                    rs256 = _token(issuer, "plain-user")
                    callers["oidc_rs256"] = {"Authorization": f"Bearer {rs256}"}
                    for caller in order:
                        rounds[caller].append(_round(client, api.pid, path, callers[caller]))
                medians = {c: statistics.median(v) for c, v in rounds.items()}
                figures[name] = {
                    "path": path.split("?")[0].rsplit("/", 1)[0]
                    + ("/{id}" if name == "detail" else ""),
                    "cpu_us_per_request_median": {c: round(v, 1) for c, v in medians.items()},
                    "cpu_us_per_request_rounds": {
                        c: [round(x, 1) for x in v] for c, v in rounds.items()
                    },
                    "token_overhead_pct": {
                        c: round((medians[c] / medians["api_key"] - 1) * 100, 1)
                        for c in callers
                        if c != "api_key"
                    },
                }
    finally:
        for process in (api, provider):
            process.terminate()
            process.wait(timeout=20)
    result = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu_model": load.cpu_model(),
        "cpus": os.cpu_count(),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "note": "shared 2-core machine: other engineers' builds and tests ran at the same time;"
        " API pinned to core 0 (taskset), client and provider on core 1; CPU is the API"
        " process's own user+system time (/proc), 10 ms ticks over each round",
        "rows": ROWS,
        "requests_per_round": REQUESTS,
        "rounds": ROUNDS,
        "target": "a read with a token costs at most 10% more API CPU than with an API key",
        "reads": figures,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
