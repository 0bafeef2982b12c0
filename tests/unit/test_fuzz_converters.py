"""Fuzzing the load path: arbitrary JSON-ish Label Studio results never
raise; every result that cannot load is reported as a problem, and a good
result among garbage still loads."""

import math

import numpy as np
import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fiftyone.core.labels as fol

from fiftyone_labelstudio.converters.attributes import control_specs
from fiftyone_labelstudio.converters.rle import decode_rle, encode_rle
from fiftyone_labelstudio.converters.label_types import RETURN_TYPES
from fiftyone_labelstudio.converters.task_read import task_to_labels

CLASSES = ["cat", "dog"]
SCHEMA = {
    "cls": {
        "type": "classification",
        "classes": CLASSES,
        "attributes": {"conf": {"type": "number"}},
    },
    "clss": {"type": "classifications", "classes": CLASSES},
    "det": {
        "type": "detections",
        "classes": CLASSES,
        "attributes": {
            "mood": {"type": "select", "values": ["calm", "wild"]},
            "note": {"type": "text"},
            "flag": {"type": "checkbox"},
            "n": {"type": "number"},
            "many": {"type": "checkboxes", "values": ["x", "y"]},
        },
    },
    "inst": {"type": "instances", "classes": CLASSES},
    "poly": {"type": "polylines", "classes": CLASSES},
    "polyg": {"type": "polygons", "classes": CLASSES},
    "kp": {"type": "keypoints", "classes": CLASSES},
    "seg": {"type": "segmentation", "mask_targets": {1: "cat", 2: "dog"}},
    "num": {"type": "scalar", "scalar_type": "float"},
    "txt": {"type": "scalar", "scalar_type": "str"},
    "flag": {"type": "scalar", "scalar_type": "bool"},
    "pick": {"type": "scalar", "scalar_type": "int", "classes": ["1", "2"]},
}
# the fields' controls, their attribute controls, and strangers
CONTROLS = (
    list(SCHEMA)
    + [
        spec["attrs"]["name"]
        for field, info in SCHEMA.items()
        for spec in control_specs(field, info)
    ]
    + ["unknown", "", "image"]
)
RESULT_TYPES = [
    "choices",
    "rectanglelabels",
    "brushlabels",
    "polygonlabels",
    "vectorlabels",
    "keypointlabels",
    "number",
    "textarea",
    "labels",
    "ellipselabels",
    "taxonomy",
]
VALUE_KEYS = [
    "x",
    "y",
    "width",
    "height",
    "rotation",
    "choices",
    "rectanglelabels",
    "brushlabels",
    "polygonlabels",
    "vectorlabels",
    "keypointlabels",
    "points",
    "vertices",
    "closed",
    "format",
    "rle",
    "number",
    "text",
]

numbers = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-10, 110),
)
json_ish = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12)),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=8), children, max_size=5),
    ),
    max_leaves=20,
)
label_ids = st.builds(lambda: str(ObjectId()))
region_ids = st.one_of(
    label_ids,
    st.builds(
        lambda i, a, b: "%s_%d_%d" % (i, a, b),
        label_ids,
        st.integers(-2, 5),
        st.integers(-2, 5),
    ),
    st.text(max_size=12),
    st.integers(),
    st.none(),
    json_ish,
)
class_lists = st.one_of(
    st.lists(st.sampled_from(CLASSES + ["zebra", "1", "2", ""]), max_size=3),
    json_ish,
)
points = st.one_of(
    st.lists(st.lists(numbers, min_size=0, max_size=3), max_size=6),
    json_ish,
)
rles = st.one_of(
    st.lists(st.integers(-5, 300), max_size=80),
    st.just(encode_rle(np.eye(4, dtype=np.uint8) * 255)),
    json_ish,
)
value_parts = {
    "x": numbers,
    "y": numbers,
    "width": numbers,
    "height": numbers,
    "rotation": numbers,
    "points": points,
    "vertices": points,
    "closed": json_ish,
    "format": st.sampled_from(["rle", "png", ""]),
    "rle": rles,
    "number": st.one_of(numbers, json_ish),
    "text": st.one_of(st.lists(st.text(max_size=6), max_size=2), json_ish),
}
values = st.fixed_dictionaries(
    {},
    optional={k: value_parts.get(k, class_lists) for k in VALUE_KEYS},
)
plausible_results = st.fixed_dictionaries(
    {
        "from_name": st.one_of(st.sampled_from(CONTROLS), json_ish),
        "type": st.one_of(st.sampled_from(RESULT_TYPES), json_ish),
        "value": st.one_of(values, json_ish),
    },
    optional={
        "id": region_ids,
        "to_name": st.sampled_from(["image", "other"]),
        "original_width": st.one_of(st.integers(-3, 5000), json_ish),
        "original_height": st.one_of(st.integers(-3, 5000), json_ish),
        "image_rotation": numbers,
        "score": numbers,
        "origin": st.text(max_size=6),
        "parentID": st.text(max_size=6),
    },
)
results_lists = st.lists(st.one_of(plausible_results, json_ish), max_size=12)
# Label Studio requires task data to be an object with the image key;
# everything inside it can be edited by anyone with access to the project
task_datas = st.one_of(
    st.fixed_dictionaries(
        {
            "image": st.text(max_size=5),
            "fiftyone": st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "sample_id": st.one_of(label_ids, json_ish),
                        "class_ids": st.one_of(
                            st.dictionaries(
                                st.sampled_from(CONTROLS),
                                st.dictionaries(
                                    st.sampled_from(CLASSES),
                                    st.one_of(label_ids, st.lists(label_ids)),
                                ),
                            ),
                            json_ish,
                        ),
                        "hints": json_ish,
                    },
                ),
                json_ish,
            ),
        }
    ),
    st.dictionaries(st.text(max_size=8), json_ish, max_size=3),
)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _check_label(label):
    assert isinstance(label, fol.Label)
    label.to_dict()  # serializable
    if isinstance(label, fol.Detection) and label.bounding_box is not None:
        assert len(label.bounding_box) == 4
        assert all(math.isfinite(v) for v in label.bounding_box)
    if isinstance(label, fol.Detection) and label.mask is not None:
        assert label.mask.ndim == 2
    if isinstance(label, fol.Polyline):
        for shape in label.points:
            for point in shape:
                assert len(point) == 2
                assert all(math.isfinite(v) for v in point)
    if isinstance(label, fol.Keypoint):
        for point in label.points:
            assert len(point) == 2
    if isinstance(label, fol.Segmentation):
        assert label.mask.ndim == 2


def _check_output(out):
    labels, problems, unexpected = out
    assert set(labels) == set(SCHEMA)
    for field, by_type in labels.items():
        expected = RETURN_TYPES[SCHEMA[field]["type"]]
        assert set(by_type) == {expected}, (field, by_type)
        if expected == "scalar":
            value = by_type["scalar"]
            assert value is None or isinstance(value, (bool, int, float, str))
            if isinstance(value, float):
                assert math.isfinite(value)
            continue
        for label_id, label in by_type[expected].items():
            assert label.id == label_id
            _check_label(label)
    for problem in problems:
        assert isinstance(problem, tuple) and len(problem) == 3
        assert isinstance(problem[2], str) and problem[2]
    for name, by_type in unexpected.items():
        for return_type, items in by_type.items():
            if return_type != "scalar":
                for label in items.values():
                    _check_label(label)


@FUZZ
@given(task_datas, results_lists)
def test_arbitrary_results_never_raise(task_data, results):
    _check_output(task_to_labels(task_data, results, SCHEMA))


@FUZZ
@given(json_ish)
def test_results_that_are_not_a_list_never_raise(results):
    if isinstance(results, (list, tuple)) or results is None:
        _check_output(task_to_labels({}, results, SCHEMA))
    else:
        try:
            out = task_to_labels({}, results, SCHEMA)
        except (TypeError, ValueError):
            return  # a clear refusal of a non-list is fine
        _check_output(out)


def _good_box(region_id):
    return {
        "id": region_id,
        "from_name": "det",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": 100,
        "original_height": 50,
        "image_rotation": 0,
        "value": {
            "x": 10,
            "y": 20,
            "width": 30,
            "height": 40,
            "rotation": 0,
            "rectanglelabels": ["cat"],
        },
    }


def _good_choice():
    return {
        "id": "goodchoice",
        "from_name": "cls",
        "to_name": "image",
        "type": "choices",
        "value": {"choices": ["dog"]},
    }


@FUZZ
@given(results_lists, st.randoms(use_true_random=False))
def test_good_results_load_among_garbage(garbage, rnd):
    region_id = str(ObjectId())
    garbage = [
        g
        for g in garbage
        if not (isinstance(g, dict) and g.get("id") in (region_id,))
        and not (isinstance(g, dict) and g.get("from_name") == "cls")
    ]
    results = garbage + [_good_box(region_id), _good_choice()]
    rnd.shuffle(results)
    labels, problems, _ = task_to_labels({}, results, SCHEMA)
    boxes = labels["det"]["detections"]
    assert region_id in boxes, problems
    assert boxes[region_id].label == "cat"
    assert np.allclose(boxes[region_id].bounding_box, [0.1, 0.2, 0.3, 0.4])
    choices = list(labels["cls"]["classifications"].values())
    assert [c.label for c in choices] == ["dog"]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(-300, 300), max_size=200),
        st.binary(max_size=200),
    ),
    st.integers(-2, 40),
    st.integers(-2, 40),
)
def test_rle_decode_refuses_garbage_with_value_error(rle, height, width):
    try:
        mask = decode_rle(rle, height, width)
    except ValueError:
        return
    assert mask.shape == (height, width)
    assert mask.dtype == np.uint8


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 30),
    st.integers(1, 30),
    st.data(),
)
def test_rle_round_trip(height, width, data):
    mask = np.array(
        data.draw(
            st.lists(
                st.sampled_from([0, 255]),
                min_size=height * width,
                max_size=height * width,
            )
        ),
        dtype=np.uint8,
    ).reshape(height, width)
    assert np.array_equal(decode_rle(encode_rle(mask), height, width), mask)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "5", None, []])
def test_each_bad_coordinate_is_one_problem(bad):
    good = _good_box(str(ObjectId()))
    broken = _good_box(str(ObjectId()))
    broken["value"]["x"] = bad
    labels, problems, _ = task_to_labels({}, [good, broken], SCHEMA)
    assert list(labels["det"]["detections"]) == [good["id"]]
    assert [p[1] for p in problems] == [broken["id"]]


ATTRIBUTE_CONTROLS = [c for c in CONTROLS if "__" in c]


@FUZZ
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "from_name": st.sampled_from(ATTRIBUTE_CONTROLS),
                "type": st.one_of(st.sampled_from(RESULT_TYPES), json_ish),
                "value": st.one_of(values, json_ish),
            },
            optional={"to_name": st.just("image")},
        ),
        max_size=6,
    )
)
def test_bad_attributes_of_a_good_region(attributes):
    """Per-region attribute results (same id as their region) with any
    content: the region still loads."""
    region_id = str(ObjectId())
    results = [_good_box(region_id)] + [
        dict(a, id=region_id) for a in attributes
    ]
    labels, problems, _ = task_to_labels({}, results, SCHEMA)
    _check_output((labels, problems, {}))
    assert region_id in labels["det"]["detections"], problems
