"""Existing Label Studio projects, against a real server:
``annotate(..., project_id=...)`` (coverage check, tasks added, cleanup
keeps the project) and ``import_project`` (a project made by hand)."""

import os

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
    snapshot,
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


# -- import_project ---------------------------------------------------


def _box(region_id, label, x, y, w, h, size):
    return new_region(
        region_id,
        "gt",
        "rectanglelabels",
        {
            "x": x,
            "y": y,
            "width": w,
            "height": h,
            "rotation": 0,
            "rectanglelabels": [label],
        },
        *size,
    )


@pytest.fixture
def hand_made(dataset, sample_images, ls_client, ls_projects_guard):
    """A project made by hand: images uploaded in Label Studio, tasks with
    only an image URL, annotations; one task's image is not a sample."""
    s0, s1, s2 = add_images(dataset, sample_images, 3)
    project = ls_client.create_project("hand made", HAND_CONFIG)
    pid = int(project["id"])
    urls = ls_client.upload_files(pid, [s.filepath for s in (s0, s1, s2)])
    urls.append("http://127.0.0.1:9/not-in-the-dataset.png")
    task_ids = ls_client.import_tasks(
        pid, [{"data": {"image": u}} for u in urls]
    )
    size0 = (s0.metadata.width, s0.metadata.height)
    size1 = (s1.metadata.width, s1.metadata.height)
    first = annotate_task(
        ls_client,
        task_ids[0],
        [
            _box("hand000001", "cat", 10, 20, 30, 40, size0),
            new_region(
                "hand000002", "tag", "choices", {"choices": ["y"]}, *size0
            ),
            new_region(
                "hand000003", "notes", "textarea", {"text": ["hello"]}, *size0
            ),
        ],
    )
    annotate_task(
        ls_client, task_ids[1], [_box("old0000001", "cat", 0, 0, 5, 5, size1)]
    )
    annotate_task(  # the latest annotation of task 1 wins
        ls_client,
        task_ids[1],
        [
            _box("hand000004", "dog", 50, 50, 10, 10, size1),
            _box("hand000005", "bird", 60, 10, 20, 20, size1),
        ],
    )
    annotate_task(
        ls_client, task_ids[3], [_box("hand000006", "dog", 1, 1, 1, 1, size1)]
    )
    return {
        "id": pid,
        "samples": (s0, s1, s2),
        "urls": urls,
        "task_ids": task_ids,
        "first_annotation": first.id,
        "size0": size0,
    }


def test_upload_urls_carry_a_prefix(hand_made):
    from fiftyone_labelstudio.backend.import_project import media_name

    s0 = hand_made["samples"][0]
    url = hand_made["urls"][0]
    assert url.startswith("/data/upload/%d/" % hand_made["id"])
    assert os.path.basename(url) != os.path.basename(s0.filepath)
    assert media_name(url) == os.path.basename(s0.filepath)
    assert media_name("/data/local-files/?d=a/b%20c/x.jpg") == "x.jpg"
    assert media_name("http://host/imgs/y.png?size=2") == "y.png"


def test_import_hand_made_project_by_filename(dataset, ls_server, hand_made):
    from fiftyone_labelstudio.backend.import_project import import_project

    s0, s1, s2 = hand_made["samples"]
    report = import_project(
        dataset, hand_made["id"], match="filename", **creds(ls_server)
    )
    assert report["fields"] == {"gt": "gt", "tag": "tag", "notes": "notes"}
    assert (report["tasks"], report["matched"]) == (4, 3)
    assert (report["loaded"], report["unannotated"]) == (2, 1)
    assert report["unmatched"] == [
        {
            "task_id": hand_made["task_ids"][3],
            "image": "http://127.0.0.1:9/not-in-the-dataset.png",
        }
    ]
    assert report["labels"] == {"gt": 3, "tag": 1, "notes": 1}
    assert report["skipped_results"] == 0

    got = {s.id: s for s in dataset.iter_samples()}
    (cat,) = got[s0.id].gt.detections
    assert cat.label == "cat"
    assert close(cat.bounding_box, [0.1, 0.2, 0.3, 0.4])
    assert got[s0.id].tag.label == "y"
    assert got[s0.id].notes == "hello"
    assert [d.label for d in got[s1.id].gt.detections] == ["dog", "bird"]
    assert got[s1.id].tag is None
    assert got[s2.id].gt is None
    assert dataset.get_field("notes").__class__.__name__ == "StringField"
    assert dataset.list_annotation_runs() == []

    # the fields exist now: one clear error, nothing written
    with pytest.raises(ValueError, match="already exist"):
        import_project(dataset, hand_made["id"], **creds(ls_server))

    # a prefix for several controls; a mapping for some
    report = import_project(
        dataset, hand_made["id"], label_field="hand", **creds(ls_server)
    )
    assert sorted(report["fields"].values()) == [
        "hand_gt",
        "hand_notes",
        "hand_tag",
    ]
    report = import_project(
        dataset.select(s1.id),
        hand_made["id"],
        label_field={"gt": "boxes"},
        **creds(ls_server),
    )
    assert report["fields"] == {"gt": "boxes"} and report["matched"] == 1
    assert len(report["unmatched"]) == 3
    assert dataset.count("boxes.detections") == 2


def test_import_by_sample_id_and_filepath(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """Our own tasks match by sample id; URL media by file path."""
    from fiftyone_labelstudio.backend.import_project import import_project

    s0, s1 = add_images(dataset, sample_images, 2)
    results = dataset.annotate(
        "ours",
        backend=BACKEND,
        label_field="tag",
        label_type="classification",
        classes=["x", "y"],
        **creds(ls_server),
    )
    task = {
        t["data"]["fiftyone"]["sample_id"]: t
        for t in ls_client.export_tasks(results.project_id)
    }[s1.id]
    w, h = s1.metadata.width, s1.metadata.height
    annotate_task(
        ls_client,
        task["id"],
        [new_region("c000000001", "tag", "choices", {"choices": ["x"]}, w, h)],
    )
    report = import_project(
        dataset,
        results.project_id,
        label_field="copy",
        match="sample_id",
        **creds(ls_server),
    )
    assert (report["matched"], report["loaded"]) == (2, 1)
    assert dataset.select(s1.id).first()["copy"].label == "x"

    with pytest.raises(ValueError, match="match='name' is not supported"):
        import_project(
            dataset, results.project_id, match="name", **creds(ls_server)
        )


def test_import_registered_as_a_run(dataset, ls_server, ls_client, hand_made):
    from fiftyone_labelstudio.backend.import_project import import_project

    s0, s1, s2 = hand_made["samples"]
    fields = ["gt", "tag", "notes"]
    import_project(
        dataset, hand_made["id"], anno_key="imp", **creds(ls_server)
    )
    assert dataset.list_annotation_runs() == ["imp"]
    results = dataset.load_annotation_results("imp")
    assert results.origin == "imported"
    assert results.get_status()["tasks"] == 4

    # loading right away changes nothing (same ids as the import)
    before = snapshot(dataset, fields)
    dataset.load_annotations("imp", unexpected="ignore")
    assert snapshot(dataset, fields) == before
    s0.reload()
    cat_id = s0.gt.detections[0].id

    # an edit in Label Studio loads onto the same label
    ls_client.sdk.annotations.update(
        id=hand_made["first_annotation"],
        result=[_box("hand000001", "cat", 50, 20, 30, 40, hand_made["size0"])],
    )
    dataset.load_annotations("imp", unexpected="ignore")
    s0.reload()
    assert [d.id for d in s0.gt.detections] == [cat_id]
    assert close(s0.gt.detections[0].bounding_box, [0.5, 0.2, 0.3, 0.4])
    assert s0.tag is None and s0.notes is None

    # a registered import needs fields named after the controls
    with pytest.raises(ValueError, match="named after its Label Studio"):
        import_project(
            dataset,
            hand_made["id"],
            label_field="other",
            anno_key="imp2",
            **creds(ls_server),
        )

    # cleanup deletes nothing in Label Studio
    results.cleanup()
    assert ls_client.get_project(hand_made["id"])["task_number"] == 4


@pytest.mark.parametrize("committed", [True, False])
def test_failed_upload_removes_only_its_tasks(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    hand_project,
    monkeypatch,
    committed,
):
    """The 2nd of 2 import batches fails (after the server stored it, or
    before): the project stays with exactly its own task, no run."""
    from faults import Fault, FaultProxy

    from fiftyone_labelstudio.client import LabelStudioClient

    monkeypatch.setattr(
        LabelStudioClient.import_tasks, "__defaults__", (1, None)
    )
    pid = hand_project["id"]
    add_images(dataset, sample_images, 2)
    proxy = FaultProxy(ls_server.url)
    try:
        proxy.inject(
            "POST",
            r"^/api/projects/\d+/import\?return_task_ids",
            Fault(status=500, forward=committed),
            skip=1,
        )
        with pytest.raises(ValueError, match="HTTP 500"):
            dataset.annotate(
                "fails",
                backend=BACKEND,
                label_schema=SCHEMA,
                project_id=pid,
                url=proxy.url,
                api_key=ls_server.api_key,
            )
    finally:
        proxy.close()
    assert dataset.list_annotation_runs() == []
    assert ls_client.get_project(pid)["title"] == "made by hand"
    assert [t["id"] for t in ls_client.export_tasks(pid)] == [
        hand_project["own_task"]
    ]
