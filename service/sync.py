"""Live sync of a run for the operator and the panel: start it (a long,
delegated call), stop it, and describe its state as plain, JSON-ready
values (``backend.sync``; the state is read from ``backend.sync_state``,
which stores nothing secret)."""

from dataclasses import dataclass, field

from ..backend import sync as live_sync
from ..backend import sync_state
from .connection import Credentials

DEFAULT_EVERY = 10  # seconds
DEFAULT_HOURS = 8.0  # a sync nobody stops ends after a working day


@dataclass
class Sync:
    """What the sync form resolved."""

    anno_key: str = None
    every: float = DEFAULT_EVERY
    hours: float = DEFAULT_HOURS
    credentials: Credentials = field(default=None, repr=False)


def run(dataset, request: Sync, report, delegated: bool = False) -> dict:
    """Runs the live sync until it ends, reporting each round as
    ``report(fraction annotated, what changed)``; returns its
    :func:`summary`."""

    def _on_round(change):
        done = change["tasks"] - change["unfinished"]
        report(
            done / change["tasks"] if change["tasks"] else None,
            describe_change(change),
            force=True,
        )

    doc = live_sync.sync(
        dataset,
        request.anno_key,
        every=float(request.every or DEFAULT_EVERY),
        until=float(request.hours or DEFAULT_HOURS) * 3600.0,
        on_round=_on_round,
        **request.credentials.kwargs(),
    )
    return summary(doc)


def is_running(dataset, anno_key) -> bool:
    """Whether a live sync of the run is alive."""
    return bool((sync_state.get(dataset, anno_key) or {}).get("alive"))


def stop(dataset, anno_key) -> bool:
    """Asks the run's live sync to stop (it ends within a second, or after
    its current load); False when none is running."""
    return live_sync.stop_sync(dataset, anno_key)


_ENDED = {
    sync_state.COMPLETED: "every task has an annotation",
    sync_state.DEADLINE: "its time ran out",
    sync_state.STOPPED: "it was stopped",
    sync_state.LOST: "another sync took over",
    sync_state.FAILED: "Label Studio failed to answer",
}


def describe_change(change) -> str:
    """One line for a round: what it read and what changed."""
    if not change:
        return ""
    labels = ", ".join(
        "%s %d -> %d" % (f, c["before"], c["after"])
        for f, c in sorted((change.get("labels") or {}).items())
    )
    return "%d tasks read (%s); %d/%d annotated; labels: %s" % (
        change.get("tasks_read", 0),
        "only changes" if change.get("incremental") else "all",
        change.get("tasks", 0) - change.get("unfinished", 0),
        change.get("tasks", 0),
        labels or "none",
    )


def summary(doc) -> dict:
    """A sync document as plain, JSON-ready values."""
    state = doc.get("state") or ""
    if state == sync_state.RUNNING and not doc.get("alive"):
        state = "stopped answering"
    last = doc.get("last_sync")
    return {
        "anno_key": doc.get("anno_key") or "",
        "state": _ENDED.get(state, state),
        "running": bool(doc.get("alive")),
        "rounds": int(doc.get("rounds") or 0),
        "last_sync": last.strftime("%Y-%m-%d %H:%M:%S UTC") if last else "",
        "last_change": describe_change(doc.get("last_change")),
        "last_error": doc.get("last_error") or "",
    }


def rows(dataset, keys) -> list:
    """The panel's rows of the syncs of runs ``keys``, newest first."""
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
