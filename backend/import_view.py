"""``import_project(..., view=...)``: only the tasks of one Label Studio
Data Manager tab (view), with its filters and ordering.

The tab is named by its id or its title. Label Studio applies the tab's
filters and ordering itself (``/api/tasks?view=<id>``), so any filter the
Data Manager offers works (prediction score, annotators, dates, data
fields...); the import then reads those tasks in one export and keeps
them in the tab's order.
"""

from typing import Optional

from .errors import LabelStudioBackendError


def resolve_view(client, project_id: int, view) -> Optional[dict]:
    """The tab ``{"id", "title", "filters", "ordering"}`` named by ``view``
    (an id, or a title), or None for ``view=None``."""
    if view is None:
        return None
    tabs = client.list_views(int(project_id))
    if isinstance(view, bool) or not isinstance(view, (int, str)):
        raise LabelStudioBackendError(
            "view must be a Data Manager tab id or name, not %r" % (view,)
        )
    if isinstance(view, int) or (isinstance(view, str) and view.isdigit()):
        by_id = [t for t in tabs if t["id"] == int(view)]
        if by_id:
            return by_id[0]
    if isinstance(view, str):
        by_title = [t for t in tabs if t["title"] == view]
        if len(by_title) == 1:
            return by_title[0]
        if len(by_title) > 1:
            raise LabelStudioBackendError(
                "Project %s has %d Data Manager tabs named %r (ids %s); "
                "pass the tab's id as view="
                % (
                    project_id,
                    len(by_title),
                    view,
                    ", ".join(str(t["id"]) for t in by_title),
                )
            )
    raise LabelStudioBackendError(
        "Project %s has no Data Manager tab %r. Its tabs: %s"
        % (project_id, view, describe_tabs(tabs) or "none")
    )


def describe_tabs(tabs) -> str:
    return ", ".join("%d '%s'" % (t["id"], t["title"]) for t in tabs)


def view_tasks(client, project_id: int, tab: dict) -> list:
    """The tab's tasks (exported with their annotations), in its
    order."""
    order = [t["id"] for t in client.view_tasks(int(project_id), tab["id"])]
    if not order:
        return []
    position = {task_id: i for i, task_id in enumerate(order)}
    tasks = [
        t
        for t in client.export_tasks(int(project_id), ids=order)
        if t.get("id") in position
    ]
    tasks.sort(key=lambda t: position[t["id"]])
    return tasks
