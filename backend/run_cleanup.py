"""Removing what a run left in Label Studio (``results.cleanup()``)."""

import logging

from ..client.errors import LabelStudioNotFoundError
from .cloud_storages import delete_storages
from .existing_project import delete_run_tasks
from .project import call, project_gone
from .run_tasks import CREATED, EXISTING

logger = logging.getLogger(__name__)


def cleanup(results) -> None:
    """Deletes the run's storages and project (tasks and annotations go
    with it), then records that the run has no project any more. A
    project the run did not create stays (existing_project.py): only the
    tasks the run added are deleted."""
    origin = getattr(results, "origin", CREATED)

    def delete(client, project_id):
        for storage_id in results.storage_ids:
            try:
                client.delete_storage(storage_id)
            except LabelStudioNotFoundError:
                pass  # already gone with the project
        delete_storages(client, getattr(results, "cloud_storages", []))
        if origin == CREATED:
            client.delete_project(project_id)
        elif origin == EXISTING:
            delete_run_tasks(client, project_id, results.task_map)

    if results.project_id is None:
        logger.info("Annotation run '%s' was already cleaned up", results.key)
        return

    try:
        call(results, delete)
    except LabelStudioNotFoundError:
        raise project_gone(results) from None

    logger.info(
        "%s Label Studio project %s of annotation run '%s'",
        {CREATED: "Deleted", EXISTING: "Deleted the run's tasks of"}.get(
            origin, "Detached from"
        ),
        results.project_id,
        results.key,
    )
    results.project_id = None
    results.storage_ids = []
    results.cloud_storages = []
    if results.key is not None and results.key in (
        results.samples._root_dataset.list_annotation_runs()
    ):
        results.save()
