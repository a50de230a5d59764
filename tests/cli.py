"""The ``followup`` command as an operator runs it: a real process from the repository root."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLLOWUP = str(Path(sys.executable).parent / "followup")


async def run_followup(*args: str, columns: int) -> tuple[int, str]:
    """The exit code and the combined output; ``columns`` fixes the width of rich's tables so
    tests can read their rows."""
    process = await asyncio.create_subprocess_exec(
        FOLLOWUP,
        *args,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": str(columns)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")
