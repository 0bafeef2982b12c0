"""Existing Label Studio projects, against a real server:
``annotate(..., project_id=...)`` (coverage check, tasks added, cleanup
keeps the project) and ``import_project`` (a project made by hand)."""

import pytest

import fiftyone as fo

from test_backend_common import (
    BACKEND,
    add_images,
    annotate_task,
    close,
    creds,
    new_region,
    prediction_results,
)

HAND_CONFIG = """<View>
  <Image name="image" value="$image" zoom="true"/>
  <RectangleLabels name="gt" toName="image">
    <Label value="cat"/><Label value="dog"/><Label value="bird"/>
  </RectangleLabels>
  <Choices name="tag" toName="image" choice="single">
    <Choice value="x"/><Choice value="y"/>
  </Choices>
  <TextArea name="notes" toName="image"/>
</View>"""

SCHEMA = {
    "gt": {"type": "detections", "classes": ["cat", "dog"]},
    "tag": {"type": "classification", "classes": ["x", "y"]},
}


@pytest.fixture
def hand_project(ls_client, ls_projects_guard):
    """A project made in Label Studio, with one task of its own."""
    project = ls_client.create_project(
        "made by hand", HAND_CONFIG, description="the user's words"
    )
    pid = int(project["id"])
    (own_task,) = ls_client.import_tasks(
        pid, [{"data": {"image": "http://127.0.0.1:9/elsewhere.png"}}]
    )
    return {"id": pid, "own_task": own_task}


def _gt(sample, boxes):
    sample["gt"] = fo.Detections(
        detections=[
            fo.Detection(label=label, bounding_box=list(box))
            for label, box in boxes
        ]
    )
    sample.save()


def test_annotate_into_existing_project(
    dataset, sample_images, ls_server, ls_client, hand_project
):
    pid = hand_project["id"]
    s0, s1 = add_images(dataset, sample_images, 2)
    _gt(s0, [("cat", [0.1, 0.1, 0.2, 0.2])])
    results = dataset.annotate(
        "into",
        backend=BACKEND,
        label_schema=SCHEMA,
        project_id=pid,
        **creds(ls_server),
    )
    assert results.project_id == pid
    assert results.origin == "existing"
    assert results.project_title == "made by hand"
    project = ls_client.get_project(pid)
    assert project["label_config"] == HAND_CONFIG  # untouched
    assert project["task_number"] == 3

    # the run sees only its own tasks
    status = results.get_status()
    assert status["tasks"] == 2 and status["predictions"] == 1

    tasks = {
        t["data"]["fiftyone"]["sample_id"]: t
        for t in ls_client.export_tasks(pid)
        if "fiftyone" in t["data"]
    }
    res = prediction_results(tasks[s0.id])
    res[0]["value"]["x"] = 50.0
    w, h = s0.metadata.width, s0.metadata.height
    res.append(
        new_region("t000000001", "tag", "choices", {"choices": ["y"]}, w, h)
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)
    # an annotation of the project's own task is none of the run's business
    annotate_task(ls_client, hand_project["own_task"], [])
    assert results.get_status()["annotated"] == 1

    dataset.load_annotations("into", unexpected="ignore")
    s0.reload()
    assert close(s0.gt.detections[0].bounding_box, [0.5, 0.1, 0.2, 0.2])
    assert s0.tag.label == "y"

    # renaming the run leaves the user's description alone
    dataset.rename_annotation_run("into", "into2")
    assert ls_client.get_project(pid)["description"] == "the user's words"

    # cleanup deletes the run's tasks, never the project
    results = dataset.load_annotation_results("into2")
    results.cleanup()
    project = ls_client.get_project(pid)
    assert project["title"] == "made by hand"
    assert [t["id"] for t in ls_client.export_tasks(pid)] == [
        hand_project["own_task"]
    ]
    assert results.project_id is None


def test_reloaded_results_keep_the_origin(
    dataset, sample_images, ls_server, ls_client, hand_project
):
    """A new session reads ``origin`` back: cleanup still keeps the
    project."""
    pid = hand_project["id"]
    add_images(dataset, sample_images, 1)
    dataset.annotate(
        "again",
        backend=BACKEND,
        label_schema=SCHEMA,
        project_id=pid,
        **creds(ls_server),
    )
    dataset._annotation_cache.clear()
    results = dataset.load_annotation_results("again", **creds(ls_server))
    assert results.origin == "existing"
    results.cleanup()
    assert ls_client.get_project(pid)["task_number"] == 1


def test_project_that_does_not_cover_the_schema(
    dataset, sample_images, ls_server, ls_client, hand_project
):
    pid = hand_project["id"]
    add_images(dataset, sample_images, 2)
    schema = {
        "gt": {"type": "detections", "classes": ["cat", "fish", "emu"]},
        "tag": {"type": "polygons", "classes": ["x"]},
        "count": {"type": "scalar"},
    }
    dataset.add_sample_field("count", fo.IntField)
    with pytest.raises(ValueError) as info:
        dataset.annotate(
            "bad",
            backend=BACKEND,
            label_schema=schema,
            project_id=pid,
            **creds(ls_server),
        )
    message = str(info.value)
    assert "control 'gt' lacks the classes 'fish', 'emu'" in message
    assert (
        "control 'tag' must be a <PolygonLabels toName=\"image\"> (it is a "
        '<Choices toName="image">)' in message
    )
    assert 'a <Number name="count" toName="image"> control' in message
    assert "Nothing was created" in message
    assert ls_server.api_key not in message
    assert dataset.list_annotation_runs() == []
    assert ls_client.get_project(pid)["task_number"] == 1

    with pytest.raises(ValueError, match="has no such project"):
        dataset.annotate(
            "missing",
            backend=BACKEND,
            label_schema=SCHEMA,
            project_id=987654,
            **creds(ls_server),
        )
    assert dataset.list_annotation_runs() == []


def test_image_tag_must_match(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    project = ls_client.create_project(
        "other image tag",
        '<View><Image name="img" value="$url"/>'
        '<Choices name="tag" toName="img"><Choice value="x"/>'
        '<Choice value="y"/></Choices></View>',
    )
    add_images(dataset, sample_images, 1)
    with pytest.raises(ValueError) as info:
        dataset.annotate(
            "img",
            backend=BACKEND,
            label_schema={"tag": SCHEMA["tag"]},
            project_id=project["id"],
            **creds(ls_server),
        )
    message = str(info.value)
    assert 'an <Image name="image" value="$image"> object tag' in message
    assert "control 'tag' must be a <Choices toName=\"image\">" in message
    assert dataset.list_annotation_runs() == []


def test_created_projects_are_still_deleted(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    from fiftyone_labelstudio.client.errors import LabelStudioNotFoundError

    add_images(dataset, sample_images, 1)
    results = dataset.annotate(
        "own", backend=BACKEND, label_schema=SCHEMA, **creds(ls_server)
    )
    assert results.origin == "created"
    project_id = results.project_id
    results.cleanup()
    with pytest.raises(LabelStudioNotFoundError):
        ls_client.get_project(project_id)
