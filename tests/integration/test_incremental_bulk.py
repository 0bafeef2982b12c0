"""The first incremental load after a bulk action, through a real server.

A bulk action (``predictions_to_annotations``, an import) stamps many
tasks with one instant; the full load after it reads them all at that
stamp. The next load must not list them again (Label Studio's task list
costs per listed task): the stamp is left out of the main listing and
asked for on its own, minus the ids already read
(``backend/incremental.py``). ``DENSE`` is lowered here so that a few
tasks make a dense stamp; the margin is the real 60 s.
"""

import os
import sqlite3

import pytest

from test_backend_common import boxes_run, creds, load_with
from test_incremental_loads import KEY, _equals_full, _labels, _relabel

N = 5  # the photos conftest writes


@pytest.fixture
def dense_at_3(monkeypatch):
    from fiftyone_labelstudio.backend import incremental

    monkeypatch.setattr(incremental, "DENSE", 3, raising=False)


@pytest.fixture
def listed(monkeypatch):
    """Counts the tasks Label Studio's task list returns (every listing of
    changed tasks goes through ``changes.listed_tasks``)."""
    from fiftyone_labelstudio.client import changes

    count = {"tasks": 0}
    original = changes.listed_tasks

    def counting(*args, **kwargs):
        for task in original(*args, **kwargs):
            count["tasks"] += 1
            yield task

    monkeypatch.setattr(changes, "listed_tasks", counting)

    def take():
        n, count["tasks"] = count["tasks"], 0
        return n

    return take


def _bulk_annotate(ls_client, project_id, task_ids):
    """Data Manager action ``predictions_to_annotations`` on ``task_ids``:
    one ``UPDATE ... SET updated_at=now()`` over all of them."""
    ls_client._transport.json(
        "POST",
        "api/dm/actions",
        "convert predictions",
        params={"id": "predictions_to_annotations", "project": project_id},
        json={"selectedItems": {"all": False, "included": task_ids}},
    )


def _incremental_load(dataset, load_with, ls_server, listed) -> tuple:
    """An incremental load: ``(tasks read, tasks listed)``; the report
    counts the same listed tasks."""
    listed()
    load_with(dataset, KEY, **creds(ls_server))
    report = dataset.load_annotation_results(KEY)._load_report
    assert report["incremental"] is True
    num_listed = listed()
    assert report.get("tasks_listed", num_listed) == num_listed
    return report["tasks_read"], num_listed


def _full_load(dataset, load_with, ls_server) -> dict:
    """The first load: ``{stamp: task ids}`` it read in the margin."""
    load_with(dataset, KEY, **creds(ls_server))
    results = dataset.load_annotation_results(KEY)
    assert results._load_report["tasks_read"] == N
    return results.load_position["seen"]


def _stamps(ls_client, project_id) -> dict:
    return dict(ls_client.changed_tasks(project_id, None))


def test_first_load_after_a_bulk_action_lists_only_changed_tasks(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    dense_at_3,
    listed,
):
    samples, results, tasks = boxes_run(
        dataset, sample_images, ls_server, ls_client, KEY, N
    )
    pid = results.project_id
    _bulk_annotate(ls_client, pid, [t["id"] for t in tasks.values()])
    assert len(set(_stamps(ls_client, pid).values())) == 1
    (ids,) = _full_load(dataset, load_with, ls_server).values()
    assert len(ids) == N

    # a task the previous load read at the bulk stamp, edited since; the
    # other N - 1 tasks at the bulk stamp are not even listed
    _relabel(ls_client, tasks[samples[0].id], "dog")
    assert _incremental_load(dataset, load_with, ls_server, listed) == (1, 1)
    labels = _labels(dataset)
    assert labels[samples[0].id] == ["dog"]
    assert all(labels[s.id] == ["cat"] for s in samples[1:])

    # the edited task is listed again (its stamp is not dense), not read
    assert _incremental_load(dataset, load_with, ls_server, listed) == (0, 1)
    _equals_full(dataset, load_with, ls_server)


def _sqlite_db(ls_server):
    path = os.path.join(ls_server.data_dir or "", "label_studio.sqlite3")
    if not os.path.exists(path):
        pytest.skip("writes Label Studio's SQLite file (server on SQLite)")
    return path


def _stamp_like(db_path, task_id, other_id):
    """Gives ``task_id`` exactly the stored ``updated_at`` of ``other_id``:
    what a transaction that stamped the task at the bulk action's instant
    and committed after the load's read leaves (the API cannot choose a
    stamp)."""
    db = sqlite3.connect(db_path, timeout=30)
    try:
        with db:
            db.execute(
                "UPDATE task SET updated_at ="
                " (SELECT updated_at FROM task WHERE id = ?) WHERE id = ?",
                (other_id, task_id),
            )
    finally:
        db.close()


def test_unread_task_at_a_dense_stamp_is_read(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    dense_at_3,
    listed,
):
    db_path = _sqlite_db(ls_server)
    samples, results, tasks = boxes_run(
        dataset, sample_images, ls_server, ls_client, KEY, N
    )
    pid = results.project_id
    late = tasks[samples[-1].id]
    bulk = [tasks[s.id]["id"] for s in samples[:-1]]
    _bulk_annotate(ls_client, pid, bulk)
    seen = _full_load(dataset, load_with, ls_server)
    (dense,) = [k for k, ids in seen.items() if len(ids) >= 3]
    assert sorted(seen[dense]) == sorted(bulk)

    # the late task gets a new annotation stamped at the bulk instant
    _relabel(ls_client, late, "dog")
    _stamp_like(db_path, late["id"], bulk[0])
    stamps = _stamps(ls_client, pid)
    assert stamps[late["id"]] == stamps[bulk[0]]

    # read, through the listing of its stamp (nothing else is listed)
    assert _incremental_load(dataset, load_with, ls_server, listed) == (1, 1)
    labels = _labels(dataset)
    assert labels[samples[-1].id] == ["dog"]
    assert all(labels[s.id] == ["cat"] for s in samples[:-1])
    _equals_full(dataset, load_with, ls_server)


def test_listings_serialize_ids_and_stamps_only(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """Label Studio builds every Data Manager column of a listed task
    unless told otherwise (~2/3 of a listing's time): the listings of
    changed tasks ask for the two fields they read, on every page."""
    from fiftyone_labelstudio.backend.incremental import parse_stamp
    from fiftyone_labelstudio.client import changes

    _, results, tasks = boxes_run(
        dataset, sample_images, ls_server, ls_client, KEY, N
    )
    pid = results.project_id
    query = {"filters": {"conjunction": "and", "items": []}}
    listed = list(
        changes.listed_tasks(ls_client._transport, pid, query, "list", 2)
    )
    assert sorted(t["id"] for t in listed) == sorted(
        t["id"] for t in tasks.values()
    )
    assert all(set(t) == {"id", "updated_at"} for t in listed)
    newest = max(parse_stamp(t["updated_at"]) for t in listed)
    latest = changes.latest_update(ls_client._transport, pid)
    assert parse_stamp(latest) == newest
