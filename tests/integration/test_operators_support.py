"""Helpers for the operator and panel tests (no tests here).

Contexts are real ``ExecutionContext`` objects with an ``Executor`` that
records triggers; secrets come from the environment like in the App.
"""

import fiftyone as fo
import fiftyone.operators as foo
from fiftyone.operators.delegated import DelegatedOperationService
from fiftyone.operators.executor import (
    ExecutionContext,
    Executor,
    ValidationContext,
)

from fiftyone_labelstudio import constants
from fiftyone_labelstudio.operators import execution


def uri(name):
    return constants.operator_uri(name)


def operator(name):
    return foo.get_operator(uri(name))


def make_ctx(dataset, name, params=None, view=None, selected=None, **rp):
    """A context as the App builds it for ``name``."""
    request_params = {
        "dataset_name": dataset.name,
        "params": dict(params or {}),
    }
    if view is not None:
        request_params["view"] = view._serialize()
    if selected:
        request_params["selected"] = list(selected)
    request_params.update(rp)
    op = operator(name)
    return ExecutionContext(
        request_params=request_params,
        executor=Executor(),
        operator_uri=uri(name),
        required_secrets=op._plugin_secrets,
    )


def resolve(dataset, name, params=None, **kw):
    """Returns ``(properties, {path: error})`` of the operator's form."""
    op = operator(name)
    ctx = make_ctx(dataset, name, params, **kw)
    inputs = op.resolve_input(ctx)
    validation = ValidationContext(ctx, inputs, op)
    errors = {e.path.lstrip("."): e.reason for e in validation.errors}
    return inputs.type.properties, errors


def triggered(ctx_or_executor):
    executor = getattr(ctx_or_executor, "executor", ctx_or_executor)
    return [(r.operator_uri, r.params) for r in executor._requests]


def run(name, dataset=None, params=None, view=None, selected=None):
    """Executes immediately like ``execute_operator``; returns
    ``(result dict, ExecutionResult)``."""
    ctx = {"params": dict(params or {})}
    if view is not None:
        ctx["view"] = view
    else:
        ctx["dataset"] = dataset
    if selected:
        ctx["selected"] = list(selected)
    res = foo.execute_operator(uri(name), ctx)
    return execution.result_of(res), res


def queue(name, dataset, params=None, view=None):
    """Queues a delegated run; returns the operation id."""
    ctx = {"params": dict(params or {})}
    if view is not None:
        ctx["view"] = view
    else:
        ctx["dataset"] = dataset
    res = foo.execute_operator(uri(name), ctx, request_delegation=True)
    res.raise_exceptions()
    assert res.delegated
    return res.result["id"]


def run_queued(op_id, dataset_name):
    """Executes queued operations in this process; returns the op doc."""
    dos = DelegatedOperationService()
    dos.execute_queued_operations(
        operator=None, dataset_name=dataset_name, log=False
    )
    return dos.get(op_id)


def all_strings(obj):
    """Every string inside a JSON-like object (to look for secrets)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from all_strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from all_strings(v)
    elif obj is not None:
        yield str(obj)


def assert_no_secret(obj, secret):
    leaks = [s for s in all_strings(obj) if secret and secret in s]
    assert not leaks, "secret leaked: %r" % leaks[:3]


def image_dataset(dataset, paths, labels=True):
    """Fills ``dataset`` with ``paths``; some samples carry labels."""
    samples = []
    for i, path in enumerate(paths):
        sample = fo.Sample(filepath=path)
        if labels:
            sample["ground_truth"] = fo.Detections(
                detections=[
                    fo.Detection(
                        label=["cat", "dog"][i % 2],
                        bounding_box=[0.1, 0.1, 0.3 + 0.05 * i, 0.4],
                    )
                ]
            )
            sample["weather"] = fo.Classification(label=["sun", "rain"][i % 2])
        samples.append(sample)
    dataset.add_samples(samples)
    dataset.compute_metadata()
    return dataset
