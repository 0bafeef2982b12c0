"""Keypoint skeletons in the converters: named point labels, points back
in skeleton order, points drawn in Label Studio."""

import json
import math

import pytest

import fiftyone.core.labels as fol

from fiftyone_labelstudio.converters.keypoints import (
    SkeletonLabels,
    from_ls_keypoints,
    keypoint_hints,
    to_ls_keypoints,
)
from fiftyone_labelstudio.converters.label_config import (
    build_label_config,
    parse_label_config,
)
from fiftyone_labelstudio.converters.task_build import sample_to_task
from fiftyone_labelstudio.converters.task_read import task_to_labels

NAN = float("nan")
NAMES = ["nose", "left_eye", "right_eye"]
W, H = 100, 100


def _pt(region_id, label, x, y):
    return {
        "id": region_id,
        "from_name": "kp",
        "to_name": "image",
        "type": "keypointlabels",
        "original_width": W,
        "original_height": H,
        "value": {"x": x, "y": y, "width": 0.5, "keypointlabels": [label]},
    }


def _points(label):
    return [
        [None if math.isnan(v) else round(v, 6) for v in p]
        for p in label.points
    ]


def test_labels_are_point_names_for_one_class_else_prefixed():
    one = SkeletonLabels(["person"], NAMES)
    assert one.values() == NAMES
    assert one.parse("left_eye") == ("person", 1)
    two = SkeletonLabels(["person", "cat"], NAMES)
    assert two.value("cat", 2) == "cat: right_eye"
    assert two.parse("person: nose") == ("person", 0)
    assert two.parse("nose") is None
    assert two.value("cat", 7) == "cat"  # beyond the skeleton
    with pytest.raises(ValueError, match="distinct"):
        SkeletonLabels(["p"], ["a", "a"])


def test_label_config_lists_named_points():
    schema = {
        "kp": {"type": "keypoints", "classes": ["person"], "skeleton": NAMES}
    }
    controls = parse_label_config(build_label_config(schema))
    assert controls["kp"]["labels"] == NAMES
    schema["kp"]["classes"] = ["person", "cat"]
    controls = parse_label_config(build_label_config(schema))
    assert controls["kp"]["labels"][:2] == ["person: nose", "person: left_eye"]
    assert len(controls["kp"]["labels"]) == 6


def test_upload_names_points_and_load_keeps_skeleton_order():
    sk = SkeletonLabels(["person"], NAMES)
    kp = fol.Keypoint(
        label="person", points=[[0.1, 0.1], [NAN, NAN], [0.3, 0.3]]
    )
    results = to_ls_keypoints([kp], "kp", W, H, sk)
    assert [r["value"]["keypointlabels"] for r in results] == [
        ["nose"],
        ["right_eye"],
    ]
    # the annotator relabels right_eye as left_eye, draws a nose (the
    # keypoint has one: a new keypoint) and a right_eye (fills the gap)
    results[1]["value"]["keypointlabels"] = ["left_eye"]
    results.append(_pt("newpt00001", "nose", 50, 50))
    results.append(_pt("newpt00002", "right_eye", 60, 40))
    problems = []
    labels = from_ls_keypoints(results, None, problems, sk)
    assert problems == []
    got = {x.id: x for x in labels}
    assert _points(got.pop(kp.id)) == [[0.1, 0.1], [0.3, 0.3], [0.6, 0.4]]
    (new,) = got.values()
    assert new.label == "person"
    assert _points(new) == [[0.5, 0.5], [None, None], [None, None]]


def test_drawn_point_fills_in_the_keypoint_that_misses_it():
    sk = SkeletonLabels(["person"], NAMES)
    kp = fol.Keypoint(
        label="person", points=[[0.1, 0.1], [NAN, NAN], [0.3, 0.3]]
    )
    results = to_ls_keypoints([kp], "kp", W, H, sk)
    results.insert(0, _pt("newpt00003", "left_eye", 20, 20))
    owners = {}
    (label,) = from_ls_keypoints(results, None, [], sk, owners)
    assert label.id == kp.id
    assert _points(label) == [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]
    assert owners["newpt00003"] == kp.id


def test_drawn_point_fills_in_a_keypoint_with_no_visible_point():
    sk = SkeletonLabels(["person"], NAMES)
    kp = fol.Keypoint(label="person", points=[[NAN, NAN]] * 3)
    hints = json.loads(json.dumps(keypoint_hints([kp])))
    (label,) = from_ls_keypoints(
        [_pt("newpt00004", "nose", 10, 10)], hints, [], sk
    )
    assert label.id == kp.id
    assert _points(label) == [[0.1, 0.1], [None, None], [None, None]]


def test_ambiguous_drawn_point_starts_a_new_keypoint():
    sk = SkeletonLabels(["person"], NAMES)
    a = fol.Keypoint(
        label="person", points=[[0.1, 0.1], [NAN, NAN], [NAN, NAN]]
    )
    b = fol.Keypoint(
        label="person", points=[[0.5, 0.5], [NAN, NAN], [NAN, NAN]]
    )
    results = to_ls_keypoints([a, b], "kp", W, H, sk)
    results.append(_pt("newpt00005", "left_eye", 20, 20))
    results.append(_pt("newpt00006", "left_eye", 30, 30))  # a 2nd one
    labels = from_ls_keypoints(results, None, [], sk)
    assert len(labels) == 4
    new = [x for x in labels if x.id not in (a.id, b.id)]
    assert [_points(x)[1] for x in new] == [[0.2, 0.2], [0.3, 0.3]]


def test_two_regions_for_one_point_are_reported():
    sk = SkeletonLabels(["person"], NAMES)
    kp = fol.Keypoint(
        label="person", points=[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]
    )
    results = to_ls_keypoints([kp], "kp", W, H, sk)
    results[1]["value"]["keypointlabels"] = ["nose"]
    problems = []
    (label,) = from_ls_keypoints(results, None, problems, sk)
    assert len(problems) == 1 and "two regions" in problems[0][2]
    assert _points(label) == [[0.1, 0.1], [None, None], [0.3, 0.3]]


def test_whole_task_with_skeleton_and_several_classes():
    schema = {
        "kp": {
            "type": "keypoints",
            "classes": ["person", "cat"],
            "skeleton": NAMES,
        }
    }
    person = fol.Keypoint(
        label="person", points=[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]
    )
    cat = fol.Keypoint(
        label="cat", points=[[0.6, 0.6], [NAN, NAN], [NAN, NAN]]
    )
    task = sample_to_task(
        "a" * 24,
        "u",
        "m",
        {"kp": fol.Keypoints(keypoints=[person, cat])},
        schema,
        W,
        H,
    )
    results = task["predictions"][0]["result"]
    assert [r["value"]["keypointlabels"][0] for r in results] == [
        "person: nose",
        "person: left_eye",
        "person: right_eye",
        "cat: nose",
    ]
    results.append(_pt("newpt00007", "cat: right_eye", 70, 70))
    labels, problems, _ = task_to_labels(task["data"], results, schema)
    assert problems == []
    got = labels["kp"]["keypoints"]
    assert _points(got[person.id]) == [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]
    assert _points(got[cat.id]) == [[0.6, 0.6], [None, None], [0.7, 0.7]]
