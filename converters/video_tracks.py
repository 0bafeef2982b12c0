"""Frame-level Detections <-> Label Studio ``VideoRectangle`` tracks.

Label Studio 1.23.2 (bundled frontend, ``VideoRegionModel``) stores one
object track as ONE ``videorectangle`` result::

    {"id": ..., "from_name": <VideoRectangle name>, "to_name": "video",
     "type": "videorectangle",
     "value": {"framesCount": N, "duration": seconds,
               "sequence": [{"frame": 1-based, "enabled": bool,
                             "x", "y", "width", "height" (percent),
                             "rotation": degrees, "time": frame / fps}],
               "labels": [class]}}

The class comes from a separate ``<Labels toName="video">`` control (see
:func:`labels_control_name`); the frontend merges it into
``value.labels``. Sequence items are keyframes. A keyframe with
``enabled: true`` shows the object from its frame up to the next keyframe
(linear interpolation of x, y, width, height; rotation along the shorter
arc) or, for the last keyframe, to the end of the video; ``enabled:
false`` shows it on its own frame only (the end of a segment).

Upload (:func:`to_ls_video_tracks`): Detections are grouped into tracks
by ``(index, label)`` (Label Studio has one class per track, so a FiftyOne
track that changes class becomes several regions with the same index);
a label without index is a track of its own, and a second detection of
the same track in one frame starts another region. Every labeled frame
becomes a keyframe (lossless), or, with ``only_keyframes=True`` (FiftyOne's
keyframe-only runs), the frames whose label has ``keyframe=True`` plus the
first and last frame of each segment. A gap between frames ends a segment
(``enabled: false`` on its last frame).

Ids (decision): the region id is the label id of the track's first
detection (a new ObjectId if that id is already taken). Per-frame label
ids cannot travel in a region, so they go into the task-data hints
(:func:`video_track_hints`), ``{region id: {"index": i, "frames":
{"<frame>": label id}}}`` (``index`` absent for labels without one).
On load (:func:`from_ls_video_tracks`) every frame a track covers takes
the hinted id of that region and frame (an edited or interpolated frame
of an uploaded label updates that label); any other frame gets an id
derived from ``(salt, region id, frame)`` (sha1, 24 hex), so loading the
same annotation twice yields the same ids. Loaded detections carry
``keyframe=True/False`` and ``index`` = the hinted index, or a new one
(above every hinted index) for tracks drawn in Label Studio and for
index-less labels that now cover several frames. FiftyOne's
``_update_tracks`` maps these indexes onto the dataset's.

Not carried: ``confidence`` (FiftyOne's merge keeps it on existing labels;
a region ``score`` loads as the confidence of every frame), masks and
other attributes, detections without a box (not sent, so the backend
must leave them out of the id map: :func:`sent_frame_label_ids`).
"""

from collections import defaultdict

import fiftyone.core.labels as fol

from .detections import finite_box
from .results import (
    ResultError,
    clean_hints,
    finite_or_none,
    new_label_id,
    percent_box,
    region_label,
    report,
    result_id,
    result_score,
    result_value,
    rotation_of,
    to_percent,
)
from .video_interpolation import track_frames
from .video_regions import (
    VIDEO_TAG_NAME,
    frame_label_id,
    hint_frame_ids,
    is_int,
    readable_regions,
)

RESULT_TYPE = "videorectangle"
ROTATION_ATTR = "rotation"  # == detections.ROTATION_ATTR
KEYFRAME_ATTR = "keyframe"
_LABELS_SUFFIX = "__labels"


def labels_control_name(control: str) -> str:
    """Name of the ``<Labels>`` control that holds a track control's
    classes (a VideoRectangle has no classes of its own)."""
    return control + _LABELS_SUFFIX


# --- upload ------------------------------------------------------------


def to_ls_video_tracks(
    frames: dict,
    control: str,
    frame_count: int | None,
    fps: float | None,
    only_keyframes: bool = False,
) -> list[dict]:
    """One ``videorectangle`` result per track of ``{frame: Detections}``."""
    fps = _fps(fps)
    count = int(frame_count or 0) or _last_frame(frames)
    results = []
    for track in _plan_tracks(frames, only_keyframes):
        sequence = [
            _keyframe(det, frame, enabled, fps)
            for frame, det, enabled in track["keyframes"]
        ]
        results.append(
            {
                "id": track["region_id"],
                "from_name": control,
                "to_name": VIDEO_TAG_NAME,
                "type": RESULT_TYPE,
                "value": {
                    "framesCount": count,
                    "duration": count / fps,
                    "sequence": sequence,
                    "labels": [track["label"]],
                },
            }
        )
    return results


def video_track_hints(frames: dict, only_keyframes: bool = False) -> dict:
    """``{region id: {"index"?: i, "frames": {"<frame>": label id}}}``."""
    hints = {}
    for track in _plan_tracks(frames, only_keyframes):
        hint = {"frames": {str(f): d.id for f, d in track["members"]}}
        if track["index"] is not None:
            hint["index"] = track["index"]
        hints[track["region_id"]] = hint
    return hints


def sent_frame_label_ids(frames: dict) -> dict:
    """``{frame: [label ids]}`` of the detections that are uploaded (the
    backend's id map; box-less detections are not sent)."""
    out = defaultdict(list)
    for frame, dets in _frames(frames):
        for det in dets:
            if finite_box(det) is not None and det.label is not None:
                out[frame].append(det.id)
    return dict(out)


def _plan_tracks(frames, only_keyframes) -> list[dict]:
    """Tracks in a deterministic order, with their keyframes."""
    groups = {}  # (index, label) -> [region members], in first-seen order
    for frame, dets in _frames(frames):
        for det in dets:
            if finite_box(det) is None or det.label is None:
                continue
            index = _index(det)
            if index is None:
                groups[("id", det.id)] = [[(frame, det)]]
                continue
            regions = groups.setdefault((index, str(det.label)), [[]])
            # one box per frame and region: a duplicate opens a new region
            for members in regions:
                if not members or members[-1][0] != frame:
                    members.append((frame, det))
                    break
            else:
                regions.append([(frame, det)])
    tracks, used = [], set()
    for regions in groups.values():
        for members in regions:
            first = members[0][1]
            region_id = first.id if first.id not in used else new_label_id()
            used.add(region_id)
            tracks.append(
                {
                    "region_id": region_id,
                    "label": str(first.label),
                    "index": _index(first),
                    "members": members,
                    "keyframes": _keyframes(members, only_keyframes),
                }
            )
    return tracks


def _keyframes(members, only_keyframes) -> list:
    """``[(frame, detection, enabled)]``: segment starts and ends always,
    inner frames unless ``only_keyframes`` and not marked keyframe."""
    out = []
    for i, (frame, det) in enumerate(members):
        starts = i == 0 or members[i - 1][0] != frame - 1
        ends = i == len(members) - 1 or members[i + 1][0] != frame + 1
        marked = getattr(det, KEYFRAME_ATTR, None) is True
        if starts or ends or not only_keyframes or marked:
            out.append((frame, det, not ends))
    return out


def _keyframe(det, frame, enabled, fps) -> dict:
    x, y, w, h = (to_percent(v) for v in finite_box(det))
    rotation = finite_or_none(getattr(det, ROTATION_ATTR, None)) or 0.0
    return {
        "frame": frame,
        "enabled": enabled,
        "x": x,
        "y": y,
        "width": w,
        "height": h,
        "rotation": rotation,
        "time": frame / fps,  # what the frontend writes
    }


# --- load --------------------------------------------------------------


def from_ls_video_tracks(
    results: list[dict],
    frame_count: int | None,
    hints: dict | None = None,
    problems: list | None = None,
    salt: str = "",
    unreadable: set | None = None,
) -> dict:
    """``{frame: [Detection]}`` from ``videorectangle`` results: keyframes
    and filled (interpolated) frames, ``index`` per track.

    ``unreadable`` (a set) collects the hinted label ids of uploaded
    tracks whose result could not be read at all, so that the caller can
    keep those labels instead of deleting them.
    """
    hints = clean_hints(hints)
    next_index = 1 + max(
        (h["index"] for h in hints.values() if is_int(h.get("index"))),
        default=-1,
    )
    out = defaultdict(list)
    used_ids = set()
    for _, track in readable_regions(
        results, _read_track, frame_count, hints, problems, unreadable
    ):
        region_id = track["region_id"]
        hint = hints.get(region_id, {}) if region_id else {}
        frame_ids = hint_frame_ids(hint)
        shapes = list(track_frames(track["sequence"], track["limit"]))
        index = hint.get("index") if is_int(hint.get("index")) else None
        if index is None and not (hint and len(shapes) == 1):
            index, next_index = next_index, next_index + 1
        key = region_id or new_label_id()
        for frame, box, rotation, is_key in shapes:
            label_id = frame_label_id(frame_ids, used_ids, salt, key, frame)
            det = fol.Detection(
                label=track["label"],
                bounding_box=box,
                index=index,
                confidence=track["score"],
            )
            det.id = label_id
            if rotation != 0:
                det[ROTATION_ATTR] = rotation
            det[KEYFRAME_ATTR] = is_key
            out[frame].append(det)
    return dict(out)


def _read_track(result, frame_count, problems) -> dict:
    value = result_value(result, RESULT_TYPE)
    label = region_label(value, "labels", problems, result)
    sequence = value.get("sequence")
    if not isinstance(sequence, list) or not sequence:
        raise ResultError("track has no 'sequence' of keyframes")
    limit = _limit(frame_count, value.get("framesCount"))
    keyframes = {}
    for item in sequence:
        try:
            frame, box, rotation, enabled = _read_keyframe(item)
        except ResultError as e:
            report(problems, result, "keyframe skipped: %s" % e)
            continue
        if limit is not None and frame > limit:
            report(
                problems,
                result,
                "keyframe %d is after the last frame (%d)" % (frame, limit),
            )
        elif frame in keyframes:
            report(problems, result, "frame %d has two keyframes" % frame)
        else:
            keyframes[frame] = (box, rotation, enabled)
    if not keyframes:
        raise ResultError("track has no usable keyframe")
    return {
        "region_id": result_id(result),
        "label": label,
        "score": result_score(result),
        "sequence": sorted(keyframes.items()),
        "limit": limit,
    }


def _read_keyframe(item):
    if not isinstance(item, dict):
        raise ResultError("keyframe is not an object")
    frame = item.get("frame")
    if not is_int(frame) or frame < 1:
        raise ResultError("frame is not a positive integer: %r" % (frame,))
    x, y, w, h = percent_box(item)
    rotation = rotation_of(item)
    enabled = item.get("enabled") is True  # the frontend: falsy if absent
    return frame, (x, y, w, h), rotation, enabled


# --- helpers -----------------------------------------------------------


def _frames(frames):
    """``[(frame number, [Detection])]`` sorted, from a frames mapping."""
    out = []
    for frame, value in (frames or {}).items():
        frame = int(frame)
        if frame < 1:
            continue
        if value is None:
            dets = []
        elif isinstance(value, fol.Detections):
            dets = list(value.detections or [])
        elif isinstance(value, fol.Detection):
            dets = [value]
        else:
            dets = list(value)
        out.append((frame, dets))
    return sorted(out, key=lambda x: x[0])


def _last_frame(frames) -> int:
    return max((f for f, _ in _frames(frames)), default=1)


def _index(det):
    index = getattr(det, "index", None)
    return int(index) if is_int(index) else None


def _fps(fps) -> float:
    fps = finite_or_none(fps)
    return fps if fps and fps > 0 else 24.0  # the frontend's default


def _limit(frame_count, frames_count):
    for value in (frame_count, frames_count):
        if is_int(value) and value >= 1:
            return value
    return None
