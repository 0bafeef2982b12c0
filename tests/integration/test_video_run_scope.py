"""Video loads read only their run's tasks (issue 11 parts 3 and 4),
through a real Label Studio server.

Two video runs in one project on the same samples: loading one never
reads the other's tasks (image runs too). Per-annotator loads of a video
run copy nothing into ``<field>_<user>`` for tasks that person never
touched.
"""

import time

import pytest

import fiftyone as fo

from test_backend_common import (
    BACKEND,
    annotate_task,
    by_id,
    creds,
    prediction_results,
    tasks_by_sample,
)
from test_backend_video import _video_dataset, videos  # noqa: F401

WEATHER = {"weather": {"type": "classification", "classes": ["sun", "rain"]}}


def _set_weather(ls_client, task, value, user_id=None):
    res = prediction_results(task)
    by_id(res, res[0]["id"])["value"]["choices"] = [value]
    time.sleep(0.05)  # distinct timestamps: "latest" is well defined
    if user_id is None:
        return annotate_task(ls_client, task["id"], res)
    return ls_client.sdk.annotations.create(
        id=task["id"], result=res, completed_by=user_id, lead_time=1.0
    )


def _run_tasks(ls_client, results) -> dict:
    """``{sample id: task}`` of the run's own tasks."""
    tasks = ls_client.export_tasks(results.project_id)
    return {
        t["data"]["fiftyone"]["sample_id"]: t
        for t in tasks
        if t["id"] in results.task_map
    }


def test_two_video_runs_in_one_project(
    dataset, videos, ls_server, ls_client, ls_projects_guard  # noqa: F811
):
    s0, s1 = _video_dataset(dataset, videos)
    first = dataset.annotate(
        "v1", backend=BACKEND, label_schema=WEATHER, **creds(ls_server)
    )
    second = dataset.annotate(
        "v2",
        backend=BACKEND,
        label_schema=WEATHER,
        project_id=first.project_id,
        **creds(ls_server),
    )
    assert len(ls_client.export_tasks(first.project_id)) == 4
    # run 1 says rain; run 2's annotation of the same sample is newer
    _set_weather(ls_client, _run_tasks(ls_client, first)[s0.id], "rain")
    _set_weather(ls_client, _run_tasks(ls_client, second)[s0.id], "sun")
    s1_weather = s1.weather

    dataset.load_annotations("v1")
    s0.reload()
    assert s0.weather.label == "rain"
    dataset.load_annotations("v2")
    s0.reload()
    assert s0.weather.label == "sun"
    # the run's status counts its own tasks only
    assert dataset.load_annotation_results("v1").get_status()["tasks"] == 2
    s1.reload()
    assert s1.weather == s1_weather


def test_two_image_runs_in_one_project(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """A created project that another run added tasks to: each run
    still reads only its own."""
    from test_backend_common import add_images

    s0, _ = add_images(dataset, sample_images, 2)
    for sample in dataset.iter_samples(autosave=True):
        sample["weather"] = fo.Classification(label="sun")
    first = dataset.annotate(
        "i1", backend=BACKEND, label_schema=WEATHER, **creds(ls_server)
    )
    second = dataset.annotate(
        "i2",
        backend=BACKEND,
        label_schema=WEATHER,
        project_id=first.project_id,
        **creds(ls_server),
    )
    _set_weather(ls_client, _run_tasks(ls_client, first)[s0.id], "rain")
    _set_weather(ls_client, _run_tasks(ls_client, second)[s0.id], "sun")
    dataset.load_annotations("i1")
    s0.reload()
    assert s0.weather.label == "rain"
    assert dataset.load_annotation_results("i1").get_status()["tasks"] == 2


@pytest.fixture
def two_annotators(ls_client):
    ids = []
    for name in ("vid.alice", "vid.bob"):
        email = name + "@example.com"
        found = [
            i for i, u in ls_client.list_users().items() if u["email"] == email
        ]
        ids.append(
            found[0]
            if found
            else ls_client.sdk.users.create(email=email, username=name).id
        )
    return ids


def test_video_per_annotator_loads_only_what_each_annotated(
    dataset,
    videos,  # noqa: F811
    ls_server,
    ls_client,
    ls_projects_guard,
    two_annotators,
):
    from fiftyone_labelstudio import load_all_annotators, load_annotator

    alice, bob = two_annotators
    s0, s1 = _video_dataset(dataset, videos)
    s1["weather"] = fo.Classification(label="sun")
    s1.save()
    results = dataset.annotate(
        "va", backend=BACKEND, label_schema=WEATHER, **creds(ls_server)
    )
    tasks = tasks_by_sample(ls_client, results.project_id)
    _set_weather(ls_client, tasks[s0.id], "rain", alice)  # alice: s0 only
    _set_weather(ls_client, tasks[s1.id], "rain", bob)  # bob: s1 only

    load_annotator(
        dataset,
        "va",
        "vid.alice@example.com",
        dest_field="weather_alice",
        only_annotated=True,
        **creds(ls_server),
    )
    s0.reload()
    s1.reload()
    assert s0.weather_alice.label == "rain"
    # s1's uploaded label is not alice's: nothing copied
    assert s1.weather_alice is None

    loaded = load_all_annotators(dataset, "va", **creds(ls_server))
    assert sorted(loaded) == ["vid.alice@example.com", "vid.bob@example.com"]
    bob_field = loaded["vid.bob@example.com"]["fields"]["weather"]
    s0.reload()
    s1.reload()
    assert s0[bob_field] is None and s1[bob_field].label == "rain"
