"""Labels a load leaves exactly as they are in FiftyOne.

FiftyOne's merge deletes every uploaded label (``id_map``) of a sample it
gets no labels for. So the answer carries the current FiftyOne value of
uploaded labels that have nothing to come back from: samples whose task
is gone or has no annotation (:func:`keep_unchanged`), and labels whose
Label Studio result could not be read (:func:`note_unreadable`,
:func:`keep_unreadable`).
"""

from ..converters.names import control_name
from ..converters.label_types import RETURN_TYPES
from .group_samples import every_sample


def add(field_annos: dict, sample_id, by_type: dict) -> None:
    """Adds ``{return type: {label id: label} | value}`` of one sample to
    one field's answer."""
    for return_type, items in by_type.items():
        if return_type == "scalar":
            if items is not None:
                field_annos.setdefault("scalar", {})[sample_id] = items
        elif items:
            # (An empty dict would turn a None field into an empty list)
            per_sample = field_annos.setdefault(return_type, {})
            per_sample.setdefault(sample_id, {}).update(items)


def as_labels(value) -> list:
    """The labels of a field value (a label, a label list, or None)."""
    if value is None:
        return []
    list_field = getattr(value, "_LABEL_LIST_FIELD", None)
    if list_field is not None:
        return list(value[list_field] or [])
    return [value]


def as_list(ids) -> list:
    return ids if isinstance(ids, list) else [ids]


def note_unreadable(results, sample_id, labels, task_problems, unreadable):
    """Records uploaded labels (and scalar values) whose Label Studio
    result was skipped as unreadable: skipping must not delete them."""
    for field, info in results.config.label_schema.items():
        sent = (results.id_map.get(field) or {}).get(sample_id)
        if sent is None:
            continue
        control = control_name(field)
        regions = [r for name, r, _ in task_problems if name == control]
        if not regions:
            continue
        if info["type"] == "scalar":
            if (labels.get(field) or {}).get("scalar") is None:
                unreadable.setdefault(field, {})[sample_id] = True
            continue
        loaded = set()
        for items in (labels.get(field) or {}).values():
            loaded.update(items or {})
        # "<label id>" or "<label id>_<suffix>" (one of several regions)
        ids = {r[:24] for r in regions if isinstance(r, str)}
        missing = (ids & set(as_list(sent))) - loaded
        if missing:
            per_sample = unreadable.setdefault(field, {})
            per_sample.setdefault(sample_id, set()).update(missing)


def keep_unreadable(results, annotations, unreadable) -> int:
    """Puts the current FiftyOne value of every label noted by
    :func:`note_unreadable` into ``annotations``; returns how many."""
    dataset = every_sample(results.samples._root_dataset)
    kept = 0
    for field, per_sample in unreadable.items():
        info = results.config.label_schema[field]
        view = dataset.select(sorted(per_sample))
        for sample_id, value in zip(*view.values(["id", field])):
            if value is None:
                continue
            if info["type"] == "scalar":
                by_type = {"scalar": value}
                kept += 1
            else:
                wanted = per_sample[sample_id]
                labels = [x for x in as_labels(value) if x.id in wanted]
                by_type = {
                    RETURN_TYPES[info["type"]]: {x.id: x for x in labels}
                }
                kept += len(labels)
            add(annotations[field], sample_id, by_type)
    return kept


def keep_unchanged(results, annotations, chosen) -> int:
    """Returns the current labels of samples whose uploaded labels have no
    task or annotation to come back from (deleted in Label Studio), so
    that FiftyOne's merge leaves them alone instead of deleting them."""
    dataset = every_sample(results.samples._root_dataset)
    missing = set()
    for field in annotations:
        missing.update(
            s for s in results.id_map.get(field) or {} if s not in chosen
        )
    if not missing:
        return 0

    view = dataset.select(sorted(missing))
    ids = view.values("id")
    for field, info in results.config.label_schema.items():
        uploaded = results.id_map.get(field) or {}
        if not any(s in uploaded for s in ids):
            continue
        for sample_id, value in zip(ids, view.values(field)):
            if sample_id not in uploaded or value is None:
                continue
            if info["type"] == "scalar":
                by_type = {"scalar": value}
            else:
                # only the uploaded ones: others would be "added" again
                sent = set(as_list(uploaded[sample_id]))
                labels = [x for x in as_labels(value) if x.id in sent]
                by_type = {
                    RETURN_TYPES[info["type"]]: {x.id: x for x in labels}
                }
            add(annotations[field], sample_id, by_type)
    return len(ids)
