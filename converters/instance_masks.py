"""Instance masks (``Detection.mask``) <-> ``BrushLabels`` results.

Brush regions are described in :mod:`.brush`.

- upload: the mask is placed in the image exactly as FiftyOne renders it
  (``Detection.to_segmentation``: box corners truncated to pixels, mask
  resized to the box with ``cv2.resize`` when its shape differs);
  one region per Detection, id = label id.
- load: bounding box = tight extent of the painted pixels, mask = those
  pixels cropped to it. For an uploaded label whose pixels did not change
  (checked against :func:`instance_hints`), the original ``bounding_box``
  comes back exactly and the mask is the rendered box, so an untouched
  instance whose mask shape matches its pixel box round-trips exactly.
- Detections without a mask (or whose mask renders to nothing) send no
  region; their hint brings them back unchanged (without a mask).
"""

import hashlib

import cv2
import fiftyone.core.labels as fol
import numpy as np

from .brush import (
    RESULT_TYPE,
    brush_size,
    painted_pixels,
    refuse_mask_path,
)
from .names import is_label_id
from .results import (
    ResultError,
    finite_or_none,
    index_hint,
    labels_of,
    new_label_id,
    read_labels,
    region_label,
    region_result,
    result_id,
    result_score,
    result_value,
    with_index,
)
from .rle import encode_rle

_EDGE_TOLERANCE = 1e-6  # pixels


# --- instances: upload -------------------------------------------------


def pixel_box(bounding_box, width: int, height: int) -> tuple:
    """``(x0, y0, w, h)`` in pixels where FiftyOne renders an instance.

    Mirrors ``eta.core.geometry.BoundingBox.coords_in`` as used by
    ``Detection.to_segmentation``: corners clamped to [0, 1], then
    truncated (not rounded) to pixels -- except that a corner a hair
    (< 1e-6 px) below a pixel edge counts as on it, so a pixel-aligned box
    whose float sum ``x + w`` fell an ulp short is not shrunk by a pixel
    (FiftyOne would then resample the mask).
    """
    x, y, w, h = (float(v) for v in bounding_box)

    def pixel(v, size):
        return int(size * max(0.0, min(v, 1.0)) + _EDGE_TOLERANCE)

    x0, y0 = pixel(x, width), pixel(y, height)
    x1, y1 = pixel(x + w, width), pixel(y + h, height)
    return x0, y0, x1 - x0, y1 - y0


def render_instance(mask, bounding_box, width: int, height: int):
    """``(patch, box)``: the instance mask as FiftyOne renders it.

    ``patch`` is a bool array of the pixel ``box`` (see :func:`pixel_box`).
    """
    box = x0, y0, w, h = pixel_box(bounding_box, width, height)
    mask = np.asarray(mask, dtype=np.uint8)  # as eta does
    if mask.ndim != 2:
        raise ValueError(f"instance mask must be 2-D, got {mask.shape}")
    if w <= 0 or h <= 0 or mask.size == 0:
        return np.zeros((max(h, 0), max(w, 0)), dtype=bool), box
    if mask.shape != (h, w):
        mask = cv2.resize(mask, (w, h))  # FiftyOne's (bilinear) resize
    return mask.astype(bool), box


def to_ls_instance(label, control: str, width: int, height: int) -> list:
    """One ``brushlabels`` result for a Detection with a mask (else none)."""
    placed = _placed(label, width, height)
    if placed is None:
        return []
    patch, (x0, y0, w, h) = placed
    alpha = np.zeros((height, width), dtype=np.uint8)
    alpha[y0 : y0 + h, x0 : x0 + w][patch] = 255
    value = {
        "format": "rle",
        "rle": encode_rle(alpha),
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


def to_ls_instances(labels, control: str, width: int, height: int) -> list:
    """One result per Detection of a Detections (or list, or None)."""
    results = []
    for label in labels_of(labels, fol.Detection, fol.Detections):
        results.extend(to_ls_instance(label, control, width, height))
    return results


def instance_hints(labels, width: int, height: int) -> dict:
    """``{label id: hint}`` for the task data.

    ``bbox`` + ``box`` + ``digest`` let an unchanged region restore its
    exact ``bounding_box``; ``empty`` brings back a Detection that sent no
    region; ``index`` as for every label.
    """
    hints = {}
    for label in labels_of(labels, fol.Detection, fol.Detections):
        hint = index_hint(label)
        placed = _placed(label, width, height)
        if placed is None:
            hint["empty"] = {
                "label": None if label.label is None else str(label.label),
                "bounding_box": _floats(label.bounding_box),
                "confidence": finite_or_none(label.confidence),
            }
        else:
            patch, box = placed
            hint["bbox"] = _floats(label.bounding_box)
            hint["box"] = list(box)
            hint["digest"] = _digest(patch)
        hints[label.id] = hint
    return hints


def _placed(label, width, height):
    """``(patch, box)`` of a Detection's rendered mask, None if nothing."""
    refuse_mask_path(label, "instance")
    if label.mask is None:
        return None
    if label.bounding_box is None or label.label is None:
        return None
    patch, box = render_instance(label.mask, label.bounding_box, width, height)
    if not patch.any():
        return None
    return patch, box


def _digest(patch) -> str:
    data = np.packbits(patch).tobytes() + repr(patch.shape).encode()
    return hashlib.sha1(data).hexdigest()[:16]


def _floats(values):
    return None if values is None else [float(v) for v in values]


# --- instances: load ---------------------------------------------------


def from_ls_instances(
    results: list, hints: dict | None = None, problems: list | None = None
) -> list:
    """Detections (with masks) from ``brushlabels`` results, ids kept."""
    hints = hints or {}
    labels = read_labels(
        results,
        lambda result: from_ls_instance(result, hints, problems),
        hints,
        problems,
    )
    seen = {label.id for label in labels}
    for label_id, hint in hints.items():
        empty = hint.get("empty")
        if empty is not None and label_id not in seen:
            label = fol.Detection(
                label=empty.get("label"),
                bounding_box=empty.get("bounding_box"),
                confidence=empty.get("confidence"),
            )
            label.id = label_id
            labels.append(with_index(label, hint))
    return labels


def from_ls_instance(result, hints=None, problems=None):
    """One Detection from a ``brushlabels`` result (ResultError if bad)."""
    value = result_value(result, RESULT_TYPE)
    cls = region_label(value, RESULT_TYPE, problems, result)
    width, height = brush_size(result)
    painted = painted_pixels(value, width, height)
    region_id = result_id(result)
    label_id = region_id if is_label_id(region_id) else new_label_id(region_id)
    hint = (hints or {}).get(label_id) or {}
    restored = _unchanged(painted, hint)
    if restored is not None:
        bounding_box, mask = restored
    else:
        bounding_box, mask = _tight(painted, width, height)
    label = fol.Detection(
        label=cls,
        bounding_box=bounding_box,
        mask=mask,
        confidence=result_score(result),
    )
    label.id = label_id
    return label


def _unchanged(painted, hint):
    """The original box and rendered mask when the pixels did not change."""
    box, digest = hint.get("box"), hint.get("digest")
    if not box or not digest or hint.get("bbox") is None:
        return None
    x0, y0, w, h = box
    patch = painted[y0 : y0 + h, x0 : x0 + w]
    if patch.shape != (h, w) or _digest(patch) != digest:
        return None
    if np.count_nonzero(painted) != np.count_nonzero(patch):
        return None  # painted outside the box
    return list(hint["bbox"]), patch.copy()


def _tight(painted, width, height):
    """Bounding box and mask of the painted pixels (as Detection.from_mask)."""
    rows = np.flatnonzero(painted.any(axis=1))
    cols = np.flatnonzero(painted.any(axis=0))
    if rows.size == 0:
        raise ResultError("brush region paints no pixel")
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    box = [x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height]
    return [float(v) for v in box], painted[y0:y1, x0:x1].copy()
