"""Data Manager views (tabs): list, create, and the ordered task ids of
one (its filters and ordering applied by the server)."""

from typing import Optional

from .transport import Transport

# Tasks per page when reading a view's tasks
VIEW_PAGE_SIZE = 1000


def list_views(transport: Transport, project_id: int) -> list:
    """``[{"id", "title", "filters", "ordering"}]`` of a project's tabs."""
    answer = transport.json(
        "GET",
        "api/dm/views/",
        "list the Data Manager tabs of project %d" % project_id,
        params={"project": project_id},
    )
    return [_view(v) for v in answer or []]


def create_view(
    transport: Transport,
    project_id: int,
    title: str,
    filters: Optional[dict] = None,
    ordering: Optional[list] = None,
) -> dict:
    data = {"title": title}
    if filters is not None:
        data["filters"] = filters
    if ordering is not None:
        data["ordering"] = list(ordering)
    answer = transport.json(
        "POST",
        "api/dm/views/",
        "create a Data Manager tab in project %d" % project_id,
        json={"project": project_id, "data": data},
        retries=0,
    )
    return _view(answer)


def view_tasks(
    transport: Transport,
    project_id: int,
    view_id: int,
    page_size: int = VIEW_PAGE_SIZE,
) -> list:
    """``[{"id", "predictions_score"}]`` of the tab's tasks, in its
    order."""
    what = "read the tasks of tab %d of project %d" % (view_id, project_id)
    out, page = [], 1
    while True:
        answer = transport.json(
            "GET",
            "api/tasks/",
            what,
            params={
                "project": project_id,
                "view": view_id,
                "page": page,
                "page_size": page_size,
                "fields": "all",
            },
        )
        tasks = (answer or {}).get("tasks") or []
        out.extend(
            {"id": t["id"], "predictions_score": t.get("predictions_score")}
            for t in tasks
        )
        total = (answer or {}).get("total") or 0
        if not tasks or len(out) >= total:
            return out
        page += 1


def _view(v: dict) -> dict:
    data = v.get("data") or {}
    return {
        "id": int(v["id"]),
        "title": data.get("title") or "Tab %s" % v["id"],
        "filters": data.get("filters"),
        "ordering": data.get("ordering") or [],
    }
