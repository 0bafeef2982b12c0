"""Creates a run's Label Studio project: checks, media, tasks, rollback.

``prepare`` runs in ``register_run`` (before the run is recorded) and does
every check that needs no project; ``upload`` creates the project, makes
the media reachable, imports the tasks (built ahead of the requests by
``task_feed``) and returns what it made; on a failure it removes it again,
with the run record.
"""

import dataclasses
import logging

import fiftyone.core.fields as fof
import fiftyone.core.utils as fou

from ..client.errors import LabelStudioError, LabelStudioNotFoundError
from ..converters.label_config import build_label_config
from ..converters.video_tasks import build_video_label_config
from . import leftovers
from . import media as fomedia
from .cloud_storages import prepare_cloud
from .errors import LabelStudioBackendError
from .existing_project import (
    CREATED,
    EXISTING,
    check_project,
    remove_imported,
)
from .groups import build_group_tasks, group_config, prepare_group
from .image_tasks import build_image_tasks
from .media_urls import media_urls_for
from .predictions import resolve, set_project_model_version
from .project import describe_project
from .schema import schema_hash, validate_label_schema
from .server_checks import fit_schema_to_server
from .task_feed import task_feed
from .video import build_video_tasks, is_video, prepare_video

logger = logging.getLogger(__name__)

_SCALAR_TYPES = (
    (fof.BooleanField, "bool"),
    (fof.IntField, "int"),
    (fof.FloatField, "float"),
    (fof.StringField, "str"),
)


@dataclasses.dataclass
class UploadedRun:
    """What ``upload`` made: the keyword arguments of the run's results
    (``LabelStudioAnnotationResults``) besides samples, config and key."""

    id_map: dict
    project_id: int
    task_map: dict
    storage_ids: list
    cloud_storages: list
    url: str
    project_title: str
    media_mode: str
    label_config_hash: str
    origin: str

    def as_kwargs(self) -> dict:
        return dataclasses.asdict(self)


def prepare(backend, samples) -> fomedia.MediaPlan:
    """Checks schema, media, server and key; measures the images.

    Raises:
        LabelStudioBackendError or client.errors.LabelStudioError: one
            clear error; nothing has been created anywhere
    """
    config = backend.config
    validate_label_schema(config.label_schema)
    _add_scalar_types(samples, config.label_schema)
    # a grouped collection: its slices' samples are what the run sends
    group = prepare_group(samples, config)
    if group is not None:
        samples = group.view
    if getattr(config, "predictions_field", None) is not None:
        if is_video(samples):
            raise LabelStudioBackendError(
                "predictions_field is supported on image datasets only"
            )
        config.predictions_map = resolve(
            samples, config.label_schema, config.predictions_field
        )
    plan = fomedia.check_media(samples, config.media_field, config.media_mode)
    plan.group = group
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


def upload(backend, samples, anno_key, plan) -> UploadedRun:
    """Creates the project, makes the media reachable and imports one task
    per sample; returns what it made. On any failure, deletes what was
    created and the run record, then raises one error."""
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
        if plan.group is not None:
            # Label Studio uploads files only to a project whose config
            # has one data key: the group config comes after the media
            client.update_project(
                project_id,
                label_config=group_config(config.label_schema, plan.group),
            )
        if is_video(samples):
            tasks, id_map = build_video_tasks(
                samples, plan, media_urls, config
            )
        elif plan.group is not None:
            tasks, id_map = build_group_tasks(plan, media_urls, config)
        else:
            tasks, id_map = build_image_tasks(
                samples, plan, media_urls, config
            )
        task_samples = _task_samples(plan)
        task_ids = _import(
            client, project_id, tasks, len(task_samples), config.progress
        )
        if getattr(config, "predictions_map", None):
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
    return UploadedRun(
        id_map=id_map,
        project_id=project_id,
        task_map=dict(zip(task_ids, task_samples)),
        storage_ids=created["storage_ids"],
        cloud_storages=created["cloud_storages"],
        url=config.url,
        project_title=title,
        media_mode=mode,
        label_config_hash=schema_hash(config.label_schema),
        origin=EXISTING if existing is not None else CREATED,
    )


def _task_samples(plan) -> list:
    """The sample each task maps to in the run's ``task_map``, in task
    order (a group task: its first slice's sample)."""
    if plan.group is None:
        return plan.sample_ids
    return [next(iter(members.values())) for _, members in plan.group.groups]


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


def _import(client, project_id, tasks, total, progress) -> list:
    """Imports the tasks (built in a worker thread while Label Studio
    stores the previous batch); returns the new task ids in order."""
    with (
        fou.ProgressBar(
            total=total, progress=progress, iters_str="tasks"
        ) as pb,
        task_feed(tasks) as feed,
    ):
        return client.import_tasks(
            project_id, feed, progress=lambda n: pb.set_iteration(n)
        )
