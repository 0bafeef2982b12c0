"""Instance masks and semantic segmentations <-> ``BrushLabels`` results.

A brush region is a full-frame RLE mask (see :mod:`.rle`); painted pixels
have alpha >= 128 (half coverage: the Label Studio brush draws soft edges).

Instances (``Detection.mask``):

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

Semantic segmentation (``Segmentation.mask``, 2-D integer classes):

- upload: one region per non-zero class value present, id
  ``"<label id>_<value>"``, ``brushlabels = [mask_targets[value]]`` (or
  ``str(value)`` when the value has no target). Masks of another size than
  the image are resized to it (nearest neighbour).
- load: regions paint their class value over a zero mask in result order
  (later regions win); a region whose class is not a target name (nor a
  number) is reported as a problem and not painted.
- RGB masks and RGB (hex) mask targets are not supported (ValueError).

Masks stored on disk (``mask_path``) must be loaded by the caller (e.g.
with :func:`load_masks`); the converters never read files.
"""

import hashlib

import cv2
import fiftyone.core.labels as fol
import numpy as np

from .names import is_label_id, parse_region_id
from .results import (
    ResultError,
    finite_or_none,
    index_hint,
    labels_of,
    new_label_id,
    region_label,
    region_result,
    report,
    result_id,
    result_score,
    result_value,
    with_index,
)
from .rle import decode_rle, encode_rle

RESULT_TYPE = "brushlabels"
PAINTED = 128  # alpha from which a brush pixel counts as painted
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
    if label.mask is None:
        if getattr(label, "mask_path", None):
            raise ValueError(
                "instance %s has its mask on disk (mask_path); load it "
                "first (converters.masks.load_masks)" % label.id
            )
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
    labels, seen = [], set()
    for result in results:
        try:
            label = from_ls_instance(result, hints, problems)
        except ResultError as e:
            report(problems, result, str(e))
            continue
        if label.id in seen:
            report(problems, result, "duplicated region id")
            continue
        seen.add(label.id)
        labels.append(with_index(label, hints.get(label.id)))
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
    width, height = _size(result)
    painted = _painted(value, width, height)
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


# --- semantic segmentation ---------------------------------------------


def to_ls_segmentation(
    label, control: str, width: int, height: int, mask_targets=None
) -> list:
    """One ``brushlabels`` region per non-zero class value present."""
    if label is None:
        return []
    targets = _targets(mask_targets)
    mask = _class_mask(label, width, height)
    results = []
    for value in np.flatnonzero(np.bincount(mask.ravel())):
        if value == 0:
            continue
        alpha = (mask == value).view(np.uint8) * np.uint8(255)
        region = {
            "format": "rle",
            "rle": encode_rle(alpha),
            RESULT_TYPE: [targets.get(int(value), str(int(value)))],
        }
        results.append(
            region_result(
                "%s_%d" % (label.id, value),
                control,
                RESULT_TYPE,
                region,
                width,
                height,
            )
        )
    return results


def segmentation_hints(label, width: int, height: int) -> dict:
    """``{label id: {"segmentation": {...}}}``: brings back a Segmentation
    that sent no region (all background) and its original mask shape."""
    if label is None or label.mask is None:
        return {}
    shape = np.asarray(label.mask).shape
    return {label.id: {"segmentation": {"shape": list(shape[:2])}}}


def from_ls_segmentation(
    results: list,
    mask_targets=None,
    hints: dict | None = None,
    problems: list | None = None,
    unknown: dict | None = None,
) -> list:
    """``[Segmentation]`` painted from the regions (``[]`` if none).

    Class names map back through ``mask_targets``. Regions of other
    classes are reported and skipped, or, when ``unknown`` is a dict,
    collected there as ``{class: Segmentation}`` (a 0/255 mask of that
    class's pixels, ``label`` = the class) for the caller to decide on.
    The label id comes from the region ids.
    """
    values = {name: value for value, name in _targets(mask_targets).items()}
    mask = label_id = None
    for result in results:
        try:
            value = result_value(result, RESULT_TYPE)
            cls = region_label(value, RESULT_TYPE, problems, result)
            if unknown is not None and not _is_target(cls, values):
                _add_unknown(unknown, cls, value, result)
                continue
            target = _class_value(cls, values)
            width, height = _size(result)
            if mask is not None and mask.shape != (height, width):
                raise ResultError(
                    "image size %dx%d differs from the other regions'"
                    % (width, height)
                )
            painted = _painted(value, width, height)
        except ResultError as e:
            report(problems, result, str(e))
            continue
        if mask is None:
            dtype = (
                np.uint8
                if max(values.values(), default=0) < 256
                else (np.uint16)
            )
            mask = np.zeros((height, width), dtype=dtype)
        if target > np.iinfo(mask.dtype).max:
            mask = mask.astype(np.uint16)
        mask[painted] = target
        owner, _ = parse_region_id(result.get("id"))
        label_id = label_id or owner
    hint = _segmentation_hint(hints, label_id)
    if mask is None:
        if hint is None:
            return []
        label_id, info = hint
        mask = np.zeros(info["shape"], dtype=np.uint8)
    elif hint is not None:
        label_id, info = hint
        shape = tuple(info.get("shape") or mask.shape)
        if shape != mask.shape:
            mask = cv2.resize(
                mask, shape[::-1], interpolation=cv2.INTER_NEAREST
            )
    label = fol.Segmentation(mask=mask)
    label.id = label_id or new_label_id()
    return [label]


def _segmentation_hint(hints, label_id):
    """``(label id, info)`` of the uploaded segmentation, if any."""
    for hint_id, hint in (hints or {}).items():
        info = hint.get("segmentation") if isinstance(hint, dict) else None
        if info is not None and label_id in (None, hint_id):
            return hint_id, info
    return None


def _targets(mask_targets) -> dict:
    """``{int value: class name}``; RGB targets are not supported."""
    out = {}
    for key, name in (mask_targets or {}).items():
        if isinstance(key, str) and key.startswith("#"):
            raise ValueError("RGB mask targets are not supported: %r" % key)
        try:
            value = int(key)
        except (TypeError, ValueError):
            raise ValueError("mask target key is not an integer: %r" % key)
        out[value] = str(name)
    return out


def _is_target(cls: str, values: dict) -> bool:
    try:
        _class_value(cls, values)
    except ResultError:
        return False
    return True


def _add_unknown(unknown: dict, cls: str, value: dict, result: dict):
    """Paints one region of an unknown class into ``unknown[cls]``."""
    width, height = _size(result)
    painted = _painted(value, width, height)
    label = unknown.get(cls)
    if label is None:
        label = fol.Segmentation(
            mask=np.zeros((height, width), dtype=np.uint8), label=cls
        )
        label.id = new_label_id(result.get("id"))
        unknown[cls] = label
    elif label.mask.shape != (height, width):
        raise ResultError(
            "image size %dx%d differs from the other regions'"
            % (width, height)
        )
    label.mask[painted] = 255


def _class_value(cls: str, values: dict) -> int:
    if cls in values:
        return values[cls]
    if cls.isdigit() and str(int(cls)) == cls and int(cls) < 65536:
        return int(cls)
    raise ResultError("class %r is not one of the mask targets" % cls)


def _class_mask(label, width, height):
    """The class mask as unsigned integers, at the image size."""
    if label.mask is None:
        if getattr(label, "mask_path", None):
            raise ValueError(
                "segmentation %s has its mask on disk (mask_path); load it "
                "first (converters.masks.load_masks)" % label.id
            )
        return np.zeros((height, width), dtype=np.uint8)
    mask = np.asarray(label.mask)
    if mask.ndim != 2:
        raise ValueError(
            "segmentation masks must be 2-D class masks (RGB masks are not "
            "supported), got shape %s" % (mask.shape,)
        )
    if mask.dtype == bool:
        mask = mask.view(np.uint8)
    if not np.issubdtype(mask.dtype, np.integer):
        raise ValueError("segmentation mask dtype %s" % mask.dtype)
    if mask.size and (mask.min() < 0 or mask.max() > 65535):
        raise ValueError("segmentation mask values must be in 0..65535")
    mask = mask.astype(np.uint16 if mask.max(initial=0) > 255 else np.uint8)
    if mask.shape != (height, width):
        mask = cv2.resize(
            mask, (width, height), interpolation=cv2.INTER_NEAREST
        )
    return mask


# --- shared ------------------------------------------------------------


def _size(result) -> tuple:
    """``(width, height)`` of the image a brush result was drawn on."""
    width = result.get("original_width")
    height = result.get("original_height")
    for name, v in (("original_width", width), ("original_height", height)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ResultError("brush result needs a positive %s" % name)
    return width, height


def _painted(value: dict, width: int, height: int):
    """The bool mask a brush value paints."""
    if value.get("format", "rle") != "rle":
        raise ResultError("brush format %r is not rle" % value.get("format"))
    if "rle" not in value:
        raise ResultError("brush result has no 'rle'")
    try:
        alpha = decode_rle(value["rle"], height, width)
    except ValueError as e:
        raise ResultError("malformed RLE: %s" % e) from None
    return alpha >= PAINTED


def load_masks(labels):
    """Copies of the labels with ``mask_path`` masks read into ``mask``.

    The one place that reads files, with FiftyOne's own reader; for the
    caller to use before converting.
    """
    if labels is None:
        return None
    if isinstance(labels, fol.Detections):
        out = labels.copy()
        for label in out.detections:
            _load(label)
        return out
    out = labels.copy()
    _load(out)
    return out


def _load(label):
    if getattr(label, "mask", None) is None and getattr(
        label, "mask_path", None
    ):
        label.mask = label.get_mask()
