"""``sync_annotations``: live sync of a run, as a delegated operation.

The operation runs ``service.sync.run`` on a delegated worker (it may
last hours: the App schedules it, never runs it in its own request) and
reports each round as its progress; the runs panel shows the sync and
stops it. Credentials come from the worker's secrets per execution.
"""

import fiftyone.operators as foo
import fiftyone.operators.types as types
from fiftyone.operators.executor import ExecutionOptions

from ..service import runs
from ..service import sync as live_sync
from ..service.connection import get_credentials
from . import execution, forms


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
        forms.check_credentials(ctx, inputs)
        key = forms.run_key(ctx, inputs)
        if key and runs.is_our_run(ctx.dataset, key):
            if live_sync.is_running(ctx.dataset, key):
                forms.error(
                    inputs,
                    "already_running",
                    "A live sync of '%s' is already running" % key,
                    "Stop it from the Label Studio runs panel first",
                )
        inputs.int(
            "every",
            default=live_sync.DEFAULT_EVERY,
            min=1,
            label="Seconds between two loads",
            description="Each load reads only the tasks changed since the "
            "previous one",
        )
        inputs.float(
            "hours",
            default=live_sync.DEFAULT_HOURS,
            min=0.01,
            label="Stop after (hours)",
            description="It also stops when every task has an annotation, "
            "or from the runs panel",
        )
        return forms.titled(inputs, "Label Studio: live sync")

    def execute(self, ctx):
        creds, problem = get_credentials(ctx)
        if problem:
            raise ValueError(problem)
        request = live_sync.Sync(
            anno_key=ctx.params["anno_key"],
            every=float(ctx.params.get("every") or live_sync.DEFAULT_EVERY),
            hours=float(ctx.params.get("hours") or live_sync.DEFAULT_HOURS),
            credentials=creds,
        )
        # not execution.run_work: its delegated run ends on a "Done"
        # label, and a sync's last progress label says what it last did
        report = execution.ProgressReporter(
            lambda p, label: ctx.set_progress(progress=p, label=label)
        )
        return live_sync.run(ctx.dataset, request, report, delegated=True)

    def resolve_output(self, ctx):
        outputs = types.Object()
        outputs.str("anno_key", label="Annotation run")
        outputs.str("state", label="Ended because")
        outputs.int("rounds", label="Loads")
        outputs.str("last_sync", label="Last synced")
        outputs.str("last_change", label="Last change")
        return forms.titled(outputs, "Live sync")

    def __call__(
        self, dataset, anno_key, every=live_sync.DEFAULT_EVERY, hours=None
    ):
        params = {"anno_key": anno_key, "every": every}
        if hours is not None:
            params["hours"] = hours
        return self._call(dataset._root_dataset, params, delegate=True)
