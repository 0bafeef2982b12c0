"""The App forms for existing Label Studio projects (issue 7): request
annotations into an existing project, and the ``import_project`` operator,
against the real Label Studio server and MongoDB."""

import pytest

from fiftyone_labelstudio.service import projects, runs
from fiftyone_labelstudio.operators.import_project import (
    _field_param,
    _type_param,
)

from test_backend_common import annotate_task, new_region
from test_operators_support import (
    assert_no_secret,
    image_dataset,
    operator,
    queue,
    resolve,
    run,
    run_queued,
)

REQ = "request_annotations"
IMP = "import_project"

COVERING = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="ground_truth" toName="image">
    <Label value="cat"/><Label value="dog"/><Label value="bird"/>
  </RectangleLabels>
  <Choices name="weather" toName="image">
    <Choice value="sun"/><Choice value="rain"/>
  </Choices>
</View>"""

ONLY_BOXES = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="ground_truth" toName="image">
    <Label value="cat"/>
  </RectangleLabels>
  <BrushLabels name="paint" toName="image"><Label value="road"/></BrushLabels>
  <Choices name="quality" toName="image" perRegion="true">
    <Choice value="good"/>
  </Choices>
</View>"""


@pytest.fixture
def images_ds(dataset, sample_images, ls_server, ls_projects_guard):
    return image_dataset(dataset, sample_images)


@pytest.fixture
def covering(ls_client, ls_projects_guard):
    return ls_client.create_project("fols covering", COVERING)


@pytest.fixture
def boxes_only(ls_client, ls_projects_guard):
    return ls_client.create_project("fols boxes only", ONLY_BOXES)


def _request(ds, **params):
    base = {"existing_fields": ["ground_truth", "weather"]}
    base.update(params)
    return resolve(ds, REQ, base)


# request_annotations into an existing project


def test_existing_project_is_chosen_from_the_servers_projects(
    images_ds, covering, boxes_only
):
    props, errors = _request(images_ds)
    assert props["existing_project"].default is False
    assert "project_id" not in props and "project_name" in props
    assert errors == {}

    props, errors = _request(images_ds, existing_project=True)
    choices = {c.value: c.label for c in props["project_id"].view.choices}
    assert choices[str(covering["id"])] == "fols covering (#%d)" % (
        covering["id"]
    )
    assert str(boxes_only["id"]) in choices
    assert "project_name" not in props
    assert "project_id" in errors  # required until one is chosen


def test_a_project_that_does_not_cover_the_fields_is_a_form_error(
    images_ds, boxes_only
):
    _, errors = _request(
        images_ds, existing_project=True, project_id=str(boxes_only["id"])
    )
    message = errors["project_error"]
    assert "does not cover" in message
    assert "weather" in message and "'dog'" in message
    assert "fols boxes only" in message


def test_unknown_project_is_a_form_error(images_ds, ls_server):
    _, errors = _request(images_ds, existing_project=True, project_id="999999")
    assert "no project 999999" in errors["project_error"]


def test_request_into_an_existing_project(images_ds, covering, ls_client):
    _, errors = _request(
        images_ds, existing_project=True, project_id=str(covering["id"])
    )
    assert errors == {}
    op = operator(REQ)
    result = op(
        images_ds,
        "into",
        {"ground_truth": {}, "weather": {}},
        media_mode="upload",
        project_id=covering["id"],
    )
    assert result["project_id"] == covering["id"]
    assert result["existing_project"] is True
    assert result["project_name"] == "fols covering"
    assert ls_client.task_count(covering["id"]) == len(images_ds)
    # the panel and the load form read the project's title from the run
    assert runs.run_summary(images_ds, "into")["project_name"] == (
        "fols covering"
    )


def test_request_into_a_non_covering_project_fails_and_creates_nothing(
    images_ds, boxes_only, ls_client
):
    before = {p["id"] for p in ls_client.list_projects()}
    with pytest.raises(Exception, match="does not cover"):
        operator(REQ)(
            images_ds,
            "nope",
            {"ground_truth": {}, "weather": {}},
            media_mode="upload",
            project_id=boxes_only["id"],
        )
    assert images_ds.list_annotation_runs() == []
    assert {p["id"] for p in ls_client.list_projects()} == before
    assert ls_client.task_count(boxes_only["id"]) == 0


def test_project_number_field_when_projects_cannot_be_listed(
    images_ds, covering, monkeypatch
):
    # the listing fails (e.g. a server without the endpoint): a number
    monkeypatch.setattr(projects, "list_projects", lambda creds: None)
    props, errors = _request(images_ds, existing_project=True)
    assert props["project_id"].type.__class__.__name__ == "Number"
    assert "project_id" in errors
    _, errors = _request(
        images_ds, existing_project=True, project_id=covering["id"]
    )
    assert errors == {}


# import_project


@pytest.fixture
def hand_made(images_ds, ls_client, ls_projects_guard):
    """A project made by hand: 3 of the dataset's images uploaded, one
    image that is no sample; two tasks annotated."""
    project = ls_client.create_project("fols hand made", ONLY_BOXES)
    pid = int(project["id"])
    samples = list(images_ds.iter_samples())[:3]
    urls = ls_client.upload_files(pid, [s.filepath for s in samples])
    urls.append("http://127.0.0.1:9/not-in-the-dataset.png")
    task_ids = ls_client.import_tasks(
        pid, [{"data": {"image": u}} for u in urls]
    )
    size = (samples[0].metadata.width, samples[0].metadata.height)
    box = {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0}
    annotate_task(
        ls_client,
        task_ids[0],
        [
            new_region(
                "hand000001",
                "ground_truth",
                "rectanglelabels",
                dict(box, rectanglelabels=["cat"]),
                *size,
            )
        ],
    )
    size = (samples[1].metadata.width, samples[1].metadata.height)
    annotate_task(
        ls_client,
        task_ids[1],
        [
            new_region(
                "hand000002",
                "ground_truth",
                "rectanglelabels",
                dict(box, rectanglelabels=["cat"]),
                *size,
            )
        ],
    )
    return {"id": pid, "samples": samples}


def test_import_form_lists_projects_and_controls(images_ds, hand_made):
    props, errors = resolve(images_ds, IMP, {})
    choices = {c.value: c.label for c in props["project_id"].view.choices}
    assert choices[str(hand_made["id"])] == "fols hand made (#%d)" % (
        hand_made["id"]
    )
    assert "project_id" in errors

    params = {"project_id": str(hand_made["id"])}
    props, errors = resolve(images_ds, IMP, params)
    assert [c.value for c in props["match"].view.choices] == [
        "filename",
        "sample_id",
        "filepath",
    ]
    # ground_truth exists in the dataset: another name (or overwrite)
    gt = _field_param("ground_truth")
    assert props[gt].default == "ground_truth"
    assert "has a field 'ground_truth'" in errors[gt]
    assert props[_field_param("paint")].default == "paint"
    assert [c.value for c in props[_type_param("paint")].view.choices] == [
        "instances",
        "segmentation",
    ]
    assert "quality (per-region" in props["skipped_controls"].view.label

    params[gt] = "hand_boxes"
    _, errors = resolve(images_ds, IMP, params)
    assert errors == {}
    _, errors = resolve(images_ds, IMP, dict(params, anno_key="imp"))
    assert "ground_truth -> hand_boxes" in errors["anno_key"]
    _, errors = resolve(
        images_ds, IMP, {"project_id": params["project_id"], "overwrite": True}
    )
    assert errors == {}


def test_import_reports_matches_and_labels(images_ds, hand_made, ls_server):
    result, _ = run(
        IMP,
        images_ds,
        {
            "project_id": str(hand_made["id"]),
            "match": "filename",
            _field_param("ground_truth"): "hand_boxes",
            _field_param("paint"): "",  # skipped
        },
    )
    assert result["tasks"] == 4
    assert result["matched"] == 3
    assert result["loaded"] == 2
    assert result["unmatched"] == 1
    assert result["unmatched_images"] == [
        "http://127.0.0.1:9/not-in-the-dataset.png"
    ]
    assert result["labels"] == [
        {"control": "ground_truth", "field": "hand_boxes", "labels": 2}
    ]
    assert not images_ds.has_field("paint")
    first = images_ds[hand_made["samples"][0].id]
    assert first.hand_boxes.detections[0].label == "cat"
    assert images_ds.list_annotation_runs() == []
    assert_no_secret(result, ls_server.api_key)


def test_import_registered_as_a_run_delegated(images_ds, hand_made, ls_client):
    params = {
        "project_id": str(hand_made["id"]),
        "overwrite": True,
        "controls": ["ground_truth"],
        "anno_key": "imported",
    }
    op_id = queue(IMP, images_ds, params)
    doc = run_queued(op_id, images_ds.name)
    assert doc.run_state == "completed", doc.result.error
    result = doc.result.result
    assert result["anno_key"] == "imported" and result["delegated"]
    images_ds.reload()
    assert runs.list_runs(images_ds) == ["imported"]
    assert runs.run_summary(images_ds, "imported")["project_name"] == (
        "fols hand made"
    )
    # the run loads like any other, and deleting it keeps the project
    loaded, _ = run("load_annotations", images_ds, {"anno_key": "imported"})
    assert loaded["anno_key"] == "imported"
    operator("delete_annotation_run")(images_ds, "imported")
    ls_client.get_project(hand_made["id"])


def test_import_from_python_with_field_names(images_ds, hand_made):
    op = operator(IMP)
    result = op(
        images_ds,
        hand_made["id"],
        label_field={"ground_truth": "py_boxes"},
    )
    assert [r["field"] for r in result["labels"]] == ["py_boxes"]
    assert not images_ds.has_field("paint")
    with pytest.raises(Exception, match="no importable control"):
        op(images_ds, hand_made["id"], label_field={"nothing": "x"})


def test_coverage_the_form_cannot_judge_fails_in_the_runs_output(
    images_ds, covering, ls_client
):
    """Attributes FiftyOne finds on the existing labels are only known
    when the run starts: the backend's error ends the App's run."""
    import asyncio

    from fiftyone.operators.executor import execute_or_delegate_operator

    from test_operators_support import uri

    for sample in images_ds:
        for det in sample.ground_truth.detections:
            det["kind"] = "x"
        sample.save()
    params = {
        "anno_key": "attrs",
        "existing_fields": ["ground_truth", "weather"],
        "media_mode": "upload",
        "existing_project": True,
        "project_id": str(covering["id"]),
    }
    _, errors = resolve(images_ds, REQ, params)
    assert errors == {}
    request = {
        "dataset_name": images_ds.name,
        "operator_uri": uri(REQ),
        "params": params,
    }
    execution = asyncio.run(
        execute_or_delegate_operator(uri(REQ), request, exhaust=False)
    )
    messages = []
    with pytest.raises(Exception, match="does not cover"):
        for message in execution.result:
            messages.append(message.body)
    labels = [
        m.params.get("label") or ""
        for m in messages
        if m.operator_uri.endswith("set_progress")
    ]
    assert labels[-1].startswith(
        "Failed: Label Studio project %d" % (covering["id"])
    )
    assert "ground_truth__kind" in labels[-1]
    assert images_ds.list_annotation_runs() == []
    assert ls_client.task_count(covering["id"]) == 0


def test_import_form_lists_tabs_and_imports_one(
    images_ds, hand_made, ls_client
):
    """Issue 16: the import form lists the project's Data Manager tabs;
    importing one reads only its tasks."""
    pid = hand_made["id"]
    first = hand_made["samples"][0]
    tab = ls_client.create_view(
        pid,
        "first only",
        filters={
            "conjunction": "and",
            "items": [
                {
                    "filter": "filter:tasks:id",
                    "operator": "equal",
                    "type": "Number",
                    "value": min(t["id"] for t in ls_client.export_tasks(pid)),
                }
            ],
        },
    )
    params = {
        "project_id": str(pid),
        _field_param("ground_truth"): "tab_boxes",
        _field_param("paint"): "",
    }
    props, errors = resolve(images_ds, IMP, params)
    assert errors == {}
    choices = {c.value: c.label for c in props["view"].view.choices}
    assert choices == {
        "all": "All tasks",
        str(tab["id"]): "first only (tab %d)" % tab["id"],
    }

    result, _ = run(IMP, images_ds, dict(params, view=str(tab["id"])))
    assert result["view"] == "first only"
    assert result["tasks"] == 1 and result["loaded"] == 1
    images_ds.reload()
    assert images_ds.count("tab_boxes") == 1
    assert images_ds[first.id].tab_boxes is not None
