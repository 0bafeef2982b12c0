"""``sync_annotations``: live sync of a run, as a delegated operation.

The operation runs ``backend.sync.sync`` on a delegated worker (it may
last hours: the App schedules it, never runs it in its own request) and
reports each round as its progress; the runs panel shows the sync and
stops it. Credentials come from the worker's secrets per execution.
"""

import fiftyone.operators as foo
import fiftyone.operators.types as types
from fiftyone.operators.executor import ExecutionOptions

from ..backend import sync as live_sync
from ..backend import sync_state
from . import execution, forms, runs

DEFAULT_EVERY = 10  # seconds
DEFAULT_HOURS = 8.0  # a sync nobody stops ends after a working day


class SyncAnnotations(execution.PythonCallable, foo.Operator):
    @property
    def config(self):
        return execution.operator_config(
            "sync_annotations",
            "Label Studio: live sync",
            "Load what annotators submit while they work, until the run "
            "is complete or stopped",
            "sync",
            allow_immediate_execution=False,
            allow_delegated_execution=True,
            default_choice_to_delegated=True,
        )

    def resolve_execution_options(self, ctx):
        return ExecutionOptions(
            allow_immediate_execution=False,
            allow_delegated_execution=True,
            default_choice_to_delegated=True,
        )

    def resolve_run_name(self, ctx):
        return "Label Studio: live sync '%s'" % ctx.params.get("anno_key", "")

    def resolve_input(self, ctx):
        inputs = types.Object()
        forms.credentials(ctx, inputs)
        key = forms.run_key(ctx, inputs)
        if key and runs.is_our_run(ctx.dataset, key):
            doc = sync_state.get(ctx.dataset, key) or {}
            if doc.get("alive"):
                forms.error(
                    inputs,
                    "already_running",
                    "A live sync of '%s' is already running" % key,
                    "Stop it from the Label Studio runs panel first",
                )
        inputs.int(
            "every",
            default=DEFAULT_EVERY,
            min=1,
            label="Seconds between two loads",
            description="Each load reads only the tasks changed since the "
            "previous one",
        )
        inputs.float(
            "hours",
            default=DEFAULT_HOURS,
            min=0.01,
            label="Stop after (hours)",
            description="It also stops when every task has an annotation, "
            "or from the runs panel",
        )
        return forms.titled(inputs, "Label Studio: live sync")

    def execute(self, ctx):
        creds, problem = runs.get_credentials(ctx)
        if problem:
            raise ValueError(problem)
        key = ctx.params["anno_key"]
        every = float(ctx.params.get("every") or DEFAULT_EVERY)
        hours = float(ctx.params.get("hours") or DEFAULT_HOURS)
        report = execution.ProgressReporter(
            lambda p, label: ctx.set_progress(progress=p, label=label),
            interval=0.0,
        )

        def _on_round(change):
            done = change["tasks"] - change["unfinished"]
            report(
                done / change["tasks"] if change["tasks"] else None,
                describe_change(change),
            )

        doc = live_sync.sync(
            ctx.dataset,
            key,
            every=every,
            until=hours * 3600.0,
            on_round=_on_round,
            **creds.kwargs(),
        )
        return summary(doc)

    def resolve_output(self, ctx):
        outputs = types.Object()
        outputs.str("anno_key", label="Annotation run")
        outputs.str("state", label="Ended because")
        outputs.int("rounds", label="Loads")
        outputs.str("last_sync", label="Last synced")
        outputs.str("last_change", label="Last change")
        return forms.titled(outputs, "Live sync")

    def __call__(self, dataset, anno_key, every=DEFAULT_EVERY, hours=None):
        params = {"anno_key": anno_key, "every": every}
        if hours is not None:
            params["hours"] = hours
        return self._call(dataset._root_dataset, params, delegate=True)


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
