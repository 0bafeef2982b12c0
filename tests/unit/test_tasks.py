"""Whole tasks: sample_to_task / task_to_labels."""

import json
import math

import fiftyone.core.labels as fol
import numpy as np
import pytest
from bson import ObjectId

from fiftyone_labelstudio.converters import label_types as lt
from fiftyone_labelstudio.converters import task_build as tb
from fiftyone_labelstudio.converters import task_read as tr
from fiftyone_labelstudio.converters.names import control_name
from fiftyone_labelstudio.converters.results import is_label_id

W, H = 64, 48
SID = str(ObjectId())
NAN = math.nan

SCHEMA = {
    "gt": {"type": "detections", "classes": ["cat", "dog"]},
    "best": {"type": "detection", "classes": ["cat", "dog"]},
    "scene": {"type": "classification", "classes": ["indoor", "outdoor"]},
    "tags": {"type": "classifications", "classes": ["a", "b", "c"]},
    "roads": {"type": "polylines", "classes": ["road"]},
    "shapes": {"type": "polygons", "classes": ["cat", "dog"]},
    "pose": {"type": "keypoints", "classes": ["person"]},
    "count": {"type": "scalar", "classes": [], "scalar_type": "int"},
    "ok": {"type": "scalar", "classes": [], "scalar_type": "bool"},
    "note": {"type": "scalar", "classes": [], "scalar_type": "str"},
    "kind": {"type": "scalar", "classes": ["x", "y"], "scalar_type": "str"},
    "inst": {"type": "instances", "classes": ["cat"]},
    "seg": {
        "type": "segmentation",
        "classes": [],
        "mask_targets": {1: "sky", 2: "road"},
    },
}


def _labels():
    rot = fol.Detection(label="dog", bounding_box=[0.5, 0.5, 0.2, 0.1])
    rot["rotation"] = 12.5
    return {
        "gt": fol.Detections(
            detections=[
                fol.Detection(
                    label="cat",
                    bounding_box=[0.1, 0.2, 0.3, 0.4],
                    confidence=0.9,
                    index=1,
                ),
                rot,
            ]
        ),
        "best": fol.Detection(label="cat", bounding_box=[0, 0, 1, 1]),
        "scene": fol.Classification(label="indoor", confidence=0.5),
        "tags": fol.Classifications(
            classifications=[
                fol.Classification(label="a"),
                fol.Classification(label="c"),
            ]
        ),
        "roads": fol.Polylines(
            polylines=[
                fol.Polyline(
                    label="road",
                    points=[
                        [[0.1, 0.1], [0.9, 0.9]],
                        [[0.2, 0.8], [0.8, 0.2]],
                    ],
                    closed=False,
                    filled=False,
                ),
                fol.Polyline(
                    label="road",
                    points=[[[0.1, 0.1], [0.5, 0.1], [0.3, 0.4]]],
                    closed=True,
                    filled=True,
                ),
            ]
        ),
        "shapes": fol.Polylines(
            polylines=[
                fol.Polyline(
                    label="cat",
                    points=[[[0.1, 0.1], [0.5, 0.1], [0.3, 0.4]]],
                    closed=True,
                    filled=True,
                )
            ]
        ),
        "pose": fol.Keypoints(
            keypoints=[
                fol.Keypoint(
                    label="person",
                    points=[[0.1, 0.1], [NAN, NAN], [0.3, 0.3]],
                ),
                fol.Keypoint(label="person", points=[[NAN, NAN]]),
            ]
        ),
        "count": 7,
        "ok": False,
        "note": "hello <&> wörld",
        "kind": "y",
        "inst": fol.Detections(
            detections=[
                fol.Detection(
                    label="cat",
                    bounding_box=[0.25, 0.25, 0.5, 0.5],
                    mask=np.ones((24, 32), dtype=bool),
                )
            ]
        ),
        "seg": fol.Segmentation(mask=_seg_mask()),
    }


def _seg_mask():
    mask = np.zeros((H, W), dtype=np.uint8)
    mask[:10] = 1
    mask[30:, 5:20] = 2
    return mask


def _task(field_labels, schema=SCHEMA):
    task = tb.sample_to_task(
        SID, "/data/upload/1/a.png", "/abs/a.png", field_labels, schema, W, H
    )
    return json.loads(json.dumps(task, allow_nan=False))


def _load(task, results=None, schema=SCHEMA):
    if results is None:
        results = task["predictions"][0]["result"]
    return tr.task_to_labels(task["data"], results, schema)


def test_task_shape():
    task = _task(_labels())
    meta = task["data"]["fiftyone"]
    assert task["data"]["image"] == "/data/upload/1/a.png"
    assert meta["sample_id"] == SID and meta["media"] == "/abs/a.png"
    assert set(meta["class_ids"]) == {"scene", "tags"}
    assert set(meta["hints"]) >= {"inst", "seg", "pose"}
    (pred,) = task["predictions"]
    assert pred["model_version"] == "fiftyone"
    ids = [r["id"] for r in pred["result"]]
    assert len(ids) == len(set(ids))
    for r in pred["result"]:
        assert r["to_name"] == "image" and r["image_rotation"] == 0
        assert (r["original_width"], r["original_height"]) == (W, H)
        assert r["from_name"] in {control_name(f) for f in SCHEMA}


def test_full_round_trip():
    orig = _labels()
    labels, problems, unexpected = _load(_task(orig))
    assert problems == [] and unexpected == {}
    assert set(labels) == set(SCHEMA)
    for field in ("count", "ok", "note", "kind"):
        assert labels[field] == {"scalar": orig[field]}
        assert type(labels[field]["scalar"]) is type(orig[field])

    gt = labels["gt"]["detections"]
    for det in orig["gt"].detections:
        got = gt[det.id]
        assert got.bounding_box == pytest.approx(det.bounding_box)
        assert (got.label, got.index, got.confidence) == (
            det.label,
            det.index,
            det.confidence,
        )
    assert gt[orig["gt"].detections[1].id].rotation == 12.5
    assert list(labels["best"]["detections"]) == [orig["best"].id]

    (scene,) = labels["scene"]["classifications"].values()
    assert (scene.id, scene.label) == (orig["scene"].id, "indoor")
    tags = labels["tags"]["classifications"]
    assert {k: v.label for k, v in tags.items()} == {
        c.id: c.label for c in orig["tags"].classifications
    }

    roads = labels["roads"]["polylines"]
    for line in orig["roads"].polylines:
        got = roads[line.id]
        assert (got.closed, got.filled) == (line.closed, line.filled)
        assert np.allclose(
            [p for s in got.points for p in s],
            [p for s in line.points for p in s],
        )
    (shape,) = labels["shapes"]["polylines"].values()
    assert shape.closed and shape.filled

    pose = labels["pose"]["keypoints"]
    assert set(pose) == {k.id for k in orig["pose"].keypoints}
    first = pose[orig["pose"].keypoints[0].id]
    assert first.points[0] == pytest.approx([0.1, 0.1])
    assert math.isnan(first.points[1][0])
    hidden = pose[orig["pose"].keypoints[1].id]
    assert len(hidden.points) == 1 and math.isnan(hidden.points[0][0])

    (inst,) = labels["inst"]["detections"].values()
    det = orig["inst"].detections[0]
    assert (inst.id, inst.label) == (det.id, "cat")
    assert inst.bounding_box == pytest.approx(det.bounding_box)
    assert inst.mask.shape == det.mask.shape and inst.mask.all()
    (seg,) = labels["seg"]["segmentation"].values()
    assert seg.id == orig["seg"].id
    assert np.array_equal(seg.mask, orig["seg"].mask)


def test_empty_sample_has_no_predictions_and_loads_empty():
    task = _task({f: None for f in SCHEMA})
    assert "predictions" not in task
    assert task["data"]["fiftyone"]["class_ids"] == {}
    labels, problems, unexpected = _load(task, results=[])
    assert problems == [] and unexpected == {}
    for field, info in SCHEMA.items():
        rt = lt.RETURN_TYPES[info["type"]]
        assert labels[field] == ({rt: None} if rt == "scalar" else {rt: {}})


def test_label_studio_frontend_annotation():
    # the byte-identical results of label-studio-server.md §2.5 (the brush
    # result is left out: masks are tested with converters.instance_masks)
    lines = [
        '{"to_name":"image","original_width":64,"original_height":48,"image_rotation":0,"origin":"manual","id":"aF3pu3mKp9","from_name":"bbox","type":"rectanglelabels","value":{"x":12.5,"y":20.0,"width":25.0,"height":33.3333,"rotation":0,"rectanglelabels":["cat"]}}',  # noqa: E501
        '{"to_name":"image","original_width":64,"original_height":48,"image_rotation":0,"origin":"manual","id":"aF3pu3mKp9","from_name":"occluded","type":"choices","value":{"x":12.5,"y":20.0,"width":25.0,"height":33.3333,"rotation":0,"choices":["yes"]}}',  # noqa: E501
        '{"to_name":"image","original_width":64,"original_height":48,"image_rotation":0,"origin":"manual","id":"aF3pu3mKp9","from_name":"note","type":"textarea","value":{"x":12.5,"y":20.0,"width":25.0,"height":33.3333,"rotation":0,"text":["partly hidden <&\\"> ünïcode"]}}',  # noqa: E501
        '{"to_name":"image","original_width":64,"original_height":48,"image_rotation":0,"origin":"manual","id":"aF3pu3mKp9","from_name":"confidence","type":"number","value":{"x":12.5,"y":20.0,"width":25.0,"height":33.3333,"rotation":0,"number":42}}',  # noqa: E501
        '{"to_name":"image","original_width":64,"original_height":48,"image_rotation":0,"origin":"manual","id":"ZCfuG7gJTJ","from_name":"poly","type":"polygonlabels","value":{"points":[[10,10],[50,12.5],[30,60]],"closed":true,"polygonlabels":["dog"]}}',  # noqa: E501
        '{"to_name":"image","original_width":64,"original_height":48,"image_rotation":0,"origin":"manual","id":"0I9MLCMyKs","from_name":"kp","type":"keypointlabels","value":{"x":40,"y":45,"width":0.5,"keypointlabels":["nose"]}}',  # noqa: E501
        '{"id":"57IzTrZ25L","from_name":"scene","to_name":"image","type":"choices","origin":"manual","value":{"choices":["outdoor"]}}',  # noqa: E501
    ]
    results = [json.loads(line) for line in lines]
    schema = {
        "bbox": {"type": "detections", "classes": ["cat", "dog"]},
        "poly": {"type": "polygons", "classes": ["cat", "dog"]},
        "kp": {"type": "keypoints", "classes": ["nose", "eye"]},
        "scene": {"type": "classification", "classes": ["indoor", "outdoor"]},
    }
    labels, problems, unexpected = tr.task_to_labels(
        {"image": "x", "fiftyone": {"sample_id": SID}}, results, schema
    )
    (det,) = labels["bbox"]["detections"].values()
    assert det.label == "cat" and is_label_id(det.id)
    assert det.bounding_box == pytest.approx([0.125, 0.2, 0.25, 0.333333])
    (poly,) = labels["poly"]["polylines"].values()
    assert poly.label == "dog" and poly.closed and poly.filled
    (kp,) = labels["kp"]["keypoints"].values()
    assert kp.points == [[0.4, 0.45]]
    (scene,) = labels["scene"]["classifications"].values()
    assert scene.label == "outdoor"
    # the three per-region attribute results are reported, not "unexpected"
    assert unexpected == {}
    assert sorted(p[0] for p in problems) == ["confidence", "note", "occluded"]
    assert all("per-region" in p[2] for p in problems)


def _rect(rid, cls, from_name="gt"):
    return {
        "id": rid,
        "from_name": from_name,
        "to_name": "image",
        "type": "rectanglelabels",
        "value": {"x": 1, "y": 1, "width": 5, "height": 5, "rotation": 0,
                  "rectanglelabels": [cls]},
    }  # fmt: skip


def test_unknown_control_goes_to_unexpected():
    results = [
        _rect("r1", "cat", from_name="other_boxes"),
        {"id": "n1", "from_name": "score", "type": "number",
         "value": {"number": 3}},
        {"id": "w1", "from_name": "weird", "type": "ellipselabels",
         "value": {}},
    ]  # fmt: skip
    labels, problems, unexpected = _load({"data": {}}, results)
    (det,) = unexpected["other_boxes"]["detections"].values()
    assert det.label == "cat"
    assert unexpected["score"] == {"scalar": 3}
    assert "weird" not in unexpected
    reasons = {p[0]: p[2] for p in problems}
    assert "unexpected" in reasons["other_boxes"]
    assert "not supported" in reasons["weird"]
    assert labels["gt"] == {"detections": {}}


def test_unknown_class_new_label_is_unexpected_uploaded_is_kept():
    orig = fol.Detection(label="bird", bounding_box=[0.1, 0.1, 0.1, 0.1])
    task = _task({"gt": fol.Detections(detections=[orig])})
    results = task["predictions"][0]["result"] + [_rect("newRegion", "fox")]
    labels, problems, unexpected = _load(task, results)
    assert list(labels["gt"]["detections"]) == [orig.id]
    (fox,) = unexpected["gt"]["detections"].values()
    assert fox.label == "fox"
    # the new label of an unknown class is not a problem: the load's
    # unexpected= decides (backend/unexpected.py)
    assert len(problems) == 1
    assert "uploaded label kept" in problems[0][2]


def test_unknown_scalar_choice_is_unexpected():
    task = _task({"kind": "z"})
    labels, problems, unexpected = _load(task)
    assert labels["kind"] == {"scalar": None}
    assert unexpected == {"kind": {"scalar": "z"}}
    assert problems == []


def test_duplicated_ids_and_bad_results_are_reported_good_ones_load():
    rid = str(ObjectId())
    bad = _rect("bad", "cat")
    bad["value"]["x"] = "nan"
    nameless = _rect("nameless", "cat", from_name=None)
    results = [_rect(rid, "cat"), _rect(rid, "dog"), bad, "junk",
               _rect("ok", "dog"), nameless]  # fmt: skip
    labels, problems, _ = _load({"data": {}}, results)
    assert sorted(d.label for d in labels["gt"]["detections"].values()) == [
        "cat",
        "dog",
    ]
    reasons = sorted(p[2] for p in problems)
    assert reasons == sorted(
        ["duplicated region id", "x is not a number: 'nan'",
         "result is not an object", "result has no 'from_name'"]
    )  # fmt: skip


def test_single_label_field_keeps_the_uploaded_label():
    orig = fol.Detection(label="cat", bounding_box=[0.1, 0.1, 0.1, 0.1])
    task = _task({"best": orig})
    results = [_rect("drawn", "dog", "best")]
    results += task["predictions"][0]["result"]
    labels, problems, _ = _load(task, results)
    assert list(labels["best"]["detections"]) == [orig.id]
    assert len(problems) == 1 and "extra label" in problems[0][2]


def test_hints_travel_only_when_needed():
    plain = fol.Detection(label="cat", bounding_box=[0.1, 0.1, 0.1, 0.1])
    task = _task({"gt": fol.Detections(detections=[plain])})
    assert "hints" not in task["data"]["fiftyone"]
    plain.index = 3
    task = _task({"gt": fol.Detections(detections=[plain])})
    assert task["data"]["fiftyone"]["hints"] == {
        "gt": {plain.id: {"index": 3}}
    }


GARBAGE = [None, 3, "x", [1, {}], {"a": [{}]}, {"empty": 5}, True]


@pytest.mark.parametrize("junk", GARBAGE)
def test_edited_task_data_never_breaks_the_load(junk):
    # anyone with access to the project can edit the task data
    orig = _labels()
    task = _task(orig)
    results = task["predictions"][0]["result"]
    lid = str(ObjectId())
    meta = task["data"]["fiftyone"]
    meta["class_ids"] = {"scene": junk, "tags": {"a": junk}}
    meta["hints"] = {
        field: {lid: junk, "notanid": {"empty": {"label": "x"}}}
        for field in SCHEMA
    }
    meta["hints"]["pose"][lid] = {"empty": {"label": "p", "num": 10**9}}
    meta["hints"]["gt"][str(ObjectId())] = {"index": junk, "empty": junk}
    labels, problems, unexpected = _load(task, results)
    assert unexpected == {}
    assert all(p[2] == "malformed task-data hint; ignored" for p in problems)
    assert set(labels["gt"]["detections"]) == {
        d.id for d in orig["gt"].detections
    }
    assert lid not in labels["pose"]["keypoints"]
    # a giant point count in a region id is refused, not allocated
    big = dict(results[0], id=str(ObjectId()) + "_0_999999999")
    big["from_name"], big["type"] = "pose", "keypointlabels"
    big["value"] = {"x": 1, "y": 1, "width": 1, "keypointlabels": ["person"]}
    labels, problems, _ = _load(task, [big])
    assert labels["pose"] == {"keypoints": {}} or all(
        len(k.points) < 100 for k in labels["pose"]["keypoints"].values()
    )
    assert any("point count" in p[2] for p in problems)
