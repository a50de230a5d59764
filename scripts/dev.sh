#!/usr/bin/env bash
# Follow-up's launcher: installs the locked dependencies, starts PostgreSQL and Redis in a
# project-local folder through scripts/servers.py (unless DATABASE_URL / REDIS_URL point
# elsewhere), then runs the service or the tests, and stops everything it started on
# exit, Ctrl-C or SIGTERM.
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

SERVERS_STATE=""
APP_PIDS=()

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
  # The servers (scripts/servers.py) stop after the services that use them.
  if [ -n "$SERVERS_STATE" ]; then
    "$ROOT/.venv/bin/python" -m scripts.servers stop --state "$SERVERS_STATE" || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- dependencies ----------------------------------------------------------------------
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

# --- servers ---------------------------------------------------------------------------
# PostgreSQL and Redis are started by scripts/servers.py (also used by the tests that stop
# and restart servers); it skips each one whose URL is already set and prints the exports.
start_servers() {
  local profile="$1" exports
  SERVERS_STATE="$LOCAL/servers-$$.json"
  exports="$("$ROOT/.venv/bin/python" -m scripts.servers start "$profile" --state "$SERVERS_STATE")" || exit 1
  eval "$exports"
}

services_for_test() {
  start_servers test
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
    start_servers run
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
    start_servers run
    "$@"
    ;;
  scratch)
    # Any command with throw-away servers, as for the tests (used by .ci/run).
    ensure_env
    services_for_test
    "$@"
    ;;
  *)
    die "usage: scripts/dev.sh run | test [pytest args] | shell CMD... | scratch CMD..."
    ;;
esac
