"""Checks a normalized FiftyOne label schema before anything is created.

FiftyOne's ``_build_label_schema`` already rejects unknown label types,
fields of the wrong type and new fields without classes; this module checks
what Label Studio additionally needs.
"""

import hashlib
import json

from ..converters.names import control_name

from .errors import LabelStudioBackendError

# Label types whose schema entries must list classes
LABEL_TYPES_WITH_CLASSES = (
    "classification",
    "classifications",
    "detection",
    "detections",
    "instance",
    "instances",
    "polyline",
    "polylines",
    "polygon",
    "polygons",
    "keypoint",
    "keypoints",
)


def class_names(label_info: dict) -> list:
    """Returns the flat class list of a schema entry (FiftyOne allows
    ``{"classes": [...], "attributes": {...}}`` entries)."""
    names = []
    for c in label_info.get("classes") or []:
        if isinstance(c, dict):
            names.extend(c.get("classes") or [])
        else:
            names.append(c)
    return names


def validate_label_schema(label_schema: dict) -> None:
    """Raises one clear error for the first problem in ``label_schema``."""
    if not label_schema or None in label_schema:
        raise LabelStudioBackendError(
            "Label Studio needs to know what to annotate: pass "
            "label_field=... (with label_type/classes for a new field) or "
            "label_schema={...}"
        )

    for field, info in label_schema.items():
        label_type = info.get("type")
        if label_type == "segmentation":
            _check_mask_targets(field, info.get("mask_targets"))
        else:
            _check_classes(field, label_type, class_names(info))

    _check_control_names(label_schema)


def _check_classes(field, label_type, classes):
    bad = [c for c in classes if not isinstance(c, str)]
    if bad:
        raise LabelStudioBackendError(
            "Field '%s': class names must be strings, got %r (%s). Pass "
            "classes as strings, e.g. classes=%r"
            % (
                field,
                bad[0],
                type(bad[0]).__name__,
                [str(c) for c in classes[:3]],
            )
        )

    if len(set(classes)) != len(classes):
        dups = sorted({c for c in classes if classes.count(c) > 1})
        raise LabelStudioBackendError(
            "Field '%s': class names must be unique, %r appear more than "
            "once. Remove the duplicates from classes" % (field, dups)
        )

    if label_type in LABEL_TYPES_WITH_CLASSES and not classes:
        raise LabelStudioBackendError(
            "Field '%s' has no classes (it is new or has no labels to take "
            "them from). Pass classes=[...] or give 'classes' in its "
            "label_schema entry" % field
        )


def _check_mask_targets(field, mask_targets):
    if not mask_targets:
        raise LabelStudioBackendError(
            "Field '%s' (segmentation) has no mask targets. Pass "
            "mask_targets={1: 'class', ...} or set "
            "dataset.mask_targets['%s']" % (field, field)
        )

    for value, name in mask_targets.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise LabelStudioBackendError(
                "Field '%s': mask target %r is not an integer pixel value "
                "(RGB mask targets are not supported by Label Studio "
                "brushes). Use integer keys 1..255" % (field, value)
            )
        if not 0 <= value <= 255:
            raise LabelStudioBackendError(
                "Field '%s': mask target %d is outside 0..255. Use 8-bit "
                "masks with keys 1..255" % (field, value)
            )
        if not isinstance(name, str) or not name:
            raise LabelStudioBackendError(
                "Field '%s': mask target %d needs a non-empty string class "
                "name, got %r" % (field, value, name)
            )

    names = [n for v, n in mask_targets.items() if v != 0]
    if not names:
        raise LabelStudioBackendError(
            "Field '%s': mask targets only define the background (0). Add "
            "at least one class, e.g. mask_targets={0: 'background', "
            "1: 'cat'}" % field
        )
    if len(set(names)) != len(names):
        raise LabelStudioBackendError(
            "Field '%s': mask target class names must be unique (Label "
            "Studio tells brushes apart by name). Rename the duplicates"
            % field
        )


def _check_control_names(label_schema):
    seen = {}
    for field in label_schema:
        name = control_name(field)
        if name in seen:
            raise LabelStudioBackendError(
                "Fields '%s' and '%s' map to the same Label Studio control "
                "name '%s'. Rename one of them" % (seen[name], field, name)
            )
        seen[name] = field


def schema_hash(label_schema: dict) -> str:
    """Returns a short, stable hash of the schema (to notice changes)."""
    text = json.dumps(label_schema, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]
