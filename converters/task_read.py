"""One Label Studio annotation -> the labels of one sample's fields.

Tasks are built by :func:`.task_build.sample_to_task`.

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
from . import segmentation_masks as sm
from .label_types import RETURN_TYPES, SINGLE_TYPES, from_ls_field
from .names import control_name
from .results import (
    is_label_id,
    mapping,
    new_label_id,
    parse_multi_region_id,
    report,
)
from .task_build import META_KEY

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


def task_to_labels(
    task_data: dict,
    results: list,
    label_schema: dict,
    raw_fields: frozenset = frozenset(),
):
    """``(labels, problems, unexpected)`` of one annotation (see above).
    Boxes of ``raw_fields`` without attributes may come as raw documents
    (:class:`.RawDetection`: ``to_mongo()`` as a Detection's)."""
    # task data can be edited in Label Studio: trust no shape in it
    meta = mapping(mapping(task_data).get(META_KEY))
    class_ids = mapping(meta.get("class_ids"))
    hints = mapping(meta.get("hints"))
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
        field_ids = mapping(class_ids.get(field)) or None
        field_hints = ck.field_hints(hints.get(field), field, problems)
        sent = ck.sent_ids(rs, field_ids, field_hints)
        owners = {}
        with_attributes = bool(
            by_attr_field.get(field) or ac.field_attributes(field, info)
        )
        if info["type"] == "segmentation":
            value = _segmentation(
                rs, info, field_hints, problems, unexpected, field
            )
        else:
            raw = field in raw_fields and not with_attributes
            value = from_ls_field(
                rs, info, field_ids, field_hints, problems, owners, raw
            )
        if with_attributes:
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
        value = from_ls_field(rs, info, None, None, problems)
        return_type = RETURN_TYPES[label_type]
        bucket = unexpected.setdefault(from_name, {})
        if return_type == "scalar":
            bucket["scalar"] = value
        else:
            bucket.setdefault(return_type, {}).update(
                (label.id, label) for label in value
            )


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
