"""Reads a video run back: FiftyOne's ``download_annotations`` answer.

One task per video sample (``converters.video_tasks``). Frame labels are
addressed by frame id, as FiftyOne's ``load_annotations`` wants:
``{field: {return type: {sample id: {frame id: {label id: Label}}}}}``
(frame fields) or ``{sample id: {label id: Label}}`` / ``{"scalar":
{sample id: value}}`` (video-level fields). ``unexpected`` as for images;
video labels of unknown classes load into their field.
"""

from collections import Counter
from typing import Tuple

import fiftyone.core.utils as fou

from ..converters.video_tasks import (
    RETURN_TYPES,
    is_frame_field,
    video_task_to_labels,
)
from . import run_tasks
from .kept_labels import as_labels
from .load_options import LoadOptions, LoadReport
from .load_tally import generic, log
from .project import call
from .task_labels import task_read_error


def download_video(results, options: LoadOptions) -> Tuple[dict, LoadReport]:
    """``(answer, report)`` of a video run (every task is read)."""
    config = results.config
    schema = config.label_schema
    # the run's own tasks (a project can hold other runs' tasks);
    # annotations only: no prediction objects
    tasks = call(
        results,
        lambda c, pid: run_tasks.export_run_tasks(
            c, results, predictions=False, stream=True
        ),
    )
    annotator_id = run_tasks.annotator_id(
        results, options.annotator_of(results)
    )
    chosen, counts, num_tasks = run_tasks.choose_tasks(
        results, tasks, annotator_id
    )
    frames = _frame_ids(results, list(chosen))

    annotations = {field: {} for field in schema}
    problems, keep = Counter(), {}
    with fou.ProgressBar(
        total=len(chosen), progress=config.progress, iters_str="tasks"
    ) as pb:
        for sample_id, (task, source, _) in pb(chosen.items()):
            by_number, frame_count = frames.get(sample_id, ({}, None))
            try:
                labels, task_problems, unreadable = video_task_to_labels(
                    task.get("data"),
                    source.get("result") or [],
                    schema,
                    frame_count,
                )
            except Exception as e:
                raise task_read_error(task, sample_id, results.key, e) from e
            for from_name, _, reason in task_problems:
                problems[(from_name, generic(reason))] += 1
            for field, ids in unreadable.items():
                keep.setdefault(field, {})[sample_id] = ids
            for field, by_type in labels.items():
                for return_type, value in by_type.items():
                    if is_frame_field(field):
                        value = _by_frame_id(value, by_number, field, problems)
                    # nothing to add: deletions follow from the id map (an
                    # empty dict would turn a None field into an empty list)
                    if value is None or value == {}:
                        continue
                    out = annotations[field].setdefault(return_type, {})
                    out[sample_id] = value

    # uploaded labels with nothing to come back from stay as they are,
    # except in per-annotator fields (annotators.py): those hold only what
    # that person annotated
    for field in schema:
        for sample_id in results.id_map.get(field) or {}:
            if sample_id not in chosen and not options.only_annotated:
                keep.setdefault(field, {})[sample_id] = None
    kept = _keep_current(results, annotations, keep)
    if kept:
        counts["uploaded labels left as they are"] = kept
    log(results, num_tasks, counts, problems)
    report = LoadReport(num_tasks=num_tasks, counts=counts, problems=problems)
    return annotations, report


def _frame_ids(results, sample_ids) -> dict:
    """``{sample id: ({frame number: frame id}, frame count)}``."""
    if not sample_ids:
        return {}
    view = results.samples._root_dataset.select(sample_ids)
    ids, numbers, frame_ids, counts = view.values(
        [
            "id",
            "frames.frame_number",
            "frames.id",
            "metadata.total_frame_count",
        ]
    )
    return {
        s: (dict(zip(n or [], f or [])), c)
        for s, n, f, c in zip(ids, numbers, frame_ids, counts)
    }


def _by_frame_id(value, by_number, field, problems) -> dict:
    out = {}
    for number, labels in value.items():
        frame_id = by_number.get(number)
        if frame_id is None:
            problems[(field, "labels on a frame the video does not have")] += 1
            continue
        out[frame_id] = labels
    return out


def _keep_current(results, annotations, keep) -> int:
    """Puts the current FiftyOne labels named in ``keep`` (``{field:
    {sample id: label ids, or None for every uploaded one}}``) into the
    answer, so that the merge leaves them alone."""
    dataset = results.samples._root_dataset
    kept = 0
    for field, per_sample in keep.items():
        info = results.config.label_schema[field]
        uploaded = results.id_map.get(field) or {}
        view = dataset.select(sorted(per_sample))
        if info["type"] == "scalar":
            for sample_id, value in zip(*view.values(["id", field])):
                if value is not None and sample_id in uploaded:
                    out = annotations[field].setdefault("scalar", {})
                    out.setdefault(sample_id, value)
                    kept += 1
            continue
        out = annotations[field].setdefault(RETURN_TYPES[info["type"]], {})
        if is_frame_field(field):
            ids, frame_ids, values = view.values(["id", "frames.id", field])
            for sample_id, fids, frame_values in zip(ids, frame_ids, values):
                wanted = _wanted(per_sample[sample_id], uploaded, sample_id)
                mine = {}
                for frame_id, value in zip(fids, frame_values or []):
                    for label in as_labels(value):
                        if label.id in wanted:
                            mine.setdefault(frame_id, {})[label.id] = label
                            kept += 1
                for frame_id, labels in mine.items():
                    out.setdefault(sample_id, {}).setdefault(
                        frame_id, {}
                    ).update(labels)
        else:
            for sample_id, value in zip(*view.values(["id", field])):
                wanted = _wanted(per_sample[sample_id], uploaded, sample_id)
                for label in as_labels(value):
                    if label.id in wanted:
                        out.setdefault(sample_id, {})[label.id] = label
                        kept += 1
    return kept


def _wanted(ids, uploaded, sample_id) -> set:
    if ids is not None:
        return set(ids)
    sent = uploaded.get(sample_id)
    out = set()
    for ids in (sent.values() if isinstance(sent, dict) else [sent]):
        out.update(ids if isinstance(ids, list) else [ids])
    return out
