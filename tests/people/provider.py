"""The real OpenID provider of the tests: npm `oidc-provider` run by Node from tests/js."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx

from scripts.servers import free_port

JS = Path(__file__).resolve().parents[1] / "js"
AUDIENCE = "urn:followup:api"


def node_ready() -> str | None:
    """None when Node and the locked packages are there (installed on demand), else why not."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "Node.js (node, npm) is not installed"
    if not (JS / "node_modules" / "oidc-provider").is_dir():
        result = subprocess.run(
            [npm, "ci", "--prefix", str(JS), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            return f"npm ci --prefix tests/js failed: {result.stderr[-500:]}"
    return None


class OpenIdProvider:
    """One provider process on a free loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        node = shutil.which("node")
        assert node is not None
        self.process = subprocess.Popen(
            [node, str(JS / "oidc_provider.mjs"), str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("ready"):
                return
            if self.process.poll() is not None:
                break
        raise RuntimeError("the OpenID provider did not start")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    async def token(self, client: str, resource: str = AUDIENCE) -> str:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{self.issuer}/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client,
                    "client_secret": client,
                    "scope": "api",
                    "resource": resource,
                },
            )
        response.raise_for_status()
        return str(response.json()["access_token"])

    async def rotate(self) -> None:
        async with httpx.AsyncClient() as http:
            (await http.post(f"{self.issuer}/_rotate")).raise_for_status()
