"""Loading a run's annotations back: the latest annotation of each task,
one person's, or every person's into fields of their own
(``backend.annotators``). Returns plain result dicts.
"""

from dataclasses import dataclass, field

from ..backend.annotators import load_all_annotators, load_annotator
from ..backend.bulk_load import load_with_report
from ..backend.locks import run_lock
from . import runs
from .connection import Credentials
from .delete import cleanup
from .label_counts import fields_with_prefixes, label_counts

LATEST = "latest"
# the "which annotation" choice that loads every annotator
EVERY_ANNOTATOR = "__every_annotator__"


@dataclass
class Load:
    """Everything the load form resolved; ``annotator`` is None for the
    latest annotation of each task."""

    ok: bool = False
    anno_key: str = None
    num_samples: int = 0
    dest_field: dict = None
    unexpected: str = "keep"
    annotator: str = None
    cleanup: bool = False
    full: bool = False
    credentials: Credentials = field(default=None, repr=False)


def load(dataset, load: Load, report, delegated: bool = False) -> dict:
    """Runs the load described by ``load``; returns the JSON-ready
    result."""
    report(0.0, "Downloading annotations of '%s'" % load.anno_key, force=True)
    if load.annotator == EVERY_ANNOTATOR:
        result = _load_every_annotator(dataset, load, report)
    else:
        result = _load_fields(dataset, load, report)
    if load.cleanup and load.annotator is not None:
        # the latest-annotation load cleans up inside load_annotations
        cleanup(dataset, load.anno_key, load.credentials)
    result.update(
        anno_key=load.anno_key,
        num_samples=load.num_samples,
        annotator=load.annotator or LATEST,
        cleanup=load.cleanup,
        last_loaded=runs.record_last_loaded(dataset, load.anno_key),
        delegated=bool(delegated),
    )
    return result


def _load_fields(dataset, load: Load, report) -> dict:
    """The latest annotations, or ``load.annotator``'s, into the run's
    fields (or ``load.dest_field``)."""
    before = label_counts(dataset, load.dest_field.values())
    if load.annotator is None:
        # One load of a run at a time (other App users, delegated workers)
        with run_lock(dataset, load.anno_key, "load"):
            with runs.uncached_results(dataset, load.anno_key):
                load_report = _load_latest(dataset, load, report)
    else:
        with runs.uncached_results(dataset, load.anno_key):
            load_annotator(
                dataset,
                load.anno_key,
                load.annotator,
                dest_field=load.dest_field or None,
                unexpected=load.unexpected,
                progress=report.fiftyone_callback("Merging"),
                **load.credentials.kwargs(),
            )
            results = runs.cached_results(dataset, load.anno_key)
            load_report = results.last_load_report()
    skipped = load_report.as_dict() if load_report is not None else {}
    after = label_counts(dataset, load.dest_field.values())
    return {
        "fields": [
            {"field": f, "labels_before": before[f], "labels_after": after[f]}
            for f in sorted(after)
        ],
        "skipped_results": skipped.get("skipped_results", 0),
        "skipped_details": skipped.get("skipped_details", []),
        "unknown_classes": skipped.get("unknown_classes_details", []),
        "tasks_read": skipped.get("tasks_read"),
        "incremental": skipped.get("incremental", False),
        "read_reason": skipped.get("reason"),
    }


def _load_latest(dataset, load: Load, report):
    # Loaded (and cached) first so that the download reports progress and
    # uses this execution's credentials; load_annotations() then reuses
    # these results
    dataset.load_annotation_results(
        load.anno_key,
        cache=True,
        progress=report.fiftyone_callback("Downloading"),
        **load.credentials.kwargs(),
    )
    _, load_report = load_with_report(
        dataset,
        load.anno_key,
        dest_field=load.dest_field or None,
        unexpected=load.unexpected,
        cleanup=load.cleanup,
        progress=report.fiftyone_callback("Merging"),
        full=load.full,
    )
    return load_report


def _load_every_annotator(dataset, load: Load, report) -> dict:
    """Every annotator's annotations into ``<field>_<annotator>``."""
    with runs.uncached_results(dataset, load.anno_key):
        schema = dataset.get_annotation_info(load.anno_key).config.label_schema
        before = label_counts(dataset, fields_with_prefixes(dataset, schema))
        loaded = load_all_annotators(
            dataset,
            load.anno_key,
            unexpected=load.unexpected,
            progress=report.fiftyone_callback("Merging"),
            **load.credentials.kwargs(),
        )
    annotators, fields = [], []
    for name, info in sorted(loaded.items()):
        written = sorted(info["fields"].values())
        counts = label_counts(dataset, written)
        annotators.append(
            {
                "annotator": name,
                "fields": ", ".join(written),
                "labels": sum(counts.values()),
            }
        )
        fields.extend(
            {
                "field": f,
                "labels_before": before.get(f, 0),
                "labels_after": counts[f],
            }
            for f in written
        )
    return {
        "annotators": annotators,
        "fields": fields,
        "fields_written": [f["field"] for f in fields],
        "skipped_results": 0,
        "skipped_details": [],
    }
