"""Incremental loads through a real Label Studio server.

A load reads only the tasks whose ``updated_at`` is at or after the
position the previous load recorded (minus a safety margin: set to 0 here
so that the tests see exactly which tasks are read). After every
incremental load the dataset must equal what a full re-read gives.
"""

import datetime as dt
import time

import pytest

from test_backend_common import (
    annotate_task,
    boxes_run,
    by_id,
    close,
    creds,
    prediction_results,
    snapshot,
    load_with,
)

KEY = "inc"


@pytest.fixture
def no_margin(monkeypatch):
    from fiftyone_labelstudio.backend import incremental

    monkeypatch.setattr(incremental, "MARGIN", dt.timedelta(0))


def _report(dataset):
    return dataset.load_annotation_results(KEY)._load_report


def _setup(dataset, sample_images, ls_server, ls_client, n=4):
    return boxes_run(dataset, sample_images, ls_server, ls_client, KEY, n)


def _relabel(ls_client, task, label, user_id=None):
    res = prediction_results(task)
    res[0]["value"]["rectanglelabels"] = [label]
    if user_id is None:
        return annotate_task(ls_client, task["id"], res)
    return ls_client.sdk.annotations.create(
        id=task["id"], result=res, completed_by=user_id, lead_time=1.0
    )


def _labels(dataset):
    return {
        s.id: [d.label for d in s["gt"].detections]
        for s in dataset.select_fields("gt")
    }


def _equals_full(dataset, load_with, ls_server):
    """The incremental result is exactly what a full re-read gives."""
    before = snapshot(dataset, ["gt"])
    id_map = dataset.load_annotation_results(KEY).id_map
    load_with(dataset, KEY, full=True, **creds(ls_server))
    assert _report(dataset)["incremental"] is False
    assert snapshot(dataset, ["gt"]) == before
    assert dataset.load_annotation_results(KEY).id_map == id_map


def test_first_load_full_then_incremental(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    no_margin,
):
    samples, results, tasks = _setup(
        dataset, sample_images, ls_server, ls_client
    )
    _relabel(ls_client, tasks[samples[0].id], "dog")
    load_with(dataset, KEY, **creds(ls_server))
    report = _report(dataset)
    assert report["incremental"] is False
    assert "first load" in report["reason"]
    assert _labels(dataset)[samples[0].id] == ["dog"]
    position = dataset.load_annotation_results(KEY).load_position
    assert position["updated_at"] and position["project_id"]

    # an edit saved in the same second as the previous load
    (annotation,) = ls_client.export_tasks(
        results.project_id, ids=[tasks[samples[0].id]["id"]]
    )[0]["annotations"]
    res = annotation["result"]
    res[0]["value"]["rectanglelabels"] = ["cat"]
    ls_client.sdk.annotations.update(id=annotation["id"], result=res)
    _relabel(ls_client, tasks[samples[1].id], "dog")
    load_with(dataset, KEY, **creds(ls_server))
    report = _report(dataset)
    assert report["incremental"] is True
    # the two edited tasks, and the task that set the position (>=)
    assert report["tasks_read"] <= 3
    labels = _labels(dataset)
    assert labels[samples[0].id] == ["cat"]
    assert labels[samples[1].id] == ["dog"]
    assert labels[samples[2].id] == ["cat"]
    _equals_full(dataset, load_with, ls_server)


def test_nothing_new_changes_nothing(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
):
    # default margin: the previous load's tasks are read again
    samples, results, tasks = _setup(
        dataset, sample_images, ls_server, ls_client
    )
    _relabel(ls_client, tasks[samples[0].id], "dog")
    load_with(dataset, KEY, **creds(ls_server))
    first = snapshot(dataset, ["gt"])
    id_map = dataset.load_annotation_results(KEY).id_map
    position = dataset.load_annotation_results(KEY).load_position
    load_with(dataset, KEY, **creds(ls_server))
    assert _report(dataset)["incremental"] is True
    assert snapshot(dataset, ["gt"]) == first
    assert dataset.load_annotation_results(KEY).id_map == id_map
    assert dataset.load_annotation_results(KEY).load_position == position


def test_newer_annotation_by_someone_else(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    no_margin,
):
    samples, results, tasks = _setup(
        dataset, sample_images, ls_server, ls_client
    )
    _relabel(ls_client, tasks[samples[0].id], "dog")
    load_with(dataset, KEY, **creds(ls_server))
    users = ls_client.list_users()
    other = [u for u, x in users.items() if x["email"] == "inc@example.com"]
    uid = (
        other[0]
        if other
        else ls_client.sdk.users.create(
            email="inc@example.com", username="inc"
        ).id
    )
    time.sleep(0.02)
    _relabel(ls_client, tasks[samples[0].id], "cat", user_id=uid)
    load_with(dataset, KEY, **creds(ls_server))
    assert _report(dataset)["incremental"] is True
    assert _labels(dataset)[samples[0].id] == ["cat"]
    _equals_full(dataset, load_with, ls_server)


def test_deleted_annotation_and_deleted_task(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    no_margin,
):
    samples, results, tasks = _setup(
        dataset, sample_images, ls_server, ls_client
    )
    a0 = _relabel(ls_client, tasks[samples[0].id], "dog")
    _relabel(ls_client, tasks[samples[1].id], "dog")
    load_with(dataset, KEY, **creds(ls_server))
    loaded = snapshot(dataset, ["gt"])
    # the task becomes unannotated: its loaded labels stay
    ls_client.sdk.annotations.delete(id=a0.id)
    # a deleted task: its sample keeps its labels (as in a full load)
    ls_client.delete_tasks(results.project_id, [tasks[samples[1].id]["id"]])
    load_with(dataset, KEY, **creds(ls_server))
    report = _report(dataset)
    assert report["incremental"] is True
    assert report["tasks_read"] <= 2
    assert snapshot(dataset, ["gt"]) == loaded
    assert _labels(dataset)[samples[0].id] == ["dog"]
    _equals_full(dataset, load_with, ls_server)


def test_untrusted_position_reads_everything(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    no_margin,
):
    samples, results, tasks = _setup(
        dataset, sample_images, ls_server, ls_client
    )
    load_with(dataset, KEY, **creds(ls_server))
    # another annotator's labels: other load options than the position's
    # (FiftyOne applies load kwargs only to uncached results)
    dataset._annotation_cache.pop(KEY, None)
    load_with(dataset, KEY, annotator="admin@example.com", **creds(ls_server))
    assert "annotator" in _report(dataset)["reason"]
    # a position newer than anything in Label Studio (restored database)
    results = dataset.load_annotation_results(KEY)
    results.load_position = dict(
        results.load_position, updated_at="2999-01-01T00:00:00.000000Z"
    )
    results.backend.save_run_results(dataset, KEY, results)
    dataset._annotation_cache.pop(KEY, None)
    load_with(dataset, KEY, annotator="admin@example.com", **creds(ls_server))
    assert "older than the position" in _report(dataset)["reason"]


def test_tasks_read_in_the_margin_are_not_read_again(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, load_with
):
    """With the real 60 s margin: every task below was stamped within it.
    A load skips the tasks the previous load read whose ``updated_at``
    has not moved (after a bulk action, every task has one stamp)."""
    samples, results, tasks = _setup(
        dataset, sample_images, ls_server, ls_client
    )
    for sample in samples:
        _relabel(ls_client, tasks[sample.id], "dog")
    load_with(dataset, KEY, **creds(ls_server))
    assert _report(dataset)["tasks_read"] == len(samples)
    position = dataset.load_annotation_results(KEY).load_position
    assert sum(len(ids) for ids in position["seen"].values()) == len(samples)

    _relabel(ls_client, tasks[samples[2].id], "cat")
    load_with(dataset, KEY, **creds(ls_server))
    report = _report(dataset)
    assert report["incremental"] is True
    assert report["tasks_read"] == 1
    assert _labels(dataset)[samples[2].id] == ["cat"]

    load_with(dataset, KEY, **creds(ls_server))
    assert _report(dataset)["tasks_read"] == 0
    _equals_full(dataset, load_with, ls_server)
