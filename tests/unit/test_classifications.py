"""Classification(s) <-> Choices results."""

import json

import fiftyone.core.labels as fol
import pytest
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.converters import classifications as cc
from fiftyone_labelstudio.converters.results import ResultError, is_label_id

W, H = 64, 48
CLASSES = st.text(min_size=1, max_size=10)


def _over_json(results):
    return json.loads(json.dumps(results, allow_nan=False))


@st.composite
def classification(draw):
    return fol.Classification(
        label=draw(CLASSES),
        confidence=draw(st.none() | st.floats(0, 1)),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(classification(), max_size=6))
def test_round_trip_is_identity(labels):
    container = fol.Classifications(classifications=labels)
    results = _over_json(cc.to_ls_classifications(container, "c", W, H))
    assert len(results) == len(labels)
    problems = []
    back = cc.from_ls_classifications(
        results, class_ids=cc.class_ids(container), problems=problems
    )
    assert problems == []
    assert [(c.id, c.label, c.confidence) for c in back] == [
        (c.id, c.label, c.confidence) for c in labels
    ]


@settings(max_examples=100, deadline=None)
@given(st.lists(CLASSES, min_size=1, max_size=6, unique=True))
def test_choices_merged_by_label_studio_keep_ids(classes):
    labels = [fol.Classification(label=c) for c in classes]
    hint = _over_json(cc.class_ids(labels))
    # a person edits: Label Studio merges all choices into one result
    merged = {
        "id": "Xy12ab34Cd",
        "from_name": "c",
        "to_name": "image",
        "type": "choices",
        "origin": "manual",
        "value": {"choices": list(reversed(classes))},
    }
    back = cc.from_ls_classifications([merged], class_ids=hint, problems=[])
    got = {c.label: c.id for c in back}
    assert got == {c.label: c.id for c in labels}


def test_single_classification_round_trip_and_envelope():
    label = fol.Classification(label="indoor", confidence=0.25)
    (result,) = cc.to_ls_classification(label, "scene", W, H)
    assert result == {
        "id": label.id,
        "from_name": "scene",
        "to_name": "image",
        "type": "choices",
        "original_width": W,
        "original_height": H,
        "image_rotation": 0,
        "value": {"choices": ["indoor"]},
        "score": 0.25,
    }
    back = cc.from_ls_classification([result], class_ids={"indoor": label.id})
    assert (back.id, back.label, back.confidence) == (label.id, "indoor", 0.25)


def test_frontend_choice_result_with_new_id():
    # byte-identical result the Label Studio frontend produces
    result = json.loads(
        '{"id":"57IzTrZ25L","from_name":"scene","to_name":"image",'
        '"type":"choices","origin":"manual","value":{"choices":["outdoor"]}}'
    )
    (label,) = cc.from_ls_classifications([result], problems=[])
    assert label.label == "outdoor" and is_label_id(label.id)
    # the single existing label edited in place keeps its id
    old = str(ObjectId())
    back = cc.from_ls_classification([result], class_ids={"indoor": old})
    assert (back.id, back.label) == (old, "outdoor")


def test_new_choice_gets_a_new_id_and_known_ones_keep_theirs():
    a, b = fol.Classification(label="a"), fol.Classification(label="b")
    result = {
        "id": "abcdefghij",
        "from_name": "c",
        "type": "choices",
        "value": {"choices": ["a", "new", "b"]},
    }
    back = cc.from_ls_classifications(
        [result], class_ids=cc.class_ids([a, b]), problems=[]
    )
    ids = {c.label: c.id for c in back}
    assert ids["a"] == a.id and ids["b"] == b.id
    assert is_label_id(ids["new"]) and ids["new"] not in (a.id, b.id)


def test_repeated_class_keeps_both_ids():
    a1, a2 = fol.Classification(label="a"), fol.Classification(label="a")
    hint = cc.class_ids([a1, a2])
    assert hint == {"a": [a1.id, a2.id]}
    results = cc.to_ls_classifications([a1, a2], "c", W, H)
    for r in results:
        r["id"] = "random0001"  # ids lost
    back = cc.from_ls_classifications(results, class_ids=hint, problems=[])
    assert sorted(c.id for c in back) == sorted([a1.id, a2.id])


def test_single_field_keeps_first_choice_and_reports_the_rest():
    problems = []
    result = {
        "id": "r",
        "from_name": "c",
        "type": "choices",
        "value": {"choices": ["a", "b"]},
    }
    label = cc.from_ls_classification([result], problems=problems)
    assert label.label == "a"
    assert len(problems) == 1 and "'b'" in problems[0][2]


@pytest.mark.parametrize(
    "value, reason",
    [
        ({"choices": "a"}, "not a list of strings"),
        ({"choices": [1]}, "not a list of strings"),
        ({"choices": []}, "no choice"),
        ({}, "not a list of strings"),
    ],
)
def test_malformed_choices_are_reported(value, reason):
    bad = {"id": "bad", "from_name": "c", "type": "choices", "value": value}
    good = {
        "id": "good",
        "from_name": "c",
        "type": "choices",
        "value": {"choices": ["x"]},
    }
    problems = []
    back = cc.from_ls_classifications([bad, good], problems=problems)
    assert [c.label for c in back] == ["x"]
    assert problems[0][:2] == ("c", "bad") and reason in problems[0][2]
    with pytest.raises(ResultError):
        cc.from_ls_classifications([bad])


def test_none_and_empty_labels_send_nothing():
    assert cc.to_ls_classification(None, "c", W, H) == []
    assert cc.to_ls_classifications(None, "c", W, H) == []
    assert cc.to_ls_classifications(fol.Classifications(), "c", W, H) == []
    assert cc.from_ls_classification([]) is None
