"""Video samples through a real Label Studio server and back.

Videos are written with OpenCV (mp4v) from skimage's photographs, with no
metadata: the backend measures them itself (FiftyOne needs ffprobe, which
this machine may not have). Annotations are posted through the API the
way the editor saves them: starting from the prediction, a keyframe is
moved, one is deleted (its frame becomes interpolated), one track is
deleted and a new one drawn; a frame range is stretched; the video-level
class changed.
"""

import os

import numpy as np
import pytest

import fiftyone as fo
from fiftyone_labelstudio.converters.video_tasks import video_control_name

from support import skimage_photo
from test_backend_common import (
    BACKEND,
    annotate_task,
    by_id,
    creds,
    prediction_results,
    snapshot,
    tasks_by_sample,
)

FRAMES, FPS, W, H = 16, 8, 128, 96


def _write_video(path, name, shift):
    import cv2

    photo = skimage_photo(name)
    writer = cv2.VideoWriter(
        path, cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H)
    )
    assert writer.isOpened()
    for i in range(FRAMES):
        x = 20 + shift * i
        crop = photo[40 : 40 + H, x : x + W, ::-1]
        writer.write(np.ascontiguousarray(crop))
    writer.release()
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    dirname = str(tmp_path_factory.mktemp("videos"))
    return [
        _write_video(os.path.join(dirname, "a.mp4"), "astronaut", 4),
        _write_video(os.path.join(dirname, "b.mp4"), "coffee", 2),
    ]


def _box(x, y=0.2, w=0.2, h=0.3):
    return [x, y, w, h]


def _video_dataset(dataset, videos):
    s0, s1 = [fo.Sample(filepath=p) for p in videos]
    dataset.add_samples([s0, s1])
    s0, s1 = list(dataset.iter_samples())
    for f in range(1, 7):  # car: frames 1-6, moving right
        s0.frames[f]["gt"] = fo.Detections(
            detections=[
                fo.Detection(
                    label="car",
                    bounding_box=_box(0.05 * f),
                    index=1,
                    color="red",  # attributes stay as they are
                )
            ]
        )
    for f in range(3, 6):  # person: frames 3-5
        s0.frames[f]["gt"].detections.append(
            fo.Detection(label="person", bounding_box=_box(0.6), index=2)
        )
    for f in range(1, 5):
        s0.frames[f]["scene"] = fo.Classification(label="day")
    s0["weather"] = fo.Classification(label="sun")
    s1.frames[2]["gt"] = fo.Detections(
        detections=[fo.Detection(label="car", bounding_box=_box(0.3), index=1)]
    )
    s0.save()
    s1.save()
    return dataset[s0.id], dataset[s1.id]


SCHEMA = {
    "frames.gt": {"type": "detections", "classes": ["car", "person"]},
    "frames.scene": {"type": "classification", "classes": ["day", "night"]},
    "weather": {"type": "classification", "classes": ["sun", "rain"]},
}


def _frame_labels(sample, field):
    """``{frame number: [labels]}``."""
    out = {}
    for number, frame in sample.frames.items():
        value = frame[field]
        if value is None:
            continue
        labels = value.detections if hasattr(value, "detections") else [value]
        if labels:
            out[number] = labels
    return out


def test_video_tracks_round_trip(
    dataset, videos, ls_server, ls_client, ls_projects_guard
):
    s0, s1 = _video_dataset(dataset, videos)
    gt0 = _frame_labels(s0, "gt")
    car = {f: [d for d in ds if d.label == "car"][0] for f, ds in gt0.items()}
    person = {
        f: [d for d in ds if d.label == "person"][0]
        for f, ds in gt0.items()
        if len(ds) > 1
    }
    scene = {f: c[0].id for f, c in _frame_labels(s0, "scene").items()}
    weather_id = s0.weather.id
    untouched = snapshot(dataset.select(s1.id), ["frames"])

    results = dataset.annotate(
        "vid", backend=BACKEND, label_schema=SCHEMA, **creds(ls_server)
    )

    # measured without ffprobe; every frame has a frame document
    s0.reload()
    assert s0.metadata.total_frame_count == FRAMES
    assert s0.metadata.frame_rate == pytest.approx(FPS)
    assert len(s0.frames) == FRAMES
    frame_id = {n: f.id for n, f in s0.frames.items()}
    assert results.id_map["frames.gt"][s0.id] == {
        frame_id[f]: [d.id for d in gt0[f]] for f in gt0
    }
    assert results.id_map["frames.scene"][s0.id] == {
        frame_id[f]: i for f, i in scene.items()
    }
    assert results.id_map["weather"][s0.id] == weather_id

    tasks = tasks_by_sample(ls_client, results.project_id)
    task = tasks[s0.id]
    assert task["data"]["fiftyone"]["fps"] == pytest.approx(FPS)
    assert task["data"]["video"].endswith(".mp4")
    res = prediction_results(task)
    car_track = by_id(res, car[1].id)
    seq = car_track["value"]["sequence"]
    assert [(k["frame"], k["enabled"]) for k in seq] == [
        (f, f < 6) for f in range(1, 7)
    ]
    assert car_track["value"]["framesCount"] == FRAMES
    assert by_id(res, person[3].id)["value"]["labels"] == ["person"]

    # the annotator's edits
    seq[1]["x"] = 50.0  # frame 2 moved
    del seq[3]  # frame 4 no longer a keyframe
    res.remove(by_id(res, person[3].id))  # person track deleted
    res.append(
        {
            "id": "nEwTrAcK01",
            "from_name": car_track["from_name"],
            "to_name": "video",
            "type": "videorectangle",
            "origin": "manual",
            "value": {
                "framesCount": FRAMES,
                "duration": FRAMES / FPS,
                "sequence": [
                    _kf(10, 10.0, True),
                    _kf(12, 30.0, False),
                ],
                "labels": ["person"],
            },
        }
    )
    ranges = [r for r in res if r["type"] == "timelinelabels"]
    assert len(ranges) == 1
    ranges[0]["value"]["ranges"] = [{"start": 1, "end": 6}]
    choice = by_id(res, weather_id)
    choice["value"]["choices"] = ["rain"]
    annotate_task(ls_client, task["id"], res)

    dataset.load_annotations("vid")
    first = snapshot(dataset, ["frames", "weather"])
    dataset.load_annotations("vid")  # loading twice changes nothing
    assert snapshot(dataset, ["frames", "weather"]) == first

    s0 = dataset[s0.id]
    got = _frame_labels(s0, "gt")
    assert sorted(got) == [1, 2, 3, 4, 5, 6, 10, 11, 12]
    for f in range(1, 7):
        (det,) = got[f]  # the person track is gone
        assert (det.id, det.label, det.index) == (car[f].id, "car", 1)
        assert det.color == "red"
        want = _box(0.5 if f == 2 else 0.05 * f)
        if f == 4:  # interpolated between frames 3 and 5
            want = _box((0.15 + 0.25) / 2)
        assert det.bounding_box == pytest.approx(want)
        # the field had no keyframe flags: FiftyOne imports none
        assert det.to_dict().get("keyframe") is None
    new = [got[f][0] for f in (10, 11, 12)]
    assert {d.label for d in new} == {"person"}
    assert len({d.index for d in new}) == 1 and new[0].index not in (1, None)
    assert len({d.id for d in new}) == 3
    assert new[1].bounding_box == pytest.approx(_box(0.2))

    scene_got = {f: c[0] for f, c in _frame_labels(s0, "scene").items()}
    assert sorted(scene_got) == [1, 2, 3, 4, 5, 6]
    assert {f: c.id for f, c in scene_got.items() if f <= 4} == scene
    assert {c.label for c in scene_got.values()} == {"day"}
    assert (s0.weather.id, s0.weather.label) == (weather_id, "rain")

    # the unannotated video is exactly as it was
    assert snapshot(dataset.select(s1.id), ["frames"]) == untouched


def _kf(frame, x, enabled):
    return {
        "frame": frame,
        "enabled": enabled,
        "rotation": 0,
        "x": x,
        "y": 20.0,
        "width": 20.0,
        "height": 30.0,
        "time": frame / FPS,
    }


def test_unsupported_video_schema_is_refused_before_anything_is_created(
    dataset, videos, ls_server, ls_client, ls_projects_guard
):
    dataset.add_samples([fo.Sample(filepath=videos[0])])
    before = {p["id"] for p in ls_client.list_projects()}
    with pytest.raises(Exception, match="cannot be annotated in Label Studio"):
        dataset.annotate(
            "bad",
            backend=BACKEND,
            label_field="frames.poly",
            label_type="polylines",
            classes=["road"],
            **creds(ls_server),
        )
    assert {p["id"] for p in ls_client.list_projects()} == before
    assert "bad" not in dataset.list_annotation_runs()


def test_keyframe_runs_send_keyframes_and_load_keyframe_flags(
    dataset, videos, ls_server, ls_client, ls_projects_guard
):
    """Existing tracks with ``keyframe`` flags upload only keyframes (and
    segment ends); a new field gets keyframe flags on load."""
    dataset.add_samples([fo.Sample(filepath=videos[0])])
    sample = dataset.first()
    for f in range(1, 9):  # linear motion: interpolation is exact
        det = fo.Detection(label="car", bounding_box=_box(0.05 * f), index=7)
        det["keyframe"] = f in (1, 4)
        sample.frames[f]["gt"] = fo.Detections(detections=[det])
    sample.save()
    ids = {f: sample.frames[f]["gt"].detections[0].id for f in range(1, 9)}

    results = dataset.annotate(
        "kf",
        backend=BACKEND,
        label_schema={
            "frames.gt": {"type": "detections", "classes": ["car"]},
            "frames.new": {"type": "detections", "classes": ["bird"]},
        },
        **creds(ls_server),
    )
    assert results.config.label_schema["frames.gt"]["only_keyframes"]
    task = tasks_by_sample(ls_client, results.project_id)[sample.id]
    res = prediction_results(task)
    (track,) = res
    frames = [(k["frame"], k["enabled"]) for k in track["value"]["sequence"]]
    assert frames == [(1, True), (4, True), (8, False)]

    track["value"]["sequence"][1]["y"] = 50.0  # keyframe 4 moved down
    new_control = video_control_name("frames.new")
    res.append(
        {
            "id": "bIrD000001",
            "from_name": new_control,
            "to_name": "video",
            "type": "videorectangle",
            "value": {
                "sequence": [_kf(2, 10.0, True), _kf(4, 10.0, False)],
                "labels": ["bird"],
            },
        }
    )
    annotate_task(ls_client, task["id"], res)
    dataset.load_annotations("kf")

    sample = dataset.first()
    got = _frame_labels(sample, "gt")
    assert sorted(got) == list(range(1, 9))
    for f in range(1, 9):
        (det,) = got[f]
        assert (det.id, det.index) == (ids[f], 7)
        assert det.keyframe is (f in (1, 4, 8))
    # y moves 20% -> 50% from frame 1 to 4, then back to 20% at frame 8
    assert got[4][0].bounding_box[1] == pytest.approx(0.5)
    assert got[2][0].bounding_box[1] == pytest.approx(0.3)
    assert got[6][0].bounding_box[1] == pytest.approx(0.35)
    assert got[6][0].bounding_box[0] == pytest.approx(0.3)

    birds = _frame_labels(sample, "new")
    assert sorted(birds) == [2, 3, 4]
    assert [birds[f][0].keyframe for f in (2, 3, 4)] == [True, False, True]
    assert len({birds[f][0].index for f in (2, 3, 4)}) == 1


def test_unreadable_track_keeps_its_labels(
    dataset, videos, ls_server, ls_client, ls_projects_guard, caplog
):
    dataset.add_samples([fo.Sample(filepath=videos[1])])
    sample = dataset.first()
    for f in (2, 3):
        sample.frames[f]["gt"] = fo.Detections(
            detections=[
                fo.Detection(label="car", bounding_box=_box(0.3), index=1),
                fo.Detection(label="person", bounding_box=_box(0.6), index=2),
            ]
        )
    sample.save()
    before = {
        f: [d.id for d in ds] for f, ds in _frame_labels(sample, "gt").items()
    }
    results = dataset.annotate(
        "unreadable",
        backend=BACKEND,
        label_field="frames.gt",
        classes=["car", "person"],
        **creds(ls_server),
    )
    task = tasks_by_sample(ls_client, results.project_id)[sample.id]
    res = prediction_results(task)
    car_id = before[2][0]
    by_id(res, car_id)["value"]["sequence"] = "garbage"  # unreadable
    res.remove(by_id(res, before[2][1]))  # person deleted
    annotate_task(ls_client, task["id"], res)

    dataset.load_annotations("unreadable")
    after = _frame_labels(dataset.first(), "gt")
    assert {f: [d.id for d in ds] for f, ds in after.items()} == {
        f: [ids[0]] for f, ids in before.items()
    }
    assert "did not load as they are" in caplog.text
