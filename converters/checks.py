"""Checks on the results of one task while it loads (see
:func:`.task_read.task_to_labels`): duplicated region ids, which labels were
uploaded, classes the schema does not know, single-label fields holding
several labels, malformed task-data hints. Every finding is reported as
a problem; nothing is dropped silently.
"""

from .classes import flat_classes, is_unknown_class
from .names import control_name
from .raw_detections import as_label
from .results import clean_hints, is_label_id, parse_multi_region_id, report


def dedupe(results, problems) -> list:
    """Drops later results that reuse a region id within one control."""
    seen, out = set(), []
    for result in results:
        region_id = result.get("id")
        if isinstance(region_id, str) and region_id:
            if region_id in seen:
                report(problems, result, "duplicated region id")
                continue
            seen.add(region_id)
        out.append(result)
    return out


def sent_ids(results, class_ids, hints) -> set:
    """Ids of labels that were uploaded (so they exist in FiftyOne)."""
    sent = set(clean_hints(hints))
    for ids in (class_ids or {}).values():
        ids = ids if isinstance(ids, list) else [ids]
        sent.update(i for i in ids if is_label_id(i))
    for result in results:
        region_id = result.get("id")
        multi = parse_multi_region_id(region_id)
        if multi is not None:
            sent.add(multi[0])
        elif is_label_id(region_id):
            sent.add(region_id)
    return sent


def check_classes(
    labels, info, sent, results, unexpected, field, problems, return_type
) -> list:
    """Moves NEW labels of unknown classes to ``unexpected`` (uploaded
    labels keep their class, reported)."""
    classes = set(flat_classes(info))
    if not classes or info["type"] == "segmentation":
        return labels
    kept = []
    for label in labels:
        cls = getattr(label, "label", None)
        if not is_unknown_class(cls, classes):
            kept.append(label)
            continue
        stub = {"from_name": control_name(field), "id": label.id}
        if label.id in sent:
            report(
                problems,
                stub,
                "class %r is not in the schema's "
                "classes (uploaded label kept)" % cls,
            )
            kept.append(label)
            continue
        # not a problem: the load's unexpected= decides (backend)
        bucket = unexpected.setdefault(field, {}).setdefault(return_type, {})
        bucket[label.id] = as_label(label)
    return kept


def check_scalar(value, info, results, unexpected, field, problems):
    classes = flat_classes(info)
    if value is None or info.get("scalar_type") == "bool":
        return value
    if not is_unknown_class(str(value), classes):
        return value
    # not a problem: the load's unexpected= decides (backend)
    unexpected.setdefault(field, {})["scalar"] = value
    return None


def one_label(labels, sent, control, problems) -> list:
    """A single-label field keeps one label (an uploaded one first)."""
    if len(labels) <= 1:
        return labels
    keep = next((x for x in labels if x.id in sent), labels[0])
    for label in labels:
        if label is not keep:
            report(
                problems,
                {"from_name": control, "id": label.id},
                "field holds one label; extra label ignored",
            )
    return [keep]


def field_hints(hints, field, problems):
    """A field's hints with malformed ``empty`` parts reported and dropped
    (the converters read hints as dicts of dicts)."""
    out = {}
    for label_id, hint in clean_hints(hints).items():
        if "empty" in hint and not isinstance(hint["empty"], dict):
            report(
                problems,
                {"from_name": control_name(field), "id": label_id},
                "malformed task-data hint; ignored",
            )
            continue
        out[label_id] = hint
    return out or None
