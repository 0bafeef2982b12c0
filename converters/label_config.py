"""The Label Studio labeling config (XML) of a FiftyOne label schema.

``build_label_config(label_schema)`` writes one ``<Image>`` tag and, per
field, a ``<Header>`` with the field name and one control tag named
``names.control_name(field)``:

===============================  ==========================================
FiftyOne type                    control
===============================  ==========================================
classification                   ``Choices choice="single-radio"``
classifications                  ``Choices choice="multiple"``
detection(s)                     ``RectangleLabels``
instance(s)                      ``BrushLabels``
polygon(s)                       ``PolygonLabels``
polyline(s)                      ``VectorLabels closable="true"`` (open or
                                 closed lines; Label Studio >= 1.21)
keypoint(s)                      ``KeyPointLabels``
segmentation                     ``BrushLabels`` with the mask target names
scalar                           ``Number`` (int, float), ``TextArea``
                                 (str), ``Choices`` (bool, or str with
                                 classes) -- decided by ``scalars``
===============================  ==========================================

The XML is built with ElementTree, so class names need no escaping; only
characters XML 1.0 cannot carry at all (most control characters) are
refused with a ValueError naming the class.

Label attributes (:mod:`.attributes`) follow their field's control:
per-region controls inside ``<View visibleWhen="region-selected"
whenTagName="<field control>">`` (attributes of some classes only in a
nested view with ``whenLabelValue``), image-level controls for
classification fields. Keypoint fields with a ``skeleton`` get one label
per (class, point name) (:class:`.keypoints.SkeletonLabels`).
"""

import re
import xml.etree.ElementTree as ET

from . import attributes as ac
from . import scalars as sc
from .classes import class_names_error, flat_classes
from .names import IMAGE_TAG_NAME, control_name
from .label_types import polyline_result_type, skeleton_of

# FiftyOne type -> (control tag, child tag, extra attributes)
_REGION_TAGS = {
    "detection": "RectangleLabels",
    "detections": "RectangleLabels",
    "instance": "BrushLabels",
    "instances": "BrushLabels",
    "polygon": "PolygonLabels",
    "polygons": "PolygonLabels",
    "keypoint": "KeyPointLabels",
    "keypoints": "KeyPointLabels",
    "segmentation": "BrushLabels",
}
_POLYLINE_TAGS = {
    "polygonlabels": "PolygonLabels",
    "vectorlabels": "VectorLabels",
}
_CHOICE_MODES = {
    "classification": "single-radio",
    "classifications": "multiple",
}
_SCALAR_TAGS = {
    sc.NUMBER: "Number",
    sc.TEXTAREA: "TextArea",
    sc.CHOICES: "Choices",
}
_CHILD_TAGS = {"Choices": "Choice"}  # every other control: "Label"

# Characters XML 1.0 cannot represent, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def build_label_config(label_schema: dict) -> str:
    """The labeling config XML for ``{field: {"type", "classes", ...}}``."""
    if not label_schema:
        raise ValueError("the label schema has no fields")
    ac.controls_of(label_schema)  # names must not collide
    view = ET.Element("View")
    ET.SubElement(
        view, "Image", name=IMAGE_TAG_NAME, value="$" + IMAGE_TAG_NAME
    )
    view[0].set("zoom", "true")
    for field, info in label_schema.items():
        check_xml_text(field, "field name")
        ET.SubElement(view, "Header", value=field)
        view.append(field_control(field, info))
        attributes = attribute_controls(field, info)
        if not attributes:
            continue
        if info.get("type") in ac.IMAGE_LEVEL_TYPES:
            view.extend(attributes)
        else:
            region_view = ET.SubElement(
                view,
                "View",
                visibleWhen="region-selected",
                whenTagName=control_name(field),
            )
            region_view.extend(attributes)
    return ET.tostring(view, encoding="unicode")


def field_control(field: str, info: dict) -> ET.Element:
    """The control tag of one field."""
    label_type = info.get("type")
    attrs = {"name": control_name(field), "toName": IMAGE_TAG_NAME}
    if label_type in _CHOICE_MODES:
        tag, labels = "Choices", control_classes(field, info)
        attrs["choice"] = _CHOICE_MODES[label_type]
    elif label_type in ("polyline", "polylines"):
        tag = _POLYLINE_TAGS[polyline_result_type(info)]
        labels = control_classes(field, info)
        if tag == "VectorLabels":
            attrs["closable"] = "true"
    elif label_type == "segmentation":
        tag, labels = "BrushLabels", _target_names(field, info)
    elif label_type in ("keypoint", "keypoints") and skeleton_of(info):
        tag = "KeyPointLabels"
        labels = _unique(field, skeleton_of(info).values())
    elif label_type in _REGION_TAGS:
        tag, labels = _REGION_TAGS[label_type], control_classes(field, info)
    elif label_type == "scalar":
        return _scalar_control(field, info, attrs)
    else:
        raise ValueError(
            "field %r: label type %r is not supported" % (field, label_type)
        )
    return _control(tag, attrs, labels)


def attribute_controls(field: str, info: dict) -> list:
    """The attribute controls of a field, each after a ``<Header>``
    naming the attribute; attributes of some classes only sit in a
    ``<View>`` shown for regions of those classes."""
    out = []
    for spec in ac.control_specs(field, info):
        check_xml_text(spec["name"], "attribute name of field %r" % field)
        header = ET.Element("Header", value=spec["name"], size="6")
        control = _control(
            spec["tag"], spec["attrs"], _unique(field, spec["choices"])
        )
        classes = spec["classes"]
        if classes is None or info.get("type") in ac.IMAGE_LEVEL_TYPES:
            out.extend([header, control])
            continue
        skeleton = skeleton_of(info)
        values = skeleton.values(classes) if skeleton else classes
        view = ET.Element(
            "View",
            visibleWhen="region-selected",
            whenTagName=control_name(field),
            whenLabelValue=",".join(values),
        )
        view.extend([header, control])
        out.append(view)
    return out


def _scalar_control(field, info, attrs) -> ET.Element:
    scalar_type = info.get("scalar_type")
    classes = flat_classes(info)
    tag = _SCALAR_TAGS[sc.scalar_control_type(scalar_type, classes)]
    if tag == "Choices":
        attrs["choice"] = "single-radio"
        choices = sc.scalar_choices(scalar_type, classes)
        return _control(tag, attrs, _unique(field, choices))
    if tag == "Number":
        attrs["step"] = "1" if scalar_type == "int" else "any"
        for key in ("min", "max"):  # a range from the App label schema
            if ac.finite(info.get(key)) is not None:
                attrs[key] = str(info[key])
    else:
        attrs["maxSubmissions"] = "1"
        attrs["editable"] = "true"
    return ET.Element(tag, attrs)


def _control(tag: str, attrs: dict, labels: list) -> ET.Element:
    element = ET.Element(tag, attrs)
    child = _CHILD_TAGS.get(tag, "Label")
    for label in labels:
        ET.SubElement(element, child, value=label)
    return element


def control_classes(field: str, info: dict) -> list:
    """The field's class names, each once (the field must list some)."""
    classes = _unique(field, flat_classes(info))
    error = class_names_error(field, classes, required=True)
    if error is not None:
        raise ValueError(error)
    return classes


def _target_names(field, info) -> list:
    """Brush labels of a segmentation field: its mask target names."""
    targets = info.get("mask_targets") or {}
    names = [str(name) for _, name in sorted(_int_keys(field, targets))]
    if not names:
        names = flat_classes(info)
    if not names:
        raise ValueError(
            "segmentation field %r has no mask_targets (or classes)" % field
        )
    return _unique(field, names)


def _int_keys(field, targets):
    for key, name in targets.items():
        try:
            yield int(key), name
        except (TypeError, ValueError):
            raise ValueError(
                "segmentation field %r: only integer mask targets are "
                "supported (RGB targets are not), got %r" % (field, key)
            ) from None


def _unique(field, labels) -> list:
    """Labels in order without repeats, each checked for XML."""
    seen, out = set(), []
    for label in labels:
        check_xml_text(label, "class of field %r" % field)
        if label not in seen:
            seen.add(label)
            out.append(label)
    return out


def check_xml_text(text: str, what: str) -> None:
    """ValueError naming ``what`` when ``text`` has characters XML 1.0
    cannot carry."""
    bad = _NOT_XML.search(text)
    if bad is not None:
        raise ValueError(
            "%s %r contains %r, which an XML label config cannot carry"
            % (what, text, bad.group())
        )


# --- reading -----------------------------------------------------------


def parse_label_config(xml: str) -> dict:
    """``{control name: {"tag", "type", "to_name", "labels", ...}}``.

    ``type`` is the result type (lower-case tag); ``choice``,
    ``per_region`` and ``closable`` are present when set.
    """
    root = ET.fromstring(xml)
    controls = {}
    for element in root.iter():
        name, to_name = element.get("name"), element.get("toName")
        if name is None or to_name is None:
            continue
        info = {
            "tag": element.tag,
            "type": element.tag.lower(),
            "to_name": to_name,
            "labels": [
                child.get("value")
                for child in element
                if child.tag in ("Label", "Choice")
            ],
        }
        for attr, key in (
            ("choice", "choice"),
            ("perRegion", "per_region"),
            ("closable", "closable"),
        ):
            if element.get(attr) is not None:
                info[key] = element.get(attr)
        controls[name] = info
    return controls
