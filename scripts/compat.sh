#!/usr/bin/env bash
# Compatibility matrix: each FiftyOne release in a virtualenv of its own
# (with this package installed from this checkout), each Label Studio
# release in a virtualenv of its own (scripts/ls_server.py --version), and
# for every pair the integration round trip and the browser editor test.
# Writes compat/results/<pair>.txt and the table between the compat markers
# of README.md (scripts/compat_table.py).
#
# Usage: bash scripts/compat.sh [--fiftyone "1.21.0 1.22.1"]
#                               [--labelstudio "1.20.0 1.22.0 1.23.2"]
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${FIFTYONE_LABELSTUDIO_HOME:-$HOME/.local/share/fiftyone-labelstudio}"
COMPAT="$HOME_DIR/compat"
RESULTS="$REPO/compat/results"
PY="${PYTHON:-python3}"
FO_VERSIONS="1.21.0 1.22.1"
LS_VERSIONS="1.20.0 1.22.0 1.23.2"
TESTS="tests/integration/test_backend_roundtrip.py tests/browser/test_e2e.py"
while [ $# -gt 0 ]; do
  case "$1" in
    --fiftyone) FO_VERSIONS="$2"; shift 2 ;;
    --labelstudio) LS_VERSIONS="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
step() { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
mkdir -p "$COMPAT" "$RESULTS"
if [ ! -x /usr/bin/chromium ]; then  # for the browser test
  step "installing Debian's Chromium"
  if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq chromium >/dev/null || exit 1
fi

for fo in $FO_VERSIONS; do
  venv="$COMPAT/fo-$fo"
  if [ ! -x "$venv/bin/python" ]; then
    step "FiftyOne $fo into $venv (first time: ~4 min)"
    "$PY" -m venv "$venv"
    # FiftyOne first, so the package's install must keep it (the check)
    "$venv/bin/python" -m pip install -q "fiftyone==$fo" || exit 1
  fi
  step "this checkout into $venv"
  "$venv/bin/python" -m pip install -q "$REPO[db,test]" || exit 1
  "$venv/bin/python" -m pip install -q --no-deps --force-reinstall "$REPO" \
    || exit 1
  got="$("$venv/bin/python" -c 'import fiftyone; print(fiftyone.__version__)' 2>/dev/null | tail -1)"
  if [ "$got" != "$fo" ]; then
    echo "installing this package replaced FiftyOne $fo with $got" >&2
    exit 1
  fi
done
for ls in $LS_VERSIONS; do
  "$PY" "$REPO/scripts/ls_server.py" install --version "$ls" || exit 1
done

cd "$REPO"
unset FIFTYONE_LABELSTUDIO_URL FIFTYONE_LABELSTUDIO_API_KEY FIFTYONE_DATABASE_URI
for fo in $FO_VERSIONS; do
  for ls in $LS_VERSIONS; do
    out="$RESULTS/fo-${fo}_ls-${ls}.txt"
    step "FiftyOne $fo x Label Studio $ls"
    start=$(date +%s)
    # the tests' own session server runs this Label Studio release
    FIFTYONE_LABELSTUDIO_LS_VERSION="$ls" \
      "$COMPAT/fo-$fo/bin/python" -m pytest -p no:cacheprovider -q -rfE \
      $TESTS >"$out.log" 2>&1
    rc=$?
    {
      echo "fiftyone=$fo"
      echo "labelstudio=$ls"
      echo "rc=$rc"
      echo "seconds=$(( $(date +%s) - start ))"
      grep -E "^(FAILED|ERROR) " "$out.log" | sed 's/^/failure=/' || true
      tail -1 "$out.log" | sed 's/^/summary=/'
      grep -m1 "Label Studio server used" "$out.log" | sed 's/^/server=/'
    } >"$out"
    cat "$out" >&2
  done
done
"$PY" "$REPO/scripts/compat_table.py" "$RESULTS" "$REPO/README.md"
