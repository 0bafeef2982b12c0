"""The "label fields" part of the request form, generated from the dataset
schema: existing fields of supported types, new fields with a type, their
classes (typed in, the dataset's classes, or the field's values) and mask
targets. Returns FiftyOne's ``label_schema`` or None with errors shown in
the form.

Per-field inputs use flat parameter names ``<field key>__<what>`` so that
any field name works in the App (no dots in parameter paths).
"""

import hashlib
import re

import fiftyone.core.fields as fof
import fiftyone.core.labels as fol
import fiftyone.operators.types as types

# FiftyOne label type strings, by the label class of an existing field
TYPES_BY_LABEL_CLS = {
    fol.Classification: ["classification"],
    fol.Classifications: ["classifications"],
    fol.Detection: ["detection", "instance"],
    fol.Detections: ["detections", "instances"],
    fol.Polyline: ["polyline", "polygon"],
    fol.Polylines: ["polylines", "polygons"],
    fol.Keypoint: ["keypoint"],
    fol.Keypoints: ["keypoints"],
    fol.Segmentation: ["segmentation"],
}
SCALAR_FIELD_TYPES = (
    fof.StringField,
    fof.IntField,
    fof.FloatField,
    fof.BooleanField,
)
# Label list attribute of list-type labels (where the class names live)
LIST_ATTR = {
    fol.Classifications: "classifications",
    fol.Detections: "detections",
    fol.Polylines: "polylines",
    fol.Keypoints: "keypoints",
}
TYPE_LABELS = {
    "classification": "Classification (one class per sample)",
    "classifications": "Classifications (several classes per sample)",
    "detections": "Detections (boxes)",
    "detection": "Detection (one box per sample)",
    "instances": "Instances (boxes with masks, drawn with a brush)",
    "instance": "Instance (one box with a mask per sample)",
    "polylines": "Polylines (open lines)",
    "polygons": "Polygons (closed shapes)",
    "polyline": "Polyline (one line per sample)",
    "polygon": "Polygon (one shape per sample)",
    "keypoints": "Keypoints",
    "keypoint": "Keypoint (one set per sample)",
    "segmentation": "Semantic segmentation (mask)",
    "scalar": "Scalar (text, number or a choice of classes)",
}
ALL_TYPES = list(TYPE_LABELS.keys())
# Types whose classes can be left empty
_CLASSES_OPTIONAL = {"scalar"}
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Fields that are never annotation targets
_RESERVED = {"id", "filepath", "tags", "metadata", "created_at"}
_RESERVED |= {"last_modified_at", "_dataset_id", "_media_type", "_rand"}

SOURCE_TYPED = "typed"
SOURCE_DATASET = "dataset"
SOURCE_VALUES = "values"


def field_key(name: str) -> str:
    """Parameter-name-safe key of a field (deterministic)."""
    safe = re.sub(r"[^A-Za-z0-9]", "_", name)
    if safe != name:
        safe += "_" + hashlib.sha1(name.encode()).hexdigest()[:6]
    return "field_" + safe


# What Label Studio's video tasks can hold (converters.video_tasks)
VIDEO_FRAME_TYPES = [
    "detections",
    "detection",
    "classifications",
    "classification",
]
VIDEO_SAMPLE_TYPES = ["classification", "classifications", "scalar"]
FRAMES_PREFIX = "frames."


def is_frame_field(name: str) -> bool:
    return name.startswith(FRAMES_PREFIX)


def valid_field_name(name: str, media_type: str = "image") -> bool:
    """Letters, digits, underscores; ``frames.<name>`` on videos."""
    if media_type == "video" and is_frame_field(name):
        name = name[len(FRAMES_PREFIX) :]
    return bool(NAME_RE.match(name))


def supported_types(media_type: str = "image", name: str = "") -> list:
    """The label types the backend supports for a field (all of
    FiftyOne's if the backend cannot tell)."""
    types_ = list(ALL_TYPES)
    try:
        from ..backend import LabelStudioBackend

        declared = getattr(LabelStudioBackend, "SUPPORTED_LABEL_TYPES", None)
        if declared:
            types_ = [t for t in ALL_TYPES if t in declared]
    except Exception:
        pass
    if media_type == "video":
        limit = (
            VIDEO_FRAME_TYPES if is_frame_field(name) else VIDEO_SAMPLE_TYPES
        )
        types_ = [t for t in types_ if t in limit]
    return types_


def supported_media_types() -> list:
    try:
        from ..backend import LabelStudioBackend

        declared = getattr(LabelStudioBackend, "SUPPORTED_MEDIA_TYPES", None)
        if declared:
            return list(declared)
    except Exception:
        pass
    return ["image", "video"]


def backend_supports_attributes() -> bool:
    """Whether the backend declares label attribute types (issue 7)."""
    try:
        from ..backend import LabelStudioBackend

        return bool(getattr(LabelStudioBackend, "SUPPORTED_ATTR_TYPES", []))
    except Exception:
        return False


def existing_label_fields(samples) -> dict:
    """``{field name: [allowed type strings]}`` of the collection's fields
    that can be annotated (``frames.<name>`` for video frame fields)."""
    media_type = samples.media_type
    media_fields = set(samples._dataset.app_config.media_fields or [])
    out = {}
    schemas = [("", samples.get_field_schema())]
    if media_type == "video":
        schemas.append((FRAMES_PREFIX, samples.get_frame_field_schema()))
    for prefix, schema in schemas:
        for name, field in (schema or {}).items():
            if name in _RESERVED or name in media_fields:
                continue
            if name.startswith("_") or name == "frame_number":
                continue
            path = prefix + name
            allowed = supported_types(media_type, path)
            found = _field_types(field, allowed)
            if found:
                out[path] = found
    return out


def _field_types(field, allowed) -> list:
    if isinstance(field, fof.EmbeddedDocumentField):
        for cls, type_strs in TYPES_BY_LABEL_CLS.items():
            if issubclass(field.document_type, cls):
                return [t for t in type_strs if t in allowed]
        return []
    if isinstance(field, SCALAR_FIELD_TYPES) and "scalar" in allowed:
        return ["scalar"]
    return []


def _label_cls(samples, name):
    field = samples.get_field(name)
    if isinstance(field, fof.EmbeddedDocumentField):
        return field.document_type
    return None


def field_values(samples, name) -> list:
    """The class names already used in an existing field (sorted)."""
    cls = _label_cls(samples, name)
    if cls is None:
        field = samples.get_field(name)
        if not isinstance(field, fof.StringField):
            return []
        path = name
    elif cls in LIST_ATTR:
        path = "%s.%s.label" % (name, LIST_ATTR[cls])
    elif cls is fol.Segmentation:
        return []
    else:
        path = "%s.label" % name
    try:
        return [str(v) for v in samples.distinct(path) if v not in (None, "")]
    except Exception:
        return []


def dataset_classes(dataset, name) -> list:
    return list(dataset.classes.get(name) or dataset.default_classes or [])


def dataset_mask_targets(dataset, name) -> dict:
    return dict(
        dataset.mask_targets.get(name) or dataset.default_mask_targets or {}
    )


def _preview(values, limit=8) -> str:
    values = list(values)
    shown = ", ".join(str(v) for v in values[:limit])
    if len(values) > limit:
        shown += ", ... (%d more)" % (len(values) - limit)
    return shown


def _field_names_input(inputs, ctx, existing):
    choices = types.DropdownView(
        label="Existing label fields",
        description=(
            "Fields of supported types; their current labels are sent "
            "along (see 'Send existing labels')"
        ),
    )
    for name, type_strs in sorted(existing.items()):
        choices.add_choice(name, label="%s (%s)" % (name, "/".join(type_strs)))
    if existing:
        inputs.list(
            "existing_fields",
            types.String(),
            default=[],
            label="Existing label fields",
            description="Annotate these fields of the dataset",
            view=choices,
        )
    else:
        inputs.view(
            "no_existing_fields",
            types.Notice(
                label="The dataset has no label fields of a supported "
                "type yet: add new fields below"
            ),
        )
    inputs.list(
        "new_fields",
        types.String(),
        default=[],
        label="New label fields",
        description="Names of new fields to create when loading",
    )
    chosen_existing = [
        f for f in (ctx.params.get("existing_fields") or []) if f
    ]
    chosen_new = [f for f in (ctx.params.get("new_fields") or []) if f]
    return chosen_existing, chosen_new


def label_schema_inputs(ctx, inputs, samples):
    """Adds the label field inputs; returns the ``label_schema`` or None."""
    dataset = ctx.dataset
    existing = existing_label_fields(dataset)
    inputs.view(
        "fields_header",
        types.Header(label="Label fields", divider=True),
    )
    chosen_existing, chosen_new = _field_names_input(inputs, ctx, existing)

    ok = True
    schema = {}
    seen = set()
    for name in chosen_existing:
        key = field_key(name)
        if name not in existing:
            ok = False
            _invalid_view(
                inputs,
                key + "__error",
                "'%s' is not a label field of a supported type in this "
                "dataset (new fields go under 'New label fields')" % name,
            )
            continue
        seen.add(name)
        entry = _field_inputs(ctx, inputs, samples, name, existing[name])
        if entry is None:
            ok = False
        else:
            schema[name] = entry

    for name in chosen_new:
        key = field_key(name)
        problem = None
        if not valid_field_name(name, dataset.media_type):
            problem = (
                "'%s': field names use letters, digits and underscores "
                "and start with a letter%s"
                % (
                    name,
                    (
                        " (frames.<name> for frame labels)"
                        if dataset.media_type == "video"
                        else ""
                    ),
                )
            )
        elif name in seen:
            problem = "'%s' is listed twice" % name
        elif dataset.has_field(name) or name in _RESERVED:
            problem = (
                "The dataset already has a field '%s': choose it under "
                "'Existing label fields' or pick another name" % name
            )
        if problem:
            ok = False
            _invalid_view(inputs, key + "__error", problem)
            continue
        seen.add(name)
        entry = _field_inputs(ctx, inputs, samples, name, None)
        if entry is None:
            ok = False
        else:
            schema[name] = entry

    if not chosen_existing and not chosen_new:
        _invalid_view(
            inputs,
            "fields_required",
            "Choose at least one existing label field or add a new one",
            severity=types.Notice,
        )
        ok = False

    return schema if ok else None


def _invalid_view(inputs, name, message, severity=types.Error):
    prop = inputs.view(name, severity(label=message))
    prop.invalid = True
    prop.error_message = message
    return prop


def _field_inputs(ctx, inputs, samples, name, existing_types):
    """Inputs of one field; returns its schema entry or None if invalid."""
    key = field_key(name)
    is_new = existing_types is None
    inputs.view(
        key + "__header",
        types.Header(
            label="%s field '%s'" % ("New" if is_new else "Existing", name),
            divider=True,
        ),
    )

    type_choices = (
        supported_types(ctx.dataset.media_type, name)
        if is_new
        else existing_types
    )
    if len(type_choices) > 1:
        dropdown = types.DropdownView()
        for t in type_choices:
            dropdown.add_choice(t, label=TYPE_LABELS.get(t, t))
        inputs.enum(
            key + "__type",
            dropdown.values(),
            required=is_new,
            default=None if is_new else type_choices[0],
            label="Label type of '%s'" % name,
            view=dropdown,
        )
        label_type = ctx.params.get(
            key + "__type", None if is_new else type_choices[0]
        )
    else:
        label_type = type_choices[0]
        inputs.view(
            key + "__type_notice",
            types.Notice(label="Type: %s" % TYPE_LABELS.get(label_type)),
        )
    if label_type not in type_choices:
        return None

    entry = {"type": label_type}
    if label_type == "segmentation":
        mask_targets = _mask_targets_inputs(ctx, inputs, name)
        if mask_targets is None:
            return None
        entry["mask_targets"] = mask_targets
    else:
        classes = _classes_inputs(ctx, inputs, samples, name, label_type)
        if classes is None:
            return None
        if classes:
            entry["classes"] = classes

    attributes = _attribute_inputs(ctx, inputs, name, label_type)
    if attributes:
        entry["attributes"] = attributes
    return entry


def _attribute_inputs(ctx, inputs, name, label_type):
    """Per-label attributes (issue 7). The seam: the backend declares no
    attribute types yet (``SUPPORTED_ATTR_TYPES``), so nothing is asked."""
    if not backend_supports_attributes():
        return None
    return None


def _classes_inputs(ctx, inputs, samples, name, label_type):
    """Classes of a field; [] allowed for scalars; None when invalid."""
    key = field_key(name)
    dataset = ctx.dataset
    from_dataset = dataset_classes(dataset, name)
    values = field_values(dataset, name) if dataset.has_field(name) else []

    sources = types.RadioGroup(orientation="horizontal")
    if from_dataset:
        sources.add_choice(
            SOURCE_DATASET,
            label="Dataset classes (%d)" % len(from_dataset),
            description=_preview(from_dataset),
        )
    if values:
        sources.add_choice(
            SOURCE_VALUES,
            label="Values in the field (%d)" % len(values),
            description=_preview(values),
        )
    sources.add_choice(SOURCE_TYPED, label="Type them in")
    default = (
        SOURCE_DATASET
        if from_dataset
        else SOURCE_VALUES if values else SOURCE_TYPED
    )
    inputs.enum(
        key + "__classes_source",
        sources.values(),
        default=default,
        required=False,
        label="Classes of '%s'" % name,
        view=sources,
    )
    source = ctx.params.get(key + "__classes_source") or default

    if source == SOURCE_DATASET and from_dataset:
        classes = from_dataset
    elif source == SOURCE_VALUES and values:
        classes = values
    else:
        prop = inputs.list(
            key + "__classes",
            types.String(),
            default=[],
            label="Classes of '%s'" % name,
            description=(
                "One class per item"
                + (
                    "; leave empty for free text or numbers"
                    if label_type in _CLASSES_OPTIONAL
                    else ""
                )
            ),
        )
        classes = [
            c.strip()
            for c in (ctx.params.get(key + "__classes") or [])
            if isinstance(c, str) and c.strip()
        ]
        dups = sorted({c for c in classes if classes.count(c) > 1})
        if dups:
            prop.invalid = True
            prop.error_message = "Duplicate classes: %s" % ", ".join(dups)
            return None
        if not classes and label_type not in _CLASSES_OPTIONAL:
            prop.invalid = True
            prop.error_message = "Enter at least one class for '%s'" % name
            return None
        return classes

    # extra classes can still be added to a dataset-provided list
    inputs.view(
        key + "__classes_preview",
        types.Notice(
            label="%d classes: %s" % (len(classes), _preview(classes))
        ),
    )
    return list(classes)


def _mask_targets_inputs(ctx, inputs, name):
    """Mask targets ``{pixel value: class}``; None when invalid."""
    key = field_key(name)
    from_dataset = dataset_mask_targets(ctx.dataset, name)
    sources = types.RadioGroup(orientation="horizontal")
    if from_dataset:
        sources.add_choice(
            SOURCE_DATASET,
            label="Dataset mask targets (%d)" % len(from_dataset),
            description=_preview(
                "%s=%s" % (k, v) for k, v in sorted(from_dataset.items())
            ),
        )
    sources.add_choice(SOURCE_TYPED, label="Type them in")
    default = SOURCE_DATASET if from_dataset else SOURCE_TYPED
    inputs.enum(
        key + "__mask_targets_source",
        sources.values(),
        default=default,
        required=False,
        label="Mask targets of '%s'" % name,
        view=sources,
    )
    source = ctx.params.get(key + "__mask_targets_source") or default
    if source == SOURCE_DATASET and from_dataset:
        return {int(k): str(v) for k, v in from_dataset.items()}

    item = types.Object()
    item.int("value", label="Pixel value", min=1, max=255, required=False)
    item.str("label", label="Class", required=False)
    prop = inputs.list(
        key + "__mask_targets",
        item,
        default=[],
        label="Mask targets of '%s'" % name,
        description="Pixel value (1-255) and class name; 0 is background",
    )
    targets, problem = parse_mask_targets(
        ctx.params.get(key + "__mask_targets") or []
    )
    if problem:
        prop.invalid = True
        prop.error_message = problem
        return None
    return targets


def parse_mask_targets(items):
    """``[{"value", "label"}]`` -> ``({value: label}, problem)``."""
    targets = {}
    for item in items:
        item = item or {}
        value, label = item.get("value"), (item.get("label") or "").strip()
        if value is None and not label:
            continue  # an empty row the user just added
        if not isinstance(value, (int, float)) or int(value) != value:
            return None, "Pixel values must be whole numbers"
        value = int(value)
        if not 1 <= value <= 255:
            return None, "Pixel values go from 1 to 255 (0 is background)"
        if not label:
            return None, "Give pixel value %d a class name" % value
        if value in targets:
            return None, "Pixel value %d is listed twice" % value
        if label in targets.values():
            return None, "Class '%s' is listed twice" % label
        targets[value] = label
    if not targets:
        return None, "Enter at least one mask target"
    return targets, None


def params_for_fields(dataset, label_fields: dict) -> dict:
    """Form parameters for ``{field: {"type", "classes", "mask_targets"}}``
    (the Python interface of ``request_annotations``)."""
    existing = existing_label_fields(dataset)
    params = {"existing_fields": [], "new_fields": []}
    for name, spec in label_fields.items():
        spec = spec or {}
        key = field_key(name)
        if name in existing:
            params["existing_fields"].append(name)
        else:
            params["new_fields"].append(name)
        if spec.get("type"):
            params[key + "__type"] = spec["type"]
        if spec.get("classes") is not None:
            params[key + "__classes_source"] = SOURCE_TYPED
            params[key + "__classes"] = list(spec["classes"])
        elif spec.get("classes_source"):
            params[key + "__classes_source"] = spec["classes_source"]
        if spec.get("mask_targets") is not None:
            params[key + "__mask_targets_source"] = SOURCE_TYPED
            params[key + "__mask_targets"] = [
                {"value": int(k), "label": v}
                for k, v in spec["mask_targets"].items()
            ]
    return params
