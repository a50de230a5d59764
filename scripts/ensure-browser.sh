#!/usr/bin/env bash
# What the browser tests need, installed only when missing: Debian's Chromium (browsers
# cannot be downloaded by Playwright here) and the npm tools of tests/js (axe-core).
# Several checkouts may run this at once: apt-get waits for the dpkg lock and retries.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

apt_install() {
  local sudo=()
  [ "$(id -u)" = "0" ] || sudo=(sudo -n)
  for attempt in 1 2 3 4 5 6; do
    if "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 \
        install -y -qq --no-install-recommends "$@"; then
      return 0
    fi
    echo "apt-get failed (attempt $attempt); retrying" >&2
    sleep $((attempt * 10))
  done
  return 1
}

if [ ! -x "$CHROMIUM" ]; then
  echo "installing Debian's chromium (for the browser tests)" >&2
  apt_install chromium fonts-dejavu-core
fi

if [ ! -f "$ROOT/tests/js/node_modules/axe-core/axe.min.js" ]; then
  command -v npm >/dev/null || apt_install npm
  npm ci --prefix "$ROOT/tests/js" --no-audit --no-fund --loglevel=error
fi
