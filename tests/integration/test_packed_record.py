"""The run record holds id_map and task_map packed (backend/packed_ids.py);
records written before (plain dicts) still load, and a packed record
loads through FiftyOne's own ``load_annotation_results`` /
``load_annotations`` and survives a dataset clone."""

import pytest
from bson import json_util

from test_backend_common import (
    boxes_run,
    creds,
    load_with,
    prediction_results,
    annotate_task,
)

from fiftyone_labelstudio.backend.packed_ids import PackedIds
from fiftyone_labelstudio.backend.packed_tasks import PackedTaskMap

pytestmark = pytest.mark.integration

KEY = "packed"


def _record(dataset) -> dict:
    run_doc = dataset._doc.annotation_runs[KEY]
    run_doc.results.seek(0)
    return json_util.loads(run_doc.results.read().decode())


def _write_record(dataset, record: dict) -> None:
    """Replaces the run's record with ``record`` as FiftyOne writes one
    (``json_util.dumps`` into the run's GridFS file)."""
    run_doc = dataset._doc.annotation_runs[KEY]
    run_doc.results.replace(
        json_util.dumps(record).encode(), content_type="application/json"
    )
    run_doc.save()
    dataset.clear_cache()


def _relabel(ls_client, task, label):
    res = prediction_results(task)
    res[0]["value"]["rectanglelabels"] = [label]
    annotate_task(ls_client, task["id"], res)


def _plain(results) -> tuple:
    id_map = {f: dict(m.items()) for f, m in results.id_map.items()}
    return id_map, dict(results.task_map.items())


def test_record_is_packed_and_loads_through_fiftyone(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    samples, results, tasks = boxes_run(
        dataset, sample_images, ls_server, ls_client, KEY, n=3
    )
    assert isinstance(results.id_map["gt"], PackedIds)
    assert isinstance(results.task_map, PackedTaskMap)
    id_map, task_map = _plain(results)
    assert id_map == {
        "gt": {s.id: [d.id for d in s.gt.detections] for s in samples}
    }
    record = _record(dataset)
    assert record["id_map"]["gt"]["_packed"] == "packed-ids-1"
    assert record["task_map"]["_packed"] == "packed-tasks-1"

    dataset.clear_cache()
    fresh = dataset.load_annotation_results(KEY, **creds(ls_server))
    assert fresh is not results
    assert _plain(fresh) == (id_map, task_map)

    # FiftyOne's own load (its merge reads and updates the packed map)
    _relabel(ls_client, tasks[samples[0].id], "dog")
    dataset.load_annotations(KEY, **creds(ls_server))
    dataset.reload()
    assert [d.label for d in dataset[samples[0].id].gt.detections] == ["dog"]
    dataset.clear_cache()
    again = dataset.load_annotation_results(KEY, **creds(ls_server))
    assert _plain(again) == (id_map, task_map)

    clone = dataset.clone()
    try:
        cloned = clone.load_annotation_results(KEY, **creds(ls_server))
        assert _plain(cloned) == (id_map, task_map)
    finally:
        clone.delete()


def test_old_plain_record_still_loads(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
):
    samples, results, tasks = boxes_run(
        dataset, sample_images, ls_server, ls_client, KEY, n=3
    )
    id_map, task_map = _plain(results)
    # the record as versions before packed_ids wrote it
    record = _record(dataset)
    record["id_map"] = id_map
    record["task_map"] = {str(t): s for t, s in task_map.items()}
    _write_record(dataset, record)
    assert "_packed" not in json_util.dumps(_record(dataset))

    old = dataset.load_annotation_results(KEY, **creds(ls_server))
    assert _plain(old) == (id_map, task_map)
    assert isinstance(old.id_map["gt"], PackedIds)  # packed when read

    _relabel(ls_client, tasks[samples[1].id], "dog")
    load_with(dataset, KEY, **creds(ls_server))
    dataset.reload()
    labels = {s.id: [d.label for d in s.gt.detections] for s in dataset}
    assert labels == {
        samples[0].id: ["cat"],
        samples[1].id: ["dog"],
        samples[2].id: ["cat"],
    }
    # saved packed now, same maps
    assert _record(dataset)["id_map"]["gt"]["_packed"] == "packed-ids-1"
    dataset.clear_cache()
    saved = dataset.load_annotation_results(KEY, **creds(ls_server))
    assert _plain(saved) == (id_map, task_map)
