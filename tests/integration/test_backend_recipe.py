"""The whole Python recipe against a real server: annotate, status, load,
rename, load again, cleanup, delete; PAT auth; media modes; annotators."""

import http.server
import json
import os
import threading
import time
from functools import partial

import numpy as np
import pytest

import fiftyone as fo
from fiftyone_labelstudio import constants
from fiftyone_labelstudio.client.errors import LabelStudioNotFoundError

from test_backend_common import (
    BACKEND,
    add_images,
    annotate_task,
    by_id,
    close,
    creds,
    new_region,
    prediction_results,
    snapshot,
    tasks_by_sample,
)


def _gt(sample, boxes):
    sample["gt"] = fo.Detections(
        detections=[
            fo.Detection(label=label, bounding_box=list(box))
            for label, box in boxes
        ]
    )
    sample.save()
    return sample.gt.detections


def _run_doc_text(dataset, key):
    """The run document and its stored results, as text."""
    doc = dataset._doc.annotation_runs[key]
    text = json.dumps(doc.to_dict(), default=str)
    doc.results.seek(0)
    return text + doc.results.read().decode()


def test_full_recipe(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    s0, s1, s2 = add_images(dataset, sample_images, 3)
    a, b = _gt(
        s0, [("cat", [0.1, 0.1, 0.2, 0.2]), ("dog", [0.5, 0.5, 0.3, 0.3])]
    )
    (c,) = _gt(s1, [("cat", [0.2, 0.3, 0.4, 0.5])])
    schema = {
        "gt": {},
        "weather": {"type": "classification", "classes": ["sun", "rain"]},
    }

    results = dataset.annotate(
        "recipe",
        backend=BACKEND,
        label_schema=schema,
        project_name="recipe project",
        launch_editor=False,
        **creds(ls_server),
    )
    assert dataset.list_annotation_runs() == ["recipe"]
    assert results.id_map["gt"] == {s0.id: [a.id, b.id], s1.id: [c.id]}
    assert "weather" not in results.id_map  # new field: nothing to edit
    assert sorted(results.task_map.values()) == sorted([s0.id, s1.id, s2.id])
    assert results.url == ls_server.url
    info = dataset.get_annotation_info("recipe")
    assert info.config.url == ls_server.url
    assert ls_server.api_key not in _run_doc_text(dataset, "recipe")
    project = ls_client.get_project(results.project_id)
    assert project["title"] == "recipe project"
    assert "'recipe'" in project["description"]

    status = results.get_status()
    assert (status["tasks"], status["annotated"], status["skipped"]) == (
        3,
        0,
        0,
    )
    assert status["predictions"] == 2

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    by_id(res, a.id)["value"].update(x=30.0, y=35.0)
    res = [r for r in res if r["id"] != b.id]
    w, h = s0.metadata.width, s0.metadata.height
    res.append(
        new_region(
            "wthr000001", "weather", "choices", {"choices": ["rain"]}, w, h
        )
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)
    annotate_task(ls_client, tasks[s1.id]["id"], [], cancelled=True)

    status = results.get_status()
    assert (status["annotated"], status["skipped"], status["unannotated"]) == (
        1,
        1,
        1,
    )
    assert status["annotators"] == {
        "admin@example.com": {"annotations": 1, "skipped": 1}
    }

    before_s1 = snapshot(dataset.select(s1.id), ["gt", "weather"])
    dataset.load_annotations("recipe", unexpected="ignore")
    s0.reload()
    assert [d.id for d in s0.gt.detections] == [a.id]
    assert close(s0.gt.detections[0].bounding_box, [0.3, 0.35, 0.2, 0.2])
    assert s0.weather.label == "rain"
    # skipped (cancelled) task: nothing changes
    assert snapshot(dataset.select(s1.id), ["gt", "weather"]) == before_s1

    dataset.rename_annotation_run("recipe", "recipe2")
    assert dataset.list_annotation_runs() == ["recipe2"]
    project = ls_client.get_project(results.project_id)
    assert "'recipe2'" in project["description"]

    # loading again (after the rename) changes nothing
    before = snapshot(dataset, ["gt", "weather"])
    dataset.load_annotations("recipe2", unexpected="ignore")
    assert snapshot(dataset, ["gt", "weather"]) == before

    view = dataset.load_annotation_view("recipe2")
    assert len(view) == 3

    results = dataset.load_annotation_results("recipe2")
    project_id = results.project_id
    results.cleanup()
    with pytest.raises(LabelStudioNotFoundError):
        ls_client.get_project(project_id)
    with pytest.raises(ValueError, match="deleted by results.cleanup"):
        dataset.load_annotations("recipe2", unexpected="ignore")

    dataset.delete_annotation_run("recipe2")
    assert dataset.list_annotation_runs() == []


def test_results_reload_from_database(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """A new session: results come from the database; the key from env,
    or passed to load_annotations (operators pass url/api_key)."""
    (s0,) = add_images(dataset, sample_images, 1)
    (a,) = _gt(s0, [("cat", [0.1, 0.1, 0.2, 0.2])])
    results = dataset.annotate(
        "reload",
        backend=BACKEND,
        config_cls=constants.CONFIG_CLS,
        label_field="gt",
        **creds(ls_server),
    )
    task = tasks_by_sample(ls_client, results.project_id)[s0.id]
    res = prediction_results(task)
    res[0]["value"]["rectanglelabels"] = ["dog"]
    annotate_task(ls_client, task["id"], res)

    dataset._annotation_cache.clear()
    fresh = dataset.load_annotation_results(
        "reload", cache=False, **creds(ls_server)
    )
    assert type(fresh).__name__ == "LabelStudioAnnotationResults"
    assert fresh.project_id == results.project_id
    assert fresh.task_map == results.task_map

    dataset._annotation_cache.clear()
    dataset.load_annotations("reload", unexpected="ignore", **creds(ls_server))
    s0.reload()
    assert s0.gt.detections[0].id == a.id
    assert s0.gt.detections[0].label == "dog"


def test_personal_access_token_run(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    pat = ls_client.create_personal_access_token()
    try:
        (s0,) = add_images(dataset, sample_images, 1)
        results = dataset.annotate(
            "pat",
            backend=BACKEND,
            label_field="tag",
            label_type="classification",
            classes=["x", "y"],
            url=ls_server.url,
            api_key=pat,
        )
        assert results.backend.client.uses_personal_access_token
        task = tasks_by_sample(ls_client, results.project_id)[s0.id]
        w, h = s0.metadata.width, s0.metadata.height
        annotate_task(
            ls_client,
            task["id"],
            [
                new_region(
                    "c000000001", "tag", "choices", {"choices": ["y"]}, w, h
                )
            ],
        )
        dataset._annotation_cache.clear()
        dataset.load_annotations(
            "pat", unexpected="ignore", url=ls_server.url, api_key=pat
        )
        assert dataset.first().tag.label == "y"
        assert pat not in _run_doc_text(dataset, "pat")
        dataset.load_annotation_results("pat", api_key=pat).cleanup()
    finally:
        ls_client.revoke_personal_access_token(pat)


def test_local_files_storage(
    dataset, local_images, ls_server, ls_client, ls_projects_guard
):
    add_images(dataset, local_images, 2)
    results = dataset.annotate(
        "local",
        backend=BACKEND,
        label_field="tag",
        label_type="classification",
        classes=["x"],
        media_mode="local",
        **creds(ls_server),
    )
    assert results.media_mode == "local"
    assert len(results.storage_ids) == 1
    tasks = ls_client.export_tasks(results.project_id)
    assert all(
        t["data"]["image"].startswith("/data/local-files/?d=") for t in tasks
    )
    response = ls_client._transport.request(
        "GET", tasks[0]["data"]["image"], "read a local file"
    )
    assert response.status_code == 200 and len(response.content) > 1000
    results.cleanup()
    assert results.storage_ids == []


def test_auto_mode_uploads_files_outside_the_root(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    add_images(dataset, sample_images, 2)
    results = dataset.annotate(
        "auto",
        backend=BACKEND,
        label_field="tag",
        label_type="classification",
        classes=["x"],
        **creds(ls_server),
    )
    assert results.media_mode == "upload"
    assert results.storage_ids == []
    tasks = ls_client.export_tasks(results.project_id)
    assert all(t["data"]["image"].startswith("/data/upload/") for t in tasks)
    assert sorted(t["data"]["fiftyone"]["media"] for t in tasks) == sorted(
        dataset.values("filepath")
    )


@pytest.fixture
def http_images(sample_images):
    """The sample images served over http from this process."""
    root = os.path.dirname(sample_images[0])
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=root)
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = "http://127.0.0.1:%d/" % server.server_address[1]
    yield [base + os.path.basename(p) for p in sample_images]
    server.shutdown()


def test_url_media_field(
    dataset,
    sample_images,
    http_images,
    ls_server,
    ls_client,
    ls_projects_guard,
):
    """Any field holding URLs works as media_field; URLs pass through."""
    samples = add_images(dataset, sample_images, 2)
    for sample, url in zip(samples, http_images):
        sample["web"] = url
        sample.save()
    results = dataset.annotate(
        "url",
        backend=BACKEND,
        label_field="tag",
        label_type="classification",
        classes=["x"],
        media_field="web",
        media_mode="url",
        **creds(ls_server),
    )
    assert results.media_mode == "url"
    tasks = tasks_by_sample(ls_client, results.project_id)
    for sample, url in zip(samples, http_images):
        assert tasks[sample.id]["data"]["image"] == url


def _second_user(ls_client):
    for user_id, user in ls_client.list_users().items():
        if user["email"] == "second.annotator@example.com":
            return user_id
    return ls_client.sdk.users.create(
        email="second.annotator@example.com", username="second_annotator"
    ).id


def test_annotator_choice(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    (s0,) = add_images(dataset, sample_images, 1)
    results = dataset.annotate(
        "who",
        backend=BACKEND,
        label_field="tag",
        label_type="classification",
        classes=["mine", "theirs", "skipped"],
        **creds(ls_server),
    )
    task = tasks_by_sample(ls_client, results.project_id)[s0.id]
    w, h = s0.metadata.width, s0.metadata.height

    def choice(value):
        return [new_region("c1", "tag", "choices", {"choices": [value]}, w, h)]

    admin_id = ls_client.check()["user"]["id"]
    other_id = _second_user(ls_client)
    ls_client.sdk.annotations.create(id=task["id"], result=choice("mine"))
    time.sleep(0.05)
    ls_client.sdk.annotations.create(
        id=task["id"], result=choice("theirs"), completed_by=other_id
    )
    time.sleep(0.05)
    ls_client.sdk.annotations.create(
        id=task["id"], result=choice("skipped"), was_cancelled=True
    )

    dataset.load_annotations("who", unexpected="ignore")
    assert dataset.first().tag.label == "theirs"  # latest non-cancelled

    results.config.annotator = "admin@example.com"
    dataset.load_annotations("who", unexpected="ignore")
    assert dataset.first().tag.label == "mine"

    results.config.annotator = str(other_id)
    dataset.load_annotations("who", unexpected="ignore")
    assert dataset.first().tag.label == "theirs"

    # through load_annotations' kwargs (results loaded from the database)
    dataset._annotation_cache.clear()
    dataset.load_annotations(
        "who",
        unexpected="ignore",
        annotator="admin@example.com",
        **creds(ls_server),
    )
    assert dataset.first().tag.label == "mine"
    assert admin_id != other_id
    # ... for that load only
    dataset.load_annotations("who", unexpected="ignore")
    assert dataset.first().tag.label == "theirs"

    results = dataset.load_annotation_results("who")
    results.config.annotator = "nobody@example.com"
    with pytest.raises(
        ValueError, match="annotator='nobody@example.com' is not a user"
    ):
        dataset.load_annotations("who", unexpected="ignore")


def test_task_deleted_in_label_studio_keeps_labels(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """A missing task is not a deletion request: its sample's labels stay
    (FiftyOne's merge would delete every uploaded label it does not get
    back)."""
    s0, s1 = add_images(dataset, sample_images, 2)
    _gt(s0, [("cat", [0.1, 0.1, 0.2, 0.2])])
    _gt(s1, [("dog", [0.3, 0.3, 0.2, 0.2])])
    s0["count"] = 4
    s0.save()
    # s1 also has an instance mask the "detections" run does not upload
    s1.gt.detections.append(
        fo.Detection(
            label="cat",
            bounding_box=[0, 0, 0.1, 0.1],
            mask=np.ones((2, 2), dtype=bool),
        )
    )
    s1.save()
    results = dataset.annotate(
        "deltask",
        backend=BACKEND,
        label_schema={"gt": {"type": "detections"}, "count": {}},
        **creds(ls_server),
    )
    tasks = tasks_by_sample(ls_client, results.project_id)
    ls_client.delete_tasks(
        results.project_id, [tasks[s0.id]["id"], tasks[s1.id]["id"]]
    )
    before = snapshot(dataset, ["gt", "count"])
    dataset.load_annotations("deltask", unexpected="ignore")
    assert snapshot(dataset, ["gt", "count"]) == before


def test_without_existing_labels(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """send_existing_labels=False: empty tasks; loading only adds."""
    s0, s1 = add_images(dataset, sample_images, 2)
    (a,) = _gt(s0, [("cat", [0.1, 0.1, 0.2, 0.2])])
    _gt(s1, [("dog", [0.3, 0.3, 0.2, 0.2])])
    results = dataset.annotate(
        "bare",
        backend=BACKEND,
        label_field="gt",
        classes=["cat", "dog"],
        send_existing_labels=False,
        **creds(ls_server),
    )
    assert results.id_map == {}
    tasks = tasks_by_sample(ls_client, results.project_id)
    assert all(not t["predictions"] for t in tasks.values())
    w, h = s0.metadata.width, s0.metadata.height
    annotate_task(
        ls_client,
        tasks[s0.id]["id"],
        [
            new_region(
                "added00001",
                "gt",
                "rectanglelabels",
                {
                    "x": 50,
                    "y": 50,
                    "width": 10,
                    "height": 10,
                    "rotation": 0,
                    "rectanglelabels": ["dog"],
                },
                w,
                h,
            )
        ],
    )
    before_s1 = snapshot(dataset.select(s1.id), ["gt"])
    dataset.load_annotations("bare", unexpected="ignore")
    s0.reload()
    assert [d.label for d in s0.gt.detections] == ["cat", "dog"]
    assert s0.gt.detections[0].id == a.id
    assert close(s0.gt.detections[1].bounding_box, [0.5, 0.5, 0.1, 0.1])
    assert snapshot(dataset.select(s1.id), ["gt"]) == before_s1


def test_launch_editor_and_print_status(
    dataset, sample_images, ls_server, ls_projects_guard, monkeypatch, capsys
):
    import webbrowser

    opened = []
    monkeypatch.setattr(webbrowser, "open_new_tab", opened.append)
    add_images(dataset, sample_images, 1)
    results = dataset.annotate(
        "open",
        backend=BACKEND,
        label_field="tag",
        label_type="classification",
        classes=["x"],
        launch_editor=True,
        **creds(ls_server),
    )
    assert opened == [
        "%s/projects/%d/data" % (ls_server.url, results.project_id)
    ]
    results.print_status()
    out = capsys.readouterr().out
    assert "Annotation run 'open'" in out and "tasks:        1" in out
    assert ls_server.api_key not in out


def test_dest_field(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    s0, s1 = add_images(dataset, sample_images, 2)
    (a,) = _gt(s0, [("cat", [0.1, 0.1, 0.2, 0.2])])
    results = dataset.annotate(
        "dest", backend=BACKEND, label_field="gt", **creds(ls_server)
    )
    task = tasks_by_sample(ls_client, results.project_id)[s0.id]
    res = prediction_results(task)
    res[0]["value"]["x"] = 60.0
    annotate_task(ls_client, task["id"], res)
    before = snapshot(dataset, ["gt"])
    dataset.load_annotations(
        "dest", dest_field="gt_edited", unexpected="ignore"
    )
    assert snapshot(dataset, ["gt"]) == before
    s0.reload()
    (edited,) = s0.gt_edited.detections
    assert close(edited.bounding_box, [0.6, 0.1, 0.2, 0.2])
    assert dataset.select(s1.id).first()["gt_edited"] is None


def test_progress_callbacks(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """progress= callbacks see the upload (files, tasks) and the
    download (tasks)."""
    add_images(dataset, sample_images, 3)
    seen = []

    def callback(pb):
        seen.append((pb._iters_str, pb.progress))

    results = dataset.annotate(
        "prog",
        backend=BACKEND,
        label_field="tag",
        label_type="classification",
        classes=["x"],
        progress=callback,
        **creds(ls_server),
    )
    assert ("files", 1.0) in seen and ("tasks", 1.0) in seen
    seen.clear()
    dataset._annotation_cache.clear()
    dataset.load_annotation_results(
        "prog", progress=callback, **creds(ls_server)
    )
    dataset.load_annotations("prog", unexpected="ignore")
    assert seen and seen[-1] == ("tasks", 1.0)
    assert results.project_id is not None
