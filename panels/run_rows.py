"""What the runs panel shows of a run: its table row (few, short columns
so that the row actions stay visible in a half-width panel) and the
status section the Status row action fills in."""

import fiftyone.operators.types as types

from ..operators.manage import annotators_table
from ..service import runs
from ..service.status import project_status

# The "Annotated" cell until "Refresh progress" asks Label Studio
NOT_CHECKED = "not checked"

# (row key, column label); "key" must stay the bare run key (row actions
# and the browser tests find a run's row by it)
COLUMNS = [
    ("key", "Run"),
    ("project", "Label Studio project"),
    ("fields", "Fields (samples)"),
    ("progress", "Annotated"),
    ("dates", "Created / last loaded (UTC)"),
]


def row(dataset, key, progress) -> dict:
    """One table row; the raw facts stay in the row for the tests and
    the handlers (only COLUMNS are shown)."""
    try:
        s = runs.run_summary(dataset, key)
    except Exception as e:  # a broken run still gets a row
        return {
            "key": key,
            "project": "unreadable run: %s" % type(e).__name__,
            "fields": "",
            "label_fields": "",
            "num_samples": "",
            "created": "",
            "progress": progress,
            "last_loaded": "",
            "dates": "",
            "project_url": "",
        }
    if s["project_id"] is None:
        project = "none (deleted)"
    elif s["project_name"]:
        project = "%s (#%s)" % (s["project_name"], s["project_id"])
    else:
        project = "Project #%s" % s["project_id"]
    fields = ", ".join(s["label_fields"])
    num_samples = s["num_samples"] if s["num_samples"] is not None else ""
    last_loaded = s["last_loaded"] or "never"
    return {
        "key": key,
        "project": project,
        "fields": "%s (%s)" % (fields, num_samples) if fields else "",
        "label_fields": fields,
        "num_samples": num_samples,
        "created": s["created"],
        "progress": progress,
        "last_loaded": last_loaded,
        "dates": "%s / %s" % ((s["created"] or "?")[:10], _short(last_loaded)),
        "project_url": s["project_url"],
    }


def _short(stamp) -> str:
    """``2025-07-01 12:00 UTC`` -> ``2025-07-01 12:00``."""
    return (stamp or "").replace(" UTC", "")


def progress_text(status) -> str:
    """``annotated/tasks (pct%)`` of a status dict."""
    tasks, done = status.get("tasks") or 0, status.get("annotated") or 0
    pct = (100.0 * done / tasks) if tasks else 0.0
    return "%d/%d (%.0f%%)" % (done, tasks, pct)


def fetch_status(dataset, key, creds):
    """``(progress text, status dict or None)`` from Label Studio; the
    text says the problem when it failed."""
    try:
        status = project_status(dataset, key, creds)
    except Exception as e:
        return (
            "error: %s" % (str(e).splitlines()[0][:120] or type(e).__name__),
            None,
        )
    if status is None:
        return "no project", None
    return progress_text(status), status


def status_state(status: dict) -> dict:
    """What the panel keeps of a status to show it (plain values)."""
    return {
        "key": status["anno_key"],
        "summary": "%d tasks: %d annotated, %d skipped, %d not yet"
        % (
            status.get("tasks") or 0,
            status.get("annotated") or 0,
            status.get("skipped") or 0,
            status.get("unannotated") or 0,
        ),
        "annotators": [
            {
                "annotator": a["annotator"],
                "annotations": a.get("annotations", 0),
                "skipped": a.get("skipped", 0),
            }
            for a in status.get("annotators") or []
        ],
        "agreement": status.get("agreement_summary") or "",
    }


def render_status(panel, status: dict) -> None:
    """The status of one run under the table."""
    panel.md(
        "**Status of `%s`**: %s" % (status["key"], status["summary"]),
        name="status_header",
    )
    if status.get("annotators"):
        panel.list(
            "status_annotators",
            types.Object(),
            view=annotators_table(),
            label="Annotators",
        )
    if status.get("agreement"):
        panel.md(
            "Agreement (tasks annotated by 2 or more people): %s"
            % status["agreement"],
            name="status_agreement",
        )
