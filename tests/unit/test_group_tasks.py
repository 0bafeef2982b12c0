"""converters.group_tasks: one task per group, split back per slice."""

import copy
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.converters.group_tasks import (
    group_label_config,
    is_group_task,
    merge_slice_tasks,
    slice_names,
    split_group_task,
)
from fiftyone_labelstudio.converters.label_config import build_label_config

SCHEMA = {
    "gt": {
        "type": "detections",
        "classes": ["car", "person"],
        "attributes": {
            "occluded": {"type": "checkbox", "values": [True, False]}
        },
    },
    "weather": {"type": "classification", "classes": ["sun", "rain"]},
}

_slice = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=12,
)
_slices = st.lists(_slice, min_size=1, max_size=4, unique=True)


def _result(control, i):
    return {
        "id": "%024x" % i,
        "from_name": control,
        "to_name": "image",
        "type": "rectanglelabels",
        "value": {"x": i, "y": 1.5, "width": 2, "height": 3},
    }


def _slice_task(n, controls):
    return {
        "data": {
            "image": "/data/upload/%d.png" % n,
            "fiftyone": {"sample_id": "%024x" % n, "media": "/x/%d.png" % n},
        },
        "predictions": [
            {
                "model_version": "fiftyone",
                "result": [
                    _result(c, 100 * n + i) for i, c in enumerate(controls)
                ],
            }
        ],
    }


@settings(max_examples=60, deadline=None)
@given(_slices, st.data())
def test_split_of_the_merged_prediction_gives_each_slice_task_back(
    slices, data
):
    names = slice_names(build_label_config(SCHEMA), slices)
    controls = ["gt", "gt__occluded", "weather"]
    tasks = {
        s: _slice_task(
            n,
            data.draw(st.lists(st.sampled_from(controls), max_size=5)),
        )
        for n, s in enumerate(slices)
    }
    group = merge_slice_tasks("g" * 24, copy.deepcopy(tasks), names)
    assert is_group_task(group["data"])
    # one data key per slice image, every result bound to its slice image
    images = {names[s]["image"] for s in slices}
    assert images <= set(group["data"])
    results = group.get("predictions", [{"result": []}])[0]["result"]
    assert all(r["to_name"] in images for r in results)
    assert len(results) == sum(
        len(t["predictions"][0]["result"]) for t in tasks.values()
    )

    # what Label Studio gives back: the prediction submitted unchanged
    read = {
        "id": 7,
        "data": group["data"],
        "annotations": [{"id": 3, "result": copy.deepcopy(results)}],
    }
    parts = dict(split_group_task(read, names))
    assert list(parts) == slices
    for slice_, part in parts.items():
        original = tasks[slice_]
        assert part["id"] == 7
        assert part["data"]["image"] == original["data"]["image"]
        assert part["data"]["fiftyone"] == dict(
            original["data"]["fiftyone"], slice=slice_
        )
        assert (
            part["annotations"][0]["result"]
            == original["predictions"][0]["result"]
        )


@settings(max_examples=60, deadline=None)
@given(_slices)
def test_group_config_binds_each_slice_control_to_its_image(slices):
    single = build_label_config(SCHEMA)
    names = slice_names(single, slices)
    root = ET.fromstring(group_label_config(single, names))
    images = {e.get("name"): e.get("value") for e in root.iter("Image")}
    assert images == {
        names[s]["image"]: "$" + names[s]["image"] for s in slices
    }
    bound = {
        e.get("name"): e.get("toName")
        for e in root.iter()
        if e.get("toName") is not None
    }
    expected = {
        names[s][c]: names[s]["image"]
        for s in slices
        for c in ("gt", "gt__occluded", "weather")
    }
    assert bound == expected
    shown = {e.get("whenTagName") for e in root.iter("View")} - {None}
    assert shown == {names[s]["gt"] for s in slices}
    # names are unique and reversible
    flat = [n for s in slices for n in names[s].values()]
    assert len(set(flat)) == len(flat)


def test_names_are_field_underscore_slice_for_identifiers():
    names = slice_names(build_label_config(SCHEMA), ["left", "right"])
    assert names["left"] == {
        "image": "image_left",
        "gt": "gt_left",
        "gt__occluded": "gt__occluded_left",
        "weather": "weather_left",
    }


def test_colliding_names_are_refused():
    schema = {
        "gt": {"type": "classification", "classes": ["a"]},
        "gt_x": {"type": "classification", "classes": ["a"]},
    }
    with pytest.raises(ValueError, match="would both be called 'gt_x_y'"):
        slice_names(build_label_config(schema), ["x_y", "y"])


def test_results_of_other_images_and_unknown_names():
    names = slice_names(build_label_config(SCHEMA), ["left", "right"])
    task = {
        "id": 1,
        "data": {
            "image_left": "a",
            "image_right": "b",
            "fiftyone": {
                "group_id": "g",
                "slices": {"left": {"sample_id": "1"}, "gone": {}},
            },
        },
        "annotations": [
            {
                "result": [
                    dict(_result("gt_left", 1), to_name="image_left"),
                    dict(_result("gt_right", 2), to_name="image_right"),
                    dict(_result("drawn", 3), to_name="image_left"),
                ]
            }
        ],
    }
    parts = split_group_task(task, names)
    assert [s for s, _ in parts] == ["left"]  # "gone": not a run slice
    results = parts[0][1]["annotations"][0]["result"]
    assert [(r["from_name"], r["to_name"]) for r in results] == [
        ("gt", "image"),
        ("drawn", "image"),  # a name the run does not know: kept
    ]


def test_a_task_that_is_not_a_group_task_comes_back_whole():
    task = {"id": 1, "data": {"image": "a", "fiftyone": {"sample_id": "x"}}}
    assert split_group_task(task, {}) == [(None, task)]
    assert not is_group_task(task["data"])
