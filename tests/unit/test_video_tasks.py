"""Whole video tasks and the video label config (converters.video_tasks)."""

import json

import fiftyone.core.labels as fol
import pytest

from fiftyone_labelstudio.converters import video_tasks as vt
from fiftyone_labelstudio.converters.label_config import parse_label_config

SAMPLE_ID = "65a1b2c3d4e5f60718293a4b"
SCHEMA = {
    "frames.gt": {"type": "detections", "classes": ["car", "person"]},
    "frames.scene": {"type": "classification", "classes": ["day", "night"]},
    "tags": {"type": "classifications", "classes": ["outdoor", "rain"]},
    "quality": {"type": "scalar", "scalar_type": "int"},
}


def _values():
    gt = {
        f: fol.Detections(
            detections=[
                fol.Detection(
                    label="car", bounding_box=[0.1 * f, 0.1, 0.2, 0.2], index=1
                )
            ]
        )
        for f in (1, 2, 3)
    }
    gt[5] = fol.Detections(
        detections=[
            fol.Detection(label="person", bounding_box=[0.5, 0.5, 0.1, 0.1])
        ]
    )
    scene = {f: fol.Classification(label="day") for f in (1, 2)}
    scene[3] = fol.Classification(label="night")
    tags = fol.Classifications(
        classifications=[fol.Classification(label="rain")]
    )
    return {"frames.gt": gt, "frames.scene": scene, "tags": tags, "quality": 3}


def test_label_config():
    xml = vt.build_video_label_config(SCHEMA)
    assert (
        '<Video name="video" value="$video" framerate="$fiftyone.fps"' in xml
    )
    controls = parse_label_config(xml)
    gt = vt.video_control_name("frames.gt")
    scene = vt.video_control_name("frames.scene")
    assert controls[gt]["tag"] == "VideoRectangle"
    assert controls[gt + "__labels"]["labels"] == ["car", "person"]
    assert controls[scene]["tag"] == "TimelineLabels"
    assert controls[scene]["labels"] == ["day", "night"]
    assert controls["tags"]["tag"] == "Choices"
    assert controls["tags"]["choice"] == "multiple"
    assert controls["quality"]["tag"] == "Number"
    assert {c["to_name"] for c in controls.values()} == {"video"}


def test_a_field_named_video_does_not_take_the_tag_name():
    assert vt.video_control_name("video") != "video"
    vt.check_video_schema({"video": {"type": "classification"}})


@pytest.mark.parametrize(
    "schema, reason",
    [
        ({"frames.m": {"type": "segmentation"}}, "frame fields of type"),
        ({"dets": {"type": "detections"}}, "video-level fields of type"),
    ],
)
def test_unsupported_schemas_are_refused(schema, reason):
    with pytest.raises(ValueError, match=reason):
        vt.check_video_schema(schema)


def test_colliding_control_names_are_refused():
    clash = vt.video_control_name("frames.a") + "__labels"
    schema = {
        "frames.a": {"type": "detections", "classes": ["x"]},
        clash: {"type": "classification", "classes": ["y"]},
    }
    with pytest.raises(ValueError, match="same Label Studio control"):
        vt.check_video_schema(schema)


def test_unedited_task_loads_what_was_sent():
    values = _values()
    task, sent = vt.video_sample_to_task(
        SAMPLE_ID, "/data/v.mp4", "/x/v.mp4", values, SCHEMA, 10, 25.0
    )
    task = json.loads(json.dumps(task))
    assert task["data"]["fiftyone"]["fps"] == 25.0
    assert task["data"]["video"] == "/data/v.mp4"
    (prediction,) = task["predictions"]
    labels, problems, _ = vt.video_task_to_labels(
        task["data"], prediction["result"], SCHEMA, 10
    )
    assert problems == []
    gt = labels["frames.gt"]["detections"]
    assert sorted(gt) == [1, 2, 3, 5]
    for frame, dets in values["frames.gt"].items():
        (det,) = dets.detections
        (got,) = gt[frame].values()
        assert (got.id, got.label, got.index) == (det.id, det.label, det.index)
        assert got.bounding_box == pytest.approx(det.bounding_box)
    scene = labels["frames.scene"]["classifications"]
    assert {f: [x.id for x in v.values()] for f, v in scene.items()} == {
        f: [c.id] for f, c in values["frames.scene"].items()
    }
    (tag,) = labels["tags"]["classifications"].values()
    assert tag.id == values["tags"].classifications[0].id
    assert labels["quality"] == {"scalar": 3}
    assert sent["frames.gt"] == {
        f: [d.detections[0].id] for f, d in values["frames.gt"].items()
    }
    assert sent["tags"] == [tag.id]
    assert sent["quality"] is True


def test_empty_annotation_deletes_everything_and_unknown_controls_report():
    labels, problems, _ = vt.video_task_to_labels(
        {"fiftyone": {"sample_id": SAMPLE_ID}},
        [{"id": "x", "from_name": "nope", "type": "choices", "value": {}}],
        SCHEMA,
        10,
    )
    assert labels["frames.gt"] == {"detections": {}}
    assert labels["tags"] == {"classifications": {}}
    assert labels["quality"] == {"scalar": None}
    assert problems == [("nope", "x", "control is not in the schema")]


def test_single_detection_field_keeps_one_box_per_frame():
    schema = {"frames.one": {"type": "detection", "classes": ["car"]}}
    control = vt.video_control_name("frames.one")
    seq = [
        {"frame": 1, "enabled": False, "x": 1, "y": 1, "width": 1, "height": 1}
    ]
    tracks = [
        {
            "id": rid,
            "from_name": control,
            "to_name": "video",
            "type": "videorectangle",
            "value": {"sequence": seq, "labels": ["car"]},
        }
        for rid in ("a1", "b2")
    ]
    labels, problems, _ = vt.video_task_to_labels({}, tracks, schema, 5)
    assert len(labels["frames.one"]["detections"][1]) == 1
    assert "holds one detection" in problems[0][2]


def test_unreadable_uploaded_regions_are_named():
    values = _values()
    task, _ = vt.video_sample_to_task(
        SAMPLE_ID, "/v.mp4", "/v.mp4", values, SCHEMA, 10, 25.0
    )
    results = json.loads(json.dumps(task["predictions"][0]["result"]))
    for result in results:
        if result["type"] in ("videorectangle", "timelinelabels"):
            result["value"].pop("sequence", None)
            result["value"].pop("ranges", None)
    labels, problems, unreadable = vt.video_task_to_labels(
        task["data"], results, SCHEMA, 10
    )
    assert labels["frames.gt"] == {"detections": {}}
    assert unreadable["frames.gt"] == {
        d.detections[0].id for d in values["frames.gt"].values()
    }
    assert unreadable["frames.scene"] == {
        c.id for c in values["frames.scene"].values()
    }
    assert len(problems) == 4
