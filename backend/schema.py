"""Checks a normalized FiftyOne label schema before anything is created.

FiftyOne's ``_build_label_schema`` already rejects unknown label types,
fields of the wrong type and new fields without classes; this module checks
what Label Studio additionally needs.
"""

import hashlib
import json

from ..converters.classes import (
    LABEL_TYPES_WITH_CLASSES,
    class_names,
    class_names_error,
)
from ..converters.names import control_name
from .errors import LabelStudioBackendError


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
    error = class_names_error(
        field, classes, required=label_type in LABEL_TYPES_WITH_CLASSES
    )
    if error is not None:
        raise LabelStudioBackendError(error)


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
