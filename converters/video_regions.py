"""What video track and timeline-range results share: each region read
once (duplicated and unreadable ones reported), and the label id of every
frame a region covers (the uploaded one from the task-data hints, else
one derived from the region, so the same annotation loads with the same
ids twice).
"""

import hashlib

from .names import is_label_id
from .results import ResultError, report

VIDEO_TAG_NAME = "video"  # == constants.VIDEO_TAG_NAME


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def hint_frame_ids(hint) -> dict:
    frames = hint.get("frames") if isinstance(hint, dict) else None
    if not isinstance(frames, dict):
        return {}
    out = {}
    for key, label_id in frames.items():
        if isinstance(key, str) and key.isdigit() and is_label_id(label_id):
            out[int(key)] = label_id
    return out


def note_unreadable(result, hints: dict, unreadable) -> None:
    """Adds the uploaded label ids of an unreadable region to
    ``unreadable`` (when a set is given)."""
    if unreadable is None or not isinstance(result, dict):
        return
    region_id = result.get("id")
    if isinstance(region_id, str) and region_id in hints:
        unreadable.update(hint_frame_ids(hints[region_id]).values())


def readable_regions(
    results, read, frame_count, hints: dict, problems, unreadable
):
    """``(result, region)`` for each result that ``read(result,
    frame_count, problems)`` can read, the first one of each region id;
    the others are reported (the labels of unreadable ones are noted in
    ``unreadable``)."""
    seen = set()
    for result in results:
        try:
            region = read(result, frame_count, problems)
        except ResultError as e:
            report(problems, result, str(e))
            note_unreadable(result, hints, unreadable)
            continue
        region_id = region["region_id"]
        if region_id is not None and region_id in seen:
            report(problems, result, "duplicated region id")
            continue
        seen.add(region_id)
        yield result, region


def frame_label_id(frame_ids: dict, used_ids: set, salt, key, frame) -> str:
    """The uploaded label id of ``frame`` (``frame_ids``), else one
    derived from the region; never one of ``used_ids`` (added to it)."""
    label_id = frame_ids.get(frame)
    if label_id is None or label_id in used_ids:
        label_id = derived_label_id(salt, key, frame)
    used_ids.add(label_id)
    return label_id


def derived_label_id(salt: str, region_id: str, frame: int) -> str:
    """A stable 24-hex id for a frame that has no uploaded label."""
    text = "%s:%s:%d" % (salt, region_id, frame)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:24]
