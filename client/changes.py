"""Which tasks changed, and export snapshots (for incremental loads).

Found on Label Studio 1.23.2 (SQLite and PostgreSQL, probe in DESIGN.md
"Incremental loads"): a task's ``updated_at`` (microseconds, server
clock) moves forward whenever one of its annotations is created, edited
or deleted, whoever made it; a deleted task simply disappears. The Data
Manager filter ``filter:tasks:updated_at`` compares at full precision, so
``greater_or_equal`` the previous position finds every change, edits in
the same second included; ``equal`` / ``not_equal`` pick or leave out
one exact stamp (``Q(updated_at=v)`` / ``~Q(...)``, the value parsed with
``%Y-%m-%dT%H:%M:%S.%fZ``, the same code in 1.20.0 and 1.23.2), and
``filter:tasks:id`` ``not_in`` ``{min, max}`` leaves out a range of ids.
The task list costs per listed task whatever ``fields`` says (every listed
task's annotations and predictions are prefetched), so what need not be
read is filtered out here, on the server. ``include=id,updated_at`` (the
serializers' flex-fields parameter, ``REST_FLEX_FIELDS`` in 1.20-1.23)
serializes only those two fields: the rest of a listed task's cost is
building the Data Manager's columns (its results as text, its
predictions, ...), ~3x the listing's time with one annotation and two
predictions a task.
"""

import json
import time
from typing import Iterable, Iterator, Optional

from . import errors
from .exports import _parse_each
from .transport import Transport

# Ids per page of the changed-task listing (~60 B each)
CHANGED_PAGE_SIZE = 5000
# The only fields a listing asks Label Studio to serialize
LISTED_FIELDS = "id,updated_at"
# How long a snapshot may take to be built before we give up
SNAPSHOT_TIMEOUT = 3600.0


def _stamp_item(operator: str, stamp: str) -> dict:
    return {
        "filter": "filter:tasks:updated_at",
        "operator": operator,
        "type": "Datetime",
        "value": stamp,
    }


def _since_query(
    since: Optional[str], ids: Optional[list] = None, skip: Iterable = ()
) -> dict:
    items = []
    if since is not None:
        items.append(_stamp_item("greater_or_equal", since))
    # ``not_equal`` is ``~Q(updated_at=value)``: the same full-precision
    # comparison as ``greater_or_equal`` (SQLite and PostgreSQL)
    items.extend(_stamp_item("not_equal", stamp) for stamp in skip)
    query = {"filters": {"conjunction": "and", "items": items}}
    if ids is not None:
        query["selectedItems"] = {"all": False, "included": ids}
    return query


def changed_tasks(
    transport: Transport,
    project_id: int,
    since: Optional[str],
    skip: Iterable = (),
) -> Iterator[tuple]:
    """``(task id, updated_at)`` of the project's tasks whose
    ``updated_at`` is at or after ``since`` (an ISO timestamp exactly as
    Label Studio writes it, ``...T..:..:..ssssssZ``; None: every task)
    and none of the stamps in ``skip`` (same format)."""
    tasks = listed_tasks(
        transport,
        project_id,
        _since_query(since, skip=skip),
        "list the changed tasks of project %d" % project_id,
        CHANGED_PAGE_SIZE,
    )
    for task in tasks:
        yield task["id"], task["updated_at"]


def tasks_at(
    transport: Transport, project_id: int, stamp: str, skip_ids: Iterable
) -> Iterator[tuple]:
    """``(task id, updated_at)`` of the project's tasks whose
    ``updated_at`` is exactly ``stamp``, but for the ids in the
    ``skip_ids`` ranges (``(first, last)`` pairs, both included)."""
    items = [_stamp_item("equal", stamp)]
    items.extend(
        {
            "filter": "filter:tasks:id",
            "operator": "not_in",  # ~Q(id__gte=min, id__lte=max)
            "type": "Number",
            "value": {"min": first, "max": last},
        }
        for first, last in skip_ids
    )
    tasks = listed_tasks(
        transport,
        project_id,
        {"filters": {"conjunction": "and", "items": items}},
        "list the tasks of project %d stamped %s" % (project_id, stamp),
        CHANGED_PAGE_SIZE,
    )
    for task in tasks:
        yield task["id"], task["updated_at"]


def listed_tasks(
    transport: Transport, project_id: int, query: dict, what: str, page_size
) -> Iterator[dict]:
    """The project's tasks that match a Data Manager ``query``, ids and
    timestamps only, ``page_size`` a request."""
    params = {
        "project": project_id,
        "fields": "task_only",
        "include": LISTED_FIELDS,
        "page_size": page_size,
        "query": json.dumps(query),
    }
    page, seen = 1, 0
    while True:
        body = transport.json(
            "GET", "api/tasks/", what, params={**params, "page": page}
        )
        tasks = body.get("tasks", [])
        yield from tasks
        seen += len(tasks)
        if not tasks or seen >= int(body.get("total", 0)):
            return
        page += 1


def latest_update(transport: Transport, project_id: int) -> Optional[str]:
    """The newest task ``updated_at`` of the project (None: no tasks)."""
    body = transport.json(
        "GET",
        "api/tasks/",
        "read the latest change of project %d" % project_id,
        params={
            "project": project_id,
            "fields": "task_only",
            "include": LISTED_FIELDS,
            "page_size": 1,
            "query": json.dumps({"ordering": ["-tasks:updated_at"]}),
        },
    )
    tasks = body.get("tasks", [])
    return tasks[0]["updated_at"] if tasks else None


def snapshot_tasks(
    transport: Transport,
    project_id: int,
    since: Optional[str] = None,
    poll: float = 0.5,
    timeout: float = SNAPSHOT_TIMEOUT,
) -> Iterator[dict]:
    """Every task (or those updated at/after ``since``) through an export
    snapshot: create (a Data Manager view carries the filter), wait until
    built, download, delete snapshot and view; tasks parsed one at a time.

    Without Redis, Label Studio builds the snapshot inside the create
    request; with an RQ worker it answers at once and we poll.
    """
    what = "export a snapshot of project %d" % project_id
    view_id = None
    export_id = None
    try:
        options = {}
        if since is not None:
            view = transport.json(
                "POST",
                "api/dm/views/",
                what,
                json={
                    "project": project_id,
                    "data": {"filters": _since_query(since)["filters"]},
                },
            )
            view_id = view["id"]
            options = {"task_filter_options": {"view": view_id}}
        export = transport.json(
            "POST",
            "api/projects/%d/exports/" % project_id,
            what,
            json={"title": "fiftyone-labelstudio load", **options},
        )
        export_id = export["id"]
        deadline = time.monotonic() + timeout
        while export.get("status") not in ("completed", "failed"):
            if time.monotonic() > deadline:
                raise errors.LabelStudioRequestError(
                    "Could not %s: not built within %d s" % (what, timeout),
                    url=transport.url,
                )
            time.sleep(poll)
            export = transport.json(
                "GET",
                "api/projects/%d/exports/%d" % (project_id, export_id),
                what,
            )
        if export["status"] == "failed":
            raise errors.LabelStudioRequestError(
                "Could not %s: Label Studio reports the snapshot failed"
                % what,
                url=transport.url,
            )
        text = transport.text(
            "GET",
            "api/projects/%d/exports/%d/download" % (project_id, export_id),
            what,
            params={"exportType": "JSON"},
        )
    finally:
        if export_id is not None:
            _delete_quietly(
                transport,
                "api/projects/%d/exports/%d" % (project_id, export_id),
            )
        if view_id is not None:
            _delete_quietly(transport, "api/dm/views/%d/" % view_id)
    return _parse_each([text], what, transport.url)


def _delete_quietly(transport: Transport, path: str) -> None:
    # Leftover snapshots/views only cost disk space: never fail a load
    try:
        transport.request("DELETE", path, "delete %s" % path, retries=0)
    except errors.LabelStudioError:
        pass
