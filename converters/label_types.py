"""Per FiftyOne label type: which converter module handles a field and
what its labels load as (:data:`RETURN_TYPES`). Used by
:mod:`.task_build` and :mod:`.task_read`; the label config
(:mod:`.label_config`) names the same controls.
"""

from . import classifications as cc
from . import detections as dc
from . import instance_masks as im
from . import keypoints as kc
from . import polylines as pc
from . import scalars as sc
from . import segmentation_masks as sm
from .classes import flat_classes

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


def to_ls_field(value, control, width, height, info) -> list:
    """The results of one field's value (upload)."""
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
            value, control, width, height, skeleton_of(info)
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
            flat_classes(info),
        )
    raise ValueError("unsupported label type %r" % label_type)


def field_label_hints(value, info, width, height) -> dict:
    """``{label id: hint}`` of one field's value for the task data."""
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


def from_ls_field(
    results, info, class_ids, hints, problems, owners=None, raw=False
):
    """The labels (or scalar) of one field's results (load); ``raw``:
    boxes as raw documents (:mod:`.raw_detections`)."""
    label_type = info["type"]
    if label_type in ("classification", "classifications"):
        return cc.from_ls_classifications(
            results,
            class_ids=class_ids,
            single=label_type == "classification",
            problems=problems,
        )
    if label_type in ("detection", "detections"):
        return dc.from_ls_detections(results, hints, problems, raw)
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
            results, hints, problems, skeleton_of(info), owners
        )
    if label_type in ("instance", "instances"):
        return im.from_ls_instances(results, hints, problems)
    if label_type == "segmentation":
        return sm.from_ls_segmentation(
            results, info.get("mask_targets"), hints, problems
        )
    if label_type == "scalar":
        return sc.from_ls_scalar(
            results, info.get("scalar_type"), flat_classes(info), problems
        )
    raise ValueError("unsupported label type %r" % label_type)


def skeleton_of(info):
    """The field's :class:`keypoints.SkeletonLabels`, or None."""
    return kc.skeleton_labels(info.get("skeleton"), flat_classes(info))
