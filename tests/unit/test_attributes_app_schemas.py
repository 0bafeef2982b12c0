"""FiftyOne App label schemas -> annotate() label schemas (pure)."""

from fiftyone_labelstudio.converters.app_schemas import (
    to_attribute,
    to_label_schema,
)
from fiftyone_labelstudio.converters.label_config import (
    build_label_config,
)

# what fiftyone 1.22's generate_label_schemas() wrote for a small dataset
APP = {
    "caption": {"component": "radio", "type": "str", "values": ["x", "y"]},
    "created_at": {
        "component": "datepicker",
        "read_only": True,
        "type": "datetime",
    },
    "filepath": {"component": "text", "type": "str"},
    "gt": {
        "attributes": [
            {
                "component": "slider",
                "name": "age",
                "range": [3, 7],
                "type": "int",
            },
            {
                "component": "text",
                "name": "id",
                "read_only": True,
                "type": "id",
            },
            {
                "component": "radio",
                "name": "kind",
                "type": "str",
                "values": ["pet", "wild"],
                "default": "pet",
            },
            {"component": "toggle", "name": "occluded", "type": "bool"},
            {"component": "text", "name": "tags", "type": "list<str>"},
            {
                "component": "checkboxes",
                "name": "tags2",
                "type": "list<str>",
                "values": ["a"],
            },
            {
                "component": "slider",
                "name": "weight",
                "range": [1.0, 2.5],
                "type": "float",
            },
            {"component": "text", "name": "confidence", "type": "float"},
            {"component": "json", "name": "meta", "type": "dict"},
            {
                "component": "text",
                "name": "ratio",
                "type": "float",
                "precision": 2,
            },
            {
                "component": "dropdown",
                "name": "size",
                "type": "int",
                "values": [1, 2],
            },
            {
                "component": "text",
                "name": "note",
                "type": "str",
                "read_only": True,
            },
        ],
        "classes": ["cat", "dog"],
        "component": "radio",
        "type": "detections",
    },
    "id": {"component": "text", "read_only": True, "type": "id"},
    "metadata.width": {"component": "text", "type": "int"},
    "pl": {
        "attributes": [
            {"component": "toggle", "name": "closed", "type": "bool"},
            {"component": "toggle", "name": "filled", "type": "bool"},
        ],
        "classes": ["road"],
        "component": "radio",
        "type": "polylines",
    },
    "score": {"component": "slider", "type": "float", "range": [0, 1]},
    "verified": {"component": "toggle", "type": "bool"},
    "weather": {
        "attributes": [
            {"component": "text", "name": "strength", "type": "int"}
        ],
        "classes": ["sun"],
        "component": "radio",
        "type": "classification",
    },
}


def test_label_fields_by_default():
    schema = to_label_schema(APP)
    assert sorted(schema) == ["gt", "pl", "weather"]
    assert schema["gt"] == {
        "type": "detections",
        "classes": ["cat", "dog"],
        "attributes": {
            "age": {"type": "number", "integer": True, "min": 3, "max": 7},
            "kind": {
                "type": "radio",
                "values": ["pet", "wild"],
                "default": "pet",
            },
            "occluded": {"type": "checkbox"},
            "tags2": {"type": "checkboxes", "values": ["a"]},
            "weight": {"type": "number", "min": 1.0, "max": 2.5},
            "ratio": {"type": "number", "step": 0.01},
            "size": {"type": "select", "values": [1, 2]},
        },
    }
    assert schema["pl"]["attributes"] == {}  # closed/filled are geometry
    assert schema["weather"]["attributes"] == {
        "strength": {"type": "number", "integer": True}
    }


def test_named_fields_include_primitives():
    schema = to_label_schema(
        APP,
        [
            "gt",
            "caption",
            "score",
            "verified",
            "filepath",
            "metadata.width",
            "created_at",
            "missing",
        ],
    )
    assert sorted(schema) == ["caption", "gt", "score", "verified"]
    assert schema["caption"] == {"type": "scalar", "classes": ["x", "y"]}
    assert schema["score"] == {"type": "scalar"}


def test_the_result_builds_a_label_config():
    schema = to_label_schema(APP, ["gt", "weather"])
    xml = build_label_config(schema)
    assert 'name="gt__age"' in xml and 'min="3" max="7" step="1"' in xml
    assert 'name="gt__ratio"' in xml and 'step="0.01"' in xml


def test_attributes_without_a_lossless_control_are_left_out():
    for attr in [
        {"type": "date", "component": "datepicker"},
        {"type": "dict", "component": "json"},
        {"type": "list<int>", "component": "text"},
        {"type": "id", "component": "text", "read_only": True},
        {"type": "str", "component": "text", "read_only": True},
    ]:
        assert to_attribute(attr) is None, attr


def test_bad_defaults_are_dropped():
    assert to_attribute(
        {"type": "str", "component": "radio", "values": ["a"], "default": "b"}
    ) == {"type": "radio", "values": ["a"]}
    assert to_attribute({"type": "bool", "default": "yes"}) == {
        "type": "checkbox"
    }
    assert to_attribute({"type": "bool", "default": True}) == {
        "type": "checkbox",
        "default": True,
    }
