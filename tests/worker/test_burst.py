"""The real arq worker, as `followup worker --burst`, running a job end to end."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from arq.jobs import Job, JobStatus

from shared import jobs
from shared.queue import JobQueue, JobRequest, job_counts

ROOT = Path(__file__).resolve().parents[2]
FOLLOWUP = str(Path(sys.executable).parent / "followup")


async def run_burst_worker(limit: float = 60) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        FOLLOWUP,
        "worker",
        "--burst",
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), limit)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def test_burst_worker_runs_a_job(clean_redis: JobQueue) -> None:
    assert await clean_redis.enqueue(JobRequest(jobs.PING, ("hello",), job_id="ping-1"))
    # The same id again is refused while the job is queued: enqueueing is idempotent.
    assert not await clean_redis.enqueue(JobRequest(jobs.PING, ("again",), job_id="ping-1"))

    code, output = await run_burst_worker()
    assert code == 0, output

    job = Job("ping-1", clean_redis.redis)
    assert await job.status() == JobStatus.complete
    result = await job.result(timeout=5)
    assert result["echo"] == "hello"
    assert result["postgres"]
    assert (await job_counts(clean_redis))[("ping", "ok")] == 1
