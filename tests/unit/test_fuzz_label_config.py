"""Fuzzing the label-config builder: any class names (XML specials,
quotes, emoji, whitespace, look-alike markup) come back unchanged from the
XML, in order, under the expected controls, and never add elements."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from fiftyone_labelstudio.converters.label_config import (
    build_label_config,
    parse_label_config,
)
from fiftyone_labelstudio.converters.names import control_name

# Characters XML 1.0 can carry (no C0 controls except tab/newline/CR,
# no surrogates, no U+FFFE/U+FFFF)
xml_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(
            chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"
        )
        + "\ufffe\uffff",
    ),
    min_size=1,
    max_size=30,
)
markup = st.sampled_from(
    [
        '"/><Label value="x',
        "</Labels><TextArea name='evil' toName='image'/>",
        "&amp;",
        "&lt;b&gt;",
        "<!-- c -->",
        "]]>",
        "<![CDATA[x]]>",
        "'\"",
        "🐱‍👤",
        "$image",
        " padded ",
    ]
)
class_names = st.lists(
    st.one_of(xml_text, markup), min_size=1, max_size=25, unique=True
)
label_types = st.sampled_from(
    [
        "classification",
        "classifications",
        "detections",
        "instances",
        "polylines",
        "polygons",
        "keypoints",
    ]
)
field_names = st.one_of(
    st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,20}\Z"),
    st.text(
        alphabet=string.ascii_letters + string.digits + " -_ü",
        min_size=1,
        max_size=20,
    ),
)

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _label_values(xml: str) -> dict:
    """``{control name: [value of each child]}`` read with lxml."""
    root = etree.fromstring(xml.encode("utf-8"))
    out = {}
    for element in root.iter():
        if element.get("toName") is not None:
            out[element.get("name")] = [
                child.get("value")
                for child in element
                if child.get("value") is not None
            ]
    return out


@FUZZ
@given(
    st.dictionaries(
        field_names,
        st.tuples(label_types, class_names),
        min_size=1,
        max_size=4,
    )
)
def test_class_names_parse_back_unchanged(fields):
    controls = {control_name(f) for f in fields}
    if len(controls) != len(fields):
        return  # two fields with one control name are refused earlier
    schema = {
        f: {"type": t, "classes": list(classes)}
        for f, (t, classes) in fields.items()
    }
    xml = build_label_config(schema)
    values = _label_values(xml)
    assert set(values) == controls
    parsed = parse_label_config(xml)
    for field, (_, classes) in fields.items():
        name = control_name(field)
        assert values[name] == list(classes)
        assert list(parsed[name]["labels"]) == list(classes)


@FUZZ
@given(st.dictionaries(st.integers(1, 255), xml_text, min_size=1, max_size=20))
def test_mask_target_names_parse_back(targets):
    if len(set(targets.values())) != len(targets):
        return
    schema = {"seg": {"type": "segmentation", "mask_targets": targets}}
    values = _label_values(build_label_config(schema))
    assert sorted(values["seg"]) == sorted(targets.values())


@FUZZ
@given(class_names)
def test_scalar_choices_parse_back(classes):
    schema = {
        "s": {"type": "scalar", "scalar_type": "str", "classes": classes}
    }
    values = _label_values(build_label_config(schema))
    assert values["s"] == classes


def test_thousand_classes():
    classes = ["c%04d <&> \"'" % i for i in range(1000)]
    xml = build_label_config({"d": {"type": "detections", "classes": classes}})
    assert _label_values(xml)["d"] == classes
