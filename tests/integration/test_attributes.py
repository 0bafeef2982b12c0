"""Label attributes through a real Label Studio server and back.

Attributes become per-region controls (``perRegion="true"``) next to their
field's control; existing values are prefilled in the task's prediction
and edited values come back onto the right labels. Annotations are posted
the way the editor serializes them: one result per attribute that reuses
the region id and repeats its geometry.
"""

import copy

import pytest

import fiftyone as fo

from fiftyone_labelstudio.backend import LabelStudioBackendError
from fiftyone_labelstudio.converters.label_config import parse_label_config
from test_backend_common import (
    BACKEND,
    add_images,
    annotate_task,
    by_id,
    close,
    creds,
    new_region,
    prediction_results,
    project_ids,
    snapshot,
    tasks_by_sample,
)

BOX_ATTRS = {
    "occluded": {"type": "occluded"},
    "note": {"type": "text"},
    "age": {"type": "number", "integer": True, "min": 0, "max": 99},
    "kind": {"type": "select", "values": ["wild", "pet"]},
    "weight": {"type": "number"},
}


def _annotate(dataset, key, ls_server, **kwargs):
    return dataset.annotate(key, backend=BACKEND, **creds(ls_server), **kwargs)


def _load_twice(dataset, key, fields, **kwargs):
    """Loads, then checks that a second load changes nothing (an
    attribute set to None and a missing one are the same)."""
    dataset.load_annotations(key, **kwargs)
    first = _without_none(snapshot(dataset, fields))
    dataset.load_annotations(key, **kwargs)
    assert _without_none(snapshot(dataset, fields)) == first


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _attr(region, control, result_type, payload):
    """A per-region attribute result as the editor writes it."""
    out = copy.deepcopy(region)
    out["from_name"] = control
    out["type"] = result_type
    value = {
        k: v for k, v in region["value"].items() if not k.endswith("labels")
    }
    value.update(payload)
    out["value"] = value
    return out


def _attrs_of(results, region_id):
    return {
        r["from_name"]: r["value"]
        for r in results
        if r["id"] == region_id
        and r["type"] in ("choices", "textarea", "number")
    }


def _config(ls_client, project_id):
    return parse_label_config(
        ls_client.get_project(project_id)["label_config"]
    )


def test_box_attributes_prefilled_edited_and_loaded(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    s0, s1 = add_images(dataset, sample_images, 2)
    a = fo.Detection(
        label="cat",
        bounding_box=[0.1, 0.1, 0.2, 0.2],
        occluded=True,
        note="left ear",
        age=3,
        kind="pet",
        weight=4.5,
        extra="not in the schema",
    )
    b = fo.Detection(label="dog", bounding_box=[0.5, 0.5, 0.2, 0.2])
    s0["gt"] = fo.Detections(detections=[a, b])
    c = fo.Detection(
        label="dog", bounding_box=[0.2, 0.2, 0.3, 0.3], occluded=True
    )
    s1["gt"] = fo.Detections(detections=[c])
    s0.save()
    s1.save()

    results = _annotate(
        dataset,
        "attrs",
        ls_server,
        label_schema={
            "gt": {"classes": ["cat", "dog"], "attributes": BOX_ATTRS}
        },
    )

    controls = _config(ls_client, results.project_id)
    assert controls["gt__occluded"]["per_region"] == "true"
    assert controls["gt__occluded"]["labels"] == ["occluded"]
    assert controls["gt__kind"]["labels"] == ["wild", "pet"]
    assert controls["gt__note"]["tag"] == "TextArea"
    assert controls["gt__age"]["tag"] == "Number"

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    assert _attrs_of(res, a.id) == {
        "gt__occluded": {**_geom(res, a.id), "choices": ["occluded"]},
        "gt__note": {**_geom(res, a.id), "text": ["left ear"]},
        "gt__age": {**_geom(res, a.id), "number": 3},
        "gt__kind": {**_geom(res, a.id), "choices": ["pet"]},
        "gt__weight": {**_geom(res, a.id), "number": 4.5},
    }
    assert _attrs_of(res, b.id) == {}

    # edit a: untick occluded, new note, new age; b: tick, choose a kind
    res = [
        r
        for r in res
        if not (r["id"] == a.id and r["from_name"] == "gt__occluded")
    ]
    by_id_attr(res, a.id, "gt__note")["value"]["text"] = ["right ear"]
    by_id_attr(res, a.id, "gt__age")["value"]["number"] = 4
    region_b = by_id(res, b.id)
    res.append(
        _attr(region_b, "gt__occluded", "choices", {"choices": ["occluded"]})
    )
    res.append(_attr(region_b, "gt__kind", "choices", {"choices": ["wild"]}))
    # a new box drawn with its attributes set
    w, h = s0.metadata.width, s0.metadata.height
    new = new_region(
        "newbox0001",
        "gt",
        "rectanglelabels",
        {
            "x": 60,
            "y": 10,
            "width": 10,
            "height": 10,
            "rotation": 0,
            "rectanglelabels": ["dog"],
        },
        w,
        h,
    )
    res.append(new)
    res.append(_attr(new, "gt__note", "textarea", {"text": ["new one"]}))
    res.append(_attr(new, "gt__age", "number", {"number": 7}))
    annotate_task(ls_client, tasks[s0.id]["id"], res)

    before_s1 = snapshot(dataset.select(s1.id), ["gt"])
    _load_twice(dataset, "attrs", ["gt"])

    s0.reload()
    dets = {d.id: d for d in s0.gt.detections}
    got_a, got_b = dets.pop(a.id), dets.pop(b.id)
    assert got_a.occluded is False
    assert got_a.note == "right ear"
    assert got_a.age == 4 and isinstance(got_a.age, int)
    assert got_a.kind == "pet"
    assert got_a.weight == 4.5
    assert got_a.extra == "not in the schema"  # never touched
    assert (got_b.occluded, got_b.kind) == (True, "wild")
    assert _value(got_b, "note") is None
    (got_new,) = dets.values()
    assert got_new.label == "dog"
    assert (got_new.note, got_new.age) == ("new one", 7)
    assert got_new.occluded is False
    assert _value(got_new, "kind") is None
    assert close(got_new.bounding_box, [0.6, 0.1, 0.1, 0.1])
    # an unannotated task leaves its sample as it was
    assert snapshot(dataset.select(s1.id), ["gt"]) == before_s1


def _value(label, name):
    return label.get_attribute_value(name, None)


def by_id_attr(results, region_id, control):
    (match,) = [
        r
        for r in results
        if r["id"] == region_id and r["from_name"] == control
    ]
    return match


def _geom(results, region_id):
    value = next(
        r["value"]
        for r in results
        if r["id"] == region_id and r["type"] == "rectanglelabels"
    )
    return {k: v for k, v in value.items() if k != "rectanglelabels"}


def test_attributes_found_on_labels_round_trip_unchanged(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """annotate(label_field=...) declares the attributes it finds; an
    untouched annotation brings every value back as it was (lists and
    dicts, which no control edits, are left alone)."""
    (s0,) = add_images(dataset, sample_images, 1)
    a = fo.Detection(
        label="cat",
        bounding_box=[0.1, 0.1, 0.2, 0.2],
        occluded=False,
        truncated=True,
        count=2,
        score2=0.25,
        note="x <&> ü",
        tags2=["a", "b"],
        meta={"k": 1},
    )
    b = fo.Detection(label="cat", bounding_box=[0.4, 0.4, 0.2, 0.2])
    s0["gt"] = fo.Detections(detections=[a, b])
    s0.save()

    results = _annotate(dataset, "found", ls_server, label_field="gt")
    schema = results.config.label_schema["gt"]["attributes"]
    assert schema["occluded"] == {"type": "occluded"}
    assert schema["truncated"] == {"type": "checkbox"}
    assert schema["count"] == {"type": "number", "integer": True}
    assert schema["score2"] == {"type": "number"}
    assert schema["note"] == {"type": "text"}
    assert schema["tags2"]["read_only"] is True
    assert schema["meta"]["read_only"] is True
    controls = _config(ls_client, results.project_id)
    assert "gt__tags2" not in controls and "gt__meta" not in controls

    tasks = tasks_by_sample(ls_client, results.project_id)
    annotate_task(
        ls_client, tasks[s0.id]["id"], prediction_results(tasks[s0.id])
    )
    dataset.load_annotations("found")
    s0.reload()
    got = {d.id: d for d in s0.gt.detections}
    assert got[a.id].to_dict() == a.to_dict()
    # b had no attributes: the checkboxes are unticked, the rest unset
    assert (got[b.id].occluded, got[b.id].truncated) == (False, False)
    assert _value(got[b.id], "note") is None
    assert _value(got[b.id], "count") is None


def test_rotated_box_edited_in_label_studio_comes_back_rotated(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    (s0,) = add_images(dataset, sample_images, 1)
    a = fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2])
    b = fo.Detection(label="cat", bounding_box=[0.5, 0.5, 0.2, 0.2])
    s0["gt"] = fo.Detections(detections=[a, b])
    s0.save()

    # no attributes at all: rotation is declared for the merge by itself
    results = _annotate(
        dataset, "rot", ls_server, label_field="gt", attributes=False
    )
    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    by_id(res, a.id)["value"]["rotation"] = 30.0
    annotate_task(ls_client, tasks[s0.id]["id"], res)
    dataset.load_annotations("rot")
    s0.reload()
    got = {d.id: d for d in s0.gt.detections}
    assert got[a.id].rotation == 30.0
    assert close(got[a.id].bounding_box, a.bounding_box)
    assert _value(got[b.id], "rotation") is None

    # the rotated box goes out rotated, and un-rotating it clears it
    results = _annotate(
        dataset, "rot2", ls_server, label_field="gt", attributes=False
    )
    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    assert by_id(res, a.id)["value"]["rotation"] == 30.0
    assert "gt__rotation" not in _config(ls_client, results.project_id)
    by_id(res, a.id)["value"]["rotation"] = 0
    by_id(res, b.id)["value"]["rotation"] = 45.5
    annotate_task(ls_client, tasks[s0.id]["id"], res)
    dataset.load_annotations("rot2")
    s0.reload()
    got = {d.id: d for d in s0.gt.detections}
    assert _value(got[a.id], "rotation") is None
    assert got[b.id].rotation == 45.5


def test_rotation_found_as_attribute_is_geometry_not_a_control(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    (s0,) = add_images(dataset, sample_images, 1)
    a = fo.Detection(
        label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2], rotation=12.0
    )
    s0["gt"] = fo.Detections(detections=[a])
    s0.save()
    results = _annotate(dataset, "rot3", ls_server, label_field="gt")
    assert "rotation" in results.config.label_schema["gt"]["attributes"]
    assert "gt__rotation" not in _config(ls_client, results.project_id)
    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    assert [r["from_name"] for r in res] == ["gt"]
    by_id(res, a.id)["value"]["rotation"] = -20.0
    annotate_task(ls_client, tasks[s0.id]["id"], res)
    dataset.load_annotations("rot3")
    s0.reload()
    assert s0.gt.detections[0].rotation == -20.0


def test_classification_attributes_are_image_level(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    s0, s1 = add_images(dataset, sample_images, 2)
    scene = fo.Classification(label="indoor", light=2)
    s0["scene"] = scene
    t1 = fo.Classification(label="a", source="web")
    t2 = fo.Classification(label="b", source="book")
    s0["topics"] = fo.Classifications(classifications=[t1, t2])
    t3 = fo.Classification(label="a", source="web")
    s1["topics"] = fo.Classifications(classifications=[t3])
    s0.save()
    s1.save()

    results = _annotate(
        dataset,
        "clsattr",
        ls_server,
        label_schema={
            "scene": {
                "classes": ["indoor", "outdoor"],
                "attributes": {
                    "light": {"type": "radio", "values": [1, 2, 3]}
                },
            },
            "topics": {
                "classes": ["a", "b"],
                "attributes": {
                    "source": {"type": "radio", "values": ["web", "book"]}
                },
            },
        },
    )
    controls = _config(ls_client, results.project_id)
    assert controls["scene__light"]["labels"] == ["1", "2", "3"]
    assert "per_region" not in controls["scene__light"]

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    light = by_id(res, "scene__light")
    assert light["value"] == {"choices": ["2"]}
    # topics of s0 disagree on 'source': nothing is shown for it
    assert not [r for r in res if r["from_name"] == "topics__source"]
    light["value"]["choices"] = ["3"]
    annotate_task(ls_client, tasks[s0.id]["id"], res)
    res1 = prediction_results(tasks[s1.id])
    by_id(res1, "topics__source")["value"]["choices"] = ["book"]
    annotate_task(ls_client, tasks[s1.id]["id"], res1)

    dataset.load_annotations("clsattr")
    s0.reload()
    s1.reload()
    assert s0.scene.id == scene.id and s0.scene.light == 3
    got = {c.id: c.source for c in s0.topics.classifications}
    assert got == {t1.id: "web", t2.id: "book"}  # kept: not shown
    assert s1.topics.classifications[0].source == "book"


def test_per_class_attributes_and_odd_names(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    (s0,) = add_images(dataset, sample_images, 1)
    a = fo.Detection(label="dog", bounding_box=[0.1, 0.1, 0.2, 0.2])
    a["is occluded?"] = True
    a["breed"] = "lab"
    s0["my gt"] = fo.Detections(detections=[a])
    s0.save()
    results = _annotate(
        dataset,
        "perclass",
        ls_server,
        label_schema={
            "my gt": {
                "classes": [
                    "cat",
                    {
                        "classes": ["dog"],
                        "attributes": {
                            "breed": {
                                "type": "radio",
                                "values": ["lab", "pug"],
                            }
                        },
                    },
                ],
                "attributes": {"is occluded?": {"type": "checkbox"}},
            }
        },
    )
    xml = ls_client.get_project(results.project_id)["label_config"]
    controls = parse_label_config(xml)
    (field_control,) = [
        n for n, c in controls.items() if c["tag"] == "RectangleLabels"
    ]
    occluded = [n for n in controls if n.startswith(field_control + "__is")]
    assert len(occluded) == 1 and " " not in occluded[0]
    assert 'whenLabelValue="dog"' in xml

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    attrs = _attrs_of(res, a.id)
    assert attrs[occluded[0]]["choices"] == ["is occluded?"]
    assert attrs[field_control + "__breed"]["choices"] == ["lab"]
    by_id_attr(res, a.id, field_control + "__breed")["value"]["choices"] = [
        "pug"
    ]
    annotate_task(ls_client, tasks[s0.id]["id"], res)
    dataset.load_annotations("perclass")
    s0.reload()
    got = s0["my gt"].detections[0]
    assert got["is occluded?"] is True and got["breed"] == "pug"


def test_clashing_attribute_control_is_refused_before_anything_exists(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    add_images(dataset, sample_images, 1)
    before = project_ids(ls_client)
    with pytest.raises(LabelStudioBackendError, match="same Label Studio"):
        _annotate(
            dataset,
            "clash",
            ls_server,
            label_schema={
                "gt": {
                    "type": "detections",
                    "classes": ["cat"],
                    "attributes": {"note": {"type": "text"}},
                },
                "gt__note": {"type": "detections", "classes": ["cat"]},
            },
        )
    assert project_ids(ls_client) == before
    assert "clash" not in dataset.list_annotation_runs()


def test_unsupported_attribute_type_is_a_clear_error(
    dataset, sample_images, ls_server
):
    add_images(dataset, sample_images, 1)
    with pytest.raises(ValueError, match="unsupported type 'date'"):
        _annotate(
            dataset,
            "bad",
            ls_server,
            label_schema={
                "gt": {
                    "type": "detections",
                    "classes": ["cat"],
                    "attributes": {"when": {"type": "date"}},
                }
            },
        )
    with pytest.raises(ValueError, match="requires a list of values"):
        _annotate(
            dataset,
            "bad",
            ls_server,
            label_schema={
                "gt": {
                    "type": "detections",
                    "classes": ["cat"],
                    "attributes": {"kind": {"type": "select"}},
                }
            },
        )
