"""The import tasks of an image run: one per sample, built as they go.

Each task carries the sample's media URL, its existing labels as an
editable prediction (``converters.task_build.sample_to_task``) and, with a
``predictions_field``, the model's scored prediction. The id_map records
which existing labels were sent, read from the built task's structures
the same way a load reads them (``converters.checks.sent_ids``).
"""

from ..converters.checks import sent_ids
from ..converters.names import control_name
from ..converters.task_build import META_KEY, sample_to_task
from .label_reads import (
    chunked_values,
    is_list_label,
    label_ids,
    labels_of,
    read_mask_files,
)
from .predictions import ModelPredictions

_MASK_TYPES = ("instance", "instances", "segmentation")


def build_image_tasks(samples, plan, media_urls, config) -> tuple:
    """``(tasks, id_map)``: one task per sample (existing labels as its
    prediction) and the id_map of the existing labels that were sent.

    The tasks are a generator, built while the import consumes them (only
    about two import batches of task JSON are in memory); ``id_map`` is
    complete once it is exhausted. The labels are read in chunks as the
    tasks are built, so that the reads also overlap the import requests.
    """
    schema = config.label_schema
    existing = [
        f
        for f, i in schema.items()
        if i.get("existing_field") and config.send_existing_labels
    ]
    values = {
        f: chunked_values(samples, plan.sample_ids, f, schema[f])
        for f in existing
    }
    id_map = {f: {} for f in existing}
    model = None
    if getattr(config, "predictions_map", None):
        model = ModelPredictions(samples, plan.sample_ids, config)
    tasks = _generate_tasks(plan, media_urls, schema, values, id_map, model)
    return tasks, id_map


def _generate_tasks(plan, media_urls, schema, values, id_map, model=None):
    existing = list(values)
    controls = {f: control_name(f) for f in existing}
    masks = [f for f in existing if schema[f]["type"] in _MASK_TYPES]
    needs_ids = any(schema[f].get("type") != "scalar" for f in existing)
    for i, sample_id in enumerate(plan.sample_ids):
        # sent labels (and masks) go with field_labels
        field_labels = {f: next(values[f]) for f in existing}
        for field in masks:
            if field_labels[field] is not None:
                read_mask_files(labels_of(field_labels[field]))
        width, height = plan.sizes[sample_id]
        task = sample_to_task(
            sample_id,
            media_urls[i],
            plan.refs[i],
            field_labels,
            schema,
            width,
            height,
        )
        task_ids = _ids_in(task) if needs_ids else set()
        for field in existing:
            sent = _sent_ids(
                task,
                task_ids,
                field_labels[field],
                controls[field],
                schema[field],
            )
            if sent is not None:
                id_map[field][sample_id] = sent
        if model is not None:  # the model's scored prediction
            model.add(task, sample_id, width, height)
        yield task


def _ids_in(task) -> set:
    """The label ids the task carries: its prediction's region ids and
    its task-data ``class_ids`` and ``hints`` (what a load trusts)."""
    results = [
        r for p in task.get("predictions") or [] for r in p.get("result") or []
    ]
    meta = task["data"].get(META_KEY) or {}
    class_ids = meta.get("class_ids") or {}
    hints = meta.get("hints") or {}
    ids = sent_ids(results, None, None)
    for field in set(class_ids) | set(hints):
        ids |= sent_ids([], class_ids.get(field), hints.get(field))
    return ids


def _sent_ids(task, task_ids, value, control, label_info):
    """What ``id_map`` records for one sample and field: the ids of the
    existing labels that are in the task, or True for a sent scalar."""
    if value is None:
        return None

    results = [
        r
        for p in task.get("predictions") or []
        for r in p.get("result") or []
        if r.get("from_name") == control
    ]
    if label_info.get("type") == "scalar":
        return True if results else None

    ids = [i for i in label_ids(value) if i in task_ids]
    if not ids:
        return None
    return ids if is_list_label(value) else ids[0]
