"""Label attributes <-> per-region Label Studio controls and results.

A field's ``attributes`` (FiftyOne's annotation schema, ``{name: {"type",
"values", "default", ...}}``, plus per-class ones in ``classes`` groups)
become one control each, named ``<field control>__<attribute>``:

==============  =====================================  ==================
attribute type  control                                value in FiftyOne
==============  =====================================  ==================
text            ``TextArea`` (one line per region)     str
select          ``Choices layout="select"``            one of ``values``
radio           ``Choices choice="single-radio"``      one of ``values``
checkbox,       ``Choices choice="multiple"`` with     bool (unticked =
occluded        one choice (the attribute name)        False)
checkboxes      ``Choices choice="multiple"``          list of ``values``
number          ``Number`` (``min``, ``max``,          int (``integer``)
                ``step``)                              or float
==============  =====================================  ==================

Region fields get ``perRegion="true"`` controls; Label Studio stores each
value as a separate result that reuses the region id. A label that is
several regions (keypoints, multi-shape polylines) shows its attributes on
its first region. Classification fields get image-level controls; for a
``classifications`` field the values apply to all of its labels.

Values that cannot be shown (no region, a value outside ``values``, ...)
travel in the task-data hint ``{"attributes": {name: value}}`` and come
back unchanged unless the annotator sets the attribute. Detection
``rotation`` is the box rotation (geometry), never a control.

The schema side (specs, control names, control XML) is in
:mod:`.attribute_schema`; its public names are importable from here.
"""

from .attribute_schema import (  # noqa: F401 (public here too)
    TEXT,
    SELECT,
    RADIO,
    CHECKBOX,
    OCCLUDED,
    CHECKBOXES,
    NUMBER,
    ATTR_TYPES,
    BOOL_TYPES,
    VALUE_TYPES,
    HINT_KEY,
    GEOMETRY_ATTRS,
    IMAGE_LEVEL_TYPES,
    BUILTIN_FIELDS,
    NO_ATTRIBUTE_TYPES,
    attribute_control,
    field_attributes,
    choice_text,
    controls_of,
    control_specs,
    finite,
    result_type,
)
from .results import (
    IMAGE_TAG_NAME,
    ResultError,
    is_label_id,
    parse_multi_region_id,
    report,
    result_value,
)

_LABEL_KEYS = (
    "rectanglelabels",
    "polygonlabels",
    "vectorlabels",
    "keypointlabels",
    "brushlabels",
    "labels",
)


# --- upload ------------------------------------------------------------


def to_ls_attributes(labels, field, info, region_results):
    """``(results, hints)`` for the attributes of one field's labels.

    ``region_results`` are the field's region results (to find each
    label's first region and copy its geometry); ``hints`` is
    ``{label id: {"attributes": {...}}}`` for values no control shows.
    """
    specs = field_attributes(field, info)
    if not specs or not labels:
        return [], {}
    if info.get("type") in IMAGE_LEVEL_TYPES:
        return _image_level_results(labels, specs)
    first = _first_regions(region_results)
    results, hints = [], {}
    for label in labels:
        region = first.get(label.id)
        for spec in specs:
            if not _applies(spec, label):
                continue
            value = _get(label, spec["name"])
            if value is None:
                continue
            payload = _payload(spec, value)
            if region is None or payload is False:
                _hint(hints, label.id, spec["name"], value)
            elif payload is not None:
                results.append(_region_result(region, spec, payload))
    return results, hints


def _image_level_results(labels, specs):
    results, hints = [], {}
    for spec in specs:
        values = [_get(x, spec["name"]) for x in labels if _applies(spec, x)]
        if not values:
            continue
        shown = values[0]
        if any(v != shown for v in values):
            # labels disagree: keep each one's value, show none
            for label in labels:
                value = _get(label, spec["name"])
                if value is not None:
                    _hint(hints, label.id, spec["name"], value)
            continue
        payload = _payload(spec, shown) if shown is not None else None
        if payload is False:
            for label in labels:
                _hint(hints, label.id, spec["name"], shown)
        elif payload is not None:
            results.append(
                {
                    "id": spec["control"],
                    "from_name": spec["control"],
                    "to_name": IMAGE_TAG_NAME,
                    "type": result_type(spec),
                    "value": payload,
                }
            )
    return results, hints


def _payload(spec, value):
    """The result value of ``value``; None for "send nothing", False for
    a value the control cannot show."""
    attr_type = spec["type"]
    if attr_type in BOOL_TYPES:
        if not isinstance(value, bool):
            return False
        return {"choices": [spec["name"]]} if value else None
    if attr_type == TEXT:
        return {"text": [value]} if isinstance(value, str) else False
    if attr_type == NUMBER:
        number = finite(value)
        return False if number is None else {"number": value}
    texts = _value_texts(spec)
    if attr_type == CHECKBOXES:
        if not isinstance(value, (list, tuple)):
            return False
        chosen = [texts.get(_key(v)) for v in value]
        if None in chosen:
            return False
        return {"choices": chosen} if chosen else None
    text = texts.get(_key(value))
    return False if text is None else {"choices": [text]}


def _region_result(region, spec, payload) -> dict:
    value = {
        k: v
        for k, v in (region.get("value") or {}).items()
        if k not in _LABEL_KEYS
    }
    value.update(payload)
    result = {
        "id": region["id"],
        "from_name": spec["control"],
        "to_name": region.get("to_name", IMAGE_TAG_NAME),
        "type": result_type(spec),
    }
    for key in ("original_width", "original_height", "image_rotation"):
        if key in region:
            result[key] = region[key]
    result["value"] = value
    return result


def _first_regions(region_results) -> dict:
    """``{label id: its first region result}`` (lowest region index)."""
    best = {}
    for result in region_results:
        owner, index = _owner(result.get("id"))
        if owner is None:
            continue
        if owner not in best or index < best[owner][0]:
            best[owner] = (index, result)
    return {k: v[1] for k, v in best.items()}


def _owner(region_id):
    multi = parse_multi_region_id(region_id)
    if multi is not None:
        return multi[0], multi[1]
    if is_label_id(region_id):
        return region_id, 0
    return None, 0


def _hint(hints, label_id, name, value):
    if _json_safe(value):
        hints.setdefault(label_id, {}).setdefault(HINT_KEY, {})[name] = value


# --- load --------------------------------------------------------------


def apply_attributes(
    labels,
    field,
    info,
    attr_results,
    owners,
    hints,
    sent,
    problems,
):
    """Sets the attributes of a field's loaded labels from its attribute
    results (in place).

    ``owners`` maps region ids to label ids (every region of every loaded
    label); ``sent`` are ids of uploaded labels (new labels get their
    attribute defaults); ``hints`` the field's task-data hints.
    """
    specs = field_attributes(field, info)
    if not specs or not labels:
        for result in attr_results:
            report(problems, result, "attribute of a label that is gone")
        return
    by_control = {s["control"]: s for s in specs}
    image_level = info.get("type") in IMAGE_LEVEL_TYPES
    values = {}  # label id (or None: every label) -> {name: value}
    for result in attr_results:
        spec = by_control.get(result.get("from_name"))
        try:
            value = _parse(spec, result)
        except ResultError as e:
            report(problems, result, str(e))
            continue
        region_id = result.get("id")
        owner = None
        if not image_level and isinstance(region_id, str):
            owner = owners.get(region_id)
        if not image_level and owner is None:
            report(problems, result, "attribute of a region that is gone")
            continue
        got = values.setdefault(owner, {})
        if spec["name"] in got:
            if got[spec["name"]] != value:
                report(
                    problems,
                    result,
                    "several values for attribute %r; kept the first"
                    % spec["name"],
                )
            continue
        got[spec["name"]] = value

    hints = hints or {}
    has_region = set(owners.values())
    for label in labels:
        given = values.get(None if image_level else label.id, {})
        hinted = _hint_values(hints.get(label.id))
        shown = image_level or label.id in has_region
        for spec in specs:
            if not _applies(spec, label):
                continue
            name = spec["name"]
            if name in given:
                value = given[name]
            elif name in hinted:
                value = hinted[name]  # could not be shown: unchanged
            elif not shown:
                continue  # no region: keep whatever FiftyOne has
            elif label.id not in sent and spec["default"] is not None:
                value = spec["default"]
            elif spec["type"] in BOOL_TYPES:
                value = False  # an unticked box
            else:
                value = None
            if value is not None:
                # unset stays unset (FiftyOne's merge reads it as None)
                label[name] = value


def _parse(spec, result):
    if spec is None:
        raise ResultError("unknown attribute control")
    value = result_value(result, result_type(spec))
    if spec["type"] == TEXT:
        texts = value.get("text")
        if not isinstance(texts, list) or not all(
            isinstance(t, str) for t in texts
        ):
            raise ResultError("'text' is not a list of strings")
        text = "\n".join(texts)
        return text if text != "" else None
    if spec["type"] == NUMBER:
        number = value.get("number")
        if number is None:
            return None
        if finite(number) is None:
            raise ResultError("number is not a finite number")
        if spec.get("integer"):
            if float(number) != int(number):
                raise ResultError("%r is not an integer" % (number,))
            return int(number)
        return float(number)
    choices = value.get("choices")
    if not isinstance(choices, list) or not all(
        isinstance(c, str) for c in choices
    ):
        raise ResultError("'choices' is not a list of strings")
    if spec["type"] in BOOL_TYPES:
        return spec["name"] in choices
    by_text = {choice_text(v): v for v in spec["values"]}
    unknown = [c for c in choices if c not in by_text]
    if unknown:
        raise ResultError("value %r is not one of the values" % unknown[0])
    if spec["type"] == CHECKBOXES:
        return [by_text[c] for c in choices]
    if len(choices) != 1:
        raise ResultError("expected one choice, got %d" % len(choices))
    return by_text[choices[0]]


def _hint_values(hint) -> dict:
    values = hint.get(HINT_KEY) if isinstance(hint, dict) else None
    return values if isinstance(values, dict) else {}


# --- helpers -----------------------------------------------------------


def _applies(spec, label) -> bool:
    classes = spec["classes"]
    return classes is None or getattr(label, "label", None) in classes


def _get(label, name):
    try:
        return label.get_attribute_value(name, None)
    except Exception:
        return None


def _value_texts(spec) -> dict:
    return {_key(v): choice_text(v) for v in spec.get("values") or []}


def _key(value):
    # True == 1 in Python; keep them apart
    return (type(value) is bool, value if _hashable(value) else repr(value))


def _hashable(value) -> bool:
    try:
        hash(value)
        return True
    except TypeError:
        return False


def _json_safe(value) -> bool:
    if value is None or isinstance(value, (bool, str)):
        return True
    if isinstance(value, (int, float)):
        return finite(value) is not None
    if isinstance(value, (list, tuple)):
        return all(_json_safe(v) for v in value)
    return False
