"""The live-sync section of the runs panel: one row per sync of the
dataset (running or ended; ``service.sync.rows``), with a Stop row
action."""

import fiftyone.operators.types as types

COLUMNS = [
    ("anno_key", "Run"),
    ("status", "Live sync"),
    ("last_sync", "Last synced (UTC)"),
    ("last_change", "What changed"),
]


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
