"""The plugin's load in batches (backend/batched_download.py) through a
real Label Studio server: a read that fails after some batches were
merged keeps what was merged consistent with the run (id_map saved, load
position not moved) and the next load ends exactly where a whole-dict
load (FiftyOne's ``dataset.load_annotations``) ends.

Every other load test runs the batched path too (``load_with``'s "bulk
merge" case uses batches of 2 samples).
"""

import threading
import time

import fiftyone as fo
import pytest

import fiftyone_labelstudio
from fiftyone_labelstudio.backend import batched_download
from fiftyone_labelstudio.backend.errors import LabelStudioBackendError
from fiftyone_labelstudio.client.api import LabelStudioClient
from fiftyone_labelstudio.client.errors import LabelStudioRequestError
from test_backend_common import (
    add_images,
    annotate_run,
    annotate_task,
    creds,
    prediction_results,
    snapshot,
    tasks_by_sample,
)

KEY = "batched"
N = 5  # the sample images there are


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(batched_download, "BATCH_TASKS", 2)
    monkeypatch.setattr(batched_download, "IDS_PER_REQUEST", 2)


def _setup(dataset, sample_images, ls_server, ls_client):
    samples = add_images(dataset, sample_images, N)
    for i, sample in enumerate(samples):
        sample["gt"] = fo.Detections(
            detections=[
                fo.Detection(
                    label="cat", bounding_box=[0.1 + 0.05 * i, 0.1, 0.2, 0.2]
                )
            ]
        )
        sample.save()
    results = annotate_run(
        dataset, KEY, ls_server, label_field="gt", classes=["cat", "dog"]
    )
    for sample_id, task in tasks_by_sample(
        ls_client, results.project_id
    ).items():
        res = prediction_results(task)
        res[0]["value"]["rectanglelabels"] = ["dog"]
        added = dict(res[0], id="new%s" % task["id"])
        added["value"] = dict(res[0]["value"], x=60.0, y=60.0)
        annotate_task(ls_client, task["id"], res + [added])
    return samples


def _fail_on_call(monkeypatch, number):
    """The client's export fails on its ``number``-th call (the earlier
    ones reach the real server)."""
    real = LabelStudioClient.export_tasks
    calls = []

    def export_tasks(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise LabelStudioRequestError(
                "Label Studio answered 502 (injected)", url=self.url
            )
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LabelStudioClient, "export_tasks", export_tasks)
    return calls


def test_failed_read_after_merged_batches_then_rerun(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    small_batches,
    monkeypatch,
):
    samples = _setup(dataset, sample_images, ls_server, ls_client)
    calls = _fail_on_call(monkeypatch, 3)
    with pytest.raises(LabelStudioBackendError) as info:
        fiftyone_labelstudio.load_annotations(dataset, KEY, **creds(ls_server))
    assert "were merged" in str(info.value)
    assert "again" in str(info.value)
    assert len(calls) == 3
    results = dataset.load_annotation_results(KEY)
    assert not (getattr(results, "load_position", None) or {}).get(
        "updated_at"
    )
    # the first two pages (4 samples) were merged, the rest not yet
    labels = [
        sorted(d.label for d in s["gt"].detections)
        for s in dataset.select_fields("gt")
    ]
    assert labels.count(["dog", "dog"]) == 4
    assert labels.count(["cat"]) == N - 4

    monkeypatch.undo()
    monkeypatch.setattr(batched_download, "BATCH_TASKS", 2)
    monkeypatch.setattr(batched_download, "IDS_PER_REQUEST", 2)
    fiftyone_labelstudio.load_annotations(dataset, KEY, **creds(ls_server))
    report = dataset.load_annotation_results(KEY)._load_report
    assert report["tasks_read"] == N
    for sample in dataset.select_fields("gt"):
        assert sorted(d.label for d in sample["gt"].detections) == [
            "dog",
            "dog",
        ]
    after = snapshot(dataset, ["gt"])
    id_map = dataset.load_annotation_results(KEY).id_map

    # the whole-dict load (FiftyOne's merge) of every task changes nothing
    dataset.load_annotations(KEY, full=True, **creds(ls_server))
    assert snapshot(dataset, ["gt"]) == after
    assert dataset.load_annotation_results(KEY).id_map == id_map
    assert {s.id for s in samples} == set(id_map["gt"])


def test_next_page_is_requested_while_this_page_is_read(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """run_tasks.pages: the export request of page k + 1 is made while
    the tasks of page k are still being read (Label Studio's export and
    the client's conversion overlap); the pages' tasks are all there, in
    order, and stopping early leaves no request behind."""
    from fiftyone_labelstudio.backend import run_tasks

    _setup(dataset, sample_images, ls_server, ls_client)
    results = dataset.load_annotation_results(KEY, **creds(ls_server))
    real = LabelStudioClient.export_tasks
    asked, second_asked = [], threading.Event()

    def export_tasks(self, project_id, ids=None, **kwargs):
        asked.append(list(ids))
        if len(asked) == 2:
            second_asked.set()
        return real(self, project_id, ids=ids, **kwargs)

    ids = sorted(results.task_map)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(LabelStudioClient, "export_tasks", export_tasks)
        tasks = run_tasks.pages(results, ids, 2)
        first = next(tasks)
        # page 1 is not read to its end, yet page 2 is being asked for
        assert second_asked.wait(60)
        rest = list(tasks)
        assert [first["id"]] + [t["id"] for t in rest] == ids
        assert asked == [ids[0:2], ids[2:4], ids[4:5]]

        asked.clear()
        second_asked.clear()
        tasks = run_tasks.pages(results, ids, 2)
        next(tasks)
        assert second_asked.wait(60)
        tasks.close()  # the request in flight is waited for
        time.sleep(0.5)
        assert asked == [ids[0:2], ids[2:4]]  # and none is made after it
