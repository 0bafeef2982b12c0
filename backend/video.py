"""Video runs: measuring videos, building video tasks and reading them back.

One task per video sample (``converters.video_tasks``). Frame labels are
addressed by frame id, as FiftyOne's ``load_annotations`` wants:

- id map: ``{field: {sample id: {frame id: label id(s)}}}`` for
  ``frames.<field>``; ``{field: {sample id: label id(s) | True}}`` for
  video-level fields;
- download: ``{field: {return type: {sample id: {frame id: {label id:
  Label}}}}}`` (frame fields) or ``{sample id: {label id: Label}}`` /
  ``{"scalar": {sample id: value}}`` (video-level fields).

Every frame of every video gets a frame document before upload
(``ensure_frames``, as FiftyOne's CVAT backend does) so that labels drawn
on any frame have a frame id to load into. Frame rate and frame count
come from the sample metadata; missing metadata is measured with
FiftyOne (``ffprobe``) or, without ffmpeg, OpenCV, and written only when
every video could be measured.
"""

import logging
import os
from collections import Counter

import fiftyone.core.media as fomm
import fiftyone.core.metadata as fom
import fiftyone.core.utils as fou

from ..converters.video_tasks import (
    check_video_schema,
    is_frame_field,
    video_sample_to_task,
)
from .errors import LabelStudioBackendError
from .media import is_url

logger = logging.getLogger(__name__)

_META_FIELDS = (
    "metadata.frame_rate",
    "metadata.total_frame_count",
    "metadata.frame_width",
    "metadata.frame_height",
)


def is_video(samples) -> bool:
    return samples.media_type == fomm.VIDEO


# -- prepare ----------------------------------------------------------


def prepare_video(samples, plan, label_schema, progress=None) -> None:
    """Checks the schema, measures the videos (``plan.videos``: ``{sample
    id: (frame count, fps)}``, ``plan.sizes``) and creates missing frame
    documents. Raises LabelStudioBackendError."""
    try:
        check_video_schema(label_schema)
    except ValueError as e:
        raise LabelStudioBackendError(str(e)) from None
    _drop_attributes(label_schema)

    info = _read_metadata(samples)
    missing = [s for s, v in info.items() if None in v]
    if missing:
        refs = dict(zip(plan.sample_ids, plan.refs))
        found = {s: _measure(refs.get(s)) for s in missing}
        unreadable = [s for s, meta in found.items() if meta is None]
        if unreadable:
            raise LabelStudioBackendError(
                "Could not read the frame rate and frame count of %d "
                "video(s) (e.g. %s). Check that they are videos; or set "
                "sample.metadata = fo.VideoMetadata(frame_rate=..., "
                "total_frame_count=..., frame_width=..., frame_height=...)"
                % (len(unreadable), refs.get(unreadable[0], unreadable[0]))
            )
        # written only when every video could be measured
        view = samples.select(missing)
        view.set_values("metadata", [found[i] for i in view.values("id")])
        info = _read_metadata(samples)

    plan.videos = {s: (int(v[1]), float(v[0])) for s, v in info.items()}
    plan.sizes = {s: (int(v[2]), int(v[3])) for s, v in info.items()}
    samples.ensure_frames()


def _drop_attributes(label_schema) -> None:
    """Video tasks carry no label attributes yet. The schema (stored with
    the run) must not list any: FiftyOne's merge would set the listed
    attributes of existing labels to None on load."""
    dropped = {}
    for field, info in label_schema.items():
        if info.get("attributes"):
            dropped[field] = sorted(info["attributes"])
            info["attributes"] = {}
    if dropped:
        logger.warning(
            "Label attributes are not annotated on videos yet; left as "
            "they are: %s",
            "; ".join(
                "%s: %s" % (f, ", ".join(a)) for f, a in dropped.items()
            ),
        )


def _read_metadata(samples) -> dict:
    ids, *values = samples.values(["id", *_META_FIELDS])
    return {
        sample_id: tuple(v or None for v in row)
        for sample_id, *row in zip(ids, *values)
    }


def _measure(ref):
    """VideoMetadata of a video: FiftyOne's (ffprobe), else OpenCV's
    (local files); None when neither can read it."""
    local = bool(ref) and os.path.isfile(ref)
    if not (local or (ref and is_url(ref))):
        return None
    try:
        meta = fom.VideoMetadata.build_for(ref)
        if meta.frame_rate and meta.total_frame_count:
            return meta
    except Exception as e:  # no ffprobe, or a file it cannot read
        logger.debug("ffprobe could not measure %s: %s", ref, e)
    return _opencv_metadata(ref, fom) if local else None


def _opencv_metadata(path, fom):
    try:
        # deferred: OpenCV is optional (only without ffprobe)
        import cv2
    except ImportError:
        return None
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            return None
        fps = capture.get(cv2.CAP_PROP_FPS)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        capture.release()
    if not (fps > 0 and count > 0 and width > 0 and height > 0):
        return None
    return fom.VideoMetadata(
        size_bytes=os.path.getsize(path),
        frame_width=width,
        frame_height=height,
        frame_rate=fps,
        total_frame_count=count,
        duration=count / fps,
    )


# -- upload -------------------------------------------------------------


def build_video_tasks(samples, plan, media_urls, config):
    """``(tasks, id_map)`` of a video run."""
    schema = config.label_schema
    existing = [
        f
        for f, i in schema.items()
        if i.get("existing_field") and config.send_existing_labels
    ]
    frame_fields = [f for f in existing if is_frame_field(f)]
    values = {f: samples.values(f) for f in existing}
    if frame_fields:
        numbers, frame_ids = samples.values(
            ["frames.frame_number", "frames.id"]
        )
    id_map = {f: {} for f in existing}
    tasks = []
    for i, sample_id in enumerate(plan.sample_ids):
        field_values = {}
        for field in existing:
            if is_frame_field(field):
                field_values[field] = {
                    n: v
                    for n, v in zip(numbers[i], values[field][i] or [])
                    if v is not None
                }
            else:
                field_values[field] = values[field][i]
        frame_count, fps = plan.videos[sample_id]
        task, sent = video_sample_to_task(
            sample_id,
            media_urls[i],
            plan.refs[i],
            field_values,
            schema,
            frame_count,
            fps,
        )
        tasks.append(task)
        for field, ids in sent.items():
            single = schema[field]["type"] in ("detection", "classification")
            if is_frame_field(field):
                by_number = dict(zip(numbers[i], frame_ids[i]))
                id_map[field][sample_id] = {
                    by_number[n]: (x[0] if single else x)
                    for n, x in ids.items()
                }
            elif ids is True:
                id_map[field][sample_id] = True
            else:
                id_map[field][sample_id] = ids[0] if single else ids
    return tasks, id_map


# -- download -----------------------------------------------------------


def download_video(backend, results, unexpected=None) -> dict:
    """FiftyOne's ``download_annotations`` answer for a video run
    (``unexpected`` as for images; video labels of unknown classes load
    into their field)."""
    from ..converters.video_tasks import (
        RETURN_TYPES,
        is_frame_field,
        video_task_to_labels,
    )
    from .download import (
        _annotator_id,
        _choose_tasks,
        _generic,
        _log,
        task_read_error,
    )
    from .existing_project import export_run_tasks
    from .project import call

    config = results.config
    schema = config.label_schema
    # the run's own tasks (a project can hold other runs' tasks);
    # annotations only: no prediction objects
    tasks = call(
        results,
        lambda c, pid: export_run_tasks(
            c, results, predictions=False, stream=True
        ),
    )
    annotator_id = _annotator_id(results, config.pop_annotator())
    chosen, counts, num_tasks = _choose_tasks(results, tasks, annotator_id)
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
                problems[(from_name, _generic(reason))] += 1
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
    only_annotated = getattr(config, "_only_annotated", False)
    for field in schema:
        for sample_id in results.id_map.get(field) or {}:
            if sample_id not in chosen and not only_annotated:
                keep.setdefault(field, {})[sample_id] = None
    kept = _keep_current(results, annotations, keep, RETURN_TYPES)
    if kept:
        counts["uploaded labels left as they are"] = kept
    _log(results, num_tasks, counts, problems, Counter())
    return annotations


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


def _keep_current(results, annotations, keep, return_types) -> int:
    """Puts the current FiftyOne labels named in ``keep`` (``{field:
    {sample id: label ids, or None for every uploaded one}}``) into the
    answer, so that the merge leaves them alone."""
    from ..converters.video_tasks import is_frame_field

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
        out = annotations[field].setdefault(return_types[info["type"]], {})
        if is_frame_field(field):
            ids, frame_ids, values = view.values(["id", "frames.id", field])
            for sample_id, fids, frame_values in zip(ids, frame_ids, values):
                wanted = _wanted(per_sample[sample_id], uploaded, sample_id)
                mine = {}
                for frame_id, value in zip(fids, frame_values or []):
                    for label in _as_labels(value):
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
                for label in _as_labels(value):
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


def _as_labels(value) -> list:
    if value is None:
        return []
    list_field = getattr(value, "_LABEL_LIST_FIELD", None)
    if list_field is not None:
        return list(value[list_field] or [])
    return [value]
