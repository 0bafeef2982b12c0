"""The second half of ``import_project``: matched tasks -> FiftyOne labels,
bulk writes, and the optional run record (``origin="imported"``)."""

import logging
from collections import Counter

import fiftyone.core.fields as fof
import fiftyone.core.labels as fol

from .. import constants

logger = logging.getLogger(__name__)

_CONTAINERS = {
    "detections": fol.Detections,
    "instances": fol.Detections,
    "polygons": fol.Polylines,
    "polylines": fol.Polylines,
    "keypoints": fol.Keypoints,
    "classifications": fol.Classifications,
}
_SINGLE = {
    "classification": fol.Classification,
    "segmentation": fol.Segmentation,
}
_SCALAR_FIELDS = {"float": fof.FloatField, "str": fof.StringField}


def conversion_keys(fields: dict) -> dict:
    """``{control: schema key}`` for the converters, which find a field's
    results by ``control_name(key)``: the field name when that gives the
    control, else a stand-in (results are renamed to it)."""
    from ..converters.names import control_name

    keys = {}
    for n, (control, field) in enumerate(fields.items()):
        keys[control] = (
            field
            if control_name(field) == control
            else ("imported_control_%d" % n)
        )
    return keys


def convert_tasks(tasks, matched, schema, fields, annotator_id) -> tuple:
    """``(values, id_map, counts, problems)``: ``values`` is ``{field:
    {sample id: label or value}}``; ``id_map`` as a run's."""
    from ..converters.tasks import RETURN_TYPES, task_to_labels
    from .download import _pick_annotation, _stable_new_ids, _stamp

    keys = conversion_keys(fields)
    conv_schema = {
        keys[c]: {k: v for k, v in schema[c].items() if k != "image_key"}
        for c in fields
    }
    values = {f: {} for f in fields.values()}
    id_map = {f: {} for f in fields.values()}
    stamps = {}
    counts = Counter(loaded=0, unannotated=0)
    problems = Counter()
    for task in tasks:
        sample_id = matched.get(task.get("id"))
        if sample_id is None:
            continue
        annotation = _pick_annotation(task, annotator_id)
        if annotation is None:
            counts["unannotated"] += 1
            continue
        if sample_id in stamps and stamps[sample_id] >= _stamp(annotation):
            continue  # another task of this sample has a later annotation
        stamps[sample_id] = _stamp(annotation)
        results = [
            dict(r, from_name=keys[r["from_name"]])
            for r in annotation.get("result") or []
            if isinstance(r, dict) and r.get("from_name") in keys
        ]
        labels, task_problems, unexpected = task_to_labels(
            task.get("data"), results, conv_schema
        )
        # the ids a later load of a registered run gives the same labels
        seed = "%s:a%s" % (task.get("id"), annotation.get("id"))
        _stable_new_ids(task, annotation, seed, labels, unexpected)
        for name, _, reason in task_problems:
            problems[(name, reason)] += 1
        counts["loaded"] += 1
        for control, field in fields.items():
            info = schema[control]
            by_type = labels.get(keys[control]) or {}
            value, ids = _value(info, by_type.get(RETURN_TYPES[info["type"]]))
            values[field].pop(sample_id, None)
            id_map[field].pop(sample_id, None)
            if value is None:
                continue
            values[field][sample_id] = value
            id_map[field][sample_id] = ids
            counts["labels:" + field] += (
                len(ids) if isinstance(ids, list) else 1
            )
    return values, id_map, counts, problems


def _value(info, items):
    """``(field value, id map entry)`` of one sample's converted labels."""
    label_type = info["type"]
    if label_type == "scalar":
        return items, True
    labels = list((items or {}).values())
    if not labels:
        return None, None
    if label_type in _SINGLE:
        return labels[0], labels[0].id
    container = _CONTAINERS[label_type]
    return (
        container(**{container._LABEL_LIST_FIELD: labels}),
        [x.id for x in labels],
    )


def write_fields(dataset, schema, fields, values) -> None:
    """Declares each field, then writes its values in one bulk write."""
    for control, field in fields.items():
        info = schema[control]
        if not dataset.has_field(field):
            if info["type"] == "scalar":
                dataset.add_sample_field(
                    field, _SCALAR_FIELDS[info.get("scalar_type", "str")]
                )
            else:
                dataset.add_sample_field(
                    field,
                    fof.EmbeddedDocumentField,
                    embedded_doc_type=_label_class(info["type"]),
                )
        if values[field]:
            dataset.set_values(field, values[field], key_field="id")


def _label_class(label_type):
    return _SINGLE.get(label_type) or _CONTAINERS[label_type]


def register_run(
    samples,
    anno_key,
    schema,
    fields,
    id_map,
    matched,
    project,
    url,
    api_key,
):
    """Records the import as annotation run ``anno_key`` of ``samples``
    (nothing is created in Label Studio)."""
    import fiftyone.utils.annotations as foua

    from .core import LabelStudioAnnotationResults, LabelStudioBackendConfig
    from .existing_project import IMPORTED
    from .schema import schema_hash

    label_schema = {}
    for control, field in fields.items():
        info = {k: v for k, v in schema[control].items() if k != "image_key"}
        info.update(attributes={}, existing_field=True)
        label_schema[field] = info
    config = LabelStudioBackendConfig(
        constants.BACKEND_NAME,
        label_schema,
        url=url,
        api_key=api_key,
        project_name=project.get("title"),
    )
    backend = config.build()
    # the base class: ours would check media and build a new project
    foua.AnnotationBackend.register_run(
        backend, samples, anno_key, overwrite=False
    )
    results = LabelStudioAnnotationResults(
        samples,
        config,
        anno_key,
        {f: ids for f, ids in id_map.items() if ids},
        project_id=int(project["id"]),
        task_map=dict(matched),
        url=url,
        project_title=project.get("title"),
        label_config_hash=schema_hash(label_schema),
        origin=IMPORTED,
        backend=backend,
    )
    backend.save_run_results(samples, anno_key, results)
    logger.info(
        "Registered the import of project %s as annotation run '%s'",
        project["id"],
        anno_key,
    )
    return results
