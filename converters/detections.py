"""Detection(s) <-> Label Studio ``RectangleLabels`` results.

``bounding_box`` ``[x, y, w, h]`` (relative) maps to percent
``x, y, width, height``. Label Studio rotates a rectangle by ``rotation``
degrees clockwise around its top-left corner; FiftyOne has no rotated box,
so the unrotated box stays in ``bounding_box`` and the angle lives in the
Detection attribute ``rotation`` (sent back as the region rotation; a zero
rotation is not stored as an attribute).

What a region cannot carry:
- ``confidence`` travels as the result ``score`` (kept when present);
- ``index`` travels in the task-data hints (:func:`detection_hints`);
- masks and other attributes are not sent. FiftyOne's merge only copies
  ``label``, ``index``, ``bounding_box`` and ``mask`` (plus schema
  attributes) onto existing labels, so the loaded Detection (``mask=None``,
  no attributes) leaves the others untouched. Fields of type
  ``detections`` whose labels have masks must be annotated as
  ``instances`` instead, or the merge clears the masks.
"""

from bson import ObjectId

import fiftyone.core.labels as fol

from .raw_detections import RawDetection
from .results import (
    ResultError,
    clean_hints,
    empty_hint,
    finite_or_none,
    from_percent,
    hint_float,
    index_hint,
    is_label_id,
    labels_of,
    new_label_id,
    read_labels,
    percent_box,
    region_label,
    region_result,
    result_id,
    result_score,
    result_value,
    rotation_of,
    to_percent,
    with_index,
)

RESULT_TYPE = "rectanglelabels"
ROTATION_ATTR = "rotation"


def to_ls_detection(label, control: str, width: int, height: int) -> list:
    """One ``rectanglelabels`` result (none for a box-less detection)."""
    box = finite_box(label)
    if box is None:
        return []
    x, y, w, h = (to_percent(v) for v in box)
    value = {
        "x": x,
        "y": y,
        "width": w,
        "height": h,
        "rotation": _rotation(label),
        RESULT_TYPE: [str(label.label)],
    }
    return [
        region_result(
            label.id,
            control,
            RESULT_TYPE,
            value,
            width,
            height,
            score=label.confidence,
        )
    ]


def to_ls_detections(labels, control: str, width: int, height: int) -> list:
    """One result per Detection of a Detections (or list, or None)."""
    results = []
    for label in labels_of(labels, fol.Detection, fol.Detections):
        results.extend(to_ls_detection(label, control, width, height))
    return results


def detection_hints(labels) -> dict:
    """``{label id: hint}`` for what a region cannot carry.

    ``index`` always; a detection without a usable box is not sent at all,
    so ``{"empty": {"label": ...}}`` brings it back unchanged.
    """
    hints = {}
    for label in labels_of(labels, fol.Detection, fol.Detections):
        hint = index_hint(label)
        if finite_box(label) is None and label.label is not None:
            hint["empty"] = {
                "label": str(label.label),
                "confidence": finite_or_none(label.confidence),
            }
        if hint:
            hints[label.id] = hint
    return hints


def from_ls_detections(
    results: list[dict],
    hints: dict | None = None,
    problems: list | None = None,
    raw: bool = False,
) -> list:
    """Detections from ``rectanglelabels`` results, ids kept (``raw``:
    boxes as :class:`.RawDetection` documents, for the bulk merge)."""
    hints = clean_hints(hints)
    labels = read_labels(
        results,
        lambda result: _from_result(result, problems, raw),
        hints,
        problems,
    )
    seen = {label.id for label in labels}
    for label_id, hint in hints.items():
        empty = empty_hint(hint, problems, label_id)
        if empty is not None and label_id not in seen:
            label = fol.Detection(
                label=empty["label"],
                confidence=hint_float(empty.get("confidence")),
            )
            label.id = label_id
            labels.append(with_index(label, hint))
    return labels


def _from_result(result, problems, raw=False):
    value = result_value(result, RESULT_TYPE)
    cls = region_label(value, RESULT_TYPE, problems, result)
    x, y, w, h = percent_box(value)
    if x + w > 200.0 or y + h > 200.0:
        raise ResultError("box reaches too far outside the image")
    rotation = rotation_of(value)
    region_id = result_id(result)
    label_id = region_id if is_label_id(region_id) else new_label_id(region_id)
    box = [from_percent(v) for v in (x, y, w, h)]
    if raw:
        label = RawDetection(label_id, cls, box, result_score(result))
    else:
        # the id given to the constructor: setting it afterwards costs 25%
        # more (this runs once per box of a load)
        label = fol.Detection(
            _id=ObjectId(label_id),
            label=cls,
            bounding_box=box,
            confidence=result_score(result),
        )
    if rotation != 0:
        label[ROTATION_ATTR] = rotation
    return label


def finite_box(label):
    """The four finite box values, or None."""
    box = getattr(label, "bounding_box", None)
    if box is None or len(box) != 4:
        return None
    values = [finite_or_none(v) for v in box]
    return None if None in values else values


def _rotation(label) -> float:
    return finite_or_none(getattr(label, ROTATION_ATTR, None)) or 0.0
