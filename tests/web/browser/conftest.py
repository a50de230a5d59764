"""Browser tests: Playwright for Python driving Debian's Chromium, axe-core injected into
every page. `scripts/ensure-browser.sh` installs what is missing (CI runs it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scripts.servers import free_port

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"


@dataclass
class Portal:
    url: str
    recs: dict[str, str]
    mandate: str
    programme: str


@pytest.fixture(scope="session")
def browser_tools() -> None:
    if not (Path(CHROMIUM).exists() and AXE.exists()):
        result = subprocess.run(["bash", str(ROOT / "scripts" / "ensure-browser.sh")], check=False)
        if result.returncode != 0 and not os.environ.get("CI"):
            pytest.skip("Chromium or axe-core could not be installed (scripts/ensure-browser.sh)")
        assert result.returncode == 0, "scripts/ensure-browser.sh failed"


@pytest.fixture(scope="session")
def portal(browser_tools: None) -> Iterator[Portal]:
    port = free_port()
    name = f"portal_browser_{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.web.browser.serve", str(port), name],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("READY "), f"the portal did not start: {line!r}"
        facts: dict[str, Any] = json.loads(line[len("READY ") :])
        yield Portal(url=f"http://127.0.0.1:{port}", **facts)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture(scope="session")
async def browser(browser_tools: None) -> AsyncIterator[Any]:
    # The async API: the sync one runs its own event loop, which the asynchronous tests
    # of the same session would then find running.
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--disable-background-networking",
                "--disable-dev-shm-usage",
                "--disable-extensions",
                "--no-first-run",
            ],
        )
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    # bypass_csp: the portal's policy rightly refuses inline scripts, axe is injected as one.
    context = await browser.new_context(
        bypass_csp=True, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = await context.new_page()
    yield page
    await context.close()


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the page."""
    await page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = await page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
