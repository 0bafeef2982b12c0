"""Requesting annotations: what a request holds, and sending it (the
samples become tasks of a new or an existing Label Studio project)."""

from dataclasses import dataclass, field

from .. import constants
from ..backend import fast_annotate
from ..backend.locks import run_lock
from . import runs
from .connection import Credentials


@dataclass
class Request:
    """Everything the form resolved; ``ok`` is False when it has errors."""

    ok: bool = False
    target: object = None
    num_samples: int = 0
    anno_key: str = None
    label_schema: dict = None
    project_name: str = None
    project_id: int = None
    media_field: str = "filepath"
    media_mode: str = "auto"
    send_existing: bool = True
    polylines_as_polygons: bool = False
    open_after: bool = True
    cloud_storage_id: int = None
    predictions: dict = None  # annotate() kwargs (predictions_form)
    credentials: Credentials = field(default=None, repr=False)
    # the cloud secrets that are set (env names), for this execution only
    cloud_credentials: dict = field(default=None, repr=False)


def send(dataset, req: Request, report, delegated: bool = False) -> dict:
    """Sends ``req.target`` (samples of ``dataset``) to Label Studio as
    run ``req.anno_key``; returns the JSON-ready result."""
    report(0.0, "Sending %d samples" % req.num_samples, force=True)
    # Two requests for one new key at once: the second waits, then fails
    # on "already has an annotation run" instead of replacing the first
    with run_lock(dataset, req.anno_key, "request"):
        with runs.uncached_results(dataset, req.anno_key):
            # FiftyOne's annotate() without its full label scan for
            # attributes (the same run otherwise)
            fast_annotate.annotate(
                req.target,
                req.anno_key,
                backend=constants.BACKEND_NAME,
                config_cls=constants.CONFIG_CLS,
                label_schema=req.label_schema,
                media_field=req.media_field,
                project_name=req.project_name,
                project_id=req.project_id,
                media_mode=req.media_mode,
                launch_editor=False,
                progress=report.fiftyone_callback("Sending to Label Studio"),
                **_annotate_kwargs(req),
            )

    summary = runs.run_summary(dataset, req.anno_key)
    return {
        "anno_key": req.anno_key,
        "num_samples": req.num_samples,
        "label_fields": sorted(req.label_schema),
        "project_name": summary["project_name"],
        "project_id": summary["project_id"],
        "project_url": summary["project_url"],
        "existing_project": req.project_id is not None,
        "open_in_labelstudio": req.open_after,
        "delegated": bool(delegated),
    }


def _annotate_kwargs(req: Request) -> dict:
    """The backend options of the request, with this execution's
    credentials."""
    kwargs = dict(req.credentials.kwargs())
    if not req.send_existing:
        kwargs["send_existing_labels"] = False
    if req.cloud_credentials:
        kwargs["cloud_credentials"] = dict(req.cloud_credentials)
    if req.cloud_storage_id is not None:
        kwargs["cloud_storage_id"] = req.cloud_storage_id
    kwargs.update(req.predictions or {})
    if req.polylines_as_polygons:
        kwargs["polylines_as_polygons"] = True
    return kwargs
