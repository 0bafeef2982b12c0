"""Whole tasks: one sample's fields <-> one Label Studio task.

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

Load (:func:`task_to_labels`) returns ``(labels, problems, unexpected)``:

- ``labels``: ``{field: {return_type: {label id: Label}}}`` for label
  fields and ``{field: {"scalar": value}}`` for scalar fields, for EVERY
  schema field (an empty dict means "all labels deleted"). The backend
  puts each inner dict under the sample id, as FiftyOne's
  ``download_annotations`` contract wants.
- ``problems``: ``(from_name, region id, reason)`` for every result that
  did not load as-is (nothing is dropped silently).
- ``unexpected``: ``{name: {return_type: {label id: Label}}}`` (or
  ``{"scalar": value}``) for results the schema does not expect: controls
  that are not in the schema (``name`` = ``from_name``, converted by their
  result type) and NEW labels whose class is not in the field's classes
  (``name`` = field). The backend applies FiftyOne's ``unexpected=``
  policy to them. Uploaded labels keep their class even when it is not in
  the classes (the schema may list fewer classes than the field holds);
  that is reported, never a deletion.
"""

from collections import defaultdict

from . import attributes as ac
from . import checks as ck
from . import classifications as cc
from . import detections as dc
from . import keypoints as kc
from . import instance_masks as im
from . import polylines as pc
from . import scalars as sc
from . import segmentation_masks as sm
from .names import control_name
from .results import (
    clean_hints,
    is_label_id,
    new_label_id,
    parse_multi_region_id,
    report,
)

MODEL_VERSION = "fiftyone"  # == constants.PREDICTION_MODEL_VERSION
META_KEY = "fiftyone"  # == constants.TASK_META_KEY

RETURN_TYPES = {
    "classification": "classifications",
    "classifications": "classifications",
    "detection": "detections",
    "detections": "detections",
    "instance": "detections",
    "instances": "detections",
    "polyline": "polylines",
    "polylines": "polylines",
    "polygon": "polylines",
    "polygons": "polylines",
    "keypoint": "keypoints",
    "keypoints": "keypoints",
    "segmentation": "segmentation",
    "scalar": "scalar",
}
SINGLE_TYPES = (
    "classification",
    "detection",
    "instance",
    "polyline",
    "polygon",
    "keypoint",
)
# result types of controls that are not in the schema -> schema type
_UNEXPECTED_TYPES = {
    "rectanglelabels": "detections",
    "polygonlabels": "polygons",
    "vectorlabels": "polylines",
    "keypointlabels": "keypoints",
    "brushlabels": "instances",
    "choices": "classifications",
    "number": "scalar",
    "textarea": "scalar",
}


def polyline_result_type(label_info: dict) -> str:
    """The result type of a polyline field's control: ``polygonlabels``
    for polygon(s), ``vectorlabels`` (open or closed) for polyline(s) —
    ``polygonlabels`` too for polyline(s) marked ``as_polygons`` (servers
    whose editor has no VectorLabels; see backend/server_checks.py).

    Must agree with ``label_config.build_label_config``.
    """
    if label_info["type"] in ("polygon", "polygons"):
        return pc.POLYGON
    if label_info.get(pc.AS_POLYGONS):
        return pc.POLYGON
    return pc.VECTOR


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
        regions = _to_ls(value, control, width, height, info)
        results.extend(regions)
        attr_results, attr_hints = ac.to_ls_attributes(
            _label_list(value, info), field, info, regions
        )
        results.extend(attr_results)
        label_type = info["type"]
        if label_type in ("classification", "classifications"):
            class_ids[field] = cc.class_ids(value)
        field_hints = _hints(value, info, width, height)
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


def task_to_labels(task_data: dict, results: list, label_schema: dict):
    """``(labels, problems, unexpected)`` of one annotation (see above)."""
    # task data can be edited in Label Studio: trust no shape in it
    meta = _mapping(_mapping(task_data).get(META_KEY))
    class_ids = _mapping(meta.get("class_ids"))
    hints = _mapping(meta.get("hints"))
    fields = {control_name(f): f for f in label_schema}
    attr_controls = ac.controls_of(label_schema)
    problems = []
    by_control = defaultdict(list)
    by_attr_field = defaultdict(list)
    unknown = defaultdict(list)
    region_owner = _region_owners(results)
    for result in results or []:
        if not isinstance(result, dict):
            problems.append((None, None, "result is not an object"))
            continue
        from_name = result.get("from_name")
        if not isinstance(from_name, str) or not from_name:
            report(problems, result, "result has no 'from_name'")
        elif from_name in fields:
            by_control[from_name].append(result)
        elif from_name in attr_controls:
            by_attr_field[attr_controls[from_name][0]].append(result)
        elif _is_per_region(result, region_owner):
            report(
                problems,
                result,
                "per-region result of a control that is not in the "
                "schema (an attribute the run did not declare)",
            )
        else:
            unknown[from_name].append(result)

    labels, unexpected = {}, {}
    for control, field in fields.items():
        info = label_schema[field]
        rs = ck.dedupe(by_control.get(control, []), problems)
        field_ids = _mapping(class_ids.get(field)) or None
        field_hints = ck.field_hints(hints.get(field), field, problems)
        sent = ck.sent_ids(rs, field_ids, field_hints)
        owners = {}
        if info["type"] == "segmentation":
            value = _segmentation(
                rs, info, field_hints, problems, unexpected, field
            )
        else:
            value = _from_ls(
                rs, info, field_ids, field_hints, problems, owners
            )
        if by_attr_field.get(field) or ac.field_attributes(field, info):
            _owners_of(rs, owners)
            ac.apply_attributes(
                value if isinstance(value, list) else [],
                field,
                info,
                by_attr_field.get(field, []),
                owners,
                field_hints,
                sent,
                problems,
            )
        return_type = RETURN_TYPES[info["type"]]
        if return_type == "scalar":
            value = ck.check_scalar(
                value, info, rs, unexpected, field, problems
            )
            labels[field] = {"scalar": value}
            continue
        value = ck.check_classes(
            value, info, sent, rs, unexpected, field, problems, return_type
        )
        if info["type"] in SINGLE_TYPES:
            value = ck.one_label(value, sent, control, problems)
        labels[field] = {return_type: {label.id: label for label in value}}

    for from_name, rs in unknown.items():
        rs = ck.dedupe(rs, problems)
        _convert_unknown(from_name, rs, unexpected, problems)
    return labels, problems, unexpected


# --- upload dispatch ---------------------------------------------------


def _to_ls(value, control, width, height, info) -> list:
    label_type = info["type"]
    if label_type in ("classification", "classifications"):
        return cc.to_ls_classifications(value, control, width, height)
    if label_type in ("detection", "detections"):
        return dc.to_ls_detections(value, control, width, height)
    if label_type in ("polyline", "polylines", "polygon", "polygons"):
        return pc.to_ls_polylines(
            value, control, width, height, polyline_result_type(info)
        )
    if label_type in ("keypoint", "keypoints"):
        return kc.to_ls_keypoints(
            value, control, width, height, _skeleton(info)
        )
    if label_type in ("instance", "instances"):
        return im.to_ls_instances(value, control, width, height)
    if label_type == "segmentation":
        return sm.to_ls_segmentation(
            value, control, width, height, info.get("mask_targets")
        )
    if label_type == "scalar":
        return sc.to_ls_scalar(
            value,
            control,
            width,
            height,
            info.get("scalar_type"),
            ck.flat_classes(info),
        )
    raise ValueError("unsupported label type %r" % label_type)


def _hints(value, info, width, height) -> dict:
    label_type = info["type"]
    if label_type in ("instance", "instances"):
        return im.instance_hints(value, width, height)
    if label_type == "segmentation":
        return sm.segmentation_hints(value, width, height)
    if label_type in ("detection", "detections"):
        return dc.detection_hints(value)
    if label_type in ("polyline", "polylines", "polygon", "polygons"):
        return pc.polyline_hints(
            value, label_type, bool(info.get(pc.AS_POLYGONS))
        )
    if label_type in ("keypoint", "keypoints"):
        return kc.keypoint_hints(value)
    return {}


# --- load dispatch -----------------------------------------------------


def _from_ls(results, info, class_ids, hints, problems, owners=None):
    label_type = info["type"]
    if label_type in ("classification", "classifications"):
        return cc.from_ls_classifications(
            results,
            class_ids=class_ids,
            single=label_type == "classification",
            problems=problems,
        )
    if label_type in ("detection", "detections"):
        return dc.from_ls_detections(results, hints, problems)
    if label_type in ("polyline", "polylines", "polygon", "polygons"):
        return pc.from_ls_polylines(
            results,
            polyline_result_type(info),
            label_type,
            hints,
            problems,
            as_polygons=bool(info.get(pc.AS_POLYGONS)),
        )
    if label_type in ("keypoint", "keypoints"):
        return kc.from_ls_keypoints(
            results, hints, problems, _skeleton(info), owners
        )
    if label_type in ("instance", "instances"):
        return im.from_ls_instances(results, hints, problems)
    if label_type == "segmentation":
        return sm.from_ls_segmentation(
            results, info.get("mask_targets"), hints, problems
        )
    if label_type == "scalar":
        return sc.from_ls_scalar(
            results, info.get("scalar_type"), ck.flat_classes(info), problems
        )
    raise ValueError("unsupported label type %r" % label_type)


def _segmentation(results, info, hints, problems, unexpected, field):
    """The field's Segmentation; brushes of classes that are not mask
    targets go to ``unexpected`` (one Segmentation per class)."""
    unknown = {}
    value = sm.from_ls_segmentation(
        results, info.get("mask_targets"), hints, problems, unknown
    )
    if unknown:
        bucket = unexpected.setdefault(field, {}).setdefault(
            "segmentation", {}
        )
        bucket.update((label.id, label) for label in unknown.values())
    return value


def _convert_unknown(from_name, results, unexpected, problems):
    """Converts results of a control that is not in the schema."""
    by_type = defaultdict(list)
    for result in results:
        result_type = result.get("type")
        label_type = (
            _UNEXPECTED_TYPES.get(result_type)
            if isinstance(result_type, str)
            else None
        )
        if label_type is None:
            report(
                problems,
                result,
                "control is not in the schema and "
                "result type %r is not supported" % result.get("type"),
            )
            continue
        by_type[label_type].append(result)
    for label_type, rs in by_type.items():
        for result in rs:
            report(
                problems,
                result,
                "control is not in the schema " "(returned as unexpected)",
            )
        info = {"type": label_type}
        value = _from_ls(rs, info, None, None, problems)
        return_type = RETURN_TYPES[label_type]
        bucket = unexpected.setdefault(from_name, {})
        if return_type == "scalar":
            bucket["scalar"] = value
        else:
            bucket.setdefault(return_type, {}).update(
                (label.id, label) for label in value
            )


def _skeleton(info):
    """The field's :class:`keypoints.SkeletonLabels`, or None."""
    return kc.skeleton_labels(info.get("skeleton"), ck.flat_classes(info))


def _label_list(value, info) -> list:
    """The labels of a field value (none for scalars and masks)."""
    if info["type"] in ac.NO_ATTRIBUTE_TYPES or value is None:
        return []
    list_field = getattr(value, "_LABEL_LIST_FIELD", None)
    if list_field is not None:
        return list(value[list_field] or [])
    return [value] if hasattr(value, "id") else list(value)


def _owners_of(results, owners) -> None:
    """Adds ``{region id: label id}`` of regions that keep or derive
    their label id (all but keypoints, whose converter fills it)."""
    for result in results:
        region_id = result.get("id")
        if not isinstance(region_id, str) or region_id in owners:
            continue
        multi = parse_multi_region_id(region_id)
        if multi is not None:
            owners[region_id] = multi[0]
        elif is_label_id(region_id):
            owners[region_id] = region_id
        else:
            owners[region_id] = new_label_id(region_id)


def _mapping(value) -> dict:
    """``value`` when it is a dict, else an empty dict."""
    return value if isinstance(value, dict) else {}


def _region_owners(results) -> dict:
    """``{region id: from_name}`` of results that have geometry."""
    owners = {}
    for result in results or []:
        if not isinstance(result, dict):
            continue
        region_id = result.get("id")
        if isinstance(region_id, str) and str(result.get("type", "")).endswith(
            "labels"
        ):
            owners.setdefault(region_id, result.get("from_name"))
    return owners


def _is_per_region(result, owners) -> bool:
    region_id = result.get("id")
    if not isinstance(region_id, str):
        return False
    owner = owners.get(region_id)
    return owner is not None and owner != result.get("from_name")
