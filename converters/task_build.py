"""One sample's fields -> one Label Studio task (the import JSON).

The results come back with :func:`.task_read.task_to_labels`.

Upload (:func:`sample_to_task`)::

    {"data": {"image": <media url>,
              "fiftyone": {"sample_id": ..., "media": <path or url>,
                           "class_ids": {field: {class: label id}},
                           "hints": {field: {label id: {...}}}}},
     "predictions": [{"model_version": "fiftyone", "result": [...]}]}

``hints`` (only present when needed) carry what regions cannot: label
``index``, polyline ``filled``, and labels that send no region at all
(keypoints with no visible point, shape-less polylines, box-less
detections) so that the load does not delete them.
"""

from . import attributes as ac
from . import classifications as cc
from .label_types import field_label_hints, to_ls_field
from .names import control_name

MODEL_VERSION = "fiftyone"  # == constants.PREDICTION_MODEL_VERSION
META_KEY = "fiftyone"  # == constants.TASK_META_KEY


def sample_to_task(
    sample_id: str,
    media_url: str,
    media_ref: str,
    field_labels: dict,
    label_schema: dict,
    width: int,
    height: int,
) -> dict:
    """The import JSON of one task (existing labels as one prediction)."""
    results, class_ids, hints = [], {}, {}
    for field, info in label_schema.items():
        value = field_labels.get(field)
        if value is None:
            continue
        control = control_name(field)
        regions = to_ls_field(value, control, width, height, info)
        results.extend(regions)
        attr_results, attr_hints = ac.to_ls_attributes(
            _label_list(value, info), field, info, regions
        )
        results.extend(attr_results)
        label_type = info["type"]
        if label_type in ("classification", "classifications"):
            class_ids[field] = cc.class_ids(value)
        field_hints = field_label_hints(value, info, width, height)
        for label_id, hint in attr_hints.items():
            field_hints.setdefault(label_id, {}).update(hint)
        if field_hints:
            hints[field] = field_hints
    meta = {"sample_id": sample_id, "media": media_ref, "class_ids": class_ids}
    if hints:
        meta["hints"] = hints
    task = {"data": {"image": media_url, META_KEY: meta}}
    if results:
        task["predictions"] = [
            {"model_version": MODEL_VERSION, "result": results}
        ]
    return task


def _label_list(value, info) -> list:
    """The labels of a field value (none for scalars and masks)."""
    if info["type"] in ac.NO_ATTRIBUTE_TYPES or value is None:
        return []
    list_field = getattr(value, "_LABEL_LIST_FIELD", None)
    if list_field is not None:
        return list(value[list_field] or [])
    return [value] if hasattr(value, "id") else list(value)
