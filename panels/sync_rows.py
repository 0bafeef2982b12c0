"""The live-sync section of the runs panel: one row per sync of the
dataset (running or ended), read from MongoDB (``backend.sync_state``),
with a Stop row action."""

import fiftyone.operators.types as types

from ..backend import sync_state
from ..operators.sync import summary

COLUMNS = [
    ("anno_key", "Run"),
    ("status", "Live sync"),
    ("last_sync", "Last synced (UTC)"),
    ("last_change", "What changed"),
]


def rows(dataset, keys) -> list:
    """Plain rows of the syncs of runs ``keys``, newest first (no
    secrets: none are stored)."""
    out = []
    for doc in sync_state.list_for_dataset(dataset):
        if doc.get("anno_key") not in keys:
            continue
        s = summary(doc)
        status = "running (%d loads)" % s["rounds"]
        if not s["running"]:
            status = "ended: %s" % s["state"]
        if s["last_error"]:
            status += "; last error: %s" % s["last_error"][:120]
        out.append(
            {
                "anno_key": s["anno_key"],
                "running": s["running"],
                "status": status,
                "last_sync": s["last_sync"].replace(" UTC", "") or "never",
                "last_change": s["last_change"] or "nothing yet",
            }
        )
    return out


def render(panel, sync_rows, stop_handler) -> None:
    """The section under the runs table (nothing when no sync ran)."""
    if not sync_rows:
        return
    table = types.TableView()
    for key, label in COLUMNS:
        table.add_column(key, label=label)
    table.add_row_action(
        "stop_sync",
        stop_handler,
        label="Stop",
        icon="stop_circle",
        tooltip="Stop this live sync (after its current load)",
    )
    panel.list("syncs", types.Object(), view=table, label="Live syncs")
