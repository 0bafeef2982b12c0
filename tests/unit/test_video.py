"""Frame-level Detections <-> VideoRectangle tracks (converters.video_tracks)."""

import json

import fiftyone.core.labels as fol
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.converters import video_interpolation as vi
from fiftyone_labelstudio.converters import video_tracks as vc
from fiftyone_labelstudio.converters.results import is_label_id

FRAMES = 40
FPS = 10.0
CLASSES = st.sampled_from(["car", "person", "Ünïcode <&>"])
coord = st.floats(-0.2, 1.1, allow_nan=False)
size = st.floats(0, 0.8, allow_nan=False)


def _over_json(value):
    return json.loads(json.dumps(value, allow_nan=False))


def _det(label, box, index=None, **attrs):
    det = fol.Detection(label=label, bounding_box=list(box), index=index)
    for k, v in attrs.items():
        det[k] = v
    return det


def _round_trip(frames, only_keyframes=False, frame_count=FRAMES, **kw):
    results = vc.to_ls_video_tracks(
        frames, "gt", frame_count, FPS, only_keyframes=only_keyframes
    )
    hints = vc.video_track_hints(frames, only_keyframes=only_keyframes)
    problems = []
    back = vc.from_ls_video_tracks(
        _over_json(results),
        frame_count,
        hints=_over_json(hints),
        problems=problems,
        **kw,
    )
    assert problems == []
    return results, back


@st.composite
def video_frames(draw):
    """``{frame: Detections}`` with tracks (indexes), gaps, class changes,
    duplicates in a frame and labels without index."""
    frames = {}
    for index in range(draw(st.integers(0, 3))):
        present = draw(st.sets(st.integers(1, FRAMES), max_size=12))
        for frame in present:
            det = _det(
                draw(CLASSES),
                [draw(coord), draw(coord), draw(size), draw(size)],
                index=draw(st.sampled_from([index, index, None])),
            )
            rotation = draw(st.none() | st.floats(-359, 359).filter(bool))
            if rotation is not None:
                det["rotation"] = rotation
            frames.setdefault(frame, []).append(det)
    return {f: fol.Detections(detections=d) for f, d in frames.items()}


def _flat(frames):
    out = {}
    for frame, value in frames.items():
        dets = value.detections if isinstance(value, fol.Detections) else value
        for det in dets:
            out[det.id] = (frame, det)
    return out


@settings(max_examples=300, deadline=None)
@given(video_frames())
def test_keyframes_only_round_trip_is_identity(frames):
    _, back = _round_trip(frames)
    want, got = _flat(frames), _flat(back)
    assert set(got) == set(want)
    for label_id, (frame, orig) in want.items():
        frame2, det = got[label_id]
        assert frame2 == frame
        assert det.label == orig.label
        assert det.index == orig.index
        assert det.bounding_box == pytest.approx(orig.bounding_box, abs=1e-9)
        rot = getattr(orig, "rotation", None)
        assert getattr(det, "rotation", None) == pytest.approx(rot or None)
        assert det.keyframe is True


def test_result_shape_matches_the_frontend():
    a = _det("car", [0.1, 0.2, 0.3, 0.4], index=1)
    b = _det("car", [0.2, 0.2, 0.3, 0.4], index=1)
    c = _det("car", [0.5, 0.5, 0.1, 0.1], index=1)
    frames = {1: [a], 2: [b], 5: [c]}
    (result,) = vc.to_ls_video_tracks(frames, "gt", 10, 5.0)
    assert result == {
        "id": a.id,
        "from_name": "gt",
        "to_name": "video",
        "type": "videorectangle",
        "value": {
            "framesCount": 10,
            "duration": 2.0,
            "sequence": [
                _kf(1, True, 10, 20, 30, 40, 0.2),
                _kf(2, False, 20, 20, 30, 40, 0.4),
                _kf(5, False, 50, 50, 10, 10, 1.0),
            ],
            "labels": ["car"],
        },
    }
    assert vc.video_track_hints(frames) == {
        a.id: {"index": 1, "frames": {"1": a.id, "2": b.id, "5": c.id}}
    }
    assert vc.sent_frame_label_ids(frames) == {1: [a.id], 2: [b.id], 5: [c.id]}


def _kf(frame, enabled, x, y, w, h, time, rotation=0.0):
    return {
        "frame": frame,
        "enabled": enabled,
        "x": pytest.approx(x),
        "y": pytest.approx(y),
        "width": pytest.approx(w),
        "height": pytest.approx(h),
        "rotation": rotation,
        "time": pytest.approx(time),
    }


def _track(rid, sequence, labels=("car",), frames_count=FRAMES):
    return {
        "id": rid,
        "from_name": "gt",
        "to_name": "video",
        "type": "videorectangle",
        "origin": "manual",
        "value": {
            "framesCount": frames_count,
            "duration": frames_count / FPS,
            "sequence": sequence,
            "labels": list(labels),
        },
    }


def _seq(frame, x, enabled=True, rotation=0, y=10, w=20, h=20):
    return {
        "frame": frame,
        "enabled": enabled,
        "rotation": rotation,
        "x": x,
        "y": y,
        "width": w,
        "height": h,
        "time": frame / FPS,
    }


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 20),
    st.integers(1, 15),
    st.lists(st.floats(0, 90, allow_nan=False), min_size=8, max_size=8),
)
def test_interpolated_frames_are_linear(start, span, v):
    end = start + span
    seq = [
        _seq(start, v[0], True, y=v[1], w=v[2], h=v[3]),
        _seq(end, v[4], False, y=v[5], w=v[6], h=v[7]),
    ]
    back = vc.from_ls_video_tracks([_track("new1", seq)], FRAMES, problems=[])
    assert sorted(back) == list(range(start, end + 1))
    for frame, (det,) in back.items():
        t = (frame - start) / span
        want = [(a + (b - a) * t) / 100 for a, b in zip(v[:4], v[4:])]
        assert det.bounding_box == pytest.approx(want, abs=1e-9)
        assert det.keyframe is (frame in (start, end))
        assert det.index == 0
        assert is_label_id(det.id)


def test_frontend_track_drawn_in_label_studio():
    # what the frontend saves for a box drawn on frame 3, moved on frame 9,
    # then its lifespan toggled off on frame 12
    seq = [_seq(3, 10), _seq(9, 40), _seq(12, 40, enabled=False)]
    problems = []
    back = vc.from_ls_video_tracks(
        [_track("Xy12abCD90", seq)], FRAMES, problems=problems, salt="s1"
    )
    assert problems == []
    assert sorted(back) == list(range(3, 13))
    assert [back[f][0].keyframe for f in (3, 4, 9, 10, 12)] == [
        True,
        False,
        True,
        False,
        True,
    ]
    assert back[6][0].bounding_box == pytest.approx([0.25, 0.1, 0.2, 0.2])
    # the same annotation loads with the same ids
    again = vc.from_ls_video_tracks(
        [_track("Xy12abCD90", seq)], FRAMES, problems=[], salt="s1"
    )
    assert [d[0].id for d in again.values()] == [
        d[0].id for d in back.values()
    ]
    other = vc.from_ls_video_tracks(
        [_track("Xy12abCD90", seq)], FRAMES, problems=[], salt="s2"
    )
    assert other[3][0].id != back[3][0].id


def test_enabled_last_keyframe_runs_to_the_end_of_the_video():
    back = vc.from_ls_video_tracks(
        [_track("n", [_seq(5, 10)], frames_count=8)], None, problems=[]
    )
    assert sorted(back) == [5, 6, 7, 8]
    assert [back[f][0].keyframe for f in (5, 6)] == [True, False]
    # the frame count given by the caller wins over framesCount
    back = vc.from_ls_video_tracks(
        [_track("n", [_seq(5, 10)], frames_count=8)], 6, problems=[]
    )
    assert sorted(back) == [5, 6]


def test_rotation_interpolates_along_the_shorter_arc():
    seq = [_seq(1, 10, rotation=170), _seq(3, 10, False, rotation=-170)]
    back = vc.from_ls_video_tracks([_track("r", seq)], FRAMES, problems=[])
    assert back[1][0].rotation == 170
    assert back[2][0].rotation == pytest.approx(180)
    assert back[3][0].rotation == -170
    seq = [_seq(1, 10, rotation=0), _seq(3, 10, False, rotation=0)]
    back = vc.from_ls_video_tracks([_track("r", seq)], FRAMES, problems=[])
    assert "rotation" not in back[2][0].to_dict()


@pytest.mark.parametrize(
    "angle, wrapped",
    [(0, 0), (180, 180), (-180, 180), (190, -170), (540, 180), (-350, 10)],
)
def test_wrap_matches_the_frontend(angle, wrapped):
    assert vi._wrap(angle) == pytest.approx(wrapped)


def test_edits_keep_ids_and_indexes():
    """Move a keyframe, delete one (it becomes interpolated), add a track,
    delete a track."""
    t1 = [_det("car", [0.1 * i, 0.1, 0.1, 0.1], index=4) for i in range(4)]
    t2 = [_det("person", [0.5, 0.5, 0.2, 0.2], index=9) for _ in range(2)]
    frames = {
        1: [t1[0], t2[0]],
        2: [t1[1], t2[1]],
        3: [t1[2]],
        4: [t1[3]],
    }
    results = _over_json(vc.to_ls_video_tracks(frames, "gt", 10, FPS))
    hints = _over_json(vc.video_track_hints(frames))
    car, person = results
    seq = car["value"]["sequence"]
    seq[0]["x"] = 5.0  # moved
    del seq[1]  # frame 2 no longer a keyframe: interpolated
    new = _track("abcdef1234", [_seq(7, 50, False)], labels=["truck"])
    problems = []
    back = vc.from_ls_video_tracks(
        [car, new], 10, hints=hints, problems=problems
    )
    assert problems == []
    got = _flat(back)
    assert set(got) - {d.id for d in t1} == {back[7][0].id}
    assert got[t1[0].id][1].bounding_box[0] == pytest.approx(0.05)
    inter = got[t1[1].id][1]
    assert inter.keyframe is False
    assert inter.bounding_box[0] == pytest.approx((0.05 + 0.2) / 2)
    assert {d.index for f, d in got.values() if d.label == "car"} == {4}
    assert back[7][0].index == 10  # above every uploaded index


def test_class_change_and_duplicates_keep_one_index():
    a = _det("car", [0.1, 0.1, 0.1, 0.1], index=2)
    b = _det("truck", [0.1, 0.1, 0.1, 0.1], index=2)
    c = _det("car", [0.3, 0.1, 0.1, 0.1], index=2)
    frames = {1: [a, c], 2: [b]}
    results, back = _round_trip(frames)
    assert len(results) == 3
    assert len({r["id"] for r in results}) == 3
    assert {d.index for f, d in _flat(back).values()} == {2}


def test_single_indexless_label_stays_indexless_until_extended():
    det = _det("car", [0.1, 0.1, 0.1, 0.1])
    frames = {3: [det]}
    results, back = _round_trip(frames)
    assert back[3][0].id == det.id and back[3][0].index is None
    seq = results[0]["value"]["sequence"]
    seq[0]["enabled"] = True  # extended to the end
    hints = vc.video_track_hints(frames)
    back = vc.from_ls_video_tracks(results, 5, hints=hints, problems=[])
    assert sorted(back) == [3, 4, 5]
    assert {d[0].index for d in back.values()} == {0}


def test_only_keyframes_sends_marked_frames_and_segment_ends():
    dets = {
        f: _det("car", [0.01 * f, 0.1, 0.1, 0.1], index=1, keyframe=f == 3)
        for f in list(range(1, 7)) + [9, 10]
    }
    frames = {f: [d] for f, d in dets.items()}
    (result,) = vc.to_ls_video_tracks(frames, "gt", 10, FPS, True)
    seq = result["value"]["sequence"]
    assert [(s["frame"], s["enabled"]) for s in seq] == [
        (1, True),
        (3, True),
        (6, False),
        (9, True),
        (10, False),
    ]
    _, back = _round_trip(frames, only_keyframes=True)
    got = _flat(back)
    assert set(got) == {d.id for d in dets.values()}
    assert [back[f][0].keyframe for f in range(1, 7)] == [
        True,
        False,
        True,
        False,
        False,
        True,
    ]
    for f, det in dets.items():  # linear in x, so interpolation is exact
        assert back[f][0].bounding_box == pytest.approx(det.bounding_box)


def test_box_less_detections_are_not_sent():
    det = _det("car", [0.1, 0.1, 0.1, 0.1], index=1)
    empty = fol.Detection(label="car", index=1)
    frames = {1: fol.Detections(detections=[det, empty])}
    (result,) = vc.to_ls_video_tracks(frames, "gt", 5, FPS)
    assert len(result["value"]["sequence"]) == 1
    assert vc.sent_frame_label_ids(frames) == {1: [det.id]}


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda r: r["value"].update(sequence=[]), "no 'sequence'"),
        (lambda r: r["value"].update(sequence=None), "no 'sequence'"),
        (lambda r: r["value"].update(labels=[]), "no label"),
        (lambda r: r.update(type="rectanglelabels"), "result type"),
        (lambda r: r["value"]["sequence"][0].update(frame=0), "no usable"),
        (lambda r: r["value"]["sequence"][0].update(x="1"), "no usable"),
    ],
)
def test_malformed_tracks_are_reported_and_others_load(mutate, reason):
    bad = _track("bad", [_seq(1, 10, enabled=False)])
    mutate(bad)
    good = _track("good", [_seq(2, 10, enabled=False)])
    problems = []
    back = vc.from_ls_video_tracks([bad, good], FRAMES, problems=problems)
    assert sorted(back) == [2]
    assert any(reason in p[2] for p in problems), problems


def test_bad_keyframes_are_skipped_and_reported():
    seq = [
        _seq(1, 10, enabled=False),
        _seq(1, 20, enabled=False),
        _seq(99, 10),
        {"frame": 2, "x": 1e9, "y": 0, "width": 1, "height": 1},
        "garbage",
    ]
    problems = []
    back = vc.from_ls_video_tracks([_track("t", seq)], 50, problems=problems)
    assert sorted(back) == [1]
    assert back[1][0].bounding_box[0] == pytest.approx(0.1)
    reasons = " | ".join(p[2] for p in problems)
    assert "two keyframes" in reasons
    assert "after the last frame" in reasons
    assert "out of range" in reasons
    assert "not an object" in reasons


def test_tampered_hints_are_ignored():
    det = _det("car", [0.1, 0.1, 0.1, 0.1], index=1)
    results = vc.to_ls_video_tracks({1: [det]}, "gt", 5, FPS)
    for hints in (
        "x",
        {det.id: "x"},
        {det.id: {"frames": "x", "index": "3"}},
        {det.id: {"frames": {"x": det.id, "1": 5}}},
    ):
        back = vc.from_ls_video_tracks(results, 5, hints=hints, problems=[])
        assert len(back[1]) == 1 and is_label_id(back[1][0].id)


def test_labels_control_name():
    assert vc.labels_control_name("gt") == "gt__labels"
