"""What can be annotated in a collection: label types per field (images,
video frames, video samples), existing fields, their class names, the
dataset's classes and mask targets, and the flat parameter names of the
request form. No App types here.
"""

import hashlib
import re

import fiftyone.core.fields as fof
import fiftyone.core.labels as fol

from ..backend.app_schemas import app_label_schema
from ..service.label_counts import LIST_ATTR

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
CLASSES_OPTIONAL = {"scalar"}
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Fields that are never annotation targets
RESERVED_FIELDS = {"id", "filepath", "tags", "metadata", "created_at"}
RESERVED_FIELDS |= {"last_modified_at", "_dataset_id", "_media_type", "_rand"}

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
    declared = _backend_declares("SUPPORTED_LABEL_TYPES")
    if declared:
        types_ = [t for t in ALL_TYPES if t in declared]
    if media_type == "video":
        limit = (
            VIDEO_FRAME_TYPES if is_frame_field(name) else VIDEO_SAMPLE_TYPES
        )
        types_ = [t for t in types_ if t in limit]
    return types_


def supported_media_types() -> list:
    return list(
        _backend_declares("SUPPORTED_MEDIA_TYPES") or ["image", "video"]
    )


def backend_supports_attributes() -> bool:
    """Whether the backend declares label attribute types (issue 7)."""
    return bool(_backend_declares("SUPPORTED_ATTR_TYPES"))


def _backend_declares(name: str):
    """A class attribute of the backend (None when it does not load)."""
    try:
        # deferred: the backend class loads FiftyOne's annotation
        # machinery; when that fails the forms offer FiftyOne's defaults
        from ..backend import LabelStudioBackend
    except Exception:
        return None
    return getattr(LabelStudioBackend, name, None)


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
            if name in RESERVED_FIELDS or name in media_fields:
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
    """The field's classes: ``dataset.classes``, else those of its App
    label schema (FiftyOne >= 1.22), else ``default_classes``."""
    return list(
        dataset.classes.get(name)
        or _app_schema_classes(dataset, name)
        or dataset.default_classes
        or []
    )


def _app_schema_classes(dataset, name) -> list:
    try:
        return app_label_schema(dataset, [name]).get(name, {}).get("classes")
    except Exception:  # an odd stored schema must not break the form
        return []


def dataset_mask_targets(dataset, name) -> dict:
    return dict(
        dataset.mask_targets.get(name) or dataset.default_mask_targets or {}
    )


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
