"""Label attributes in the pure converters: label config, prefilled
results, loading edited values back onto the right labels."""

import json
import math

import pytest

import fiftyone.core.labels as fol

from fiftyone_labelstudio.backend import core as backend_core
from fiftyone_labelstudio.backend.attributes import recommend_attr_tool
from fiftyone_labelstudio.converters import attributes as ac
from fiftyone_labelstudio.converters.label_config import (
    build_label_config,
    parse_label_config,
)
from fiftyone_labelstudio.converters.task_build import sample_to_task
from fiftyone_labelstudio.converters.task_read import task_to_labels

W, H = 200, 100
SID = "a" * 24
ATTRS = {
    "occluded": {"type": "occluded"},
    "note": {"type": "text"},
    "age": {"type": "number", "integer": True, "min": 0, "max": 9},
    "weight": {"type": "number"},
    "kind": {"type": "select", "values": ["wild", "pet"]},
    "size": {"type": "radio", "values": [1, 2, 3]},
    "tags2": {"type": "checkboxes", "values": ["a", "b", True]},
}
SCHEMA = {
    "gt": {
        "type": "detections",
        "classes": ["cat", "dog"],
        "attributes": ATTRS,
    }
}


def _round_trip(field_labels, schema, edit=None):
    task = json.loads(
        json.dumps(sample_to_task(SID, "u", "m", field_labels, schema, W, H))
    )
    results = (task.get("predictions") or [{"result": []}])[0]["result"]
    if edit is not None:
        results = edit(results)
    labels, problems, unexpected = task_to_labels(
        task["data"], results, schema
    )
    return task, labels, problems


def _dets(labels, field="gt"):
    return labels[field]["detections"]


def test_backend_declares_the_converters_types():
    assert tuple(backend_core._ATTR_TYPES) == tuple(ac.ATTR_TYPES)
    assert backend_core.LabelStudioBackend.SUPPORTED_ATTR_TYPES == tuple(
        ac.ATTR_TYPES
    )


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("occluded", True, {"type": "occluded"}),
        ("visible", False, {"type": "checkbox"}),
        ("count", 3, {"type": "number", "integer": True}),
        ("score", 0.5, {"type": "number"}),
        ("note", "x", {"type": "text"}),
        ("unknown", None, {"type": "text"}),
        ("tags", ["a"], {"type": "text", "read_only": True}),
        ("meta", {"a": 1}, {"type": "text", "read_only": True}),
    ],
)
def test_recommend_attr_tool(name, value, expected):
    assert recommend_attr_tool(name, value) == expected


def test_label_config_has_one_per_region_control_per_attribute():
    xml = build_label_config(SCHEMA)
    controls = parse_label_config(xml)
    assert controls["gt__occluded"] == {
        "tag": "Choices",
        "type": "choices",
        "to_name": "image",
        "labels": ["occluded"],
        "choice": "multiple",
        "per_region": "true",
    }
    assert controls["gt__kind"]["labels"] == ["wild", "pet"]
    assert controls["gt__size"]["labels"] == ["1", "2", "3"]
    assert controls["gt__tags2"]["labels"] == ["a", "b", "true"]
    assert controls["gt__note"]["tag"] == "TextArea"
    assert controls["gt__age"]["tag"] == "Number"
    assert 'min="0" max="9" step="1"' in xml
    assert 'layout="select"' in xml
    assert 'visibleWhen="region-selected" whenTagName="gt"' in xml


def test_values_are_prefilled_on_the_region_and_come_back():
    a = fol.Detection(
        label="cat",
        bounding_box=[0.1, 0.2, 0.3, 0.4],
        occluded=True,
        note="hi <&>",
        age=3,
        weight=2.5,
        kind="pet",
        size=2,
        tags2=["b", True],
    )
    task, labels, problems = _round_trip(
        {"gt": fol.Detections(detections=[a])}, SCHEMA
    )
    results = task["predictions"][0]["result"]
    attr_results = [r for r in results if r["from_name"] != "gt"]
    assert {r["id"] for r in attr_results} == {a.id}
    note = next(r for r in attr_results if r["from_name"] == "gt__note")
    assert note["type"] == "textarea"
    assert note["value"] == {
        "x": 10.0,
        "y": 20.0,
        "width": 30.0,
        "height": 40.0,
        "rotation": 0.0,
        "text": ["hi <&>"],
    }
    assert problems == []
    (got,) = _dets(labels).values()
    for name in ATTRS:
        assert got[name] == a[name], name
    assert isinstance(got.age, int) and isinstance(got.weight, float)
    assert got.tags2 == ["b", True]


def test_edits_and_new_regions():
    a = fol.Detection(
        label="cat", bounding_box=[0.1, 0.2, 0.3, 0.4], occluded=True
    )
    schema = {
        "gt": {
            "type": "detections",
            "classes": ["cat"],
            "attributes": {
                "occluded": {"type": "occluded"},
                "kind": {
                    "type": "radio",
                    "values": ["x", "y"],
                    "default": "y",
                },
                "note": {"type": "text"},
            },
        }
    }

    def edit(results):
        region = results[0]
        kept = [region]  # the occluded box is unticked: no result
        new = dict(region, id="AbCdEf0123")
        new["value"] = dict(region["value"], x=50.0)
        note = dict(new, from_name="gt__note", type="textarea")
        note["value"] = {"x": 50.0, "text": ["a", "b"]}
        return kept + [new, note]

    _, labels, problems = _round_trip(
        {"gt": fol.Detections(detections=[a])}, schema, edit
    )
    assert problems == []
    dets = _dets(labels)
    got = dets.pop(a.id)
    assert got.occluded is False
    assert not got.has_attribute("kind")  # uploaded: no default
    assert not got.has_attribute("note")
    (new,) = dets.values()
    assert new.occluded is False
    assert new.kind == "y"  # a new label gets the default
    assert new.note == "a\nb"


def test_unknown_choice_and_bad_number_are_reported():
    a = fol.Detection(label="cat", bounding_box=[0.1, 0.2, 0.3, 0.4])

    def edit(results):
        region = results[0]
        bad = dict(region, from_name="gt__kind", type="choices")
        bad["value"] = {"choices": ["zebra"]}
        age = dict(region, from_name="gt__age", type="number")
        age["value"] = {"number": 2.5}
        return [region, bad, age]

    _, labels, problems = _round_trip(
        {"gt": fol.Detections(detections=[a])}, SCHEMA, edit
    )
    reasons = sorted(p[2] for p in problems)
    assert reasons == [
        "2.5 is not an integer",
        "value 'zebra' is not one of the values",
    ]
    (got,) = _dets(labels).values()
    assert not got.has_attribute("kind")
    assert not got.has_attribute("age")


def test_attribute_of_a_deleted_region_is_reported():
    a = fol.Detection(label="cat", bounding_box=[0.1, 0.2, 0.3, 0.4], note="x")
    _, labels, problems = _round_trip(
        {"gt": fol.Detections(detections=[a])},
        SCHEMA,
        lambda rs: [r for r in rs if r["from_name"] != "gt"],
    )
    assert _dets(labels) == {}
    assert [p[2] for p in problems] == ["attribute of a label that is gone"]


def test_values_no_control_can_show_travel_in_hints():
    a = fol.Detection(
        label="cat",
        bounding_box=[0.1, 0.2, 0.3, 0.4],
        kind="extinct",  # not one of the values
        age=float("nan"),  # not JSON
        occluded="yes",  # not a bool
    )
    boxless = fol.Detection(label="dog", note="no box", occluded=True)
    task, labels, problems = _round_trip(
        {"gt": fol.Detections(detections=[a, boxless])}, SCHEMA
    )
    hints = task["data"]["fiftyone"]["hints"]["gt"]
    assert hints[a.id]["attributes"] == {"kind": "extinct", "occluded": "yes"}
    assert hints[boxless.id]["attributes"] == {
        "note": "no box",
        "occluded": True,
    }
    dets = _dets(labels)
    assert (dets[a.id].kind, dets[a.id].occluded) == ("extinct", "yes")
    assert not dets[a.id].has_attribute("age")
    assert (dets[boxless.id].note, dets[boxless.id].occluded) == (
        "no box",
        True,
    )


def test_keypoint_and_polyline_attributes_live_on_the_first_region():
    kp = fol.Keypoint(
        label="cat", points=[[math.nan, math.nan], [0.1, 0.1], [0.2, 0.2]]
    )
    kp["pose"] = "sitting"
    line = fol.Polyline(
        label="cat",
        points=[[[0.1, 0.1], [0.2, 0.2]], [[0.5, 0.5], [0.6, 0.6]]],
    )
    line["pose"] = "lying"
    attrs = {"pose": {"type": "text"}}
    schema = {
        "kp": {"type": "keypoints", "classes": ["cat"], "attributes": attrs},
        "pl": {"type": "polylines", "classes": ["cat"], "attributes": attrs},
    }
    task, labels, problems = _round_trip(
        {
            "kp": fol.Keypoints(keypoints=[kp]),
            "pl": fol.Polylines(polylines=[line]),
        },
        schema,
    )
    results = task["predictions"][0]["result"]
    pose = [r["id"] for r in results if r["from_name"].endswith("__pose")]
    assert pose == [kp.id + "_1_3", line.id + "_0_2"]
    assert problems == []
    assert labels["kp"]["keypoints"][kp.id].pose == "sitting"
    assert labels["pl"]["polylines"][line.id].pose == "lying"


def test_classifications_share_image_level_controls():
    scene = fol.Classification(label="indoor", light=2)
    t1 = fol.Classification(label="a", src="web")
    t2 = fol.Classification(label="b", src="web")
    schema = {
        "scene": {
            "type": "classification",
            "classes": ["indoor"],
            "attributes": {"light": {"type": "radio", "values": [1, 2]}},
        },
        "topics": {
            "type": "classifications",
            "classes": ["a", "b"],
            "attributes": {"src": {"type": "text"}},
        },
    }
    controls = parse_label_config(build_label_config(schema))
    assert "per_region" not in controls["scene__light"]

    def edit(results):
        for r in results:
            if r["from_name"] == "topics__src":
                r["value"]["text"] = ["book"]
        return results

    task, labels, problems = _round_trip(
        {
            "scene": scene,
            "topics": fol.Classifications(classifications=[t1, t2]),
        },
        schema,
        edit,
    )
    assert problems == []
    assert labels["scene"]["classifications"][scene.id].light == 2
    got = labels["topics"]["classifications"]
    assert got[t1.id].src == got[t2.id].src == "book"


def test_disagreeing_classifications_keep_their_values():
    t1 = fol.Classification(label="a", src="web")
    t2 = fol.Classification(label="b", src="book")
    schema = {
        "topics": {
            "type": "classifications",
            "classes": ["a", "b"],
            "attributes": {"src": {"type": "text"}},
        }
    }
    task, labels, _ = _round_trip(
        {"topics": fol.Classifications(classifications=[t1, t2])}, schema
    )
    results = task["predictions"][0]["result"]
    assert not [r for r in results if r["from_name"] == "topics__src"]
    got = labels["topics"]["classifications"]
    assert (got[t1.id].src, got[t2.id].src) == ("web", "book")


def test_per_class_attributes_only_for_their_classes():
    schema = {
        "gt": {
            "type": "detections",
            "classes": [
                "cat",
                {
                    "classes": ["dog", "wolf"],
                    "attributes": {"breed": {"type": "text"}},
                },
            ],
            "attributes": {},
        }
    }
    xml = build_label_config(schema)
    assert 'whenLabelValue="dog,wolf"' in xml
    cat = fol.Detection(label="cat", bounding_box=[0.1, 0.1, 0.1, 0.1])
    cat["breed"] = "tabby"  # not an attribute of cats
    dog = fol.Detection(label="dog", bounding_box=[0.5, 0.5, 0.1, 0.1])
    dog["breed"] = "lab"
    task, labels, _ = _round_trip(
        {"gt": fol.Detections(detections=[cat, dog])}, schema
    )
    results = task["predictions"][0]["result"]
    assert [r["id"] for r in results if r["from_name"] == "gt__breed"] == [
        dog.id
    ]
    dets = _dets(labels)
    assert dets[dog.id].breed == "lab"
    assert not dets[cat.id].has_attribute("breed")


def test_rotation_of_boxes_is_geometry():
    schema = {
        "gt": {
            "type": "detections",
            "classes": ["cat"],
            "attributes": {"rotation": {"type": "number"}},
        }
    }
    assert "gt__rotation" not in parse_label_config(build_label_config(schema))
    assert ac.field_attributes("gt", schema["gt"]) == []


@pytest.mark.parametrize(
    "schema, match",
    [
        (
            {
                "gt": {
                    "type": "detections",
                    "classes": ["c"],
                    "attributes": {"n": {"type": "text"}},
                },
                "gt__n": {"type": "detections", "classes": ["c"]},
            },
            "same Label Studio control",
        ),
        (
            {
                "gt": {
                    "type": "detections",
                    "classes": ["c"],
                    "attributes": {"n": {"type": "date"}},
                }
            },
            "has type 'date'",
        ),
        (
            {
                "gt": {
                    "type": "detections",
                    "classes": ["c"],
                    "attributes": {"n": {"type": "radio"}},
                }
            },
            "needs a list of values",
        ),
        (
            {
                "gt": {
                    "type": "detections",
                    "classes": ["c"],
                    "attributes": {"n": {"type": "radio", "values": [1, "1"]}},
                }
            },
            "not distinct",
        ),
        (
            {
                "gt": {
                    "type": "detections",
                    "classes": ["c"],
                    "attributes": {"confidence": {"type": "number"}},
                }
            },
            "built-in label field",
        ),
    ],
)
def test_schemas_label_studio_cannot_show_are_refused(schema, match):
    with pytest.raises(ValueError, match=match):
        build_label_config(schema)


def test_odd_attribute_names_get_safe_distinct_controls():
    names = ["is occluded?", "is_occluded_", "naïve", "image"]
    schema = {
        "gt": {
            "type": "detections",
            "classes": ["c"],
            "attributes": {n: {"type": "text"} for n in names},
        }
    }
    controls = [ac.attribute_control("gt", n) for n in names]
    assert len(set(controls)) == len(names)
    assert all(c.isidentifier() for c in controls)
    parsed = parse_label_config(build_label_config(schema))
    assert set(controls) <= set(parsed)
