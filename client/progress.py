"""Which tasks nobody has finished yet (for live sync's "run complete").

A task is finished once it holds a submitted or a skipped (cancelled)
annotation: the Data Manager counts them as ``total_annotations`` and
``cancelled_annotations`` (probed on Label Studio 1.23.2), so one filtered
listing returns only the unfinished tasks, ids only.
"""

import json
from typing import Iterator

from .changes import listed_tasks
from .transport import Transport

# Ids per page (fields=task_only)
PAGE_SIZE = 5000

_UNFINISHED = {
    "filters": {
        "conjunction": "and",
        "items": [
            {
                "filter": "filter:tasks:%s" % name,
                "operator": "equal",
                "type": "Number",
                "value": 0,
            }
            for name in ("total_annotations", "cancelled_annotations")
        ],
    }
}


def unfinished_count(transport: Transport, project_id: int) -> int:
    """How many of the project's tasks have no annotation (one request)."""
    body = transport.json(
        "GET",
        "api/tasks/",
        "count the unfinished tasks of project %d" % project_id,
        params={
            "project": project_id,
            "fields": "task_only",
            "page_size": 1,
            "query": json.dumps(_UNFINISHED),
        },
    )
    return int(body.get("total", 0))


def unfinished_tasks(transport: Transport, project_id: int) -> Iterator[int]:
    """Ids of the project's tasks without any annotation (submitted or
    skipped)."""
    tasks = listed_tasks(
        transport,
        project_id,
        _UNFINISHED,
        "list the unfinished tasks of project %d" % project_id,
        PAGE_SIZE,
    )
    for task in tasks:
        yield task["id"]
