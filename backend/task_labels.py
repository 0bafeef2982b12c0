"""One task's chosen annotation -> FiftyOne labels (image runs, and the
import of a project), with ids that stay the same from load to load."""

import hashlib

from ..converters.region_ids import carried_ids
from ..converters.task_read import task_to_labels
from . import groups, run_tasks
from .errors import LabelStudioBackendError


def task_read_error(
    task, sample_id, anno_key, error
) -> LabelStudioBackendError:
    """The error that stops a load when a task cannot be read at all."""
    return LabelStudioBackendError(
        "Could not read Label Studio task %s (sample %s) of run '%s': %s. "
        "Nothing was loaded" % (task.get("id"), sample_id, anno_key, error)
    )


def convert_task(
    results, task, annotator_id, raw_fields, converted: dict, counts
) -> list:
    """Converts the annotation ``task`` loads into ``converted[sample
    id]`` = ``(stamp, labels, problems, unexpected)`` (unless the sample
    already holds a newer one); returns the ids of the samples it loads
    (those of its slices for a group task; none when it loads nothing).
    ``raw_fields``: fields whose expected labels are kept as raw
    documents (the bulk merge takes them: half the memory of Label
    objects)."""
    loaded = []
    for _, part in groups.slice_tasks(results, task):
        sample_id = _convert_one(
            results, part, annotator_id, raw_fields, converted, counts
        )
        if sample_id is not None:
            loaded.append(sample_id)
    return loaded


def _convert_one(results, task, annotator_id, raw_fields, converted, counts):
    choice = run_tasks.choose_task(results, task, annotator_id, counts)
    if choice is None:
        return None
    sample_id, annotation, seed = choice
    previous = converted.get(sample_id)
    if not run_tasks.is_newer(previous and previous[0], annotation, counts):
        return sample_id
    counts["annotated"] += 1
    try:
        labels, task_problems, unexpected = task_to_labels(
            task.get("data"),
            annotation.get("result") or [],
            results.config.label_schema,
            raw_fields,
        )
    except Exception as e:
        # Skipping the task would delete the sample's labels
        raise task_read_error(task, sample_id, results.key, e) from e
    stable_new_ids(task, annotation, seed, labels, unexpected)
    # segmentations with unknown classes stay Labels: a kept class is
    # painted into them after the read
    _to_raw_documents(
        labels,
        [f for f in raw_fields if "segmentation" not in unexpected.get(f, {})],
    )
    converted[sample_id] = (
        run_tasks.annotation_stamp(annotation),
        labels,
        task_problems,
        unexpected,
    )
    return sample_id


def _to_raw_documents(labels: dict, raw_fields) -> None:
    """Replaces the labels of ``raw_fields`` by their raw documents."""
    for field in raw_fields:
        for items in (labels.get(field) or {}).values():
            if isinstance(items, dict):  # not a scalar value
                for label_id, label in items.items():
                    items[label_id] = dict(label.to_mongo())


def stable_new_ids(task, annotation, seed, labels, unexpected) -> None:
    """Gives labels that are new in Label Studio ids derived from the task,
    annotation and position (``seed``), so that loading twice changes
    nothing; ids the task carries are kept."""
    known = carried_ids(task.get("data"), annotation.get("result"))
    for group_seed, group in ((seed, labels), (seed + ":u", unexpected)):
        for name, by_type in group.items():
            for return_type, items in by_type.items():
                if not isinstance(items, dict):
                    continue  # scalar value
                renamed = {}
                for n, (label_id, label) in enumerate(list(items.items())):
                    if label_id not in known:
                        digest = hashlib.sha1(
                            (
                                "%s:%s:%s:%d"
                                % (group_seed, name, return_type, n)
                            ).encode()
                        ).hexdigest()[:24]
                        label.id = digest
                        label_id = digest
                    renamed[label_id] = label
                by_type[return_type] = renamed
