"""converters.region_ids finds the ids the old json.dumps + regex found."""

import json
import re

from fiftyone_labelstudio.converters.region_ids import carried_ids

_ID = re.compile(r"[0-9a-f]{24}")
A, B, C = "a" * 24, "0123456789abcdef01234567", "fedcba9876543210fedcba98"


def _by_json(*values):
    return set(_ID.findall(json.dumps(list(values))))


def test_same_ids_as_the_json_text():
    data = {
        "image": "/data/upload/1/x.jpg",
        "fiftyone": {"sample_id": A, "hints": {B: {"label": "cat"}}},
        "class_ids": {"dog": [C]},
    }
    results = [
        {"id": B + "_0_2", "from_name": "gt", "value": {"x": 1.5}},
        {"id": "ls-made", "parentID": C, "value": {"choices": ["x"]}},
        {"id": "%s%s" % (A, B)},  # a longer hex run: its first 24
        {"id": 123456789012345678901234567},
        {"value": True, "score": 0.5, "nothing": None},
    ]
    assert carried_ids(data, results) == _by_json(data, results)
    assert {A, B, C} <= carried_ids(data, results)


def test_nothing_carried():
    assert carried_ids(None, []) == set()
    assert carried_ids({"image": "x.jpg"}, [{"id": "abc"}]) == set()
