#!/usr/bin/env bash
# The benchmark command: installs what is missing, starts ONE fresh Label
# Studio (private data dir, free port) and a private FiftyOne database, runs
# bench/run.py, writes bench/results/latest.json and latest.md, and stops
# the server.
#
# Usage: bash scripts/bench.sh [--sizes 1000,10000,50000] [--quick]
#                              [--profile] [--repeat 3] [--only ...]
#                              [--db postgresql] [--changed 0.01]
#   --db postgresql    Label Studio on a private PostgreSQL cluster
#                      (scripts/pg_server.py; what N >= 50k should use)
#   BENCH_PORT=18105   use this port instead of a free one
#   BENCH_SKIP_SETUP=1 do not run scripts/setup.sh (already set up)
#   FIFTYONE_LABELSTUDIO_BENCH_DIR   where images are cached and the run's
#                      server and database live (default
#                      ~/.local/share/fiftyone-labelstudio/bench)
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${FIFTYONE_LABELSTUDIO_HOME:-$HOME/.local/share/fiftyone-labelstudio}"
BENCH_HOME="${FIFTYONE_LABELSTUDIO_BENCH_DIR:-$HOME_DIR/bench}"
PY="$HOME_DIR/venv/bin/python"

DB=sqlite
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB="$2"; shift 2 ;;
    --db=*) DB="${1#--db=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ -n "${BENCH_SKIP_SETUP:-}" ]; then
  :  # (a worktree sharing another checkout's editable install)
elif [ "$DB" = postgresql ]; then
  bash "$REPO/scripts/setup.sh" --postgres || exit 1
else
  bash "$REPO/scripts/setup.sh" || exit 1
fi

RUN_DIR="$BENCH_HOME/run"
FILES_ROOT="$BENCH_HOME/files"   # the server's local-files root
LS_DIR="$RUN_DIR/label-studio"
# Servers left by an interrupted run of this script (stopped by their PID)
"$PY" "$REPO/scripts/ls_server.py" stop --data-dir "$LS_DIR" || true
"$PY" "$REPO/scripts/mongo_server.py" stop --dbpath "$RUN_DIR/fodb" || true
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR" "$FILES_ROOT/img"

cleanup() {
  "$PY" "$REPO/scripts/ls_server.py" stop --data-dir "$LS_DIR" || true
  "$PY" "$REPO/scripts/mongo_server.py" stop --dbpath "$RUN_DIR/fodb" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Only for seeding annotations (POST /import/predictions, which annotate()
# does not use): the batch path without per-prediction LabelInterface
# validation, ~10x faster on 1.23.2
export fflag_fix_back_4620_memory_efficient_predictions_import_08012025_short=true
exports="$("$PY" "$REPO/scripts/ls_server.py" start --port "${BENCH_PORT:-0}" \
  --data-dir "$LS_DIR" --files-root "$FILES_ROOT" --db "$DB")" || exit 1
eval "$exports"
echo "Label Studio at $LS_URL (pid $LS_PID, data $LS_DIR)" >&2

# A MongoDB of our own: with only FIFTYONE_DATABASE_DIR set, FiftyOne
# attaches to ANY running FiftyOne database service of this user (it
# matches the service's command line, not its --dbpath), e.g. an open App
# (scripts/mongo_server.py: free port, waits until it answers; log in fodb/)
mongo_exports="$("$PY" "$REPO/scripts/mongo_server.py" start \
  --dbpath "$RUN_DIR/fodb")" || exit 1
eval "$mongo_exports"
echo "MongoDB at $MONGO_URI (pid $MONGO_PID)" >&2

# Never let a developer's own server or database leak into the run
unset FIFTYONE_LABELSTUDIO_URL FIFTYONE_LABELSTUDIO_API_KEY \
  FIFTYONE_DATABASE_URI LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED \
  LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT
export LS_URL LS_TOKEN
export BENCH_FILES_ROOT="$FILES_ROOT" BENCH_IMAGES_DIR="$FILES_ROOT/img"
export FIFTYONE_DATABASE_DIR="$RUN_DIR/fodb" FIFTYONE_DO_NOT_TRACK=true
export FIFTYONE_DATABASE_URI="$MONGO_URI"
export FIFTYONE_DATABASE_VALIDATION=false

export BENCH_DB="$DB"
"$PY" "$REPO/bench/run.py" "${args[@]}"
