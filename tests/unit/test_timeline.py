"""Frame ranges (TimelineLabels) and video-level Choices."""

import json

import fiftyone.core.labels as fol
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.converters import classifications as cc
from fiftyone_labelstudio.converters import timeline as tl
from fiftyone_labelstudio.converters.results import is_label_id

FRAMES = 30


def _over_json(value):
    return json.loads(json.dumps(value, allow_nan=False))


def _cls(label):
    return fol.Classification(label=label)


@st.composite
def frame_classifications(draw):
    """``{frame: Classifications}`` (several labels, repeated classes)."""
    out = {}
    for frame in draw(st.sets(st.integers(1, FRAMES), max_size=15)):
        labels = draw(
            st.lists(st.sampled_from(["day", "night", "<&>"]), max_size=3)
        )
        out[frame] = fol.Classifications(
            classifications=[_cls(x) for x in labels]
        )
    return out


def _flat(frames):
    out = {}
    for frame, value in frames.items():
        if isinstance(value, fol.Classifications):
            value = value.classifications
        for label in value:
            out[label.id] = (frame, label.label)
    return out


@settings(max_examples=300, deadline=None)
@given(frame_classifications())
def test_round_trip_is_identity(frames):
    results = _over_json(tl.to_ls_frame_ranges(frames, "scene"))
    hints = _over_json(tl.frame_range_hints(frames))
    problems = []
    back = tl.from_ls_frame_ranges(
        results, FRAMES, hints=hints, problems=problems
    )
    assert problems == []
    assert _flat(back) == _flat(frames)
    sent = tl.sent_frame_range_ids(frames)
    assert {i for ids in sent.values() for i in ids} == set(_flat(frames))


def test_runs_become_one_region_each():
    frames = {f: _cls("day") for f in (1, 2, 3, 6)}
    frames[4] = _cls("night")
    results = tl.to_ls_frame_ranges(frames, "scene")
    assert [
        (r["value"]["ranges"], r["value"]["timelinelabels"]) for r in results
    ] == [
        ([{"start": 1, "end": 3}], ["day"]),
        ([{"start": 4, "end": 4}], ["night"]),
        ([{"start": 6, "end": 6}], ["day"]),
    ]
    assert results[0]["id"] == frames[1].id
    assert results[0]["to_name"] == "video"
    assert results[0]["type"] == "timelinelabels"


def test_stretched_range_keeps_ids_and_adds_stable_new_ones():
    frames = {f: _cls("day") for f in (2, 3)}
    (result,) = tl.to_ls_frame_ranges(frames, "scene")
    hints = tl.frame_range_hints(frames)
    result["value"]["ranges"] = [{"start": 1, "end": 5}]
    back = tl.from_ls_frame_ranges(
        [result], FRAMES, hints=hints, problems=[], salt="x"
    )
    assert sorted(back) == [1, 2, 3, 4, 5]
    assert back[2][0].id == frames[2].id and back[3][0].id == frames[3].id
    again = tl.from_ls_frame_ranges(
        [result], FRAMES, hints=hints, problems=[], salt="x"
    )
    assert back[5][0].id == again[5][0].id and is_label_id(back[5][0].id)


def test_frontend_region():
    result = json.loads(
        '{"id":"tK9_aZ1","from_name":"scene","to_name":"video",'
        '"type":"timelinelabels","origin":"manual","value":{"ranges":'
        '[{"start":4,"end":6}],"timelinelabels":["night"]}}'
    )
    back = tl.from_ls_frame_ranges([result], FRAMES, problems=[])
    assert sorted(back) == [4, 5, 6]
    assert {b[0].label for b in back.values()} == {"night"}


def test_single_keeps_the_first_region_of_a_frame():
    a = {"start": 1, "end": 3}
    b = {"start": 3, "end": 4}
    results = [_region("r1", [a], "day"), _region("r2", [b], "night")]
    problems = []
    back = tl.from_ls_frame_ranges(
        results, FRAMES, single=True, problems=problems
    )
    assert [back[f][0].label for f in (1, 2, 3, 4)] == [
        "day",
        "day",
        "day",
        "night",
    ]
    assert len(problems) == 1 and "frame 3" in problems[0][2]


def _region(rid, ranges, label):
    return {
        "id": rid,
        "from_name": "scene",
        "to_name": "video",
        "type": "timelinelabels",
        "value": {"ranges": ranges, "timelinelabels": [label]},
    }


@pytest.mark.parametrize(
    "ranges, reason",
    [
        ([], "no 'ranges'"),
        (None, "no 'ranges'"),
        ([{"start": None, "end": 3}], "no usable range"),
        ([{"start": 0, "end": 3}], "no usable range"),
        (["x"], "no usable range"),
    ],
)
def test_malformed_regions_are_reported(ranges, reason):
    problems = []
    back = tl.from_ls_frame_ranges(
        [
            _region("bad", ranges, "day"),
            _region("ok", [{"start": 2, "end": 2}], "x"),
        ],
        FRAMES,
        problems=problems,
    )
    assert sorted(back) == [2]
    assert any(reason in p[2] for p in problems), problems


def test_ranges_are_cut_at_the_last_frame_and_reversed_ones_fixed():
    problems = []
    back = tl.from_ls_frame_ranges(
        [
            _region(
                "r", [{"start": 9, "end": 7}, {"start": 29, "end": 99}], "d"
            )
        ],
        FRAMES,
        problems=problems,
    )
    assert sorted(back) == [7, 8, 9, 29, 30]
    assert "past the last frame" in problems[0][2]


def test_video_classifications_target_the_video():
    labels = fol.Classifications(
        classifications=[_cls("outdoor"), _cls("rain")]
    )
    results = tl.to_ls_video_classifications(labels, "tags")
    assert [r["to_name"] for r in results] == ["video", "video"]
    assert all("image_rotation" not in r for r in results)
    assert all("original_width" not in r for r in results)
    back = cc.from_ls_classifications(
        _over_json(results), class_ids=cc.class_ids(labels), problems=[]
    )
    assert [(x.id, x.label) for x in back] == [
        (x.id, x.label) for x in labels.classifications
    ]
