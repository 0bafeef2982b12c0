"""Importing the annotations of any Label Studio project into a dataset.

``import_project(samples, project_id, ...)`` reads a project (made with
this package or by hand in Label Studio), infers a label schema from its
labeling config, matches its tasks to samples and writes each task's
latest annotation (or one annotator's) into new fields with FiftyOne's
bulk ``set_values``. With ``anno_key`` the import is also registered as an
annotation run (``origin="imported"``), so ``load_annotations``,
``get_status`` and ``cleanup`` (which deletes nothing in Label Studio)
work afterwards.

Labeling config -> schema (controls on an ``<Image>``):

==================================  ======================================
RectangleLabels                     detections
PolygonLabels                       polygons
VectorLabels                        polylines
KeyPointLabels                      keypoints
BrushLabels                         instances (``label_types`` can say
                                    ``"segmentation"``)
Choices                             classification (``choice="multiple"``:
                                    classifications)
Number / TextArea                   scalar (float / str)
==================================  ======================================

Per-region controls (attributes) and other tags are reported as skipped.

Matching (``match=``): ``"sample_id"`` -- ``data.fiftyone.sample_id`` (tasks
made by this package); ``"filename"`` -- the file name of the task's image
(``/data/upload/<project>/<8 hex>-name.jpg`` loses Label Studio's upload
prefix, ``/data/local-files/?d=dir/name.jpg`` its folder) against the
samples' file names; ``"filepath"`` -- the task's image URL equals the
sample's ``filepath``, or a local-files path ends it.
"""

import logging
import os
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, unquote, urlsplit

from .. import constants
from ..client import LabelStudioClient
from ..client.errors import LabelStudioNotFoundError
from ..converters.label_config import parse_label_config
from ..converters.names import control_name
from . import credentials
from .errors import LabelStudioBackendError
from .import_labels import convert_tasks, register_run, write_fields
from .import_view import resolve_view, view_tasks
from .run_tasks import find_user

logger = logging.getLogger(__name__)

MATCH_MODES = ("sample_id", "filename", "filepath")
_TYPES = {
    "RectangleLabels": "detections",
    "PolygonLabels": "polygons",
    "VectorLabels": "polylines",
    "KeyPointLabels": "keypoints",
    "BrushLabels": "instances",
    "Number": "scalar",
    "TextArea": "scalar",
}
_SCALAR_TYPES = {"Number": "float", "TextArea": "str"}
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")


def infer_schema(label_config: str, label_types=None) -> tuple:
    """``(schema, skipped)``: ``{control: {"type", "classes", ...}}`` of
    the importable controls, ``{control: reason}`` of the others."""
    label_types = label_types or {}
    images = {
        e.get("name"): e.get("value")
        for e in ET.fromstring(label_config).iter("Image")
    }
    schema, skipped = {}, {}
    for name, info in parse_label_config(label_config).items():
        tag = info["tag"]
        if info.get("per_region") == "true":
            skipped[name] = "per-region control (an attribute)"
        elif info["to_name"] not in images:
            skipped[name] = "not on an <Image>"
        elif tag not in _TYPES and tag != "Choices":
            skipped[name] = "<%s> is not supported" % tag
        else:
            label_type = label_types.get(name) or _TYPES.get(tag)
            if tag == "Choices" and label_type is None:
                multiple = info.get("choice") == "multiple"
                label_type = (
                    "classifications" if multiple else "classification"
                )
            entry = {"type": label_type, "classes": list(info["labels"])}
            if label_type == "scalar":
                entry["scalar_type"] = _SCALAR_TYPES.get(tag, "str")
            if label_type == "segmentation":
                entry["mask_targets"] = {
                    i + 1: c for i, c in enumerate(info["labels"])
                }
            entry["image_key"] = (images[info["to_name"]] or "").lstrip("$")
            schema[name] = entry
    return schema, skipped


def media_name(ref) -> str:
    """The file name of a task's image reference (see module doc)."""
    if not isinstance(ref, str) or not ref:
        return ""
    parts = urlsplit(ref)
    local = _local_path(ref)
    if local:
        return os.path.basename(local)
    name = os.path.basename(unquote(parts.path))
    if "/data/upload/" in parts.path:
        name = _UPLOAD_PREFIX.sub("", name)
    return name


def _local_path(ref) -> str:
    """The ``d`` path of a ``/data/local-files/?d=...`` URL, else ''."""
    parts = urlsplit(ref) if isinstance(ref, str) else None
    if parts is None or "/data/local-files" not in parts.path:
        return ""
    local = parse_qs(parts.query).get("d")
    return unquote(local[0]) if local else ""


def match_tasks(tasks, samples, schema, match: str) -> tuple:
    """``(matched, unmatched, ambiguous)``: ``{task id: sample id}``
    and lists of ``{"task_id", "image"}``."""
    if match not in MATCH_MODES:
        raise LabelStudioBackendError(
            "match=%r is not supported. Use one of %s"
            % (match, ", ".join(repr(m) for m in MATCH_MODES))
        )
    image_key = next(iter(schema.values()))["image_key"] if schema else ""
    ids, paths = samples.values(["id", "filepath"])
    by_name = {}
    for sample_id, path in zip(ids, paths):
        by_name.setdefault(os.path.basename(path), []).append(sample_id)
    by_path = dict(zip(paths, ids))
    known = set(ids)

    matched, unmatched, ambiguous = {}, [], []
    for task in tasks:
        data = task.get("data") or {}
        ref = data.get(image_key)
        if match == "sample_id":
            meta = data.get(constants.TASK_META_KEY) or {}
            found = [meta.get("sample_id")] if meta.get("sample_id") else []
            found = [s for s in found if s in known]
        elif match == "filename":
            found = by_name.get(media_name(ref), [])
        else:
            found = _by_filepath(ref, by_path, paths)
        entry = {"task_id": task.get("id"), "image": ref}
        if len(found) == 1:
            matched[task["id"]] = found[0]
        elif found:
            ambiguous.append(entry)
        else:
            unmatched.append(entry)
    return matched, unmatched, ambiguous


def _by_filepath(ref, by_path, paths) -> list:
    if ref in by_path:
        return [by_path[ref]]
    local = _local_path(ref)
    if not local:
        return []
    tail = "/" + local.lstrip("/")
    return [by_path[p] for p in paths if p.endswith(tail)]


def import_project(
    samples,
    project_id: int,
    label_field=None,
    match: str = "filename",
    url=None,
    api_key=None,
    annotator=None,
    label_types=None,
    anno_key=None,
    overwrite: bool = False,
    unexpected="keep",
    view=None,
) -> dict:
    """Imports Label Studio project ``project_id``'s annotations.

    Args:
        samples: a dataset or view; only its samples are matched
        project_id: the Label Studio project
        label_field (None): field names: None (the control names), a
            string (the field when one control is imported, else the
            prefix of ``<label_field>_<control>``) or ``{control: field}``
            (only those controls)
        match ("filename"): ``"sample_id"``, ``"filename"`` or
            ``"filepath"`` (module doc)
        url, api_key (None): the server (default: env / annotation config)
        annotator (None): this person's annotations (e-mail, username or
            id) instead of each task's latest
        label_types (None): ``{control: FiftyOne label type}`` overrides
        anno_key (None): also register the import as this annotation run
        overwrite (False): allow writing into fields that exist
        unexpected ("keep"): labels whose class the project's config does
            not list (Label Studio stores any label value): ``"keep"``
            imports them and adds their classes to the field's classes,
            ``"ignore"`` skips them, ``"return"`` leaves them out of the
            dataset and returns them in the report's ``unknown_classes``,
            ``"prompt"`` asks per field on a terminal (else keeps)
        view (None): only the tasks of this Data Manager tab (its id or
            name), with its filters and ordering (see import_view)

    Returns:
        a report dict: ``fields``, ``tasks``, ``matched``, ``loaded``,
        ``unannotated``, ``unmatched``, ``ambiguous``, ``labels``,
        ``skipped_controls``, ``skipped_results``, ``problems``,
        ``unknown_classes`` (``{field: {"action", "classes": {class:
        count}}}``, with ``"labels"`` ``{sample id: {label id: label}}``
        when returned), ``view`` (``{"id", "title"}`` or None)
    """
    url = credentials.resolve_url(url)
    api_key = credentials.resolve_api_key(api_key)
    client = LabelStudioClient(url, api_key)
    client.check()
    try:
        project = client.get_project(int(project_id))
    except LabelStudioNotFoundError:
        raise LabelStudioBackendError(
            "Label Studio at %s has no project %s (or the API key's user "
            "cannot see it)" % (url, project_id)
        ) from None

    schema, skipped = infer_schema(project["label_config"], label_types)
    fields = _field_names(schema, label_field)
    schema = {c: schema[c] for c in fields}
    if not schema:
        raise LabelStudioBackendError(
            "Project %s has no control this package can import (%s)"
            % (project_id, _describe(skipped) or "no controls")
        )
    dataset = samples._root_dataset
    _check_fields(dataset, fields, overwrite, anno_key)
    tab = resolve_view(client, project_id, view)

    if tab is None:
        tasks = client.export_tasks(int(project_id))
    else:
        tasks = view_tasks(client, project_id, tab)
    matched, unmatched, ambiguous = match_tasks(tasks, samples, schema, match)
    annotator_id = find_user(client, annotator, client.url)
    values, id_map, counts, problems, unknown = convert_tasks(
        tasks, matched, schema, fields, annotator_id, unexpected
    )
    write_fields(dataset, schema, fields, values)
    if anno_key is not None:
        register_run(
            samples,
            anno_key,
            schema,
            fields,
            id_map,
            matched,
            project,
            url,
            api_key,
        )

    report = {
        "project_id": int(project_id),
        "fields": dict(fields),
        "tasks": len(tasks),
        "view": tab and {"id": tab["id"], "title": tab["title"]},
        "matched": len(matched),
        "loaded": counts["loaded"],
        "unannotated": counts["unannotated"],
        "unmatched": unmatched,
        "ambiguous": ambiguous,
        "labels": {f: counts.get("labels:" + f, 0) for f in fields.values()},
        "skipped_controls": skipped,
        "skipped_results": sum(problems.values()),
        "unknown_classes": unknown,
        "problems": [
            "%d x %s: %s" % (n, name, reason)
            for (name, reason), n in problems.most_common()
        ],
    }
    _log(report)
    return report


def _field_names(schema, label_field) -> dict:
    if isinstance(label_field, dict):
        missing = [c for c in label_field if c not in schema]
        if missing:
            raise LabelStudioBackendError(
                "label_field names controls the project does not have (or "
                "cannot import): %s. Importable: %s"
                % (", ".join(missing), ", ".join(schema) or "none")
            )
        return dict(label_field)
    if isinstance(label_field, str):
        if len(schema) == 1:
            return {next(iter(schema)): label_field}
        return {c: "%s_%s" % (label_field, c) for c in schema}
    return {c: c for c in schema}


def _check_fields(dataset, fields, overwrite, anno_key):
    existing = [f for f in fields.values() if dataset.has_field(f)]
    if existing and not overwrite:
        raise LabelStudioBackendError(
            "Field(s) %s already exist in dataset '%s'. Pass other names "
            "with label_field=..., or overwrite=True"
            % (", ".join(repr(f) for f in existing), dataset.name)
        )
    if anno_key is None:
        return
    renamed = [
        "%s -> %s" % (c, f) for c, f in fields.items() if control_name(f) != c
    ]
    if renamed:
        raise LabelStudioBackendError(
            "A registered run (anno_key=%r) needs every field named after "
            "its Label Studio control (later loads find a field's results "
            "by that name); these differ: %s. Import without anno_key, or "
            "with label_field=None" % (anno_key, ", ".join(renamed))
        )
    if anno_key in dataset.list_annotation_runs():
        raise LabelStudioBackendError(
            "Dataset '%s' already has an annotation run '%s'"
            % (dataset.name, anno_key)
        )


def _describe(skipped) -> str:
    return "; ".join("%s: %s" % kv for kv in sorted(skipped.items()))


def _log(report):
    logger.info(
        "Imported %d of %d Label Studio tasks of project %s into %s",
        report["loaded"],
        report["tasks"],
        report["project_id"],
        ", ".join(sorted(report["fields"].values())),
    )
    lost = len(report["unmatched"]) + len(report["ambiguous"])
    if lost:
        logger.warning(
            "%d task(s) of project %s matched no sample (%d) or several "
            "(%d); see the report's 'unmatched' and 'ambiguous'",
            lost,
            report["project_id"],
            len(report["unmatched"]),
            len(report["ambiguous"]),
        )
    if report["skipped_controls"]:
        logger.warning(
            "Controls not imported: %s", _describe(report["skipped_controls"])
        )
    for field, entry in report["unknown_classes"].items():
        logger.warning(
            "%s: %s label(s) of classes not in the project's config (%s) %s",
            field,
            sum(entry["classes"].values()),
            ", ".join(sorted(entry["classes"])),
            {
                "keep": "imported; the classes were added to the field's",
                "ignore": "skipped (unexpected='ignore')",
                "return": "returned in the report, not imported",
            }[entry["action"]],
        )
    if report["skipped_results"]:
        logger.warning(
            "%d result(s) did not load: %s",
            report["skipped_results"],
            "; ".join(report["problems"]),
        )
