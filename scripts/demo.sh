#!/usr/bin/env bash
# The demo: installs what is missing, then starts Label Studio and the
# FiftyOne App with this plugin on a dataset of real photos. Ctrl-C stops both.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${FIFTYONE_LABELSTUDIO_HOME:-$HOME/.local/share/fiftyone-labelstudio}"
bash "$REPO/scripts/setup.sh"
exec "$HOME_DIR/venv/bin/python" "$REPO/scripts/demo.py"
