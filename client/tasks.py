"""Task import (never retried), counting and bulk deletion."""

from itertools import islice
from typing import Callable, Iterable, Optional, Sequence

from .. import constants
from . import errors
from .transport import Transport

# Task ids per bulk delete action (SQLite limits SQL variables)
DELETE_BATCH_SIZE = 5000
# Tasks in the first import request (see import_tasks)
FIRST_BATCH_SIZE = 250


def _task_count(transport: Transport, project_id: int) -> int:
    project = transport.json(
        "GET",
        "api/projects/%d/" % project_id,
        "count the tasks of project %d" % project_id,
    )
    return int(project["task_number"])


def _count_or_none(transport: Transport, project_id: int) -> Optional[int]:
    try:
        return _task_count(transport, project_id)
    except errors.LabelStudioError:
        return None


class TaskRequests:
    """The task requests of :class:`LabelStudioClient` (a mixin: its
    methods are the requests themselves, on ``self._transport``)."""

    _transport: Transport

    def task_count(self, project_id: int) -> int:
        """How many tasks the project holds."""
        return _task_count(self._transport, project_id)

    def import_tasks(
        self,
        project_id: int,
        tasks: Iterable[dict],
        batch_size: int = constants.IMPORT_BATCH_SIZE,
        progress: Optional[Callable[[int], None]] = None,
    ) -> list:
        """Imports task JSON in batches; returns the new task ids in order.

        ``tasks`` is consumed one batch at a time, as the requests go: the
        first batch is small (FIRST_BATCH_SIZE) so that the first request
        starts early, later ones grow 4x up to ``batch_size``. Building the
        tasks ahead of the requests is the caller's business (the backend's
        ``task_feed``); this only posts what it is given.

        Never retried: Label Studio on SQLite can answer 500 after it has
        committed the tasks, so a retry would duplicate them. On a failure,
        raises LabelStudioImportError with the ids imported so far and the
        number of tasks the project holds now, for the caller to roll back.
        """
        transport = self._transport
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        what = "import tasks into project %d" % project_id
        task_ids = []
        remaining = iter(tasks)
        for size in _batch_sizes(batch_size):
            batch = list(islice(remaining, size))
            if not batch:
                break
            failure = None
            try:
                answer = transport.json(
                    "POST",
                    "api/projects/%d/import" % project_id,
                    what,
                    params={"return_task_ids": "true"},
                    json=batch,
                    retries=0,
                )
                new_ids = answer.get("task_ids") or []
                if len(new_ids) != len(batch):
                    failure = errors.LabelStudioRequestError(
                        "Label Studio created %d tasks for %d sent"
                        % (len(new_ids), len(batch)),
                        url=transport.url,
                    )
            except errors.LabelStudioError as exc:
                failure = exc
            if failure is not None:
                raise _import_failure(
                    transport,
                    project_id,
                    failure,
                    task_ids,
                    len(task_ids),
                    len(batch),
                )
            task_ids.extend(new_ids)
            if progress is not None:
                progress(len(task_ids))
        return task_ids

    def delete_tasks(self, project_id: int, task_ids: Sequence[int]) -> int:
        """Deletes tasks in bulk (Data Manager action); returns how
        many."""
        return _delete_tasks(self._transport, project_id, task_ids)


def _batch_sizes(batch_size: int):
    """FIRST_BATCH_SIZE, then 4x larger batches up to ``batch_size``."""
    size = min(batch_size, FIRST_BATCH_SIZE)
    while True:
        yield size
        size = min(batch_size, size * 4)


def _import_failure(
    transport: Transport,
    project_id: int,
    failure: errors.LabelStudioError,
    imported: list,
    start: int,
    size: int,
) -> errors.LabelStudioImportError:
    count = _count_or_none(transport, project_id)
    now = (
        "the project now holds %d tasks" % count
        if count is not None
        else "the number of tasks in the project could not be read"
    )
    message = (
        "%s. Tasks %d-%d were not confirmed, %d earlier tasks were "
        "imported, and %s; the failed batch may have been committed "
        "anyway. Delete the tasks of this run (or the project) before "
        "trying again"
        % (str(failure), start, start + size - 1, len(imported), now)
    )
    return errors.LabelStudioImportError(
        message,
        imported_task_ids=list(imported),
        project_task_count=count,
        reason=str(failure),
        url=transport.url,
        status_code=failure.status_code,
        detail=failure.detail,
    )


def _delete_tasks(
    transport: Transport, project_id: int, task_ids: Sequence[int]
) -> int:
    """Deletes tasks in bulk (Data Manager action); returns how many."""
    deleted = 0
    ids = [int(i) for i in task_ids]
    for start in range(0, len(ids), DELETE_BATCH_SIZE):
        chunk = ids[start : start + DELETE_BATCH_SIZE]
        answer = transport.json(
            "POST",
            "api/dm/actions",
            "delete %d tasks of project %d" % (len(chunk), project_id),
            params={"id": "delete_tasks", "project": project_id},
            json={"selectedItems": {"all": False, "included": chunk}},
            retries=0,
        )
        deleted += int((answer or {}).get("processed_items", 0))
    return deleted
