"""The attribute schema of a field: which attributes become which Label
Studio controls (see :mod:`.attributes` for the values).

:func:`field_attributes` normalizes a field's ``attributes`` (and those
of its per-class ``classes`` groups) into specs; :func:`controls_of`
checks that no two controls of a schema share a name;
:func:`control_specs` describes the XML of each control for
``label_config``.
"""

import math

from .names import control_name
from .results import IMAGE_TAG_NAME

TEXT = "text"
SELECT = "select"
RADIO = "radio"
CHECKBOX = "checkbox"
OCCLUDED = "occluded"
CHECKBOXES = "checkboxes"
NUMBER = "number"
ATTR_TYPES = (TEXT, SELECT, RADIO, CHECKBOX, OCCLUDED, CHECKBOXES, NUMBER)
BOOL_TYPES = (CHECKBOX, OCCLUDED)
VALUE_TYPES = (SELECT, RADIO, CHECKBOXES)  # need a list of values
HINT_KEY = "attributes"

# attributes that are geometry for some label types (never a control)
GEOMETRY_ATTRS = {
    "detection": ("rotation",),
    "detections": ("rotation",),
}
IMAGE_LEVEL_TYPES = ("classification", "classifications")
# built-in label fields: the converters carry them, never as attributes
BUILTIN_FIELDS = frozenset(
    (
        "_id",
        "_cls",
        "id",
        "attributes",
        "tags",
        "label",
        "confidence",
        "index",
        "logits",
        "bounding_box",
        "mask",
        "mask_path",
        "points",
        "closed",
        "filled",
        "instance",
    )
)
NO_ATTRIBUTE_TYPES = ("segmentation", "scalar")

_RESULT_TYPES = {
    TEXT: "textarea",
    NUMBER: "number",
}  # every other type: "choices"


# --- the schema --------------------------------------------------------


def attribute_control(field: str, name: str) -> str:
    """The control name of attribute ``name`` of ``field``."""
    return "%s__%s" % (control_name(field), control_name(name))


def field_attributes(field: str, info: dict) -> list[dict]:
    """The attribute specs of a field that become controls, in order.

    Each spec: ``{"name", "type", "control", "values", "default",
    "classes"}`` plus ``min``/``max``/``step``/``integer`` for numbers;
    ``classes`` is None for attributes of every class, else the classes
    whose labels have it. Read-only attributes are left out (FiftyOne never
    merges them). Raises ValueError for specs Label Studio cannot show.
    """
    label_type = info.get("type")
    if label_type in NO_ATTRIBUTE_TYPES:
        return []
    skip = set(GEOMETRY_ATTRS.get(label_type, ()))
    specs = {}
    _add_specs(specs, field, info.get("attributes"), None, skip)
    for group in info.get("classes") or []:
        if isinstance(group, dict):
            classes = [str(c) for c in group.get("classes") or []]
            _add_specs(specs, field, group.get("attributes"), classes, skip)
    return list(specs.values())


def _add_specs(specs, field, attributes, classes, skip):
    for name, attr in (attributes or {}).items():
        if name in skip or not isinstance(attr, dict):
            continue
        if attr.get("read_only"):
            continue
        spec = _spec(field, name, attr, classes)
        prev = specs.get(name)
        if prev is None:
            specs[name] = spec
        elif prev["classes"] is None or classes is None:
            prev["classes"] = None  # one attribute of every class wins
        elif _same_kind(prev, spec):
            prev["classes"] = prev["classes"] + [
                c for c in classes if c not in prev["classes"]
            ]
        else:
            raise ValueError(
                "field %r: attribute %r is declared differently for "
                "different classes; Label Studio has one control per "
                "attribute" % (field, name)
            )


def _same_kind(a, b):
    keys = ("type", "values", "min", "max", "step", "integer")
    return all(a.get(k) == b.get(k) for k in keys)


def _spec(field, name, attr, classes) -> dict:
    if not isinstance(name, str) or not name:
        raise ValueError("field %r: attribute names must be strings" % field)
    if name in BUILTIN_FIELDS:
        raise ValueError(
            "field %r: %r is a built-in label field, not an attribute; "
            "remove it from the attributes" % (field, name)
        )
    attr_type = attr.get("type")
    if attr_type not in ATTR_TYPES:
        raise ValueError(
            "field %r: attribute %r has type %r; Label Studio supports %s"
            % (field, name, attr_type, ", ".join(ATTR_TYPES))
        )
    spec = {
        "name": name,
        "type": attr_type,
        "control": attribute_control(field, name),
        "classes": classes,
        "default": attr.get("default"),
    }
    if attr_type in VALUE_TYPES:
        values = list(attr.get("values") or [])
        if not values:
            raise ValueError(
                "field %r: attribute %r of type %r needs a list of values"
                % (field, name, attr_type)
            )
        names = [choice_text(v) for v in values]
        if len(set(names)) != len(names):
            raise ValueError(
                "field %r: values of attribute %r are not distinct as "
                "text: %r" % (field, name, values)
            )
        spec["values"] = values
    if attr_type == NUMBER:
        for key in ("min", "max", "step"):
            value = attr.get(key)
            if value is not None and finite(value) is None:
                raise ValueError(
                    "field %r: attribute %r: %s must be a number"
                    % (field, name, key)
                )
            spec[key] = value
        spec["integer"] = bool(attr.get("integer"))
    return spec


def choice_text(value) -> str:
    """The ``<Choice>`` text of an attribute value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def controls_of(label_schema: dict) -> dict:
    """``{attribute control: (field, spec)}`` of a whole schema.

    Raises ValueError when two controls (fields or attributes) share a
    name.
    """
    names = {control_name(f): ("field", f) for f in label_schema}
    out = {}
    for field, info in label_schema.items():
        for spec in field_attributes(field, info):
            control = spec["control"]
            if control in names:
                raise ValueError(
                    "attribute %r of field %r and %s %r map to the same "
                    "Label Studio control name %r; rename one of them"
                    % (spec["name"], field, *names[control], control)
                )
            names[control] = ("attribute of field", field)
            out[control] = (field, spec)
    return out


# --- config ------------------------------------------------------------


def control_specs(field: str, info: dict) -> list[dict]:
    """What ``label_config`` needs to write each attribute control:
    ``{"tag", "attrs", "choices", "name", "classes"}``."""
    per_region = info.get("type") not in IMAGE_LEVEL_TYPES
    out = []
    for spec in field_attributes(field, info):
        attrs = {"name": spec["control"], "toName": IMAGE_TAG_NAME}
        if per_region:
            attrs["perRegion"] = "true"
        choices = []
        attr_type = spec["type"]
        if attr_type == TEXT:
            tag = "TextArea"
            attrs.update(editable="true", maxSubmissions="1", rows="1")
        elif attr_type == NUMBER:
            tag = "Number"
            for key in ("min", "max", "step"):
                if spec.get(key) is not None:
                    attrs[key] = _number_text(spec[key])
            if "step" not in attrs:
                attrs["step"] = "1" if spec["integer"] else "any"
        else:
            tag = "Choices"
            if attr_type in BOOL_TYPES:
                attrs["choice"] = "multiple"
                choices = [spec["name"]]
            elif attr_type == CHECKBOXES:
                attrs["choice"] = "multiple"
                choices = [choice_text(v) for v in spec["values"]]
            else:
                attrs["choice"] = "single-radio"
                if attr_type == SELECT:
                    attrs["choice"] = "single"
                    attrs["layout"] = "select"
                choices = [choice_text(v) for v in spec["values"]]
        out.append(
            {
                "tag": tag,
                "attrs": attrs,
                "choices": choices,
                "name": spec["name"],
                "classes": spec["classes"],
            }
        )
    return out


# --- helpers -----------------------------------------------------------


def result_type(spec) -> str:
    """The result type of an attribute's control."""
    return _RESULT_TYPES.get(spec["type"], "choices")


def finite(value):
    """``value`` when it is a finite int or float (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def _number_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
