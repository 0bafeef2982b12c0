"""Label config XML and control / region names."""

import re
import time
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from label_studio_sdk.label_interface import LabelInterface

from fiftyone_labelstudio.converters.label_config import (
    build_label_config,
    parse_label_config,
)
from fiftyone_labelstudio.converters.names import (
    control_name,
    parse_region_id,
    region_id,
)

pytestmark = pytest.mark.unit

LABEL_ID = "5f8d254a5b5e5e2b3c1d0e9f"

SCHEMA = {
    "cls": {"type": "classification", "classes": ["a", "b"]},
    "tags": {
        "type": "classifications",
        "classes": [{"classes": ["x", "y"], "attributes": {}}, "z"],
    },
    "det": {"type": "detection", "classes": ["cat"]},
    "dets": {"type": "detections", "classes": ["cat", "dog", "cat"]},
    "inst": {"type": "instances", "classes": ["cat"]},
    "poly": {"type": "polygons", "classes": ["road"]},
    "line": {"type": "polyline", "classes": ["lane"]},
    "lines": {"type": "polylines", "classes": ["lane"]},
    "kp": {"type": "keypoints", "classes": ["person"]},
    "seg": {
        "type": "segmentation",
        "mask_targets": {"2": "road", 0: "background", 1: "sky"},
    },
    "count": {"type": "scalar", "scalar_type": "int"},
    "ratio": {"type": "scalar", "scalar_type": "float"},
    "ok": {"type": "scalar", "scalar_type": "bool"},
    "note": {"type": "scalar", "scalar_type": "str"},
    "weather": {"type": "scalar", "scalar_type": "str", "classes": ["sun"]},
    "ground truth.boxes": {"type": "detections", "classes": ["a"]},
}

EXPECTED = {
    "cls": ("Choices", ["a", "b"], {"choice": "single-radio"}),
    "tags": ("Choices", ["x", "y", "z"], {"choice": "multiple"}),
    "det": ("RectangleLabels", ["cat"], {}),
    "dets": ("RectangleLabels", ["cat", "dog"], {}),
    "inst": ("BrushLabels", ["cat"], {}),
    "poly": ("PolygonLabels", ["road"], {}),
    "line": ("VectorLabels", ["lane"], {"closable": "true"}),
    "lines": ("VectorLabels", ["lane"], {"closable": "true"}),
    "kp": ("KeyPointLabels", ["person"], {}),
    "seg": ("BrushLabels", ["background", "sky", "road"], {}),
    "count": ("Number", [], {}),
    "ratio": ("Number", [], {}),
    "ok": ("Choices", ["true", "false"], {"choice": "single-radio"}),
    "note": ("TextArea", [], {}),
    "weather": ("Choices", ["sun"], {"choice": "single-radio"}),
    "ground truth.boxes": ("RectangleLabels", ["a"], {}),
}


def test_every_type_gets_its_control():
    xml = build_label_config(SCHEMA)
    controls = parse_label_config(xml)
    assert set(controls) == {control_name(f) for f in SCHEMA}
    for field, (tag, labels, extra) in EXPECTED.items():
        info = controls[control_name(field)]
        assert info["tag"] == tag, field
        assert info["type"] == tag.lower()
        assert info["labels"] == labels, field
        assert info["to_name"] == "image"
        for key, value in extra.items():
            assert info[key] == value


def test_layout_image_headers_numbers():
    root = ET.fromstring(build_label_config(SCHEMA))
    assert root.tag == "View"
    image = root[0]
    assert (image.tag, image.attrib) == (
        "Image",
        {"name": "image", "value": "$image", "zoom": "true"},
    )
    headers = [e.get("value") for e in root if e.tag == "Header"]
    assert headers == list(SCHEMA)
    # each header is right before its field's control
    tags = list(root)
    for i, element in enumerate(tags):
        if element.tag == "Header":
            assert tags[i + 1].get("name") == control_name(
                element.get("value")
            )
    number = root.find("Number[@name='count']")
    assert number.get("step") == "1"
    assert root.find("Number[@name='ratio']").get("step") == "any"
    assert root.find("TextArea[@name='note']").get("maxSubmissions") == "1"


def test_sdk_label_interface_accepts_config():
    # The server validates configs with the same SDK class.
    interface = LabelInterface(build_label_config(SCHEMA))
    names = {c.name for c in interface.controls}
    assert names == {control_name(f) for f in SCHEMA}
    assert set(interface.get_control("dets").labels) == {"cat", "dog"}


def test_names_are_unique_for_the_server():
    # Label Studio rejects configs whose name="..." values repeat.
    xml = build_label_config(
        {"image": {"type": "detections", "classes": ["a"]}, **SCHEMA}
    )
    names = re.findall(r'name="([^"]*)"', xml)
    assert len(names) == len(set(names))
    assert names.count("image") == 1


xml_text = st.text(
    alphabet=st.characters(
        blacklist_categories=["Cs"],
        blacklist_characters="".join(
            map(chr, [*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF])
        ),
    ),
    min_size=1,
)


@given(st.lists(xml_text, min_size=1, max_size=20))
@settings(max_examples=300, deadline=None)
def test_any_class_names_survive(classes):
    for label_type in ["detections", "classifications", "segmentation"]:
        if label_type == "segmentation":
            info = {
                "type": label_type,
                "mask_targets": dict(enumerate(classes)),
            }
            expected = list(dict.fromkeys(classes))
        else:
            info = {"type": label_type, "classes": classes}
            expected = list(dict.fromkeys(classes))
        xml = build_label_config({"f": info})
        assert parse_label_config(xml)["f"]["labels"] == expected


@given(xml_text, st.sampled_from(["\x00", "\x07", "\x1f", "\ufffe", "\ud800"]))
@settings(max_examples=100, deadline=None)
def test_control_characters_are_refused_with_the_class(name, bad):
    cls = name + bad
    with pytest.raises(ValueError) as info:
        build_label_config({"f": {"type": "detections", "classes": [cls]}})
    assert repr(cls) in str(info.value)


def test_thousand_classes_fast():
    classes = ["class %d <&>" % i for i in range(1000)]
    started = time.perf_counter()
    xml = build_label_config(
        {
            "a": {"type": "detections", "classes": classes},
            "b": {"type": "classifications", "classes": classes},
        }
    )
    assert time.perf_counter() - started < 0.5
    assert parse_label_config(xml)["a"]["labels"] == classes


def test_bad_schemas():
    with pytest.raises(ValueError, match="no fields"):
        build_label_config({})
    with pytest.raises(ValueError, match="no classes"):
        build_label_config({"f": {"type": "detections"}})
    with pytest.raises(ValueError, match="not supported"):
        build_label_config({"f": {"type": "mystery", "classes": ["a"]}})
    with pytest.raises(ValueError, match="RGB"):
        build_label_config(
            {"f": {"type": "segmentation", "mask_targets": {"#ff00ff": "a"}}}
        )
    with pytest.raises(ValueError, match="mask_targets"):
        build_label_config({"f": {"type": "segmentation"}})


def test_segmentation_falls_back_to_classes():
    xml = build_label_config(
        {"s": {"type": "segmentation", "classes": ["1", "2"]}}
    )
    assert parse_label_config(xml)["s"]["labels"] == ["1", "2"]


# --- names -------------------------------------------------------------

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@given(st.text(min_size=1))
@settings(max_examples=300, deadline=None)
def test_control_names_are_identifiers(field):
    name = control_name(field)
    assert IDENTIFIER.match(name)
    assert control_name(field) == name  # deterministic
    if IDENTIFIER.match(field) and field != "image":
        assert name == field


@given(st.sets(st.text(min_size=1), min_size=2, max_size=30))
@settings(max_examples=200, deadline=None)
def test_control_names_are_distinct(fields):
    names = [control_name(f) for f in fields]
    assert len(set(names)) == len(names)


def test_control_name_examples():
    assert control_name("ground_truth") == "ground_truth"
    assert control_name("image") != "image"
    assert control_name("ground truth") != control_name("ground_truth")
    assert control_name("9lives").startswith("f_9lives__")
    assert control_name("ü").startswith("field__")
    with pytest.raises(ValueError):
        control_name("")


def test_region_ids():
    assert region_id(LABEL_ID) == LABEL_ID
    assert region_id(LABEL_ID, 3) == LABEL_ID + "_3"
    assert region_id(LABEL_ID, 0, 2) == LABEL_ID + "_0_2"
    assert parse_region_id(LABEL_ID + "_0_2") == (LABEL_ID, ("0", "2"))
    assert parse_region_id(LABEL_ID) == (LABEL_ID, ())
    assert parse_region_id("aB3xY9kLmQ") == (None, ())
    assert parse_region_id(None) == (None, ())
    assert parse_region_id(LABEL_ID.upper()) == (None, ())
    with pytest.raises(ValueError):
        region_id("nope", 1)
