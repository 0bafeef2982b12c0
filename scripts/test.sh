#!/usr/bin/env bash
# The test command: installs what is missing, then runs the whole suite.
# The suite starts a real Label Studio server and FiftyOne's MongoDB itself
# (tests/conftest.py) and stops them when it ends.
# Usage: bash scripts/test.sh [pytest args]
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${FIFTYONE_LABELSTUDIO_HOME:-$HOME/.local/share/fiftyone-labelstudio}"
bash "$REPO/scripts/setup.sh" --browser --postgres || exit 1
cd "$REPO"
# Never let a developer's own server or database leak into the tests
unset FIFTYONE_LABELSTUDIO_URL FIFTYONE_LABELSTUDIO_API_KEY FIFTYONE_DATABASE_URI
"$HOME_DIR/venv/bin/python" -m pytest -p no:cacheprovider tests "$@"
rc=$?
if [ "$rc" = 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$rc"
