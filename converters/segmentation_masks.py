"""Semantic segmentations (``Segmentation.mask``, 2-D integer classes)
<-> ``BrushLabels`` results.

Brush regions are described in :mod:`.brush`.

- upload: one region per non-zero class value present, id
  ``"<label id>_<value>"``, ``brushlabels = [mask_targets[value]]`` (or
  ``str(value)`` when the value has no target). Masks of another size than
  the image are resized to it (nearest neighbour).
- load: regions paint their class value over a zero mask in result order
  (later regions win); a region whose class is not a target name (nor a
  number) is reported as a problem and not painted.
- RGB masks and RGB (hex) mask targets are not supported (ValueError).
"""

import cv2
import fiftyone.core.labels as fol
import numpy as np

from .brush import (
    RESULT_TYPE,
    brush_size,
    painted_pixels,
    refuse_mask_path,
)
from .names import parse_region_id
from .results import (
    ResultError,
    new_label_id,
    region_label,
    region_result,
    report,
    result_value,
)
from .rle import encode_rle


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
            width, height = brush_size(result)
            if mask is not None and mask.shape != (height, width):
                raise ResultError(
                    "image size %dx%d differs from the other regions'"
                    % (width, height)
                )
            painted = painted_pixels(value, width, height)
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
    width, height = brush_size(result)
    painted = painted_pixels(value, width, height)
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
    refuse_mask_path(label, "segmentation")
    if label.mask is None:
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
