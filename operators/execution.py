"""Running long work with progress, immediately or delegated, and calling
operators from Python.

Immediate runs in the App are generators (``execute_as_generator=True``):
the work runs in a thread and the generator yields ``set_progress``
messages, which the App shows live. Delegated runs report through
``ctx.set_progress`` (stored on the queued operation). Both end with the
result dict; immediate runs deliver it with a ``show_output`` message,
which :class:`PythonCallable` hands back to Python callers.
"""

import functools
import logging
import queue
import threading
import time

import fiftyone.core.view as fov
import fiftyone.operators as foo
import fiftyone.operators.types as types
from fiftyone.operators.executor import ExecutionOptions

logger = logging.getLogger(__name__)

# Immediate runs this large are offered as background runs first
DELEGATE_ABOVE_NUM_SAMPLES = 500

# Seconds between two progress messages (the App and the database do not
# need more)
_PROGRESS_INTERVAL = 0.5


class ProgressReporter:
    """A ``report(fraction, label)`` callable, throttled."""

    def __init__(self, sink, interval=_PROGRESS_INTERVAL):
        self._sink = sink
        self._interval = interval
        self._last = 0.0

    def __call__(self, progress=None, label=None, force=False):
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        if progress is not None:
            progress = min(max(float(progress), 0.0), 1.0)
        self._sink(progress, label)

    def fiftyone_callback(self, label):
        """A ``progress=`` value for FiftyOne methods (e.g.
        ``load_annotations``): reports the progress bar's fraction."""

        def _report(pb):
            try:
                fraction = pb.progress
            except Exception:
                fraction = None
            total = getattr(pb, "total", None)
            done = getattr(pb, "iteration", None)
            text = label
            if total and done is not None:
                # e.g. "files" then "tasks": says which phase is running
                unit = getattr(pb, "_iters_str", None) or ""
                text = ("%s: %d/%d %s" % (label, done, total, unit)).strip()
            self(fraction, text)

        return _report


def run_work(ctx, action, request, outputs_fn, reload_dataset=False):
    """Runs the service call ``action(dataset, request, report, delegated)
    -> dict``; returns the dict or a generator.

    ``outputs_fn(result) -> types.Property`` describes the result for the
    App (a generator cannot use ``resolve_output``). ``reload_dataset``
    refreshes the App after an immediate run.
    """
    work = functools.partial(
        action, ctx.dataset, request, delegated=bool(ctx.delegated)
    )
    if ctx.delegated:
        report = ProgressReporter(
            lambda p, label: ctx.set_progress(progress=p, label=label)
        )
        result = work(report)
        report(1.0, "Done", force=True)
        return result

    return _run_live(ctx, work, outputs_fn, reload_dataset)


def _run_live(ctx, work, outputs_fn, reload_dataset):
    updates = queue.Queue()
    box = {}

    def _target():
        try:
            box["result"] = work(ProgressReporter(_enqueue))
        except BaseException as e:  # re-raised in the generator below
            box["error"] = e
        finally:
            updates.put(None)

    def _enqueue(progress, label):
        updates.put((progress, label))

    thread = threading.Thread(target=_target, daemon=True)
    thread.start()
    while True:
        item = updates.get()
        if item is None:
            break
        progress, label = item
        yield ctx.ops.set_progress(progress=progress, label=label)
    thread.join()

    if "error" in box:
        # The App shows an error when the stream breaks off; the label says
        # which one (an error line in the stream alone is not shown)
        error = box["error"]
        yield ctx.ops.set_progress(
            label="Failed: %s" % _first_line(error), progress=0.0
        )
        raise error

    result = box["result"]
    yield ctx.ops.set_progress(progress=1.0, label="Done")
    if reload_dataset:
        yield ctx.ops.reload_dataset()
    yield ctx.ops.show_output(outputs_fn(result).to_json(), result)


def _first_line(error, limit=200) -> str:
    text = (str(error) or type(error).__name__).splitlines()[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def result_of(execution_result):
    """The result dict of an :class:`ExecutionResult`, for generator runs
    too (taken from their ``show_output`` message)."""
    execution_result.raise_exceptions()
    if execution_result.result is not None or execution_result.delegated:
        return execution_result.result
    executor = execution_result.executor
    for request in reversed(getattr(executor, "_requests", []) or []):
        if request.operator_uri.endswith("show_output"):
            return request.params.get("results")
    return None


def delegate_by_default(num_samples: int) -> bool:
    return num_samples > DELEGATE_ABOVE_NUM_SAMPLES


def long_run_config(
    name, label, description, icon, **options
) -> foo.OperatorConfig:
    """Config of an operator whose ``execute`` returns :func:`run_work`:
    a generator when immediate, and it may be delegated."""
    return operator_config(
        name,
        label,
        description,
        icon,
        execute_as_generator=True,
        allow_delegated_execution=True,
        **options,
    )


def operator_config(
    name, label, description, icon, **options
) -> foo.OperatorConfig:
    """Config of a dynamic operator; by default it runs at once and is
    never delegated (``options`` override)."""
    settings = dict(
        dynamic=True,
        allow_immediate_execution=True,
        allow_delegated_execution=False,
    )
    settings.update(options)
    return foo.OperatorConfig(
        name=name,
        label=label,
        description=description,
        icon=icon,
        **settings,
    )


def execution_options(num_samples: int) -> ExecutionOptions:
    """Immediate or delegated; large runs are offered delegated first."""
    return ExecutionOptions(
        allow_immediate_execution=True,
        allow_delegated_execution=True,
        default_choice_to_delegated=delegate_by_default(num_samples),
    )


def run_output(ctx, outputs_fn, failed_label) -> types.Property:
    """``resolve_output`` of a :func:`run_work` operator: the result, or,
    when the run failed, an empty output that keeps the App's error
    visible."""
    if ctx.results:
        return outputs_fn(ctx.results)
    return types.Property(types.Object(), view=types.View(label=failed_label))


class PythonCallable:
    """``op(sample_collection, ..., delegate=False)`` for operators."""

    def _call(
        self,
        sample_collection,
        params,
        delegate=False,
        delegation_target=None,
        selected=None,
    ):
        if isinstance(sample_collection, fov.DatasetView):
            ctx = dict(view=sample_collection)
            params.setdefault("view_target", "CURRENT_VIEW")
        else:
            ctx = dict(dataset=sample_collection)
            params.setdefault("view_target", "DATASET")
        if selected:
            ctx["selected"] = list(selected)
            params["view_target"] = "SELECTED_SAMPLES"
        ctx["params"] = params
        res = foo.execute_operator(
            self.uri,
            ctx,
            request_delegation=delegate,
            delegation_target=delegation_target,
        )
        if delegate:
            return res
        return result_of(res)
