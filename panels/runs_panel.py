"""The ``labelstudio_runs`` panel: every Label Studio run of the dataset,
with its project, fields, size, progress and row actions.

Panel state holds only what is shown (keys, URLs, counts, messages): the
credentials are read per event and never stored.
"""

import re

import fiftyone.operators as foo
import fiftyone.operators.types as types

from .. import constants
from ..service import connection, runs
from ..service import sync as live_sync
from . import sync_rows
from .run_rows import (
    COLUMNS,
    NOT_CHECKED,
    fetch_status,
    render_status,
    row as _row,
    status_state,
)

# "Open in Label Studio" link buttons above the table: those of the
# newest runs, in rows of a few (a single row of many buttons would widen
# the panel and push the table's actions out of sight); the row action
# "Open in Label Studio" covers every run
_MAX_LINKS = 6
_LINKS_PER_ROW = 3
ROW_ACTIONS = [
    ("load_run", "Load annotations", "download"),
    ("open_run", "Open in Label Studio", "open_in_new"),
    ("status_run", "Status", "query_stats"),
    ("sync_run", "Live sync", "sync"),
    ("view_run", "View samples", "filter_list"),
    ("rename_run", "Rename", "edit"),
    ("delete_run", "Delete", "delete"),
]
HELP = """Lists this dataset's Label Studio annotation runs.

Start with **Request annotations**: choose samples, label fields and
classes; the samples go to a new (or an existing) Label Studio project.
Annotate there, then **Load annotations** here. **Import a Label Studio
project** loads the annotations of any project into new fields. The secrets `%s` and `%s` set the server and
your access token.""" % (
    constants.SECRET_URL,
    constants.SECRET_API_KEY,
)


def _uri(name):
    return constants.operator_uri(name)


class LabelStudioRunsPanel(foo.Panel):
    @property
    def config(self):
        return foo.PanelConfig(
            name="labelstudio_runs",
            label="Label Studio runs",
            icon="edit_note",
            surfaces="grid",
            help_markdown=HELP,
        )

    # lifecycle

    def on_load(self, ctx):
        self._refresh(ctx)

    def on_change_dataset(self, ctx):
        self._refresh(ctx)

    # buttons

    def refresh(self, ctx):
        self._refresh(ctx)

    def refresh_progress(self, ctx):
        self._refresh(ctx, with_progress=True)

    def request_annotations(self, ctx):
        ctx.prompt(_uri("request_annotations"), on_success=self.refresh)

    def import_project(self, ctx):
        ctx.prompt(_uri("import_project"), on_success=self.refresh)

    # row actions: the App sends the row index

    def load_run(self, ctx):
        self._prompt_for_row(ctx, "load_annotations")

    def sync_run(self, ctx):
        self._prompt_for_row(ctx, "sync_annotations")

    def stop_sync(self, ctx):
        """Asks the row's live sync to stop (it ends within a second, or
        after its current load)."""
        syncs = ctx.panel.get_state("syncs") or []
        row = ctx.params.get("row")
        if not isinstance(row, int) or not 0 <= row < len(syncs):
            return
        key = syncs[row].get("anno_key")
        if live_sync.stop(ctx.dataset, key):
            ctx.ops.notify("Stopping the live sync of '%s'" % key)
        else:
            ctx.ops.notify(
                "No live sync of '%s' is running" % key, variant="warning"
            )
        self._refresh(ctx)

    def open_run(self, ctx):
        self._prompt_for_row(ctx, "open_in_labelstudio")

    def status_run(self, ctx):
        """Asks Label Studio for this run's status: the row's progress
        updates, a notification says it, and the per-annotator counts and
        agreement show under the table."""
        key = self._row_key(ctx)
        if key is None:
            return
        if not runs.is_our_run(ctx.dataset, key):
            return self._gone(ctx, key)
        creds, problem = connection.get_credentials(ctx)
        progress, status = "error: %s" % problem, None
        if creds is not None:
            progress, status = fetch_status(ctx.dataset, key, creds)
        if status is not None:
            shown = status_state(status)
            ctx.panel.state.status = shown
            ctx.panel.state.status_annotators = shown["annotators"]
        rows = list(ctx.panel.get_state("runs") or [])
        for row in rows:
            if row.get("key") == key:
                row["progress"] = progress
        ctx.panel.state.runs = rows
        failed = progress.startswith("error")
        ctx.ops.notify(
            "%s: %s%s" % (key, progress, "" if failed else " annotated"),
            variant="error" if failed else "info",
        )

    def rename_run(self, ctx):
        self._prompt_for_row(ctx, "rename_annotation_run")

    def delete_run(self, ctx):
        self._prompt_for_row(ctx, "delete_annotation_run")

    def view_run(self, ctx):
        key = self._row_key(ctx)
        if key is None:
            return
        if not runs.is_our_run(ctx.dataset, key):
            return self._gone(ctx, key)
        ctx.ops.set_view(view=runs.run_view(ctx.dataset, key))

    def _prompt_for_row(self, ctx, operator_name):
        key = self._row_key(ctx)
        if key is None:
            return
        if not runs.is_our_run(ctx.dataset, key):
            return self._gone(ctx, key)
        ctx.prompt(
            _uri(operator_name),
            params={"anno_key": key},
            on_success=self.refresh,
        )

    def _row_key(self, ctx):
        rows = ctx.panel.get_state("runs") or []
        row = ctx.params.get("row")
        if not isinstance(row, int) or not 0 <= row < len(rows):
            return None
        return rows[row].get("key")

    def _gone(self, ctx, key):
        ctx.ops.notify("Run '%s' no longer exists" % key, variant="warning")
        self._refresh(ctx)

    # state

    def _refresh(self, ctx, with_progress=False):
        dataset = ctx.dataset
        old = {
            r.get("key"): r.get("progress") or NOT_CHECKED
            for r in (ctx.panel.get_state("runs") or [])
        }
        creds, problem = connection.get_credentials(ctx)
        server = None
        if creds is not None:
            # the panel's refresh always asks the server (forms trust a
            # recent check)
            with connection.Connection(creds) as conn:
                server, problem = connection.check_connection(conn, fresh=True)

        rows = []
        for key in runs.list_runs(dataset) if dataset is not None else []:
            rows.append(_row(dataset, key, old.get(key, NOT_CHECKED)))

        if with_progress and server is not None:
            for row in rows:
                row["progress"] = fetch_status(dataset, row["key"], creds)[0]
        status = ctx.panel.get_state("status") or {}
        if status and status.get("key") not in {r["key"] for r in rows}:
            ctx.panel.state.status = None  # its run is gone

        ctx.panel.state.runs = rows
        ctx.panel.state.syncs = (
            live_sync.rows(dataset, {r["key"] for r in rows})
            if dataset is not None
            else []
        )
        ctx.panel.state.num_runs = len(rows)
        ctx.panel.state.dataset_name = dataset.name if dataset else ""
        ctx.panel.state.server_ok = server is not None
        if server is not None:
            ctx.panel.state.server_status = "Label Studio %s at %s" % (
                server.get("version") or "",
                creds.url,
            )
        else:
            ctx.panel.state.server_status = problem or ""
        ctx.panel.set_title("Label Studio runs (%d)" % len(rows))

    # rendering

    def render(self, ctx):
        panel = types.Object()
        state = ctx.panel
        panel.md(
            "**Label Studio runs of `%s`**"
            % (state.get_state("dataset_name") or ""),
            name="header",
        )
        if state.get_state("server_ok"):
            panel.view(
                "server_status",
                types.Notice(label=state.get_state("server_status")),
            )
        else:
            panel.view(
                "server_status",
                types.Error(
                    label=state.get_state("server_status")
                    or "Label Studio is not configured",
                    description="The runs below are read from FiftyOne; "
                    "actions that need Label Studio will fail until this "
                    "is fixed.",
                ),
            )

        # two buttons a row: the row fits a half-width panel (one wide
        # row would widen the panel and push the table's actions out)
        buttons = panel.h_stack("buttons", align_x="left", gap=1, columns=2)
        buttons.btn(
            "request_annotations",
            label="Request annotations",
            icon="add",
            variant="contained",
            on_click=self.request_annotations,
        )
        buttons.btn(
            "import_project",
            label="Import a Label Studio project",
            icon="move_to_inbox",
            variant="outlined",
            on_click=self.import_project,
        )
        buttons.btn(
            "refresh_progress",
            label="Refresh progress",
            icon="sync",
            variant="outlined",
            on_click=self.refresh_progress,
        )
        buttons.btn(
            "refresh",
            label="Refresh",
            icon="refresh",
            variant="outlined",
            on_click=self.refresh,
        )

        rows = state.get_state("runs") or []
        if not rows:
            panel.md(_EMPTY, name="empty")
        else:
            self._render_links(panel, rows)
            table = types.TableView(max_inline_actions=2)
            for key, label in COLUMNS:
                table.add_column(key, label=label)
            for name, label, icon in ROW_ACTIONS:
                table.add_row_action(
                    name,
                    getattr(self, name),
                    label=label,
                    icon=icon,
                    tooltip=label,
                )
            # above the table: in sight even when the table is long
            status = state.get_state("status")
            if status:
                render_status(panel, status)
            panel.list("runs", types.Object(), view=table, label="Runs")
            sync_rows.render(
                panel, state.get_state("syncs") or [], self.stop_sync
            )
        return types.Property(
            panel, view=types.GridView(orientation="vertical", gap=2)
        )

    def _render_links(self, panel, rows):
        linked = [r for r in rows if r.get("project_url")]
        linked = sorted(linked, key=_newness)
        linked = linked[-_MAX_LINKS:][::-1]  # newest first
        if not linked:
            return
        links = panel.h_stack(
            "project_links", align_x="left", gap=1, columns=_LINKS_PER_ROW
        )
        for i, row in enumerate(linked):
            links.view(
                "open_project_%d" % i,
                types.Button(
                    label="Open %s" % row["key"],
                    href=row["project_url"],
                    icon="open_in_new",
                    variant="outlined",
                    componentsProps={
                        "button": {
                            "target": "_blank",
                            "rel": "noopener noreferrer",
                        }
                    },
                ),
            )


def _newness(row):
    """Sort key: creation time, then the key with numbers as numbers
    (labelstudio_9 before labelstudio_10)."""
    parts = re.split(r"(\d+)", row.get("key") or "")
    natural = [(p.isdigit(), int(p) if p.isdigit() else p) for p in parts]
    return (row.get("created") or "", natural)


_EMPTY = """No Label Studio runs on this dataset yet.

1. Select samples in the grid (or use a view), then click
   **Request annotations** and choose the label fields and classes.
2. Annotate in Label Studio (the run's project opens from this panel).
3. Come back and use **Load annotations** on the run's row.

Annotations made in any Label Studio project can also come in as new
fields: **Import a Label Studio project**."""
