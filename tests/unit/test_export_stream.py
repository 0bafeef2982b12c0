"""The streamed export parser: tasks parsed one at a time from the export
text(s), exactly what ``json.loads`` gives, and one clear error for text
that is not a JSON array."""

import json

import pytest

from fiftyone_labelstudio.client import errors
from fiftyone_labelstudio.client.exports import _parse_each

pytestmark = pytest.mark.unit

TASKS = [
    {"id": 1, "data": {"image": "a.jpg", "note": "[,]"}, "annotations": []},
    {"id": 2, "data": {"image": "b.jpg"}, "annotations": [{"result": []}]},
]


def _parse(*texts):
    return list(_parse_each(list(texts), "export", "http://localhost"))


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(TASKS),
        json.dumps(TASKS, indent=2),
        "  \n" + json.dumps(TASKS, separators=(" ,\n ", " : ")) + " \n",
    ],
)
def test_tasks_are_parsed_like_json_loads(text):
    assert _parse(text) == json.loads(text) == TASKS


def test_several_texts_and_empty_arrays():
    assert (
        _parse("[]", json.dumps(TASKS[:1]), " [ ] ", json.dumps(TASKS[1:]))
        == TASKS
    )


def test_tasks_come_one_at_a_time():
    stream = _parse_each([json.dumps(TASKS) + "garbage"], "x", "u")
    assert next(stream) == TASKS[0]
    assert next(stream) == TASKS[1]
    with pytest.raises(errors.LabelStudioRequestError):
        next(stream)


@pytest.mark.parametrize(
    "text",
    ['{"id": 1}', "", "[1, 2", "[1 2]", '[{"id": 1},]', "[1] x", "[] x"],
)
def test_text_that_is_not_a_json_array_is_one_clear_error(text):
    with pytest.raises(errors.LabelStudioRequestError) as info:
        _parse(text)
    assert "not valid JSON" in str(info.value)
    assert info.value.__cause__ is None
