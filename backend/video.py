"""Video runs: measuring videos and building video tasks (read back by
``video_load.py``).

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
