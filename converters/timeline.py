"""Video classifications: frame ranges (``TimelineLabels``) and the whole
video (``Choices``).

Frame-level Classification(s) <-> ``timelinelabels`` results. The Label
Studio 1.23.2 frontend (``TimelineRegionModel``) saves one region as::

    {"id": ..., "from_name": <TimelineLabels name>, "to_name": "video",
     "type": "timelinelabels",
     "value": {"ranges": [{"start": frame, "end": frame}],
               "timelinelabels": [class]}}

Frames are 1-based and both ends are included.

Upload (:func:`to_ls_frame_ranges`): each run of consecutive frames that
hold a label of one class becomes one region (a second label of that
class in one frame opens another region). The region id is the label id
of the run's first frame; the per-frame label ids go into the task-data
hints (:func:`frame_range_hints`, ``{region id: {"frames": {"<frame>":
label id}}}``), as for video tracks (see ``converters.video_tracks``). On load
(:func:`from_ls_frame_ranges`) every frame a region covers gets the hinted
id of that region and frame, else an id derived from ``(salt, region id,
frame)``, so a run that was stretched keeps its old labels and the new
frames get stable new ids. ``confidence`` is not carried (a region
``score`` loads as the confidence of each frame).

Video-level Classification(s) (sample fields of a video) are ordinary
``choices`` results on the video (:func:`to_ls_video_classifications`);
they load with ``converters.classifications.from_ls_classifications``.
"""

from collections import defaultdict

import fiftyone.core.labels as fol

from . import classifications as cc
from .results import (
    ResultError,
    clean_hints,
    new_label_id,
    region_label,
    report,
    result_id,
    result_score,
    result_value,
)
from .video_regions import (
    VIDEO_TAG_NAME,
    frame_label_id,
    hint_frame_ids,
    is_int,
    readable_regions,
)

RESULT_TYPE = "timelinelabels"


# --- whole video ---------------------------------------------------------


def to_ls_video_classifications(labels, control: str) -> list[dict]:
    """``choices`` results of a video-level Classification(s)."""
    results = cc.to_ls_classifications(labels, control, None, None)
    for result in results:
        result["to_name"] = VIDEO_TAG_NAME
        result.pop("image_rotation", None)
    return results


# --- frame ranges: upload ------------------------------------------------


def to_ls_frame_ranges(frames: dict, control: str) -> list[dict]:
    """One ``timelinelabels`` result per run of one class."""
    results = []
    for run in _plan_runs(frames):
        first, last = run["members"][0][0], run["members"][-1][0]
        results.append(
            {
                "id": run["region_id"],
                "from_name": control,
                "to_name": VIDEO_TAG_NAME,
                "type": RESULT_TYPE,
                "value": {
                    "ranges": [{"start": first, "end": last}],
                    RESULT_TYPE: [run["label"]],
                },
            }
        )
    return results


def frame_range_hints(frames: dict) -> dict:
    """``{region id: {"frames": {"<frame>": label id}}}``."""
    return {
        run["region_id"]: {
            "frames": {str(f): label.id for f, label in run["members"]}
        }
        for run in _plan_runs(frames)
    }


def sent_frame_range_ids(frames: dict) -> dict:
    """``{frame: [label ids]}`` of the labels that are uploaded."""
    out = defaultdict(list)
    for frame, labels in _frames(frames):
        out[frame].extend(x.id for x in labels if x.label is not None)
    return dict(out)


def _plan_runs(frames) -> list[dict]:
    by_class = defaultdict(list)  # class -> its runs
    runs = []
    for frame, labels in _frames(frames):
        for label in labels:
            if label.label is None:
                continue
            cls = str(label.label)
            # a run extended in this frame already ends at ``frame``
            run = next(
                (r for r in by_class[cls] if r["members"][-1][0] == frame - 1),
                None,
            )
            if run is None:
                run = {"label": cls, "members": []}
                runs.append(run)
                by_class[cls].append(run)
            run["members"].append((frame, label))
    used = set()
    for run in runs:
        first = run["members"][0][1].id
        run["region_id"] = first if first not in used else new_label_id()
        used.add(run["region_id"])
    return runs


# --- frame ranges: load --------------------------------------------------


def from_ls_frame_ranges(
    results: list[dict],
    frame_count: int | None,
    hints: dict | None = None,
    single: bool = False,
    problems: list | None = None,
    salt: str = "",
    unreadable: set | None = None,
) -> dict:
    """``{frame: [Classification]}`` from ``timelinelabels`` results.

    With ``single=True`` (a frame-level ``classification`` field) a frame
    keeps the first region that covers it; the others are reported.
    ``unreadable`` as in ``video.from_ls_video_tracks``.
    """
    hints = clean_hints(hints)
    out = defaultdict(list)
    used_ids = set()
    for result, region in readable_regions(
        results, _read_region, frame_count, hints, problems, unreadable
    ):
        region_id = region["region_id"]
        frame_ids = hint_frame_ids(hints.get(region_id)) if region_id else {}
        key = region_id or new_label_id()
        for frame in region["frames"]:
            if single and out.get(frame):
                report(
                    problems,
                    result,
                    "frame %d holds one classification; dropped %r"
                    % (frame, region["label"]),
                )
                continue
            label_id = frame_label_id(frame_ids, used_ids, salt, key, frame)
            label = fol.Classification(
                label=region["label"], confidence=region["score"]
            )
            label.id = label_id
            out[frame].append(label)
    return dict(out)


def _read_region(result, frame_count, problems) -> dict:
    value = result_value(result, RESULT_TYPE)
    label = region_label(value, RESULT_TYPE, problems, result)
    ranges = value.get("ranges")
    if not isinstance(ranges, list) or not ranges:
        raise ResultError("region has no 'ranges'")
    frames = set()
    for item in ranges:
        start = item.get("start") if isinstance(item, dict) else None
        end = item.get("end") if isinstance(item, dict) else None
        if not (is_int(start) and is_int(end)) or start < 1 or end < 1:
            report(problems, result, "range skipped: bad start/end")
            continue
        start, end = min(start, end), max(start, end)
        if frame_count and end > frame_count:
            report(
                problems,
                result,
                "range %d-%d reaches past the last frame (%d); cut"
                % (start, end, frame_count),
            )
            end = frame_count
        frames.update(range(start, end + 1))
    if not frames:
        raise ResultError("region has no usable range")
    return {
        "region_id": result_id(result),
        "label": label,
        "score": result_score(result),
        "frames": sorted(frames),
    }


def _frames(frames):
    out = []
    for frame, value in (frames or {}).items():
        frame = int(frame)
        if frame < 1 or value is None:
            continue
        if isinstance(value, fol.Classification):
            labels = [value]
        elif isinstance(value, fol.Classifications):
            labels = list(value.classifications or [])
        else:
            labels = list(value)
        out.append((frame, labels))
    return sorted(out, key=lambda x: x[0])
