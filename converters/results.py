"""Shared helpers for Label Studio result dicts (the "envelope").

Every converter builds its results with :func:`region_result` and reads
them with the checked accessors below. A result that cannot be read raises
:class:`ResultError`; converters turn that into a problem entry with
:func:`report` so one bad result never stops the others from loading.

Problems are ``(from_name, region id, reason)`` tuples.
"""

import hashlib
import math
import re

from bson import ObjectId

# defined in names.py; many converters import them from here
from .names import IMAGE_TAG_NAME, is_label_id  # noqa: F401

# Percent coordinates may lie a little outside the image (FiftyOne boxes
# often do); anything further out than one image size is garbage.
MIN_PERCENT = -100.0
MAX_PERCENT = 200.0

_MULTI_ID = re.compile(r"^([0-9a-f]{24})_(\d+)_(\d+)$")


class ResultError(ValueError):
    """A result that cannot be converted; the message is the reason."""


def report(problems, result, reason: str) -> None:
    """Records a skipped result, or raises when no list collects them."""
    from_name = result.get("from_name") if isinstance(result, dict) else None
    region_id = result.get("id") if isinstance(result, dict) else None
    if problems is None:
        raise ResultError("%s %s: %s" % (from_name, region_id, reason))
    problems.append((from_name, region_id, reason))


# --- ids ---------------------------------------------------------------


def new_label_id(region_id=None) -> str:
    """A fresh label id; derived from ``region_id`` (a region drawn in
    Label Studio) when given, so that its per-region attribute results
    can find the label."""
    if isinstance(region_id, str) and region_id:
        digest = hashlib.sha1(("ls-region:" + region_id).encode("utf-8"))
        return digest.hexdigest()[:24]
    return str(ObjectId())


def multi_region_id(label_id: str, index: int, count: int) -> str:
    """Id of region ``index`` of ``count`` regions of one label."""
    return "%s_%d_%d" % (label_id, index, count)


def parse_multi_region_id(region_id):
    """``(label id, index, count)`` for a multi-region id, else None."""
    if not isinstance(region_id, str):
        return None
    match = _MULTI_ID.match(region_id)
    if match is None:
        return None
    label_id, index, count = match.group(1), *map(int, match.groups()[1:])
    if index >= count:
        return None
    return label_id, index, count


# --- building ----------------------------------------------------------


def region_result(
    region_id: str,
    control: str,
    result_type: str,
    value: dict,
    width: int | None,
    height: int | None,
    score=None,
) -> dict:
    """One result in the convention of DESIGN.md (percent coordinates)."""
    result = {
        "id": region_id,
        "from_name": control,
        "to_name": IMAGE_TAG_NAME,
        "type": result_type,
    }
    # percent geometry does not need the size; masks check it themselves
    if width is not None and height is not None:
        result["original_width"] = int(width)
        result["original_height"] = int(height)
    result["image_rotation"] = 0
    result["value"] = value
    score = finite_or_none(score)
    if score is not None:
        result["score"] = score
    return result


def labels_of(labels, label_cls, list_cls) -> list:
    """The labels in ``labels``: one ``label_cls`` label, a ``list_cls``
    label (e.g. ``Detections``), a list of labels, or None."""
    if labels is None:
        return []
    if isinstance(labels, label_cls):
        return [labels]
    if isinstance(labels, list_cls):
        return list(getattr(labels, list_cls._LABEL_LIST_FIELD) or [])
    return list(labels)


def finite_or_none(value):
    """A JSON-safe float, or None for None/NaN/inf/non-numbers."""
    if value is None or isinstance(value, bool):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def to_percent(value) -> float:
    return float(value) * 100.0


def from_percent(value: float) -> float:
    return value / 100.0


# --- reading -----------------------------------------------------------


def result_value(result, result_type: str) -> dict:
    """The ``value`` dict of a result of the expected ``type``."""
    if not isinstance(result, dict):
        raise ResultError("result is not an object")
    if result.get("type") != result_type:
        raise ResultError(
            "result type %r, expected %r" % (result.get("type"), result_type)
        )
    value = result.get("value")
    if not isinstance(value, dict):
        raise ResultError("result has no 'value' object")
    return value


def result_id(result):
    """The region id; None when the result has none (new region)."""
    region_id = result.get("id")
    if region_id is None or region_id == "":
        return None
    if not isinstance(region_id, str):
        raise ResultError("region id is not a string")
    return region_id


def region_label(value: dict, key: str, problems, result) -> str:
    """The single class of a region (``value[key][0]``).

    Regions with several labels keep the first one and report the rest.
    """
    labels = value.get(key)
    if not isinstance(labels, list) or not labels:
        raise ResultError("region has no label (%r)" % key)
    if not all(isinstance(x, str) for x in labels):
        raise ResultError("region labels are not strings")
    if len(labels) > 1:
        report(
            problems,
            result,
            "region has %d labels; kept only %r" % (len(labels), labels[0]),
        )
    return labels[0]


def number(value, name: str) -> float:
    """A finite float (bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultError("%s is not a number: %r" % (name, value))
    value = float(value)
    if not math.isfinite(value):
        raise ResultError("%s is not finite" % name)
    return value


def percent(value, name: str) -> float:
    """A finite percent coordinate within the accepted range."""
    value = number(value, name)
    if not MIN_PERCENT <= value <= MAX_PERCENT:
        raise ResultError("%s out of range: %r" % (name, value))
    return value


def percent_box(value: dict) -> tuple:
    """``(x, y, width, height)`` of a rectangle, in checked percent."""
    x = percent(value.get("x"), "x")
    y = percent(value.get("y"), "y")
    w = percent(value.get("width"), "width")
    h = percent(value.get("height"), "height")
    if w < 0 or h < 0:
        raise ResultError("negative width or height")
    return x, y, w, h


def rotation_of(value: dict) -> float:
    """The ``rotation`` of a rectangle in degrees (0 when absent)."""
    rotation = value.get("rotation", 0)
    return 0.0 if rotation is None else number(rotation, "rotation")


def result_score(result):
    """The per-region ``score`` (our confidence), or None."""
    score = result.get("score")
    if score is None:
        return None
    return number(score, "score")


def with_index(label, hint):
    """Restores ``index`` (LS regions cannot carry it) from a hint."""
    index = hint.get("index") if isinstance(hint, dict) else None
    if isinstance(index, int) and not isinstance(index, bool):
        label.index = index
    return label


def read_labels(results, read, hints: dict, problems) -> list:
    """The label ``read(result)`` makes of each result, with its hinted
    ``index``; results it cannot read (ResultError) and repeated label
    ids are reported and skipped."""
    labels, seen = [], set()
    for result in results:
        try:
            label = read(result)
        except ResultError as e:
            report(problems, result, str(e))
            continue
        if label.id in seen:
            report(problems, result, "duplicated region id")
            continue
        seen.add(label.id)
        labels.append(with_index(label, hints.get(label.id)))
    return labels


def clean_hints(hints) -> dict:
    """``{label id: hint dict}`` with anything else dropped.

    Hints live in the task data, which anyone with access to the project
    can edit; converters read them only through this.
    """
    if not isinstance(hints, dict):
        return {}
    return {
        k: v
        for k, v in hints.items()
        if is_label_id(k) and isinstance(v, dict)
    }


def empty_hint(hint, problems, label_id):
    """The ``empty`` part of a hint (a label that sent no region), or None.

    Must carry a string class; anything malformed is reported.
    """
    empty = hint.get("empty")
    if empty is None:
        return None
    if isinstance(empty, dict) and isinstance(empty.get("label"), str):
        return empty
    report(problems, {"id": label_id}, "malformed task-data hint; ignored")
    return None


def hint_bool(empty: dict, key: str) -> bool:
    value = empty.get(key)
    return value if isinstance(value, bool) else False


def hint_float(value):
    """A finite float from a hint, or None."""
    return finite_or_none(value) if not isinstance(value, bool) else None


def index_hint(label):
    """``{"index": i}`` when the label has an index, else an empty dict.

    FiftyOne's merge overwrites ``index`` of existing labels, so an index
    that does not come back would be erased on every load.
    """
    index = getattr(label, "index", None)
    return {"index": int(index)} if index is not None else {}


def mapping(value) -> dict:
    """``value`` when it is a dict, else an empty dict (task data can be
    edited in Label Studio: no shape in it is trusted)."""
    return value if isinstance(value, dict) else {}
