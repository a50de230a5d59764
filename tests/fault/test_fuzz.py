"""Property-based fuzzing of the whole API from its own OpenAPI document.

A live server (uvicorn, as in production) on its own PostgreSQL and Redis; every
operation gets generated requests, without a key and with an admin key. No response may
be a 5xx, and each must match the status codes, media types and schemas it declares.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fault.servers import Postgres, Redis, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class LiveServer:
    def __init__(self, url: str, admin_key: str) -> None:
        self.url = url
        self.admin_key = admin_key


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    pg, redis = Postgres(), Redis()
    pg.start()
    redis.start_sync()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": pg.url,
        "REDIS_URL": redis.url,
        "RATE_LIMIT_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    }
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [BIN / "followup", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True
        )
        created = subprocess.run(
            [BIN / "followup", "api-key", "create", "--name", "fuzz", "--scopes", "admin"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        key = created.stdout.strip().splitlines()[-1]
        server = subprocess.Popen(
            [BIN / "followup", "api", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield LiveServer(url, key)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        pg.remove()
        redis.remove()


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))


def _fuzz(url: str, headers: dict[str, str]) -> list[str]:
    """Run every operation's generated cases; return one line per failing operation."""
    api = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    # An operation the schema cannot describe raises here: that is a failure too.
    operations = [cast(Any, result).ok() for result in api.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect all operations' failures, then report
            failures.append(f"{operation.label}: {str(exc).strip().splitlines()[0][:300]}")
    return failures


def test_anonymous_requests_conform(live_server: LiveServer) -> None:
    assert _fuzz(live_server.url, {}) == []


def test_admin_requests_conform(live_server: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {live_server.admin_key}"}
    assert _fuzz(live_server.url, headers) == []
