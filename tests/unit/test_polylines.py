"""Polyline(s) <-> PolygonLabels / VectorLabels results."""

import json
import math

import fiftyone.core.labels as fol
import pytest
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.converters import polylines as pc
from fiftyone_labelstudio.converters.results import is_label_id

W, H = 64, 48
TAGS = [pc.POLYGON, pc.VECTOR]
TYPES = ["polylines", "polygons"]
coord = st.floats(-0.5, 1.5, allow_nan=False)
point = st.tuples(coord, coord).map(list)
shape = st.lists(point, min_size=1, max_size=8)


def _over_json(results):
    return json.loads(json.dumps(results, allow_nan=False))


@st.composite
def polyline(draw):
    return fol.Polyline(
        label=draw(st.text(min_size=1, max_size=8)),
        points=draw(st.lists(shape, min_size=0, max_size=4)),
        closed=draw(st.booleans()),
        filled=draw(st.booleans()),
        confidence=draw(st.none() | st.floats(0, 1)),
        index=draw(st.none() | st.integers(0, 99)),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(polyline(), max_size=5),
    st.sampled_from(TAGS),
    st.sampled_from(TYPES),
)
def test_round_trip_is_identity(lines, tag, label_type):
    container = fol.Polylines(polylines=lines)
    results = _over_json(pc.to_ls_polylines(container, "p", W, H, tag))
    hints = _over_json(pc.polyline_hints(container, label_type))
    problems = []
    back = pc.from_ls_polylines(
        results, tag, label_type, hints=hints, problems=problems
    )
    assert problems == []
    assert sorted(b.id for b in back) == sorted(p.id for p in lines)
    by_id = {b.id: b for b in back}
    for orig in lines:
        got = by_id[orig.id]
        assert (got.label, got.closed, got.filled) == (
            orig.label,
            orig.closed,
            orig.filled,
        )
        assert (got.confidence, got.index) == (orig.confidence, orig.index)
        assert len(got.points) == len(orig.points)
        for s1, s2 in zip(orig.points, got.points):
            assert len(s1) == len(s2)
            for p1, p2 in zip(s1, s2):
                assert abs(p1[0] - p2[0]) < 1e-6
                assert abs(p1[1] - p2[1]) < 1e-6


def test_region_ids_and_values():
    line = fol.Polyline(
        label="road",
        points=[[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.5], [0.6, 0.6]]],
        closed=False,
    )
    polys = pc.to_ls_polyline(line, "p", W, H, pc.POLYGON)
    assert [r["id"] for r in polys] == [line.id + "_0_2", line.id + "_1_2"]
    assert polys[0]["value"] == {
        "points": [[10.0, 20.0], [30.0, 40.0]],
        "closed": False,
        "polygonlabels": ["road"],
    }
    vectors = pc.to_ls_polyline(line, "p", W, H, pc.VECTOR)
    assert vectors[1]["type"] == "vectorlabels"
    assert vectors[1]["value"] == {
        "vertices": [{"x": 50.0, "y": 50.0}, {"x": 60.0, "y": 60.0}],
        "closed": False,
        "vectorlabels": ["road"],
    }
    single = fol.Polyline(label="a", points=[[[0.1, 0.1]]], closed=True)
    assert pc.to_ls_polyline(single, "p", W, H)[0]["id"] == single.id


def test_frontend_polygon_is_a_new_closed_polygon():
    # byte-identical result the Label Studio frontend produces
    result = json.loads(
        '{"to_name":"image","original_width":64,"original_height":48,'
        '"image_rotation":0,"origin":"manual","id":"ZCfuG7gJTJ",'
        '"from_name":"poly","type":"polygonlabels","value":{"points":'
        '[[10,10],[50,12.5],[30,60]],"closed":true,"polygonlabels":["dog"]}}'
    )
    (line,) = pc.from_ls_polylines([result], label_type="polygons")
    assert line.label == "dog" and is_label_id(line.id)
    assert line.points == [[[0.1, 0.1], [0.5, 0.125], [0.3, 0.6]]]
    assert line.closed and line.filled
    (open_line,) = pc.from_ls_polylines([result], label_type="polylines")
    assert open_line.closed and not open_line.filled


def test_frontend_vector_vertices_follow_the_point_links():
    # shape the 1.23.2 Vector tool serializes: vertices with id/prevPointId,
    # here a point inserted on the first segment appended at the end
    vertices = [
        {"id": "a", "x": 10, "y": 10, "isBezier": False},
        {"id": "b", "x": 50, "y": 10, "prevPointId": "m", "isBezier": False},
        {"id": "c", "x": 50, "y": 50, "prevPointId": "b", "isBezier": False},
        {"id": "m", "x": 30, "y": 5, "prevPointId": "a", "isBezier": False},
    ]
    result = {
        "id": "Vx1", "from_name": "p", "to_name": "image",
        "type": "vectorlabels", "origin": "manual",
        "value": {"vertices": vertices, "closed": False,
                  "vectorlabels": ["road"]},
    }  # fmt: skip
    (line,) = pc.from_ls_polylines([result], pc.VECTOR, problems=[])
    assert line.points == [[[0.1, 0.1], [0.3, 0.05], [0.5, 0.1], [0.5, 0.5]]]
    assert not line.closed and not line.filled
    # closed cycle: first vertex points at the last one
    vertices[0]["prevPointId"] = "c"
    result["value"]["closed"] = True
    (ring,) = pc.from_ls_polylines([result], pc.VECTOR, problems=[])
    assert len(ring.points[0]) == 4 and ring.closed
    # plain [x, y] pairs are accepted too
    result["value"]["vertices"] = [[10, 10], [20, 20]]
    (pairs,) = pc.from_ls_polylines([result], pc.VECTOR, problems=[])
    assert pairs.points == [[[0.1, 0.1], [0.2, 0.2]]]


def test_deleted_shape_and_hints():
    line = fol.Polyline(
        label="a",
        points=[[[0.1, 0.1], [0.2, 0.2]], [[0.3, 0.3], [0.4, 0.4]]],
        closed=True,
        filled=False,
        index=4,
    )
    results = pc.to_ls_polyline(line, "p", W, H)
    hints = pc.polyline_hints([line], "polygons")
    assert hints == {line.id: {"index": 4, "filled": False}}
    (back,) = pc.from_ls_polylines(results[1:], label_type="polygons",
                                   hints=hints)  # fmt: skip
    assert back.id == line.id and back.index == 4 and not back.filled
    assert back.points == [[[0.3, 0.3], [0.4, 0.4]]]


def test_shapeless_polyline_comes_back_from_its_hint():
    line = fol.Polyline(label="a", points=[[[math.nan, 0.1]]], closed=True)
    assert pc.to_ls_polyline(line, "p", W, H) == []
    hints = _over_json(pc.polyline_hints([line], "polylines"))
    (back,) = pc.from_ls_polylines([], hints=hints, problems=[])
    assert (back.id, back.label, back.points) == (line.id, "a", [])
    assert back.closed and not back.filled


def _poly(rid, points, labels=("a",), **extra):
    value = {"points": points, "polygonlabels": list(labels), **extra}
    return {"id": rid, "from_name": "p", "type": "polygonlabels",
            "value": value}  # fmt: skip


@pytest.mark.parametrize(
    "points, extra, reason",
    [
        ([], {}, "no points"),
        ("x", {}, "no points"),
        ([[1, 2, 3]], {}, "not an [x, y] pair"),
        ([[1, math.nan]], {}, "y of point 0 is not finite"),
        ([[1, "2"]], {}, "not a number"),
        ([[1, 1e6]], {}, "out of range"),
        ([[1, 1]], {"closed": "yes"}, "'closed' is not a boolean"),
    ],
)
def test_malformed_regions_are_reported(points, extra, reason):
    bad = _poly("bad", points, **extra)
    good = _poly(str(ObjectId()), [[1, 1], [2, 2]])
    problems = []
    back = pc.from_ls_polylines([bad, good], problems=problems)
    assert [b.id for b in back] == [good["id"]]
    assert problems[0][:2] == ("p", "bad") and reason in problems[0][2]


def test_duplicated_shape_ids_are_reported():
    rid = str(ObjectId()) + "_0_2"
    problems = []
    back = pc.from_ls_polylines(
        [_poly(rid, [[1, 1]]), _poly(rid, [[2, 2]])], problems=problems
    )
    assert len(back) == 1 and len(back[0].points) == 1
    assert problems == [("p", rid, "duplicated region id")]


def test_unknown_tag_type_is_refused():
    with pytest.raises(ValueError):
        pc.to_ls_polyline(fol.Polyline(), "p", W, H, "rectanglelabels")


def test_fiftyone_merge_keeps_closed_filled_and_index():
    from fiftyone.utils.annotations import _merge_label

    line = fol.Polyline(
        label="a", points=[[[0.1, 0.1], [0.2, 0.2]]], closed=True,
        filled=False, index=2, confidence=0.3,
    )  # fmt: skip
    line["color"] = "red"
    (result,) = _over_json(pc.to_ls_polyline(line, "p", W, H))
    result["value"]["points"][0] = [50, 50]
    (anno,) = pc.from_ls_polylines(
        [result], label_type="polygons",
        hints=_over_json(pc.polyline_hints([line], "polygons")),
    )  # fmt: skip
    _merge_label(line, anno, global_attrs=[], class_attrs={})
    assert (line.closed, line.filled, line.index) == (True, False, 2)
    assert line.points == [[[0.5, 0.5], [0.2, 0.2]]]
    assert line.confidence == 0.3 and line.color == "red"
