"""Label attributes, keypoint skeletons and geometry attributes: what the
backend adds to FiftyOne's label schema around the pure converters.

- :func:`recommend_attr_tool` / :func:`requires_attr_values`: FiftyOne's
  backend contract (``annotate(attributes=True)`` asks for a tool per
  attribute found on the existing labels).
- :func:`prepare_schema`: checks attribute specs and control names,
  records each keypoint field's skeleton point names (``"skeleton"``) and
  the value range of number fields from the App label schemas.
- :func:`declare_geometry_attributes`: FiftyOne's merge copies only the
  attributes the schema declares onto existing labels; Detection
  ``rotation`` (a Label Studio box rotation) is declared for the merge
  when a loaded or stored box of the field is rotated.
"""

import numbers

from ..converters import attributes as ac
from .app_schemas import add_scalar_ranges
from .errors import LabelStudioBackendError
from .group_samples import every_sample

SUPPORTED_ATTR_TYPES = tuple(ac.ATTR_TYPES)
_KEYPOINT_TYPES = ("keypoint", "keypoints")
_BOX_TYPES = ("detection", "detections")
ROTATION = "rotation"


def recommend_attr_tool(name, value) -> dict:
    """The attribute spec for an attribute with an example ``value``.

    Values no control can edit without loss (lists, dicts, dates) are
    declared ``read_only``: they are not shown and FiftyOne's merge leaves
    them alone.
    """
    if isinstance(value, bool):
        return {"type": ac.OCCLUDED if name == "occluded" else ac.CHECKBOX}
    if isinstance(value, numbers.Integral):
        return {"type": ac.NUMBER, "integer": True}
    if isinstance(value, numbers.Real):
        return {"type": ac.NUMBER}
    if value is None or isinstance(value, str):
        return {"type": ac.TEXT}
    return {"type": ac.TEXT, "read_only": True}


def requires_attr_values(attr_type) -> bool:
    return attr_type in ac.VALUE_TYPES


def prepare_schema(samples, label_schema: dict) -> None:
    """Adds skeletons and checks attributes (in place).

    Raises:
        LabelStudioBackendError: for an attribute or skeleton Label
            Studio cannot show
    """
    if not label_schema or None in label_schema:
        return  # the schema check that follows explains what is missing
    for field, info in label_schema.items():
        if info.get("type") in _KEYPOINT_TYPES:
            names = skeleton_names(samples, field)
            if names:
                info["skeleton"] = names
    add_scalar_ranges(samples, label_schema)
    try:
        ac.controls_of(label_schema)
    except ValueError as e:
        raise LabelStudioBackendError(str(e)) from None


def skeleton_names(samples, field: str):
    """The point names of ``field``'s skeleton (or the default one), or
    None.

    Raises:
        LabelStudioBackendError: when the names repeat
    """
    dataset = samples._root_dataset
    skeleton = (dataset.skeletons or {}).get(field) or dataset.default_skeleton
    names = list(getattr(skeleton, "labels", None) or [])
    if not names:
        return None
    names = [str(n) for n in names]
    if len(set(names)) != len(names):
        raise LabelStudioBackendError(
            "The keypoint skeleton of field '%s' repeats point names %r; "
            "Label Studio tells points apart by name. Give every point a "
            "distinct name"
            % (field, sorted({n for n in names if names.count(n) > 1}))
        )
    return names


def declare_geometry_attributes(results, annotations: dict) -> None:
    """Declares Detection ``rotation`` in the attributes of box fields
    whose boxes are rotated (in Label Studio, or in the dataset), so that
    FiftyOne's merge copies edited rotations onto existing labels.

    Changes the run's schema in memory only (the run document keeps the
    schema it was created with).
    """
    schema = results.config.label_schema
    dataset = every_sample(results.samples._root_dataset)
    for field, info in schema.items():
        if info.get("type") not in _BOX_TYPES:
            continue
        if ROTATION in (info.get("attributes") or {}):
            continue
        if _loaded_rotation(annotations.get(field)) or _stored_rotation(
            dataset, field
        ):
            info.setdefault("attributes", {})[ROTATION] = {"type": ac.NUMBER}


def _loaded_rotation(field_annos) -> bool:
    for labels in ((field_annos or {}).get("detections") or {}).values():
        for label in (labels or {}).values():
            # a Label, or its raw document (bulk_load's fields)
            if isinstance(label, dict):
                value = label.get(ROTATION)
            else:
                value = label.get_attribute_value(ROTATION, None)
            if value is not None:
                return True
    return False


def _stored_rotation(dataset, field) -> bool:
    """Whether any label of the field has a rotation (one aggregation)."""
    path = _label_path(dataset, field)
    if path is None:
        return False
    try:
        return dataset.count(path + "." + ROTATION) > 0
    except Exception:  # an unusual schema: rotation is only a nicety
        return False


def _label_path(dataset, field):
    if not dataset.has_field(field):
        return None
    _, path = dataset._get_label_field_path(field)
    return path
