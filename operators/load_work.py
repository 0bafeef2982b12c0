"""What ``load_annotations`` does once its form is valid: the latest
annotation of each task, one person's, or every person's into fields of
their own (``backend.annotators``). Returns plain result dicts.
"""

import fiftyone.core.fields as fof

from ..backend.bulk_load import load_annotations
from ..backend.locks import run_lock
from . import label_form, runs

LATEST = "latest"
# the "which annotation" choice that loads every annotator
EVERY_ANNOTATOR = "__every_annotator__"


def load(ctx, load, report) -> dict:
    """Runs the load described by ``load`` (a ``load.Load``)."""
    dataset = ctx.dataset
    report(0.0, "Downloading annotations of '%s'" % load.anno_key, force=True)
    if load.annotator == EVERY_ANNOTATOR:
        result = _load_every_annotator(dataset, load, report)
    else:
        result = _load_fields(dataset, load, report)
    if load.cleanup and load.annotator is not None:
        # the latest-annotation load cleans up inside load_annotations
        with run_lock(dataset, load.anno_key, "cleanup"):
            runs.load_results(
                dataset, load.anno_key, load.credentials
            ).cleanup()
    result.update(
        anno_key=load.anno_key,
        num_samples=load.num_samples,
        annotator=load.annotator or LATEST,
        cleanup=load.cleanup,
        last_loaded=runs.record_last_loaded(dataset, load.anno_key),
        delegated=bool(ctx.delegated),
    )
    return result


def _load_fields(dataset, load, report) -> dict:
    """The latest annotations, or ``load.annotator``'s, into the run's
    fields (or ``load.dest_field``)."""
    before = label_counts(dataset, load.dest_field.values())
    cache = dataset._annotation_cache
    try:
        if load.annotator is None:
            results = _load_latest(dataset, load, report)
        else:
            from ..backend.annotators import load_annotator

            cache.pop(load.anno_key, None)
            dataset.reload()
            load_annotator(
                dataset,
                load.anno_key,
                load.annotator,
                dest_field=load.dest_field or None,
                unexpected=load.unexpected,
                progress=report.fiftyone_callback("Merging"),
                **load.credentials.kwargs(),
            )
            results = cache.get(load.anno_key)
    finally:
        # the cached results hold the key: keep nothing secret in memory
        cache.pop(load.anno_key, None)
    skipped = getattr(results, "_load_report", None) or {}
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


def _load_latest(dataset, load, report):
    cache = dataset._annotation_cache
    # One load of a run at a time (other App users, delegated workers)
    with run_lock(dataset, load.anno_key, "load"):
        # Another execution may have saved the run meanwhile (the App
        # shares one dataset object between executions): read it afresh
        dataset.reload()
        # Loaded (and cached) first so that the download reports
        # progress and uses this execution's credentials;
        # load_annotations() then reuses these results
        cache.pop(load.anno_key, None)
        results = dataset.load_annotation_results(
            load.anno_key,
            cache=True,
            progress=report.fiftyone_callback("Downloading"),
            **load.credentials.kwargs(),
        )
        load_annotations(
            dataset,
            load.anno_key,
            dest_field=load.dest_field or None,
            unexpected=load.unexpected,
            cleanup=load.cleanup,
            progress=report.fiftyone_callback("Merging"),
            full=load.full,
        )
    return results


def _load_every_annotator(dataset, load, report) -> dict:
    """Every annotator's annotations into ``<field>_<annotator>``."""
    from ..backend.annotators import load_all_annotators

    cache = dataset._annotation_cache
    cache.pop(load.anno_key, None)
    dataset.reload()
    schema = dataset.get_annotation_info(load.anno_key).config.label_schema
    before = label_counts(dataset, _fields_with_prefixes(dataset, schema))
    try:
        loaded = load_all_annotators(
            dataset,
            load.anno_key,
            unexpected=load.unexpected,
            progress=report.fiftyone_callback("Merging"),
            **load.credentials.kwargs(),
        )
    finally:
        cache.pop(load.anno_key, None)
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


def _fields_with_prefixes(dataset, schema) -> list:
    """Fields named ``<schema field>_...`` (earlier per-annotator loads)."""
    names = list(dataset.get_field_schema())
    if dataset._has_frame_fields():
        names += ["frames." + n for n in dataset.get_frame_field_schema()]
    prefixes = tuple("%s_" % f for f in schema or {})
    return [n for n in names if prefixes and n.startswith(prefixes)]


def label_counts(dataset, fields) -> dict:
    return {name: count_labels(dataset, name) for name in fields}


def count_labels(dataset, name) -> int:
    """Labels in a field (list fields count their items)."""
    if not dataset.has_field(name):
        return 0
    field = dataset.get_field(name)
    path = name
    if isinstance(field, fof.EmbeddedDocumentField):
        attr = label_form.LIST_ATTR.get(field.document_type)
        if attr:
            path = "%s.%s" % (name, attr)
    try:
        return int(dataset.count(path))
    except Exception:
        return 0
