"""Executing the operators: immediately (also the App's generator path),
delegated (queued, then run by DelegatedOperationService in this process)
and from Python, against the real Label Studio server and MongoDB."""

import asyncio

import fiftyone as fo
import fiftyone.operators as foo
import httpx
import pytest
from fiftyone.operators.executor import execute_or_delegate_operator

from fiftyone_labelstudio import constants
from fiftyone_labelstudio.client.errors import LabelStudioNotFoundError
from fiftyone_labelstudio.service import runs

from test_operators_support import (
    assert_no_secret,
    image_dataset,
    operator,
    queue,
    run,
    run_queued,
    triggered,
    uri,
)


@pytest.fixture
def images_ds(dataset, sample_images, ls_server, ls_projects_guard):
    return image_dataset(dataset, sample_images)


def request_params(key, **extra):
    params = {
        "anno_key": key,
        "existing_fields": ["ground_truth", "weather"],
        "media_mode": "upload",
    }
    params.update(extra)
    return params


def annotate_in_label_studio(ls_server, results, choice="rain", n=1):
    """Submits a 'weather' annotation on the first ``n`` tasks."""
    headers = {"Authorization": "Token %s" % ls_server.api_key}
    task_ids = sorted(results.task_map)[:n]
    for task_id in task_ids:
        r = httpx.post(
            "%s/api/tasks/%d/annotations/" % (ls_server.url, task_id),
            headers=headers,
            json={
                "result": [
                    {
                        "id": "w%d" % task_id,
                        "from_name": "weather",
                        "to_name": constants.IMAGE_TAG_NAME,
                        "type": "choices",
                        "value": {"choices": [choice]},
                    }
                ]
            },
        )
        r.raise_for_status()
    return [results.task_map[t] for t in task_ids]


def _results(ds, key, ls_server):
    return ds.load_annotation_results(
        key, cache=False, url=ls_server.url, api_key=ls_server.api_key
    )


# request


def test_request_immediate(images_ds, ls_server, ls_client):
    import copy
    import os

    config_before = copy.deepcopy(fo.annotation_config.backends)
    env_before = dict(os.environ)
    result, res = run("request_annotations", images_ds, request_params("r1"))
    # credentials are passed per call, never written to global config
    assert fo.annotation_config.backends == config_before
    assert dict(os.environ) == env_before
    assert result["anno_key"] == "r1"
    assert result["num_samples"] == len(images_ds)
    assert result["label_fields"] == ["ground_truth", "weather"]
    assert result["project_url"].startswith(ls_server.url)
    assert ls_client.task_count(result["project_id"]) == len(images_ds)
    assert runs.list_runs(images_ds) == ["r1"]

    calls = triggered(res.executor)
    progress = [p for u, p in calls if u.endswith("set_progress")]
    assert progress and progress[-1]["progress"] == 1.0
    assert_no_secret(result, ls_server.api_key)
    assert_no_secret(calls, ls_server.api_key)
    doc = images_ds._doc.annotation_runs["r1"]
    assert_no_secret(doc.to_dict(), ls_server.api_key)
    # nothing secret stays cached in the process
    assert "r1" not in images_ds._annotation_cache


def test_request_streams_live_progress_for_the_app(images_ds, ls_server):
    request = {
        "dataset_name": images_ds.name,
        "operator_uri": uri("request_annotations"),
        "params": request_params("live"),
    }
    execution = asyncio.run(
        execute_or_delegate_operator(
            uri("request_annotations"), request, exhaust=False
        )
    )
    assert execution.is_generator
    messages = list(execution.result)
    uris = [m.body.operator_uri for m in messages]
    lines = [m.to_json_line() for m in messages]  # what the App receives
    assert all(line.endswith("\n") for line in lines)
    assert any("set_progress" in u for u in uris), uris
    assert uris[-1].endswith("show_output")
    assert "live" in images_ds.list_annotation_runs()


def test_request_selected_samples_only(images_ds, ls_client):
    ids = images_ds.values("id")[:2]
    op = operator("request_annotations")
    result = op(
        images_ds,
        "sel",
        {"ground_truth": {}},
        media_mode="upload",
        selected=ids,
    )
    assert result["num_samples"] == 2
    assert ls_client.task_count(result["project_id"]) == 2
    assert sorted(images_ds.load_annotation_view("sel").values("id")) == (
        sorted(ids)
    )


def test_request_new_field_from_python(images_ds, ls_client):
    op = operator("request_annotations")
    result = op(
        images_ds.limit(3),
        "newf",
        {"animal": {"type": "classification", "classes": ["cat", "dog"]}},
        media_mode="upload",
    )
    assert result["num_samples"] == 3
    schema = images_ds.get_annotation_info("newf").config.label_schema
    assert schema["animal"]["classes"] == ["cat", "dog"]


def test_request_invalid_params_fail_validation(images_ds):
    with pytest.raises(Exception, match="anno_key"):
        run("request_annotations", images_ds, request_params("bad key"))
    assert images_ds.list_annotation_runs() == []


def test_request_delegated(images_ds, ls_server, ls_client):
    op_id = queue("request_annotations", images_ds, request_params("d1"))
    assert images_ds.list_annotation_runs() == []  # only queued
    doc = run_queued(op_id, images_ds.name)
    assert doc.run_state == "completed", doc.run_state
    assert doc.status.progress == 1.0
    result = doc.result.result
    assert result["anno_key"] == "d1" and result["delegated"] is True
    assert ls_client.task_count(result["project_id"]) == len(images_ds)
    images_ds.reload()
    assert "d1" in images_ds.list_annotation_runs()
    assert_no_secret(doc.to_pymongo(), ls_server.api_key)


def test_delegated_requests_are_revalidated_when_they_run(images_ds):
    first = queue("request_annotations", images_ds, request_params("same"))
    second = queue("request_annotations", images_ds, request_params("same"))
    docs = [run_queued(i, images_ds.name) for i in (first, second)]
    states = sorted(d.run_state for d in docs)
    assert states == ["completed", "failed"]
    failed = [d for d in docs if d.run_state == "failed"][0]
    assert "already has an annotation run 'same'" in str(failed.result.error)


def test_delegated_worker_without_secret_fails_naming_it(
    images_ds, monkeypatch
):
    op_id = queue("request_annotations", images_ds, request_params("nosec"))
    monkeypatch.delenv(constants.SECRET_API_KEY)
    doc = run_queued(op_id, images_ds.name)
    assert doc.run_state == "failed"
    assert constants.SECRET_API_KEY in str(doc.result.error)


# load


def test_load_immediate_with_dest_field_and_reload(images_ds, ls_server):
    run("request_annotations", images_ds, request_params("l1"))
    annotated = annotate_in_label_studio(
        ls_server, _results(images_ds, "l1", ls_server), "rain", n=2
    )
    params = {
        "anno_key": "l1",
        "dest__field_weather": "weather_ls",
        "unexpected": "keep",
    }
    result, res = run("load_annotations", images_ds, params)
    assert {f["field"] for f in result["fields"]} == {
        "ground_truth",
        "weather_ls",
    }
    for sample_id in annotated:
        assert images_ds[sample_id].weather_ls.label == "rain"
    calls = [u for u, _ in triggered(res.executor)]
    assert any(u.endswith("reload_dataset") for u in calls)
    assert result["last_loaded"]
    assert runs.get_last_loaded(images_ds, "l1") == result["last_loaded"]
    assert "l1" not in images_ds._annotation_cache
    assert_no_secret(result, ls_server.api_key)


def test_load_by_annotator_and_delegated(images_ds, ls_server):
    run("request_annotations", images_ds, request_params("l2"))
    annotated = annotate_in_label_studio(
        ls_server, _results(images_ds, "l2", ls_server), "sun", n=1
    )
    op_id = queue(
        "load_annotations",
        images_ds,
        {"anno_key": "l2", "annotator": ls_server.username},
    )
    doc = run_queued(op_id, images_ds.name)
    assert doc.run_state == "completed", doc.result.error
    assert doc.result.result["annotator"] == ls_server.username
    images_ds.reload()
    assert images_ds[annotated[0]].weather.label == "sun"


def test_load_with_cleanup_deletes_the_project(
    images_ds, ls_server, ls_client
):
    from test_operators_support import resolve

    result, _ = run("request_annotations", images_ds, request_params("l3"))
    op = operator("load_annotations")
    op(images_ds, "l3", cleanup=True)
    with pytest.raises(LabelStudioNotFoundError):
        ls_client.get_project(result["project_id"])
    # the run stays, but the load form says there is nothing left to load
    _, errors = resolve(images_ds, "load_annotations", {"anno_key": "l3"})
    assert "was deleted" in errors["project_error"]


def test_load_reports_changed_tasks_and_offers_full(images_ds, ls_server):
    from test_operators_support import resolve

    run("request_annotations", images_ds, request_params("lc"))
    annotate_in_label_studio(
        ls_server, _results(images_ds, "lc", ls_server), "rain", n=2
    )
    first, _ = run("load_annotations", images_ds, {"anno_key": "lc"})
    assert first["incremental"] is False and first["tasks_read"] >= 2
    again, _ = run("load_annotations", images_ds, {"anno_key": "lc"})
    assert again["incremental"] is True
    assert again["read_reason"] == "incremental"
    props, _ = resolve(images_ds, "load_annotations", {"anno_key": "lc"})
    assert "full" in props
    full, _ = run(
        "load_annotations", images_ds, {"anno_key": "lc", "full": True}
    )
    assert full["incremental"] is False
    assert full["read_reason"] == "full read requested"


def test_load_form_offers_annotators_and_checks_dest(images_ds, ls_server):
    from test_operators_support import resolve

    run("request_annotations", images_ds, request_params("lf"))
    props, errors = resolve(images_ds, "load_annotations", {"anno_key": "lf"})
    annotators = [c.value for c in props["annotator"].view.choices]
    assert annotators[0] == "latest" and ls_server.username in annotators
    assert errors == {}
    _, errors = resolve(
        images_ds,
        "load_annotations",
        {"anno_key": "lf", "dest__field_weather": "ground_truth"},
    )
    assert "does not hold classification" in errors["dest__field_weather"]


# status, view, rename, delete, open


def test_status_counts_annotated_tasks(images_ds, ls_server):
    run("request_annotations", images_ds, request_params("s1"))
    annotate_in_label_studio(
        ls_server, _results(images_ds, "s1", ls_server), n=2
    )
    status = operator("get_annotation_status")(images_ds, "s1")
    assert status["tasks"] == len(images_ds)
    assert status["annotated"] == 2
    assert status["annotators"][0]["annotator"] == ls_server.username
    assert_no_secret(status, ls_server.api_key)


def test_load_annotation_view_sets_the_view(images_ds):
    run(
        "request_annotations",
        images_ds,
        request_params("v1"),
        view=images_ds.limit(2),
    )
    result, res = run("load_annotation_view", images_ds, {"anno_key": "v1"})
    assert result["num_samples"] == 2
    assert any(u.endswith("set_view") for u, _ in triggered(res.executor))


def test_rename_keeps_last_loaded(images_ds):
    run("request_annotations", images_ds, request_params("old"))
    operator("load_annotations")(images_ds, "old")
    stamp = runs.get_last_loaded(images_ds, "old")
    result = operator("rename_annotation_run")(images_ds, "old", "new")
    assert result == {"anno_key": "new", "old_anno_key": "old"}
    assert runs.list_runs(images_ds) == ["new"]
    assert runs.get_last_loaded(images_ds, "new") == stamp
    with pytest.raises(Exception, match="new_anno_key"):
        run(
            "rename_annotation_run",
            images_ds,
            {"anno_key": "new", "new_anno_key": "new"},
        )


def test_delete_keeps_or_deletes_the_project(images_ds, ls_client):
    keep, _ = run("request_annotations", images_ds, request_params("k"))
    gone, _ = run("request_annotations", images_ds, request_params("g"))
    op = operator("delete_annotation_run")
    assert op(images_ds, "k")["project_deleted"] is False
    ls_client.get_project(keep["project_id"])  # still there
    assert op(images_ds, "g", delete_project=True)["project_deleted"]
    with pytest.raises(LabelStudioNotFoundError):
        ls_client.get_project(gone["project_id"])
    assert runs.list_runs(images_ds) == []


def test_delete_when_the_project_is_already_gone(images_ds, ls_client):
    result, _ = run("request_annotations", images_ds, request_params("x"))
    ls_client.delete_project(result["project_id"])
    out = operator("delete_annotation_run")(
        images_ds, "x", delete_project=True
    )
    assert out["project_was_missing"] is True
    assert runs.list_runs(images_ds) == []


def test_open_in_labelstudio_gives_a_new_tab_link(images_ds, ls_server):
    from test_operators_support import resolve

    result, _ = run("request_annotations", images_ds, request_params("o"))
    out = operator("open_in_labelstudio")(images_ds, "o")
    assert out["project_url"] == result["project_url"]
    props, errors = resolve(
        images_ds, "open_in_labelstudio", {"anno_key": "o"}
    )
    button = props["open_project"].view.to_json()
    assert button["href"] == result["project_url"]
    assert button["componentsProps"]["button"]["target"] == "_blank"
    assert errors == {}


def test_only_this_backends_runs_are_offered(images_ds, ls_server):
    run("request_annotations", images_ds, request_params("ours"))
    images_ds.register_run("custom", images_ds.init_run(), overwrite=True)
    from test_operators_support import resolve

    props, _ = resolve(images_ds, "load_annotations", {})
    assert [c.value for c in props["anno_key"].view.choices] == ["ours"]


def test_request_without_existing_labels_sends_no_predictions(
    images_ds, ls_client
):
    params = request_params("bare", send_existing=False)
    result, _ = run("request_annotations", images_ds, params)
    tasks = ls_client.export_tasks(result["project_id"])
    assert len(tasks) == len(images_ds)
    assert all(not t.get("predictions") for t in tasks)

    with_labels, _ = run(
        "request_annotations", images_ds, request_params("full")
    )
    tasks = ls_client.export_tasks(with_labels["project_id"])
    assert all(t.get("predictions") for t in tasks)


def test_request_and_load_a_video_dataset(
    dataset, ls_server, ls_client, ls_projects_guard, tmp_path
):
    import cv2
    import numpy as np

    path = str(tmp_path / "clip.mp4")
    writer = cv2.VideoWriter(
        path, cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48)
    )
    for _ in range(12):
        writer.write((np.random.rand(48, 64, 3) * 255).astype("uint8"))
    writer.release()
    sample = fo.Sample(filepath=path)
    sample.frames[2] = fo.Frame(
        cars=fo.Detections(
            detections=[
                fo.Detection(label="car", bounding_box=[0.1, 0.1, 0.3, 0.3])
            ]
        )
    )
    dataset.add_sample(sample)

    result, _ = run(
        "request_annotations",
        dataset,
        {
            "anno_key": "vid",
            "existing_fields": ["frames.cars"],
            "media_mode": "upload",
        },
    )
    assert result["label_fields"] == ["frames.cars"]
    assert ls_client.task_count(result["project_id"]) == 1
    loaded, _ = run("load_annotations", dataset, {"anno_key": "vid"})
    assert loaded["fields"][0]["field"] == "frames.cars"
    assert loaded["fields"][0]["labels_after"] == 1
