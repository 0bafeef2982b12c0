"""Primitive sample fields <-> image-level Label Studio results.

==========  ======================================  ======================
scalar      control tag (result type)               value
==========  ======================================  ======================
int, float  ``Number`` (``number``)                 ``{"number": v}``
str         ``TextArea`` (``textarea``), or         ``{"text": [v]}``
            ``Choices`` when classes are given      ``{"choices": [v]}``
bool        ``Choices`` with "true" / "false"       ``{"choices": ["true"]}``
==========  ======================================  ======================

``scalar_type`` is one of ``"int"``, ``"float"``, ``"str"``, ``"bool"``
(the backend knows it from the dataset field; :func:`scalar_type_of`
infers it from a value). :func:`scalar_control_type` is the single place
that decides the tag, for the label config and for the results.

The result id is the control name: one result per field and task, unique
within the task, never a label id. NaN/inf floats cannot travel in JSON
and are not sent (they come back as None).
"""

from .results import (
    ResultError,
    finite_or_none,
    region_result,
    report,
    result_value,
)

NUMBER = "number"
TEXTAREA = "textarea"
CHOICES = "choices"
SCALAR_TYPES = ("int", "float", "str", "bool")
BOOL_CHOICES = ("true", "false")


def scalar_type_of(value):
    """``"bool"``, ``"int"``, ``"float"``, ``"str"`` or None."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return None


def scalar_control_type(scalar_type, classes=None) -> str:
    """The result type (lower-case tag) for a scalar field."""
    if scalar_type == "bool":
        return CHOICES
    if scalar_type in ("int", "float"):
        return NUMBER
    return CHOICES if classes else TEXTAREA


def scalar_choices(scalar_type, classes=None) -> list[str]:
    """The ``<Choice>`` values of a Choices-based scalar control."""
    if scalar_type == "bool":
        return list(BOOL_CHOICES)
    return [str(c) for c in classes or []]


def to_ls_scalar(
    value,
    control: str,
    width: int,
    height: int,
    scalar_type=None,
    classes=None,
) -> list[dict]:
    """One image-level result for a scalar value (none for None)."""
    if value is None:
        return []
    scalar_type = scalar_type or scalar_type_of(value)
    result_type = scalar_control_type(scalar_type, classes)
    if scalar_type == "bool":
        if not isinstance(value, bool):
            return []
        payload = {CHOICES: ["true" if value else "false"]}
    elif result_type == NUMBER:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value  # exact, even beyond 2**53
        else:
            number = finite_or_none(value)
            if number is None:
                return []
            if scalar_type == "int" and number.is_integer():
                number = int(number)
        payload = {NUMBER: number}
    elif result_type == CHOICES:
        payload = {CHOICES: [str(value)]}
    else:
        payload = {"text": [str(value)]}
    return [
        region_result(control, control, result_type, payload, width, height)
    ]


def from_ls_scalar(
    results: list[dict],
    scalar_type=None,
    classes=None,
    problems: list | None = None,
):
    """The Python value of a scalar field from its results, or None.

    One result per field is expected; extra ones are reported and ignored.
    """
    value = None
    found = False
    for result in results:
        try:
            parsed = _parse(result, scalar_type)
        except ResultError as e:
            report(problems, result, str(e))
            continue
        if found:
            report(problems, result, "field holds one value; ignored")
            continue
        value, found = parsed, True
    return value


def _parse(result, scalar_type):
    if not isinstance(result, dict):
        raise ResultError("result is not an object")
    result_type = result.get("type")
    if result_type not in (NUMBER, TEXTAREA, CHOICES):
        raise ResultError("result type %r is not a scalar" % result_type)
    value = result_value(result, result_type)
    if result_type == NUMBER:
        raw = value.get(NUMBER)
    elif result_type == TEXTAREA:
        raw = _strings(value.get("text"), "text")
        raw = "\n".join(raw)
    else:
        choices = _strings(value.get(CHOICES), CHOICES)
        if len(choices) != 1:
            raise ResultError("expected one choice, got %d" % len(choices))
        raw = choices[0]
    return _convert(raw, scalar_type)


def _convert(raw, scalar_type):
    """``raw`` (JSON number or string) as a value of ``scalar_type``."""
    if scalar_type == "bool":
        if raw not in BOOL_CHOICES:
            raise ResultError("%r is not 'true' or 'false'" % (raw,))
        return raw == "true"
    if scalar_type == "str":
        return raw if isinstance(raw, str) else str(_json_number(raw, "n"))
    if scalar_type in ("int", "float"):
        number = _as_number(raw)
        if scalar_type == "float":
            return float(number)
        if isinstance(number, int):
            return number
        if not number.is_integer():
            raise ResultError("%r is not an integer" % (raw,))
        return int(number)
    # unknown type: keep what JSON gave us
    if isinstance(raw, str):
        return raw
    return _as_number(raw)


def _as_number(raw):
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            raise ResultError("%r is not a number" % raw) from None
    return _json_number(raw, "number")


def _json_number(raw, name):
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise ResultError("%s is not a number: %r" % (name, raw))
    if finite_or_none(raw) is None:
        raise ResultError("%s is not finite" % name)
    return raw


def _strings(values, name) -> list[str]:
    if not isinstance(values, list) or not all(
        isinstance(v, str) for v in values
    ):
        raise ResultError("%r is not a list of strings" % name)
    return values
