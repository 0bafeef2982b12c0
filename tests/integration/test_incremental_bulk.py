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

from test_backend_common import (
    annotate_task,
    boxes_run,
    creds,
    load_with,
    prediction_results,
    snapshot,
)

KEY = "bulk"
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


def _report(dataset):
    return dataset.load_annotation_results(KEY)._load_report


def _labels(dataset):
    return {
        s.id: [d.label for d in s["gt"].detections]
        for s in dataset.select_fields("gt")
    }


def _relabel(ls_client, task, label):
    res = prediction_results(task)
    res[0]["value"]["rectanglelabels"] = [label]
    return annotate_task(ls_client, task["id"], res)


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


def _stamps(ls_client, project_id) -> dict:
    return dict(ls_client.changed_tasks(project_id, None))


def _equals_full(dataset, load_with, ls_server):
    before = snapshot(dataset, ["gt"])
    load_with(dataset, KEY, full=True, **creds(ls_server))
    assert _report(dataset)["incremental"] is False
    assert snapshot(dataset, ["gt"]) == before


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
    load_with(dataset, KEY, **creds(ls_server))
    assert _report(dataset)["tasks_read"] == N
    (ids,) = (
        dataset.load_annotation_results(KEY).load_position["seen"].values()
    )
    assert len(ids) == N

    # a task the previous load read at the bulk stamp, edited since
    _relabel(ls_client, tasks[samples[0].id], "dog")
    listed()
    load_with(dataset, KEY, **creds(ls_server))
    report = _report(dataset)
    assert report["incremental"] is True
    assert report["tasks_read"] == 1
    # the other N - 1 tasks at the bulk stamp are not even listed
    assert listed() == 1
    assert report.get("tasks_listed") == 1
    labels = _labels(dataset)
    assert labels[samples[0].id] == ["dog"]
    assert all(labels[s.id] == ["cat"] for s in samples[1:])

    load_with(dataset, KEY, **creds(ls_server))
    assert _report(dataset)["tasks_read"] == 0
    # the edited task again (its stamp is not dense), dropped as read
    assert listed() == 1
    assert _report(dataset).get("tasks_listed") == 1
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
    load_with(dataset, KEY, **creds(ls_server))
    assert _report(dataset)["tasks_read"] == N
    seen = dataset.load_annotation_results(KEY).load_position["seen"]
    (dense,) = [k for k, ids in seen.items() if len(ids) >= 3]
    assert sorted(seen[dense]) == sorted(bulk)

    # the late task gets a new annotation stamped at the bulk instant
    _relabel(ls_client, late, "dog")
    _stamp_like(db_path, late["id"], bulk[0])
    stamps = _stamps(ls_client, pid)
    assert stamps[late["id"]] == stamps[bulk[0]]

    listed()
    load_with(dataset, KEY, **creds(ls_server))
    report = _report(dataset)
    assert report["incremental"] is True
    assert report["tasks_read"] == 1
    # the late task, through the listing of its stamp
    assert listed() == 1
    assert report.get("tasks_listed") == 1
    labels = _labels(dataset)
    assert labels[samples[-1].id] == ["dog"]
    assert all(labels[s.id] == ["cat"] for s in samples[:-1])
    _equals_full(dataset, load_with, ls_server)
