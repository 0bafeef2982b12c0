"""The dataset's App label schemas (FiftyOne >= 1.22) as the default
Label Studio schema, through a real server and back."""

import pytest

import fiftyone as fo

from fiftyone_labelstudio.backend import LabelStudioBackendError
from fiftyone_labelstudio.backend.app_schemas import app_label_schema
from fiftyone_labelstudio.converters.label_config import parse_label_config
from test_backend_common import (
    BACKEND,
    add_images,
    annotate_task,
    creds,
    prediction_results,
    project_ids,
    tasks_by_sample,
)


def _dataset_with_schemas(dataset, sample_images):
    s0, s1 = add_images(dataset, sample_images, 2)
    a = fo.Detection(
        label="cat",
        bounding_box=[0.1, 0.1, 0.2, 0.2],
        age=3,
        kind="pet",
        occluded=True,
    )
    b = fo.Detection(
        label="dog", bounding_box=[0.4, 0.4, 0.2, 0.2], age=7, kind="wild"
    )
    s0["gt"] = fo.Detections(detections=[a, b])
    s0["score"] = 0.25
    s1["score"] = 0.75
    s0["weather"] = fo.Classification(label="sun")
    s0.save()
    s1.save()
    dataset.add_dynamic_sample_fields()
    dataset.set_label_schemas(dataset.generate_label_schemas())
    return s0, s1, a, b


def test_annotate_without_a_schema_uses_the_active_label_schemas(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    s0, s1, a, b = _dataset_with_schemas(dataset, sample_images)
    dataset.activate_label_schemas(["gt", "score"])

    results = dataset.annotate("app", backend=BACKEND, **creds(ls_server))
    schema = results.config.label_schema
    assert sorted(schema) == ["gt", "score"]
    assert schema["gt"]["classes"] == ["cat", "dog"]
    assert schema["gt"]["attributes"]["age"] == {
        "type": "number",
        "integer": True,
        "min": 3,
        "max": 7,
    }
    assert schema["gt"]["attributes"]["kind"] == {
        "type": "radio",
        "values": ["pet", "wild"],
    }
    assert schema["score"]["min"] == 0.25 and schema["score"]["max"] == 0.75

    xml = ls_client.get_project(results.project_id)["label_config"]
    controls = parse_label_config(xml)
    assert controls["gt__kind"]["labels"] == ["pet", "wild"]
    assert controls["gt__occluded"]["labels"] == ["occluded"]
    assert (
        'name="gt__age" toName="image" perRegion="true" min="3" max="7"'
        in (xml)
    )
    assert '<Number name="score" toName="image" step="any" min="0.25" ' in xml

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    age = next(
        r for r in res if r["id"] == a.id and r["from_name"] == "gt__age"
    )
    assert age["value"]["number"] == 3
    age["value"]["number"] = 5
    kind = next(
        r for r in res if r["id"] == b.id and r["from_name"] == "gt__kind"
    )
    kind["value"]["choices"] = ["pet"]
    next(r for r in res if r["from_name"] == "score")["value"]["number"] = 0.5
    annotate_task(ls_client, tasks[s0.id]["id"], res)

    dataset.load_annotations("app")
    s0.reload()
    got = {d.id: d for d in s0.gt.detections}
    assert (got[a.id].age, got[a.id].kind, got[a.id].occluded) == (
        5,
        "pet",
        True,
    )
    assert (got[b.id].age, got[b.id].kind) == (7, "pet")
    assert s0.score == 0.5
    assert s0.weather.label == "sun"  # not active: not annotated


def test_every_label_field_when_none_is_active(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    _dataset_with_schemas(dataset, sample_images)
    assert dataset.active_label_schemas == []
    assert sorted(app_label_schema(dataset)) == ["gt", "weather"]
    results = dataset.annotate("app2", backend=BACKEND, **creds(ls_server))
    assert sorted(results.config.label_schema) == ["gt", "weather"]
    controls = parse_label_config(
        ls_client.get_project(results.project_id)["label_config"]
    )
    assert controls["weather"]["labels"] == ["sun"]


def test_explicit_schema_wins_and_helper_prefills_it(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    _dataset_with_schemas(dataset, sample_images)
    schema = app_label_schema(dataset, ["gt"])
    schema["gt"]["classes"].append("bird")
    results = dataset.annotate(
        "app3", backend=BACKEND, label_schema=schema, **creds(ls_server)
    )
    assert results.config.label_schema["gt"]["classes"] == [
        "cat",
        "dog",
        "bird",
    ]


def test_no_schema_and_no_label_schemas_is_a_clear_error(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    add_images(dataset, sample_images, 1)
    before = project_ids(ls_client)
    with pytest.raises(LabelStudioBackendError, match="set_label_schemas"):
        dataset.annotate("none", backend=BACKEND, **creds(ls_server))
    assert project_ids(ls_client) == before
    assert "none" not in dataset.list_annotation_runs()


def test_request_form_is_prefilled_from_the_label_schema(
    dataset, sample_images, ls_server, ls_projects_guard
):
    from fiftyone_labelstudio.operators.label_form import field_key
    from test_operators_support import resolve

    _dataset_with_schemas(dataset, sample_images)
    schemas = dataset.label_schemas
    schemas["gt"]["classes"] = ["cat", "dog", "bird"]
    dataset.set_label_schemas(schemas)
    key = field_key("gt")
    props, errors = resolve(
        dataset, "request_annotations", {"existing_fields": ["gt"]}
    )
    assert errors == {}
    assert props[key + "__classes_source"].default == "dataset"
    assert "3 classes: cat, dog, bird" in (
        props[key + "__classes_preview"].view.label
    )
    notice = props[key + "__attributes_notice"].view.label
    assert "age (number)" in notice and "kind (radio)" in notice

    # running the operator with that form creates the run with them
    from test_operators_support import run

    run(
        "request_annotations",
        dataset,
        {
            "anno_key": "form",
            "existing_fields": ["gt"],
            "media_mode": "upload",
        },
    )
    info = dataset.load_annotation_results("form").config.label_schema["gt"]
    assert info["classes"] == ["cat", "dog", "bird"]
    assert info["attributes"]["kind"] == {
        "type": "radio",
        "values": ["pet", "wild"],
    }
