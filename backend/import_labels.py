"""The second half of ``import_project``: matched tasks -> FiftyOne labels,
bulk writes, and the optional run record (``origin="imported"``)."""

import logging
from collections import Counter, defaultdict

import fiftyone.core.fields as fof
import fiftyone.core.labels as fol
import fiftyone.utils.annotations as foua

from .. import constants
from ..converters.names import control_name
from ..converters.label_types import RETURN_TYPES
from ..converters.task_read import task_to_labels
from .core import LabelStudioAnnotationResults, LabelStudioBackendConfig
from .run_tasks import IMPORTED, annotation_stamp, latest_annotation
from .schema import schema_hash
from .task_labels import stable_new_ids
from .unexpected import decide

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
    keys = {}
    for n, (control, field) in enumerate(fields.items()):
        keys[control] = (
            field
            if control_name(field) == control
            else ("imported_control_%d" % n)
        )
    return keys


def convert_tasks(
    tasks, matched, schema, fields, annotator_id, unexpected="keep"
) -> tuple:
    """``(values, id_map, counts, problems, unknown)``: ``values`` is
    ``{field: {sample id: label or value}}``; ``id_map`` as a run's;
    ``unknown`` reports labels whose class the project's config does not
    list (:mod:`.unexpected`: ``{field: {"action", "classes"}}``, plus
    ``"labels"`` when returned). A kept class is added to the field's
    classes in ``schema`` before converting, so that the labels get the
    ids a later load of the registered run gives them."""
    keys = conversion_keys(fields)
    chosen = _chosen_annotations(tasks, matched, annotator_id)
    unknown = _decide_unknown(chosen, schema, fields, unexpected)
    conv_schema = {
        keys[c]: {k: v for k, v in schema[c].items() if k != "image_key"}
        for c in fields
    }
    values = {f: {} for f in fields.values()}
    id_map = {f: {} for f in fields.values()}
    counts = Counter(loaded=0, unannotated=len(chosen.pop(None, ())))
    problems = Counter()
    for sample_id, (task, annotation) in chosen.items():
        results = [
            dict(r, from_name=keys[r["from_name"]])
            for r in annotation.get("result") or []
            if isinstance(r, dict) and r.get("from_name") in keys
        ]
        labels, task_problems, unexpected_labels = task_to_labels(
            task.get("data"), results, conv_schema
        )
        # the ids a later load of a registered run gives the same labels
        seed = "%s:a%s" % (task.get("id"), annotation.get("id"))
        stable_new_ids(task, annotation, seed, labels, unexpected_labels)
        for name, _, reason in task_problems:
            problems[(name, reason)] += 1
        counts["loaded"] += 1
        for control, field in fields.items():
            info = schema[control]
            return_type = RETURN_TYPES[info["type"]]
            by_type = labels.get(keys[control]) or {}
            extra = (unexpected_labels.get(keys[control]) or {}).get(
                return_type
            )
            if extra is not None and field in unknown:
                returned = unknown[field].setdefault("labels", {})
                returned[sample_id] = extra
            value, ids = _value(info, by_type.get(return_type))
            if value is None:
                continue
            values[field][sample_id] = value
            id_map[field][sample_id] = ids
            counts["labels:" + field] += (
                len(ids) if isinstance(ids, list) else 1
            )
    for entry in unknown.values():
        if entry["action"] != "return":
            entry.pop("labels", None)
    return values, id_map, counts, problems, unknown


def _chosen_annotations(tasks, matched, annotator_id) -> dict:
    """``{sample id: (task, annotation)}`` (the latest annotation of the
    sample's tasks), and under None the unannotated matched tasks."""
    chosen, unannotated = {}, []
    for task in tasks:
        sample_id = matched.get(task.get("id"))
        if sample_id is None:
            continue
        annotation = latest_annotation(task, annotator_id)
        if annotation is None:
            unannotated.append(task.get("id"))
            continue
        previous = chosen.get(sample_id)
        if previous is not None and not _later(annotation, previous[1]):
            continue  # another task of this sample has a later annotation
        chosen[sample_id] = (task, annotation)
    chosen[None] = unannotated
    return chosen


def _later(annotation, previous) -> bool:
    return annotation_stamp(annotation) > annotation_stamp(previous)


def _decide_unknown(chosen, schema, fields, unexpected) -> dict:
    """Finds the classes the chosen annotations use that a control's
    config does not list and applies ``unexpected=`` per field (kept
    classes are added to ``schema``)."""
    found = defaultdict(Counter)
    for sample_id, entry in chosen.items():
        if sample_id is None:
            continue
        for result in entry[1].get("result") or []:
            control = (
                result.get("from_name") if isinstance(result, dict) else None
            )
            if control not in fields:
                continue
            known = set(schema[control].get("classes") or [])
            if not known or schema[control]["type"] == "scalar":
                continue
            for cls in _result_classes(result):
                if cls not in known:
                    found[fields[control]][cls] += 1
    report = {}
    for control, field in fields.items():
        classes = found.get(field)
        if not classes:
            continue
        action = decide(unexpected, field, schema[control]["type"], classes)
        report[field] = {"action": action, "classes": dict(classes)}
        if action == "keep":
            schema[control]["classes"] = list(
                schema[control]["classes"]
            ) + sorted(classes)
    return report


def _result_classes(result) -> list:
    """The class names a Label Studio result carries (``*labels`` and
    ``choices`` values)."""
    value = result.get("value")
    if not isinstance(value, dict):
        return []
    out = []
    for key, items in value.items():
        if (key.endswith("labels") or key == "choices") and isinstance(
            items, list
        ):
            out.extend(x for x in items if isinstance(x, str))
    return out


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
