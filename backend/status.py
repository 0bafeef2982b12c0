"""Run status from Label Studio, and removing a run's project."""

import logging
from collections import Counter

from ..client.errors import LabelStudioNotFoundError
from .agreement import compute_agreement, format_agreement
from .cloud_storages import delete_storages
from .existing_project import delete_run_tasks
from .project import call, project_gone
from .run_tasks import (
    CREATED,
    EXISTING,
    completed_by,
    export_run_tasks,
    latest_annotation,
)

logger = logging.getLogger(__name__)


def get_status(results) -> dict:
    """Counts of the run's tasks, read in one bulk export."""
    tasks = call(results, lambda c, pid: export_run_tasks(c, results))
    users = _user_names(results.backend.client)

    annotated = skipped = with_predictions = 0
    per_annotator = {}
    names = {
        uid: u.get("email") or u.get("username") or str(uid)
        for uid, u in users.items()
    }
    for task in tasks:
        annotations = task.get("annotations") or []
        if latest_annotation(task) is not None:
            annotated += 1
        elif annotations:
            skipped += 1
        if task.get("predictions"):
            with_predictions += 1
        for anno in annotations:
            who = completed_by(anno)
            who = names.get(who, who)
            counts = per_annotator.setdefault(
                str(who), Counter(annotations=0, skipped=0)
            )
            counts[
                "skipped" if anno.get("was_cancelled") else "annotations"
            ] += 1

    return {
        "anno_key": results.key,
        "project_id": results.project_id,
        "project_url": results.project_url,
        "tasks": len(tasks),
        "annotated": annotated,
        "skipped": skipped,
        "unannotated": len(tasks) - annotated - skipped,
        "predictions": with_predictions,
        "annotators": {k: dict(v) for k, v in sorted(per_annotator.items())},
        # on tasks annotated by 2+ people (see agreement.py for the metrics)
        "agreement": compute_agreement(
            tasks, results.config.label_schema, names
        ),
    }


def _user_names(client) -> dict:
    try:
        return client.list_users()
    except Exception:  # names are a nicety; ids still identify annotators
        return {}


def format_status(status: dict) -> str:
    lines = [
        "Annotation run '%s': Label Studio project %s (%s)"
        % (status["anno_key"], status["project_id"], status["project_url"]),
        "    tasks:        %d" % status["tasks"],
        "    annotated:    %d" % status["annotated"],
        "    skipped:      %d" % status["skipped"],
        "    unannotated:  %d" % status["unannotated"],
        "    predictions:  %d tasks" % status["predictions"],
    ]
    if status["annotators"]:
        lines.append("    annotators:")
        for name, counts in status["annotators"].items():
            lines.append(
                "        %s: %d annotations, %d skipped"
                % (name, counts["annotations"], counts["skipped"])
            )
    if "agreement" in status:
        lines.extend(format_agreement(status["agreement"]))
    return "\n".join(lines)


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
