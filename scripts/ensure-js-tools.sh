#!/usr/bin/env bash
# The npm tools of tests/js (Spectral, openapi-typescript, TypeScript, axe-core), installed
# from the committed lock file only when missing or when the lock changed since the last
# install. Several checkouts may run this at once: each has its own tests/js/node_modules,
# and apt-get (when npm itself is missing) waits for the dpkg lock.
set -euo pipefail
JS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/js" && pwd)"
STAMP="$JS/node_modules/.installed-lock.sha256"
want="$(sha256sum "$JS/package-lock.json" | cut -d' ' -f1)"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  sudo=()
  [ "$(id -u)" = "0" ] || sudo=(sudo -n)
  for attempt in 1 2 3 4 5 6; do
    if "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 \
        install -y -qq --no-install-recommends npm; then
      break
    fi
    echo "apt-get failed (attempt $attempt); retrying" >&2
    sleep $((attempt * 10))
  done
fi
echo "installing the npm tools of tests/js (npm ci)" >&2
npm ci --prefix "$JS" --no-audit --no-fund --loglevel=error >&2
echo "$want" >"$STAMP"
