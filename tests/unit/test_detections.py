"""Detection(s) <-> RectangleLabels results."""

import json
import math

import fiftyone.core.labels as fol
import pytest
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.converters import detections as dc
from fiftyone_labelstudio.converters.results import ResultError, is_label_id

W, H = 640, 480
CLASSES = st.text(min_size=1, max_size=12)
coord = st.floats(-0.5, 1.2, allow_nan=False)
size = st.floats(0, 0.8, allow_nan=False)


def _over_json(results):
    """What the server gives back: plain JSON (NaN would fail here)."""
    return json.loads(json.dumps(results, allow_nan=False))


@st.composite
def detection(draw):
    det = fol.Detection(
        label=draw(CLASSES),
        bounding_box=[draw(coord), draw(coord), draw(size), draw(size)],
        confidence=draw(st.none() | st.floats(0, 1)),
        index=draw(st.none() | st.integers(0, 10**6)),
    )
    rotation = draw(st.none() | st.floats(-359.9, 359.9).filter(bool))
    if rotation is not None:
        det["rotation"] = rotation
    return det


@settings(max_examples=200, deadline=None)
@given(st.lists(detection(), max_size=6))
def test_round_trip_is_identity(dets):
    labels = fol.Detections(detections=dets)
    results = _over_json(dc.to_ls_detections(labels, "gt", W, H))
    problems = []
    back = dc.from_ls_detections(
        results, hints=dc.detection_hints(labels), problems=problems
    )
    assert problems == []
    assert [d.id for d in back] == [d.id for d in dets]
    for orig, got in zip(dets, back):
        assert got.label == orig.label
        for a, b in zip(orig.bounding_box, got.bounding_box):
            assert abs(a - b) < 1e-6
        assert got.confidence == orig.confidence
        assert got.index == orig.index
        rot = getattr(orig, "rotation", None)
        assert getattr(got, "rotation", None) == (rot or None)
        assert got.mask is None


def test_result_envelope():
    det = fol.Detection(label="cat", bounding_box=[0.1, 0.2, 0.3, 0.4])
    (result,) = dc.to_ls_detection(det, "gt", W, H)
    assert result == {
        "id": det.id,
        "from_name": "gt",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": W,
        "original_height": H,
        "image_rotation": 0,
        "value": {
            "x": 10.0,
            "y": 20.0,
            "width": 30.0,
            "height": 40.0,
            "rotation": 0.0,
            "rectanglelabels": ["cat"],
        },
    }


def test_frontend_result_makes_a_new_detection():
    # byte-identical result the Label Studio frontend produces
    result = json.loads(
        '{"to_name":"image","original_width":64,"original_height":48,'
        '"image_rotation":0,"origin":"manual","id":"aF3pu3mKp9",'
        '"from_name":"bbox","type":"rectanglelabels","value":{"x":12.5,'
        '"y":20.0,"width":25.0,"height":33.3333,"rotation":0,'
        '"rectanglelabels":["cat"]}}'
    )
    (det,) = dc.from_ls_detections([result], problems=[])
    assert det.label == "cat"
    assert is_label_id(det.id)
    assert det.bounding_box == pytest.approx([0.125, 0.2, 0.25, 0.333333])
    assert "rotation" not in det.to_dict()
    assert det.confidence is None


def test_rotation_from_label_studio_is_kept():
    result = _rect("abc", 10, 10, 20, 20, rotation=30)
    (det,) = dc.from_ls_detections([result], problems=[])
    assert det.rotation == 30.0
    assert det.bounding_box == pytest.approx([0.1, 0.1, 0.2, 0.2])
    (again,) = dc.to_ls_detection(det, "gt", W, H)
    assert again["value"]["rotation"] == 30.0


def test_edited_existing_box_keeps_its_id_and_index():
    det = fol.Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2])
    det.index = 7
    (result,) = dc.to_ls_detection(det, "gt", W, H)
    result["value"].update(x=50.0, rectanglelabels=["dog"])
    result.pop("score", None)
    (back,) = dc.from_ls_detections(
        [result], hints=dc.detection_hints([det]), problems=[]
    )
    assert (back.id, back.label, back.index) == (det.id, "dog", 7)
    assert back.bounding_box[0] == pytest.approx(0.5)


def test_box_less_detection_comes_back_from_its_hint():
    det = fol.Detection(label="cat")
    assert dc.to_ls_detection(det, "gt", W, H) == []
    nan_det = fol.Detection(label="x", bounding_box=[math.nan, 0, 1, 1])
    assert dc.to_ls_detection(nan_det, "gt", W, H) == []
    hints = dc.detection_hints([det])
    (back,) = dc.from_ls_detections([], hints=hints, problems=[])
    assert (back.id, back.label) == (det.id, "cat")
    assert back.bounding_box == det.bounding_box


def _rect(rid, x, y, w, h, labels=("cat",), rotation=0):
    return {
        "id": rid,
        "from_name": "gt",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": W,
        "original_height": H,
        "image_rotation": 0,
        "value": {
            "x": x,
            "y": y,
            "width": w,
            "height": h,
            "rotation": rotation,
            "rectanglelabels": list(labels),
        },
    }


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda r: r["value"].update(x=math.nan), "x is not finite"),
        (lambda r: r["value"].update(x="10"), "x is not a number"),
        (lambda r: r["value"].update(y=None), "y is not a number"),
        (lambda r: r["value"].update(width=-1), "negative"),
        (lambda r: r["value"].update(x=1e9), "out of range"),
        (lambda r: r["value"].update(rectanglelabels=[]), "no label"),
        (lambda r: r["value"].update(rectanglelabels="cat"), "no label"),
        (lambda r: r["value"].update(rectanglelabels=[3]), "not strings"),
        (lambda r: r["value"].update(rotation="x"), "rotation"),
        (lambda r: r.update(value=None), "no 'value'"),
        (lambda r: r.update(type="polygonlabels"), "result type"),
        (lambda r: r.update(id=123), "region id is not a string"),
    ],
)
def test_malformed_result_is_reported_and_others_load(mutate, reason):
    bad = _rect(str(ObjectId()), 10, 10, 20, 20)
    mutate(bad)
    good = _rect(str(ObjectId()), 1, 2, 3, 4)
    problems = []
    back = dc.from_ls_detections([bad, good], problems=problems)
    assert [d.id for d in back] == [good["id"]]
    assert len(problems) == 1
    assert problems[0][:2] == ("gt", bad["id"])
    assert reason in problems[0][2]


def test_without_a_problem_list_bad_results_raise():
    bad = _rect("x", math.inf, 0, 1, 1)
    with pytest.raises(ResultError, match="x is not finite"):
        dc.from_ls_detections([bad])


def test_duplicated_region_ids_are_reported():
    rid = str(ObjectId())
    problems = []
    back = dc.from_ls_detections(
        [_rect(rid, 1, 1, 1, 1), _rect(rid, 2, 2, 2, 2)], problems=problems
    )
    assert len(back) == 1 and back[0].bounding_box[0] == 0.01
    assert problems == [("gt", rid, "duplicated region id")]


def test_several_labels_keep_the_first_and_report():
    problems = []
    (det,) = dc.from_ls_detections(
        [_rect("r1", 1, 1, 1, 1, labels=("a", "b"))], problems=problems
    )
    assert det.label == "a"
    assert len(problems) == 1 and "kept only 'a'" in problems[0][2]


def test_result_without_id_is_a_new_label():
    result = _rect(None, 1, 1, 1, 1)
    del result["id"]
    (det,) = dc.from_ls_detections([result], problems=[])
    assert is_label_id(det.id)


def test_fiftyone_merge_keeps_what_regions_cannot_carry():
    # FiftyOne's own merge step (pure: no database) applied to our output
    from fiftyone.utils.annotations import _merge_label

    det = fol.Detection(
        label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2], confidence=0.4
    )
    det.index = 5
    det["occluded"] = True
    det.tags = ["checked"]
    (result,) = dc.to_ls_detection(det, "gt", W, H)
    result["value"].update(x=30.0, rectanglelabels=["dog"], rotation=10)
    del result["score"]  # an edited region need not keep its score
    (anno,) = dc.from_ls_detections(
        [_over_json(result)], hints=dc.detection_hints([det]), problems=[]
    )
    _merge_label(det, anno, global_attrs=[], class_attrs={})
    assert (det.label, det.index, det.confidence) == ("dog", 5, 0.4)
    assert det.bounding_box == pytest.approx([0.3, 0.1, 0.2, 0.2])
    assert det.occluded is True and det.tags == ["checked"]
    # a schema attribute "rotation" is how an edited angle reaches an
    # existing label (FiftyOne only copies declared attributes)
    _merge_label(det, anno, global_attrs=["rotation"], class_attrs={})
    assert det.rotation == 10.0
