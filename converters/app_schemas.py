"""FiftyOne App label schemas -> the label schema of ``annotate()``.

FiftyOne >= 1.22 stores, per field, what the App's built-in annotation
offers (``dataset.label_schemas``; see
``fiftyone.core.annotation.generate_label_schemas``)::

    {"gt": {"type": "detections", "classes": ["cat", "dog"],
            "attributes": [{"name": "age", "type": "int",
                            "component": "slider", "range": [0, 9]},
                           {"name": "kind", "type": "str",
                            "component": "radio", "values": [...]}, ...]},
     "verified": {"type": "bool", "component": "toggle"}, ...}

:func:`to_label_schema` turns that into ``{field: {"type", "classes",
"attributes": {name: spec}}}`` with the attribute types of
:mod:`.attributes`; whatever no Label Studio control can edit without
loss (ids, dates, dicts, free-form lists, read-only settings, built-in
label fields) is left out, so FiftyOne's merge never touches it.
"""

from . import attributes as ac

# App schema types of label fields that Label Studio can annotate
LABEL_TYPES = (
    "classification",
    "classifications",
    "detection",
    "detections",
    "polyline",
    "polylines",
    "keypoint",
    "keypoints",
)
SCALAR_TYPES = ("str", "int", "float", "bool")
# sample fields that are never annotation targets
_NOT_TARGETS = {"id", "filepath", "tags", "created_at", "last_modified_at"}
_VALUE_COMPONENTS = {"radio": ac.RADIO, "dropdown": ac.SELECT}


def to_label_schema(app_schemas: dict, fields=None) -> dict:
    """The ``annotate()`` label schema of App label schemas.

    ``fields``: the fields to take (e.g. the dataset's active label
    schemas); None for every label field (primitive fields only when
    named in ``fields``). Fields Label Studio cannot annotate are skipped.
    """
    out = {}
    names = list(app_schemas) if fields is None else list(fields)
    for name in names:
        schema = app_schemas.get(name)
        if not isinstance(schema, dict) or schema.get("read_only"):
            continue
        app_type = schema.get("type")
        if app_type in LABEL_TYPES:
            out[name] = _label_field(schema)
        elif (
            fields is not None
            and app_type in SCALAR_TYPES
            and "." not in name
            and name not in _NOT_TARGETS
        ):
            out[name] = _scalar_field(schema)
    return out


def _label_field(schema: dict) -> dict:
    entry = {"type": schema["type"]}
    classes = [c for c in schema.get("classes") or [] if isinstance(c, str)]
    if classes:
        entry["classes"] = classes
    attributes = {}
    for attr in schema.get("attributes") or []:
        if not isinstance(attr, dict):
            continue
        name = attr.get("name")
        if not isinstance(name, str) or name in ac.BUILTIN_FIELDS:
            continue
        spec = to_attribute(attr)
        if spec is not None:
            attributes[name] = spec
    entry["attributes"] = attributes
    return entry


def _scalar_field(schema: dict) -> dict:
    entry = {"type": "scalar"}
    values = schema.get("values")
    if schema.get("type") == "str" and values:
        entry["classes"] = [str(v) for v in values]
    return entry


def to_attribute(attr: dict):
    """The attribute spec of one App attribute, or None when Label Studio
    cannot edit it without loss."""
    if attr.get("read_only"):
        return None
    app_type = attr.get("type")
    component = attr.get("component")
    values = attr.get("values")
    spec = None
    if app_type == "bool":
        spec = {"type": ac.CHECKBOX}
    elif app_type in ("str", "int", "float"):
        if values and component in _VALUE_COMPONENTS:
            spec = {"type": _VALUE_COMPONENTS[component], "values": values}
        elif app_type == "str":
            spec = {"type": ac.TEXT}
        else:
            spec = _number(app_type, attr)
    elif app_type in ("list<str>", "list<int>", "list<float>"):
        if values and component in ("checkboxes", "dropdown"):
            spec = {"type": ac.CHECKBOXES, "values": values}
    if spec is None:
        return None
    default = attr.get("default")
    if default is not None and _valid_default(spec, default):
        spec["default"] = default
    return spec


def _number(app_type, attr) -> dict:
    spec = {"type": ac.NUMBER}
    if app_type == "int":
        spec["integer"] = True
    bounds = attr.get("range")
    if isinstance(bounds, (list, tuple)) and len(bounds) == 2:
        low, high = bounds
        if ac.finite(low) is not None and ac.finite(high) is not None:
            spec["min"], spec["max"] = low, high
    precision = attr.get("precision")
    if app_type == "float" and isinstance(precision, int) and precision >= 0:
        spec["step"] = 10.0**-precision
    return spec


def _valid_default(spec, default) -> bool:
    if spec["type"] == ac.CHECKBOXES:
        return False  # FiftyOne checks defaults against values one by one
    if "values" in spec:
        return default in spec["values"]
    if spec["type"] == ac.CHECKBOX:
        return isinstance(default, bool)
    if spec["type"] == ac.TEXT:
        return isinstance(default, str)
    return ac.finite(default) is not None
