"""Whole video tasks: one video sample <-> one Label Studio task.

Schema fields named ``frames.<field>`` are frame-level; the others belong
to the video sample. What each can be:

==========================  ===================================  ===========
FiftyOne field              Label Studio control(s)              converter
==========================  ===================================  ===========
frames: detection(s)        ``VideoRectangle`` + ``Labels``      ``video``
frames: classification(s)   ``TimelineLabels`` (frame ranges)    ``timeline``
video: classification(s)    ``Choices``                          ``timeline``
video: scalar               ``Number``/``TextArea``/``Choices``  ``scalars``
==========================  ===================================  ===========

Upload (:func:`video_sample_to_task`)::

    {"data": {"video": <media url>,
              "fiftyone": {"sample_id", "media", "fps", "frame_count",
                           "class_ids": {field: {class: label id}},
                           "hints": {field: {region id: {...}}}}},
     "predictions": [{"model_version": "fiftyone", "result": [...]}]}

The ``<Video>`` tag reads its frame rate from ``$fiftyone.fps``, so every
task plays at its own video's rate (frame numbers = FiftyOne's).

Load (:func:`video_task_to_labels`) returns ``(labels, problems,
unreadable)``:
``{field: {return_type: {frame number: {label id: Label}}}}`` for frame
fields, ``{field: {return_type: {label id: Label}}}`` or ``{field:
{"scalar": value}}`` for video fields; every schema field is present (an
empty dict means "all deleted"). Results of controls that are not in the
schema, and labels whose class is not in the schema, are reported in
``problems``; unknown classes are kept (there is no ``unexpected=``
routing for video yet). ``unreadable``: ``{field: {label ids}}`` of
uploaded frame labels whose region could not be read at all (the backend
keeps them as they are rather than deleting them).

Label Studio draws new tracks with the FIRST ``VideoRectangle`` of the
config and new ranges with the first ``TimelineLabels``: with several such
frame fields, existing regions keep their field but new ones land in the
first.
"""

import hashlib
import xml.etree.ElementTree as ET
from collections import defaultdict

from . import classifications as cc
from . import scalars as sc
from . import timeline as tl
from . import video_tracks as vt
from .label_config import check_xml_text, control_classes, field_control
from .classes import flat_classes, is_unknown_class
from .names import control_name
from .results import mapping, report
from .task_build import META_KEY, MODEL_VERSION
from .video_regions import VIDEO_TAG_NAME

FRAMES_PREFIX = "frames."
VIDEO = VIDEO_TAG_NAME

FRAME_TYPES = ("detection", "detections", "classification", "classifications")
SAMPLE_TYPES = ("classification", "classifications", "scalar")
RETURN_TYPES = {
    "detection": "detections",
    "detections": "detections",
    "classification": "classifications",
    "classifications": "classifications",
    "scalar": "scalar",
}


def is_frame_field(field: str) -> bool:
    return field.startswith(FRAMES_PREFIX)


def video_control_name(field: str) -> str:
    """:func:`names.control_name`, never the video tag's own name."""
    name = control_name(field)
    if name == VIDEO:
        digest = hashlib.sha1(field.encode("utf-8")).hexdigest()[:8]
        name = "%s__%s" % (name, digest)
    return name


def check_video_schema(label_schema: dict) -> None:
    """Raises ValueError naming the first field video tasks cannot carry."""
    if not label_schema:
        raise ValueError("the label schema has no fields")
    for field, info in label_schema.items():
        label_type = info.get("type")
        allowed = FRAME_TYPES if is_frame_field(field) else SAMPLE_TYPES
        if label_type not in allowed:
            raise ValueError(
                "field %r: %s fields of type %r cannot be annotated in Label "
                "Studio video tasks (supported: %s)"
                % (
                    field,
                    "frame" if is_frame_field(field) else "video-level",
                    label_type,
                    ", ".join(allowed),
                )
            )
    names = {}
    for field, info in label_schema.items():
        for name in _control_names(field, info):
            if name in names or name == VIDEO:
                raise ValueError(
                    "fields %r and %r map to the same Label Studio control "
                    "name %r; rename one of them"
                    % (names.get(name, VIDEO), field, name)
                )
            names[name] = field


def _control_names(field, info) -> list:
    control = video_control_name(field)
    if is_frame_field(field) and info["type"] in ("detection", "detections"):
        return [control, vt.labels_control_name(control)]
    return [control]


# --- label config --------------------------------------------------------


def build_video_label_config(label_schema: dict) -> str:
    """The labeling config XML of a video run."""
    check_video_schema(label_schema)
    view = ET.Element("View")
    ET.SubElement(
        view,
        "Video",
        name=VIDEO,
        value="$" + VIDEO,
        framerate="$%s.fps" % META_KEY,
    )
    for field, info in label_schema.items():
        check_xml_text(field, "field name")
        ET.SubElement(view, "Header", value=field)
        control = video_control_name(field)
        label_type = info["type"]
        if not is_frame_field(field):
            element = field_control(field, info)
            element.set("name", control)
            element.set("toName", VIDEO)
            view.append(element)
        elif label_type in ("detection", "detections"):
            ET.SubElement(view, "VideoRectangle", name=control, toName=VIDEO)
            labels = ET.SubElement(
                view,
                "Labels",
                name=vt.labels_control_name(control),
                toName=VIDEO,
            )
            for cls in control_classes(field, info):
                ET.SubElement(labels, "Label", value=cls)
        else:
            ranges = ET.SubElement(
                view, "TimelineLabels", name=control, toName=VIDEO
            )
            for cls in control_classes(field, info):
                ET.SubElement(ranges, "Label", value=cls)
    return ET.tostring(view, encoding="unicode")


# --- upload --------------------------------------------------------------


def video_sample_to_task(
    sample_id: str,
    media_url: str,
    media_ref: str,
    field_values: dict,
    label_schema: dict,
    frame_count: int,
    fps: float,
) -> tuple[dict, dict]:
    """``(task, sent)`` for one video sample.

    ``field_values``: ``{field: value}`` for video fields and ``{field:
    {frame number: value}}`` for frame fields. ``sent``: the ids of the
    labels the task carries, ``{field: {frame number: [ids]}}`` for frame
    fields, ``{field: [ids]}`` for video label fields, ``{field: True}``
    for a sent scalar (the backend's id map).
    """
    results, class_ids, hints, sent = [], {}, {}, {}
    for field, info in label_schema.items():
        value = field_values.get(field)
        if value is None:
            continue
        control = video_control_name(field)
        label_type = info["type"]
        if is_frame_field(field):
            if label_type in ("detection", "detections"):
                only_kf = bool(info.get("only_keyframes"))
                results += vt.to_ls_video_tracks(
                    value, control, frame_count, fps, only_kf
                )
                field_hints = vt.video_track_hints(value, only_kf)
                sent[field] = vt.sent_frame_label_ids(value)
            else:
                results += tl.to_ls_frame_ranges(value, control)
                field_hints = tl.frame_range_hints(value)
                sent[field] = tl.sent_frame_range_ids(value)
            if field_hints:
                hints[field] = field_hints
        elif label_type == "scalar":
            rs = sc.to_ls_scalar(
                value,
                control,
                None,
                None,
                info.get("scalar_type"),
                flat_classes(info),
            )
            results += _to_video(rs)
            if rs:
                sent[field] = True
        else:
            rs = tl.to_ls_video_classifications(value, control)
            results += rs
            class_ids[field] = cc.class_ids(value)
            sent[field] = [r["id"] for r in rs]
    meta = {
        "sample_id": sample_id,
        "media": media_ref,
        "fps": fps,
        "frame_count": frame_count,
        "class_ids": class_ids,
    }
    if hints:
        meta["hints"] = hints
    task = {"data": {VIDEO: media_url, META_KEY: meta}}
    if results:
        task["predictions"] = [
            {"model_version": MODEL_VERSION, "result": results}
        ]
    return task, {f: s for f, s in sent.items() if s}


def _to_video(results) -> list:
    for result in results:
        result["to_name"] = VIDEO
        result.pop("image_rotation", None)
    return results


# --- load ----------------------------------------------------------------


def video_task_to_labels(
    task_data: dict,
    results: list,
    label_schema: dict,
    frame_count: int | None,
) -> tuple[dict, list, dict]:
    """``(labels, problems, unreadable)`` of one annotation (see the
    module doc)."""
    meta = mapping(mapping(task_data).get(META_KEY))
    class_ids = mapping(meta.get("class_ids"))
    hints = mapping(meta.get("hints"))
    salt = str(meta.get("sample_id") or "")
    fields = {video_control_name(f): f for f in label_schema}
    problems = []
    by_field = defaultdict(list)
    for result in results or []:
        if not isinstance(result, dict):
            problems.append((None, None, "result is not an object"))
            continue
        field = fields.get(result.get("from_name"))
        if field is None:
            report(problems, result, "control is not in the schema")
        else:
            by_field[field].append(result)

    labels, unreadable = {}, {}
    for field, info in label_schema.items():
        rs = by_field.get(field, [])
        lost = set()
        label_type = info["type"]
        return_type = RETURN_TYPES[label_type]
        single = label_type in ("detection", "classification")
        field_hints = mapping(hints.get(field))
        if is_frame_field(field):
            if return_type == "detections":
                frames = vt.from_ls_video_tracks(
                    rs, frame_count, field_hints, problems, salt, lost
                )
                if single:
                    frames = _one_per_frame(frames, field, problems)
            else:
                frames = tl.from_ls_frame_ranges(
                    rs, frame_count, field_hints, single, problems, salt, lost
                )
            _check_frame_classes(frames, info, field, problems)
            labels[field] = {
                return_type: {
                    f: {x.id: x for x in xs} for f, xs in frames.items()
                }
            }
            if lost:
                unreadable[field] = lost
        elif label_type == "scalar":
            value = sc.from_ls_scalar(
                rs, info.get("scalar_type"), flat_classes(info), problems
            )
            labels[field] = {"scalar": value}
        else:
            value = cc.from_ls_classifications(
                rs,
                class_ids=mapping(class_ids.get(field)) or None,
                single=single,
                problems=problems,
            )
            _check_frame_classes({0: value}, info, field, problems)
            labels[field] = {return_type: {x.id: x for x in value}}
    return labels, problems, unreadable


def _one_per_frame(frames, field, problems) -> dict:
    """A ``detection`` frame field keeps one box per frame (a keyframe
    first)."""
    out = {}
    for frame, dets in frames.items():
        keep = next((d for d in dets if d.keyframe), dets[0])
        out[frame] = [keep]
        for det in dets:
            if det is not keep:
                report(
                    problems,
                    {"from_name": video_control_name(field), "id": det.id},
                    "frame %d holds one detection; extra track ignored"
                    % frame,
                )
    return out


def _check_frame_classes(frames, info, field, problems) -> None:
    classes = set(flat_classes(info))
    unknown = {
        x.label
        for xs in frames.values()
        for x in xs
        if is_unknown_class(x.label, classes)
    }
    for cls in sorted(unknown):
        report(
            problems,
            {"from_name": video_control_name(field), "id": None},
            "class %r is not in the schema's classes (kept)" % cls,
        )
