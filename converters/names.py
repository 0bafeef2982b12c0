"""Names in the Label Studio config and region ids.

- :func:`control_name`: the control tag name of a label field.
- :func:`region_id` / :func:`parse_region_id`: ids of labels that become
  several regions, ``"<label id>_<suffix>..."`` (see DESIGN.md).
"""

import hashlib
import re

IMAGE_TAG_NAME = "image"  # == constants.IMAGE_TAG_NAME

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
_LABEL_ID = re.compile(r"^[0-9a-f]{24}$")
# Names the config already uses (the image tag), or that clash with the
# server's name checks.
_RESERVED = {IMAGE_TAG_NAME}


def control_name(field: str) -> str:
    """The control tag name of a label field (deterministic, unique).

    A plain identifier is used as is; anything else (dots, spaces,
    non-ASCII, a name the config reserves) becomes a sanitized name plus
    a short hash of the field name, so different fields never share a
    control.
    """
    if not isinstance(field, str) or not field:
        raise ValueError(f"field name must be a non-empty string: {field!r}")
    if _IDENTIFIER.match(field) and field not in _RESERVED:
        return field
    digest = hashlib.sha1(field.encode("utf-8")).hexdigest()[:8]
    stem = _UNSAFE.sub("_", field).strip("_")[:40] or "field"
    if stem[0].isdigit():
        stem = "f_" + stem
    # a double underscore keeps these apart from plain identifiers
    return f"{stem}__{digest}"


def is_label_id(value) -> bool:
    """True for a 24-hex FiftyOne label id."""
    return isinstance(value, str) and bool(_LABEL_ID.match(value))


def region_id(label_id: str, *suffix) -> str:
    """``"<label id>_<suffix>_..."``: one of several regions of a label."""
    if not is_label_id(label_id):
        raise ValueError(f"not a label id: {label_id!r}")
    return "_".join([label_id, *map(str, suffix)])


def parse_region_id(value) -> tuple[str | None, tuple[str, ...]]:
    """``(label id, suffix parts)`` of a region id.

    ``(label id, ())`` for a plain label id; ``(None, ())`` for ids that
    do not start with a label id (regions drawn in Label Studio).
    """
    if not isinstance(value, str):
        return None, ()
    head, _, rest = value.partition("_")
    if not is_label_id(head):
        return None, ()
    return head, tuple(rest.split("_")) if rest else ()
