"""HTTP load with wrk (pinned to its own core) and what the machine did meanwhile.

wrk runs a Lua script that cycles through a list of requests (path + headers) and prints
its figures as one JSON line: requests/s, latency percentiles, errors. Around each run
this module samples the server's resident memory and accounts CPU time: the server's,
wrk's, the benchmark database's backends, and everybody else's (``foreign_cores``: other
engineers' work on the same two cores, the reason a run is redone).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")

LUA = r"""
local requests = {}
local counter = 0

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local path, header = line:match("^([^\t]*)\t?(.*)$")
    local headers = {}
    if header ~= nil and header ~= "" then
      local k, v = header:match("^([^:]+):%s*(.*)$")
      headers[k] = v
    end
    table.insert(requests, wrk.format("GET", path, headers))
  end
  f:close()
  counter = math.random(#requests)
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


def cpu_model() -> str:
    """The CPU model, recorded with every figure (the same code ran twice as fast on one
    model as on another)."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def ensure_wrk() -> str:
    """The wrk binary; installs Debian's package when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: install it (apt-get install wrk) and rerun")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)  # noqa: S607
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)  # noqa: S607
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk did not install")
    return found


def wrk_version(binary: str) -> str:
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    return (out.stdout or out.stderr).splitlines()[0].strip()


def process_cpu_s(pid: int) -> float:
    """Seconds of CPU a process used (user + system)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _machine_busy() -> float:
    """Seconds of CPU the whole machine spent busy (all cores)."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in parts]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / CLK_TCK


def _db_backends(database: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmd.startswith(b"postgres: ") and f" {database} ".encode() in cmd:
            pids.append(int(entry.name))
    return pids


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak since start) resident set size of a process, in MB."""
    now = peak = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        pass
    return now, peak


class RssSampler:
    """Samples a process's RSS every ``interval`` seconds; ``peak`` is the highest seen."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid)[0])
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb(self.pid)[0])


@dataclass
class Accounting:
    """CPU used during a run, in cores (CPU seconds per wall second)."""

    server_pid: int
    database: str
    start: float = 0.0
    busy0: float = 0.0
    server0: float = 0.0
    db0: dict[int, float] = field(default_factory=dict)

    def begin(self) -> None:
        self.start = time.monotonic()
        self.busy0 = _machine_busy()
        self.server0 = process_cpu_s(self.server_pid)
        self.db0 = {p: process_cpu_s(p) for p in _db_backends(self.database)}

    def end(self, wrk_cpu: float) -> dict[str, float]:
        wall = time.monotonic() - self.start
        busy = _machine_busy() - self.busy0
        server = process_cpu_s(self.server_pid) - self.server0
        db = sum(process_cpu_s(p) - self.db0.get(p, 0.0) for p in _db_backends(self.database))
        foreign = max(0.0, busy - server - db - wrk_cpu)
        return {
            "server_cores": round(server / wall, 3),
            "database_cores": round(db / wall, 3),
            "wrk_cores": round(wrk_cpu / wall, 3),
            "foreign_cores": round(foreign / wall, 3),
            "loadavg_1m_after": round(os.getloadavg()[0], 2),
        }


def run_wrk(
    binary: str,
    url: str,
    requests: list[str],
    *,
    connections: int,
    seconds: float,
    core: int | None,
    server_pid: int,
    database: str,
    threads: int = 1,
) -> dict[str, Any]:
    """One wrk run; figures, CPU accounting and the server's peak RSS during it."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench.lua"
        script.write_text(LUA)
        listing = Path(tmp) / "requests.txt"
        listing.write_text("\n".join(requests) + "\n")
        cmd = [
            binary,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            "--",
            str(listing),
        ]
        if core is not None:
            cmd = ["taskset", "-c", str(core), *cmd]
        accounting = Accounting(server_pid, database)
        load_before = os.getloadavg()[0]
        accounting.begin()
        with RssSampler(server_pid) as sampler:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
            _, status, usage = os.wait4(proc.pid, 0)
            stdout = proc.stdout.read() if proc.stdout else ""
            stderr = proc.stderr.read() if proc.stderr else ""
        cpu = accounting.end(usage.ru_utime + usage.ru_stime)
    line = next((x for x in stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if status != 0 or line is None:
        raise RuntimeError(f"wrk failed ({status}): {stderr or stdout}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    seconds_run = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    errors = raw["errors"]
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds_run, 1),
        "latency_ms": {k: round(v / 1000, 2) for k, v in lat.items()},
        "errors": {k: v for k, v in errors.items() if v},
        "mb_per_s": round(raw["bytes"] / seconds_run / 1e6, 2),
        "peak_rss_mb": round(sampler.peak, 1),
        "loadavg_1m_before": round(load_before, 2),
        **cpu,
    }
