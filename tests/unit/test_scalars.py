"""Primitive fields <-> Number / TextArea / Choices results."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.converters import scalars as sc
from fiftyone_labelstudio.converters.results import ResultError

W, H = 64, 48


def _round_trip(value, scalar_type=None, classes=None):
    results = sc.to_ls_scalar(value, "f", W, H, scalar_type, classes)
    results = json.loads(json.dumps(results, allow_nan=False))
    problems = []
    back = sc.from_ls_scalar(
        results, scalar_type or sc.scalar_type_of(value), classes, problems
    )
    assert problems == []
    return results, back


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.booleans(),
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
    )
)
def test_round_trip_keeps_value_and_type(value):
    _, back = _round_trip(value)
    assert type(back) is type(value)
    assert back == value


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["a", "b & <c>", "ünï"]))
def test_str_with_classes_uses_choices(value):
    results, back = _round_trip(value, "str", ["a", "b & <c>", "ünï"])
    assert results[0]["type"] == "choices"
    assert results[0]["value"] == {"choices": [value]}
    assert back == value


def test_result_shapes():
    (n,) = sc.to_ls_scalar(3, "count", W, H)
    assert n == {
        "id": "count",
        "from_name": "count",
        "to_name": "image",
        "type": "number",
        "original_width": W,
        "original_height": H,
        "image_rotation": 0,
        "value": {"number": 3},
    }
    (b,) = sc.to_ls_scalar(False, "flag", W, H)
    assert (b["type"], b["value"]) == ("choices", {"choices": ["false"]})
    (t,) = sc.to_ls_scalar("x", "note", W, H)
    assert (t["type"], t["value"]) == ("textarea", {"text": ["x"]})
    (f,) = sc.to_ls_scalar(2.0, "v", W, H, "float")
    assert f["value"] == {"number": 2.0}


def test_nothing_is_sent_for_none_and_non_finite():
    assert sc.to_ls_scalar(None, "f", W, H) == []
    assert sc.to_ls_scalar(math.nan, "f", W, H) == []
    assert sc.to_ls_scalar(math.inf, "f", W, H, "float") == []
    assert sc.from_ls_scalar([], "int") is None


def test_control_types():
    assert sc.scalar_control_type("int") == "number"
    assert sc.scalar_control_type("float", ["1"]) == "number"
    assert sc.scalar_control_type("str") == "textarea"
    assert sc.scalar_control_type("str", ["a"]) == "choices"
    assert sc.scalar_control_type("bool") == "choices"
    assert sc.scalar_choices("bool") == ["true", "false"]
    assert sc.scalar_choices("str", ["a", 1]) == ["a", "1"]


def test_frontend_shapes_load():
    # shapes the Label Studio frontend serializes for image-level controls
    number = {
        "id": "n1",
        "from_name": "f",
        "to_name": "image",
        "type": "number",
        "origin": "manual",
        "value": {"number": 42},
    }
    text = {
        "id": "t1",
        "from_name": "f",
        "to_name": "image",
        "type": "textarea",
        "origin": "manual",
        "value": {"text": ['partly hidden <&"> ünïcode', "2nd"]},
    }
    choice = {"id": "57IzTrZ25L", "from_name": "f", "to_name": "image",
              "type": "choices", "origin": "manual",
              "value": {"choices": ["true"]}}  # fmt: skip
    assert sc.from_ls_scalar([number], "int") == 42
    assert sc.from_ls_scalar([number], "float") == 42.0
    assert type(sc.from_ls_scalar([number], "float")) is float
    assert sc.from_ls_scalar([number], None) == 42
    assert sc.from_ls_scalar([text], "str") == (
        'partly hidden <&"> ünïcode\n2nd'
    )
    assert sc.from_ls_scalar([choice], "bool") is True
    assert sc.from_ls_scalar([choice], "str") == "true"


@pytest.mark.parametrize(
    "result, scalar_type, reason",
    [
        ({"type": "number", "value": {"number": 2.5}}, "int", "not an int"),
        ({"type": "number", "value": {"number": "x"}}, "int", "not a num"),
        ({"type": "number", "value": {"number": True}}, "float", "not a n"),
        ({"type": "number", "value": {}}, "float", "not a number"),
        ({"type": "choices", "value": {"choices": ["yes"]}}, "bool", "true"),
        ({"type": "choices", "value": {"choices": []}}, "bool", "one ch"),
        ({"type": "textarea", "value": {"text": "x"}}, "str", "list of"),
        ({"type": "rectanglelabels", "value": {}}, "str", "not a scalar"),
        ({"type": "number", "value": 3}, "int", "no 'value'"),
    ],
)
def test_malformed_results_are_reported(result, scalar_type, reason):
    result = dict(result, id="bad", from_name="f")
    problems = []
    assert sc.from_ls_scalar([result], scalar_type, None, problems) is None
    assert problems[0][:2] == ("f", "bad") and reason in problems[0][2]
    with pytest.raises(ResultError):
        sc.from_ls_scalar([result], scalar_type)


def test_second_result_is_reported_and_ignored():
    results = sc.to_ls_scalar(1, "f", W, H) + sc.to_ls_scalar(2, "f", W, H)
    problems = []
    assert sc.from_ls_scalar(results, "int", None, problems) == 1
    assert problems == [("f", "f", "field holds one value; ignored")]
