#!/usr/bin/env bash
# Message catalogues (shared/i18n/locales/<lang>/LC_MESSAGES/messages.po), with Babel.
#
#   scripts/i18n.sh extract     messages from the code and templates -> .local/i18n/messages.pot
#   scripts/i18n.sh update      extract, then merge the template into every catalogue
#   scripts/i18n.sh init LANG   start a new language's catalogue (e.g. ar, ru, zh)
#   scripts/i18n.sh check       fail when a message is missing, untranslated or fuzzy
#
# Catalogues are read as .po at start-up (compiled in memory): nothing to compile.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYBABEL="$ROOT/.venv/bin/pybabel"
POT="$ROOT/.local/i18n/messages.pot"   # a by-product, not committed
LOCALES=shared/i18n/locales

extract() {
  mkdir -p "$(dirname "$POT")"
  "$PYBABEL" -q extract -F babel.cfg -k N_ -k t --sort-output --no-location --omit-header \
    --project followup --no-wrap -o "$POT" .
}

case "${1:-}" in
  extract) extract ;;
  update)
    extract
    "$PYBABEL" -q update -i "$POT" -d "$LOCALES" --no-wrap --ignore-obsolete
    ;;
  init)
    [ -n "${2:-}" ] || { echo "usage: scripts/i18n.sh init LANG" >&2; exit 2; }
    extract
    "$PYBABEL" -q init -i "$POT" -d "$LOCALES" -l "$2" --no-wrap
    ;;
  check) "$ROOT/.venv/bin/python" -m shared.i18n.check ;;
  *) echo "usage: scripts/i18n.sh extract | update | init LANG | check" >&2; exit 2 ;;
esac
