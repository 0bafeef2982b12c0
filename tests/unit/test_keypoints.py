"""Keypoint(s) <-> KeyPointLabels results."""

import json
import math

import fiftyone.core.labels as fol
import pytest
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.converters import keypoints as kc
from fiftyone_labelstudio.converters.results import is_label_id

W, H = 64, 48
NAN = math.nan
coord = st.floats(-0.5, 1.5, allow_nan=False)
maybe_point = st.one_of(st.tuples(coord, coord).map(list), st.just(None))


def _over_json(data):
    return json.loads(json.dumps(data, allow_nan=False))


def _same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return abs(a - b) < 1e-6


@st.composite
def keypoint(draw):
    raw = draw(st.lists(maybe_point, max_size=8))
    points = [[NAN, NAN] if p is None else p for p in raw]
    confidence = None
    if draw(st.booleans()):
        # a score per visible point; invisible points have NaN confidence
        confidence = [NAN if p is None else draw(st.floats(0, 1)) for p in raw]
    return fol.Keypoint(
        label=draw(st.text(min_size=1, max_size=8)),
        points=points,
        confidence=confidence,
        index=draw(st.none() | st.integers(0, 99)),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(keypoint(), max_size=5))
def test_round_trip_is_identity(kps):
    container = fol.Keypoints(keypoints=kps)
    results = _over_json(kc.to_ls_keypoints(container, "kp", W, H))
    hints = _over_json(kc.keypoint_hints(container))
    problems = []
    back = kc.from_ls_keypoints(results, hints=hints, problems=problems)
    assert problems == []
    by_id = {k.id: k for k in back}
    assert sorted(by_id) == sorted(k.id for k in kps)
    for orig in kps:
        got = by_id[orig.id]
        assert (got.label, got.index) == (orig.label, orig.index)
        assert len(got.points) == len(orig.points)
        for p1, p2 in zip(orig.points, got.points):
            assert _same(p1[0], p2[0]) and _same(p1[1], p2[1])
        if orig.confidence is None or all(
            math.isnan(c) for c in orig.confidence
        ):
            assert got.confidence is None or all(
                math.isnan(c) for c in got.confidence
            )
        else:
            assert len(got.confidence) == len(orig.confidence)
            assert all(map(_same, orig.confidence, got.confidence))


def test_region_ids_skip_invisible_points():
    kp = fol.Keypoint(label="face", points=[[0.1, 0.2], [NAN, NAN], [0, 1]])
    results = kc.to_ls_keypoint(kp, "kp", W, H)
    assert [r["id"] for r in results] == [kp.id + "_0_3", kp.id + "_2_3"]
    assert results[0]["value"] == {
        "x": 10.0,
        "y": 20.0,
        "width": kc.POINT_WIDTH,
        "keypointlabels": ["face"],
    }
    assert results[0]["type"] == "keypointlabels"


def test_deleted_and_moved_points():
    kp = fol.Keypoint(
        label="face",
        points=[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]],
        confidence=[0.9, 0.8, 0.7],
    )
    results = kc.to_ls_keypoint(kp, "kp", W, H)
    del results[1]  # deleted in Label Studio
    results[1]["value"]["x"] = 50.0  # moved
    del results[1]["score"]
    (back,) = kc.from_ls_keypoints(results, problems=[])
    assert back.id == kp.id
    assert back.points[0] == [0.1, 0.1] and back.points[2] == [0.5, 0.3]
    assert all(math.isnan(v) for v in back.points[1])
    assert back.confidence[0] == 0.9
    assert math.isnan(back.confidence[1]) and math.isnan(back.confidence[2])


def test_frontend_points_group_by_class_into_new_keypoints():
    # byte-identical result the Label Studio frontend produces
    nose = json.loads(
        '{"to_name":"image","original_width":64,"original_height":48,'
        '"image_rotation":0,"origin":"manual","id":"0I9MLCMyKs",'
        '"from_name":"kp","type":"keypointlabels","value":{"x":40,"y":45,'
        '"width":0.5,"keypointlabels":["nose"]}}'
    )
    nose2 = dict(nose, id="Z9", value=dict(nose["value"], x=60))
    eye = dict(
        nose, id="E1", value=dict(nose["value"], keypointlabels=["eye"])
    )
    back = kc.from_ls_keypoints([nose, eye, nose2], problems=[])
    assert [(k.label, len(k.points)) for k in back] == [
        ("nose", 2),
        ("eye", 1),
    ]
    assert back[0].points == [[0.4, 0.45], [0.6, 0.45]]
    assert all(is_label_id(k.id) for k in back)
    assert back[0].confidence is None


def test_all_invisible_keypoint_comes_back_from_its_hint():
    kp = fol.Keypoint(label="a", points=[[NAN, NAN]] * 3, index=2)
    assert kc.to_ls_keypoint(kp, "kp", W, H) == []
    hints = _over_json(kc.keypoint_hints([kp]))
    (back,) = kc.from_ls_keypoints([], hints=hints)
    assert (back.id, back.label, back.index) == (kp.id, "a", 2)
    assert len(back.points) == 3 and all(math.isnan(v[0]) for v in back.points)


def _pt(rid, x=10, y=10, labels=("a",)):
    return {
        "id": rid,
        "from_name": "kp",
        "type": "keypointlabels",
        "value": {
            "x": x,
            "y": y,
            "width": 0.5,
            "keypointlabels": list(labels),
        },
    }


@pytest.mark.parametrize(
    "result, reason",
    [
        (_pt("b1", x=math.nan), "x is not finite"),
        (_pt("b2", y="1"), "y is not a number"),
        (_pt("b3", x=-1e5), "out of range"),
        (_pt("b4", labels=()), "no label"),
        (dict(_pt("b5"), value=[1, 2]), "no 'value'"),
        (dict(_pt("b6"), type="rectanglelabels"), "result type"),
    ],
)
def test_malformed_points_are_reported(result, reason):
    good = _pt(str(ObjectId()) + "_0_1")
    problems = []
    back = kc.from_ls_keypoints([result, good], problems=problems)
    assert [k.id for k in back] == [good["id"][:24]]
    assert problems[0][:2] == ("kp", result["id"]) and reason in problems[0][2]


def test_duplicated_and_inconsistent_point_ids_are_reported():
    lid = str(ObjectId())
    problems = []
    back = kc.from_ls_keypoints(
        [_pt(lid + "_0_2"), _pt(lid + "_0_2", x=5), _pt(lid + "_1_3")],
        problems=problems,
    )
    assert len(back) == 1 and back[0].points[0] == [0.1, 0.1]
    assert len(back[0].points) == 2
    assert [p[2] for p in problems] == [
        "duplicated region id",
        "point count differs from its label's",
    ]


def test_point_index_beyond_count_is_a_new_point():
    lid = str(ObjectId())
    (back,) = kc.from_ls_keypoints([_pt(lid + "_5_2")], problems=[])
    assert back.id != lid and len(back.points) == 1


def test_fiftyone_merge_keeps_per_point_lists_aligned():
    from fiftyone.utils.annotations import _merge_label

    kp = fol.Keypoint(
        label="a", points=[[0.1, 0.1], [NAN, NAN], [0.3, 0.3]],
        confidence=[0.9, NAN, 0.7], index=1,
    )  # fmt: skip
    kp["visible"] = [True, False, True]
    results = kc.to_ls_keypoint(kp, "kp", W, H)[:1]  # 2nd visible deleted
    (anno,) = kc.from_ls_keypoints(
        _over_json(results), hints=_over_json(kc.keypoint_hints([kp]))
    )
    _merge_label(kp, anno, global_attrs=[], class_attrs={})
    assert len(kp.points) == 3 and math.isnan(kp.points[2][0])
    assert kp.points[0] == [0.1, 0.1] and kp.index == 1
    assert kp.confidence[0] == 0.9 and kp.visible == [True, False, True]
