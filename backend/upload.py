"""Creates a run's Label Studio project: checks, media, tasks, rollback.

``prepare`` runs in ``register_run`` (before the run is recorded) and does
every check that needs no project; ``upload`` creates the project and
removes it again, with the run record, if anything fails.
"""

import json
import logging
import re

import fiftyone.core.fields as fof
import fiftyone.core.utils as fou

from ..client.errors import LabelStudioError
from . import media as fomedia
from .cloud_storages import prepare_cloud
from .storage import media_urls_for
from .video import build_video_tasks, is_video, prepare_video
from .errors import LabelStudioBackendError
from .raw_labels import raw_values
from .existing_project import (
    CREATED,
    EXISTING,
    check_project,
    remove_imported,
)
from .schema import schema_hash, validate_label_schema
from .server_checks import fit_schema_to_server

logger = logging.getLogger(__name__)

_SCALAR_TYPES = (
    (fof.BooleanField, "bool"),
    (fof.IntField, "int"),
    (fof.FloatField, "float"),
    (fof.StringField, "str"),
)
_LABEL_ID = re.compile(r"[0-9a-f]{24}")


def prepare(backend, samples) -> fomedia.MediaPlan:
    """Checks schema, media, server and key; measures the images.

    Raises:
        LabelStudioBackendError or client.errors.LabelStudioError: one
            clear error; nothing has been created anywhere
    """
    config = backend.config
    validate_label_schema(config.label_schema)
    _add_scalar_types(samples, config.label_schema)
    if getattr(config, "predictions_field", None) is not None:
        from .predictions import resolve

        if is_video(samples):
            raise LabelStudioBackendError(
                "predictions_field is supported on image datasets only"
            )
        config.predictions_map = resolve(
            samples, config.label_schema, config.predictions_field
        )
    plan = fomedia.check_media(samples, config.media_field, config.media_mode)
    backend.connect_to_api()  # unreachable server / bad key fail here
    if not is_video(samples):  # (video runs refuse polylines themselves)
        # tags the server's editor cannot show fail here
        fit_schema_to_server(config, backend.client.capabilities)
    _delete_leftovers(backend.client)
    if getattr(config, "project_id", None) is not None:
        # annotate(project_id=...): the project must cover the schema
        plan.project = check_project(backend.client, samples, config)
    # buckets of cloud media: checked with Label Studio, nothing created
    prepare_cloud(backend.client, plan, config, video=is_video(samples))
    if is_video(samples):
        prepare_video(samples, plan, config.label_schema, config.progress)
    else:
        fomedia.measure_images(samples, plan, progress=config.progress)
    return plan


def _delete_leftovers(client):
    """Deletes projects that earlier failed runs could not delete."""
    from . import leftovers

    try:
        leftovers.delete_recorded(client)
    except Exception as e:  # never a reason to fail this run
        logger.debug("Could not delete leftover projects: %s", e)


def _add_scalar_types(samples, label_schema):
    """Records the value type of scalar fields (the converters need it to
    pick the Label Studio control and to parse results back)."""
    for field_name, info in label_schema.items():
        if info.get("type") != "scalar":
            continue
        field = samples.get_field(field_name)
        scalar_type = "str"
        for cls, name in _SCALAR_TYPES:
            if field is not None and isinstance(field, cls):
                scalar_type = name
                break
        info["scalar_type"] = scalar_type


def describe_project(dataset, anno_key) -> str:
    return "FiftyOne dataset '%s', annotation run '%s'" % (
        dataset.name,
        anno_key,
    )


def upload(backend, samples, anno_key, plan):
    """Creates the project, makes the media reachable and imports one task
    per sample; returns the run's results. On any failure, deletes what
    was created and the run record, then raises one error."""
    from ..converters.label_config import build_label_config
    from ..converters.video_tasks import build_video_label_config
    from .core import LabelStudioAnnotationResults

    config = backend.config
    client = backend.client
    dataset = samples._root_dataset
    existing = getattr(plan, "project", None)  # checked by prepare()
    if existing is not None:
        title = existing.get("title")
    else:
        title = config.project_name or "FiftyOne_%s" % dataset.name
    created = {
        "project_id": None,
        "storage_ids": [],
        "cloud_storages": [],
        "title": title,
    }
    try:
        if existing is not None:
            # never in created["project_id"]: a rollback must not delete it
            project_id = int(existing["id"])
        else:
            if is_video(samples):
                label_config = build_video_label_config(config.label_schema)
            else:
                label_config = build_label_config(config.label_schema)
            project = client.create_project(
                title,
                label_config,
                description=describe_project(dataset, anno_key),
            )
            created["project_id"] = project_id = int(project["id"])
        media_urls, mode = media_urls_for(
            client, project_id, plan, config, created
        )
        build = build_video_tasks if is_video(samples) else _build_tasks
        tasks, id_map = build(samples, plan, media_urls, config)
        task_ids = _import(
            client, project_id, tasks, len(plan.sample_ids), config.progress
        )
        if getattr(config, "predictions_map", None):
            from .predictions import set_project_model_version

            set_project_model_version(client, project_id, config)
    except BaseException as exc:
        if existing is not None:
            remove_imported(
                client,
                int(existing["id"]),
                existing.get("task_number"),
                plan.sample_ids,
                exc,
            )
        left = _rollback(backend, samples, anno_key, client, created)
        if not isinstance(exc, Exception) or (
            isinstance(exc, LabelStudioBackendError) and left is None
        ):
            raise
        error = LabelStudioBackendError(
            "Annotation run '%s' could not be created: %s. %s"
            % (
                anno_key,
                getattr(exc, "reason", None) or exc,
                _aftermath(client, left),
            )
        )
        if isinstance(exc, LabelStudioError):
            raise error from None  # its message is complete and key-free
        raise error from exc

    logger.info(
        "%s Label Studio project %d '%s' with %d tasks",
        "Added tasks to" if existing is not None else "Created",
        project_id,
        title,
        len(task_ids),
    )
    return LabelStudioAnnotationResults(
        samples,
        config,
        anno_key,
        id_map,
        project_id=project_id,
        task_map={t: s for t, s in zip(task_ids, plan.sample_ids)},
        storage_ids=created["storage_ids"],
        cloud_storages=created["cloud_storages"],
        url=config.url,
        project_title=title,
        media_mode=mode,
        label_config_hash=schema_hash(config.label_schema),
        origin=EXISTING if existing is not None else CREATED,
        backend=backend,
    )


def _aftermath(client, left) -> str:
    """What the failed run left behind, and what to do."""
    if left is None:
        return (
            "Nothing was left behind (no run record, no Label Studio "
            "project): fix the cause and run annotate() again"
        )
    project_id, reason = left
    return (
        "The run record was removed, but Label Studio project %d at %s "
        "could not be deleted (%s). It will be deleted the next time you "
        "annotate on this server, or delete it in Label Studio; run "
        "annotate() again once the server answers"
        % (project_id, client.url, reason)
    )


def _rollback(backend, samples, anno_key, client, created):
    """Deletes what the failed upload created; returns ``(project id,
    reason)`` when the project could not be deleted (it is then recorded
    and deleted by the next run on this server), else None."""
    from ..client.errors import LabelStudioNotFoundError
    from . import leftovers

    left = None
    project_id = created["project_id"]
    for storage_id in created["storage_ids"]:
        try:
            client.delete_storage(storage_id)
        except Exception as e:  # the project delete removes it anyway
            logger.debug("Could not delete storage %s: %s", storage_id, e)
    for storage in created["cloud_storages"]:
        try:
            client.delete_cloud_storage(storage["kind"], storage["id"])
        except Exception as e:  # the project delete removes it anyway
            logger.debug("Could not delete storage %s: %s", storage, e)
    if project_id is not None:
        try:
            client.delete_project(project_id)
        except LabelStudioNotFoundError:
            pass  # deleted in Label Studio meanwhile
        except Exception as e:
            left = (project_id, e)
            try:
                leftovers.record(client.url, project_id, created["title"])
            except Exception as e2:
                logger.warning(
                    "Could not record project %d: %s", project_id, e2
                )
            logger.warning(
                "Could not delete Label Studio project %d after the failed "
                "upload (%s); it will be deleted by the next run on %s",
                project_id,
                e,
                client.url,
            )
    try:
        backend.delete_run(samples, anno_key, cleanup=False)
    except Exception as e:
        logger.warning("Could not delete run record '%s': %s", anno_key, e)
    return left


# -- tasks ------------------------------------------------------------


def _build_tasks(samples, plan, media_urls, config):
    """One task per sample (existing labels as its prediction) and the
    id_map of the existing labels that were sent.

    The tasks are a generator, built while the import consumes them (only
    one import batch of task JSON is in memory); ``id_map`` is complete
    once it is exhausted. The labels are read in chunks as the tasks are
    built, so that the reads also overlap the import requests.
    """
    schema = config.label_schema
    existing = [
        f
        for f, i in schema.items()
        if i.get("existing_field") and config.send_existing_labels
    ]
    values = {
        f: _chunked_values(samples, plan.sample_ids, f, schema[f])
        for f in existing
    }
    id_map = {f: {} for f in existing}
    model = None
    if getattr(config, "predictions_map", None):
        from .predictions import ModelPredictions

        model = ModelPredictions(
            samples, plan.sample_ids, config, _chunked_values
        )
    tasks = _generate_tasks(plan, media_urls, schema, values, id_map, model)
    return tasks, id_map


def _generate_tasks(plan, media_urls, schema, values, id_map, model=None):
    from ..converters.names import control_name
    from ..converters.task_build import sample_to_task

    existing = list(values)
    controls = {f: control_name(f) for f in existing}
    masks = [f for f in existing if schema[f]["type"] in _MASK_TYPES]
    needs_ids = any(schema[f].get("type") != "scalar" for f in existing)
    for i, sample_id in enumerate(plan.sample_ids):
        # sent labels (and masks) go with field_labels
        field_labels = {f: next(values[f]) for f in existing}
        for field in masks:
            _read_mask_files(field_labels[field])
        width, height = plan.sizes[sample_id]
        task = sample_to_task(
            sample_id,
            media_urls[i],
            plan.refs[i],
            field_labels,
            schema,
            width,
            height,
        )
        task_ids = _ids_in(task) if needs_ids else set()
        for field in existing:
            sent = _sent_ids(
                task,
                task_ids,
                field_labels[field],
                controls[field],
                schema[field],
            )
            if sent is not None:
                id_map[field][sample_id] = sent
        if model is not None:  # the model's scored prediction
            model.add(task, sample_id, width, height)
        yield task


_MASK_TYPES = ("instance", "instances", "segmentation")
# Samples per read while building tasks (first chunk: as small as the first
# import batch, so little is read before the first request)
READ_CHUNK = 250
READ_CHUNK_MAX = 5000
# Read through raw_labels' views (the converters of these types only read)
_VIEW_TYPES = (
    "classification",
    "classifications",
    "detection",
    "detections",
    "polyline",
    "polylines",
    "polygon",
    "polygons",
    "keypoint",
    "keypoints",
)


def _chunked_values(samples, sample_ids, field, label_info):
    """The field's values in ``sample_ids`` order, read READ_CHUNK samples
    at a time (growing 4x up to READ_CHUNK_MAX) through the view, so that
    view stages such as filter_labels apply."""
    if len(sample_ids) <= READ_CHUNK:
        yield from _read_values(samples, field, label_info)
        return
    start, size = 0, READ_CHUNK
    while start < len(sample_ids):
        chunk = sample_ids[start : start + size]
        view = samples.select(chunk, ordered=True)
        if view.values("id") != chunk:
            # e.g. samples deleted meanwhile: the run is rolled back
            raise LabelStudioBackendError(
                "The samples changed while the run was being created (%d "
                "of %d could be read). Nothing was kept; try again"
                % (len(view), len(chunk))
            )
        yield from _read_values(view, field, label_info)
        start += size
        size = min(size * 4, READ_CHUNK_MAX)


def _read_values(samples, field, label_info) -> list:
    """The field's values in sample order (cheap views where possible)."""
    if label_info.get("type") in _VIEW_TYPES:
        return raw_values(samples, field)
    return samples.values(field)


def _read_mask_files(value):
    """Reads masks stored on disk (``mask_path``) into the in-memory labels
    (the converters never read files; nothing is saved back)."""
    if value is None:
        return
    list_field = getattr(value, "_LABEL_LIST_FIELD", None)
    labels = value[list_field] or [] if list_field else [value]
    for label in labels:
        if getattr(label, "mask", None) is None and getattr(
            label, "mask_path", None
        ):
            label.mask = label.get_mask()


def _ids_in(task) -> set:
    """Every label id the task carries (results and task-data hints)."""
    return set(_LABEL_ID.findall(json.dumps(task)))


def _sent_ids(task, task_ids, value, control, label_info):
    """What ``id_map`` records for one sample and field: the ids of the
    existing labels that are in the task, or True for a sent scalar."""
    if value is None:
        return None

    results = [
        r
        for p in task.get("predictions") or []
        for r in p.get("result") or []
        if r.get("from_name") == control
    ]
    if label_info.get("type") == "scalar":
        return True if results else None

    ids = [i for i in _label_ids(value) if i in task_ids]
    if not ids:
        return None
    return ids if _is_list_label(value) else ids[0]


def _label_ids(value):
    list_field = getattr(value, "_LABEL_LIST_FIELD", None)
    if list_field is not None:
        return [label.id for label in (value[list_field] or [])]
    return [value.id]


def _is_list_label(value):
    return getattr(value, "_LABEL_LIST_FIELD", None) is not None


def _import(client, project_id, tasks, total, progress):
    with fou.ProgressBar(
        total=total, progress=progress, iters_str="tasks"
    ) as pb:
        return client.import_tasks(
            project_id, tasks, progress=lambda n: pb.set_iteration(n)
        )
