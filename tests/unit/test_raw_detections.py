"""Boxes loaded as raw documents (converters/raw_detections.py) are the
documents of the Detections the object path builds: same ids, classes,
boxes, confidences, indexes, rotations, problems and unexpected labels,
for arbitrary and for well-formed results."""

import fiftyone.core.labels as fol
from bson import ObjectId
from hypothesis import given
from hypothesis import strategies as st

from fiftyone_labelstudio.converters.raw_detections import (
    RawDetection,
    as_label,
)
from fiftyone_labelstudio.converters.task_read import task_to_labels
from test_fuzz_converters import FUZZ, results_lists, task_datas

CLASSES = ["cat", "dog"]
# "det" (and "one") have no attributes: their boxes may come raw
SCHEMA = {
    "det": {"type": "detections", "classes": CLASSES},
    "one": {"type": "detection", "classes": CLASSES},
    "attr": {
        "type": "detections",
        "classes": CLASSES,
        "attributes": {"mood": {"type": "select", "values": ["a", "b"]}},
    },
}
RAW = frozenset(SCHEMA)


def _docs(group, ids: bool = True) -> dict:
    """The documents of a ``task_to_labels`` group; without ``ids``, in
    order and without their ids (a result without a region id gets a
    random new one in each call)."""
    out = {}
    for name, by_type in group.items():
        for return_type, items in by_type.items():
            if not isinstance(items, dict):
                out[(name, return_type)] = items
                continue
            docs = {k: dict(x.to_mongo()) for k, x in items.items()}
            if not ids:
                docs = [
                    {k: v for k, v in d.items() if k != "_id"}
                    for d in docs.values()
                ]
            out[(name, return_type)] = docs
    return out


def _same_as_objects(task_data, results, ids=True):
    objects = task_to_labels(task_data, results, SCHEMA)
    raw = task_to_labels(task_data, results, SCHEMA, RAW)
    assert _docs(raw[0], ids) == _docs(objects[0], ids)
    problems = [p[2] for p in raw[1]], [p[2] for p in objects[1]]
    assert problems[0] == problems[1]
    assert _docs(raw[2], ids) == _docs(objects[2], ids)
    for by_type in raw[2].values():  # unexpected: real labels
        for items in by_type.values():
            if isinstance(items, dict):
                assert all(isinstance(x, fol.Label) for x in items.values())
    for field, by_type in raw[0].items():
        for items in by_type.values():
            for label in items.values():
                if field == "attr":  # attributes: the object path
                    assert isinstance(label, fol.Detection)
    return raw


@FUZZ
@given(task_datas, results_lists)
def test_arbitrary_results_give_the_same_documents(task_data, results):
    _same_as_objects(task_data, results, ids=False)


def _rect(rid, field="det", cls="cat", **value):
    box = dict(x=10.0, y=20.0, width=30.0, height=40.0, rotation=0)
    box.update(value)
    return {
        "id": rid,
        "from_name": field,
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": 64,
        "original_height": 48,
        "image_rotation": 0,
        "value": dict(box, rectanglelabels=[cls]),
    }


boxes = st.builds(
    lambda n, x, y, w, h, rot, cls, score: dict(
        _rect(str(ObjectId()) if n else "new%d" % x, cls=cls, rotation=rot),
        value=dict(
            x=x,
            y=y,
            width=w,
            height=h,
            rotation=rot,
            rectanglelabels=[cls],
        ),
        **({} if score is None else {"score": score}),
    ),
    st.booleans(),
    st.floats(0, 90),
    st.floats(0, 90),
    st.floats(0.01, 50),
    st.floats(0.01, 50),
    st.sampled_from([0, 0, 15.5, 359.0]),
    st.sampled_from(["cat", "dog", "bird"]),
    st.one_of(st.none(), st.floats(0, 1), st.integers(0, 1)),
)


@FUZZ
@given(
    st.lists(boxes, max_size=8),
    st.dictionaries(st.integers(0, 7), st.integers(0, 99)),
)
def test_good_boxes_give_the_same_documents(results, indexes):
    hints = {
        results[k]["id"]: {"index": index}
        for k, index in indexes.items()
        if k < len(results)
    }
    data = {"fiftyone": {"hints": {"det": hints}}}
    raw = _same_as_objects(data, results)
    loaded = raw[0]["det"]["detections"]
    assert all(isinstance(x, RawDetection) for x in loaded.values())


def test_a_raw_box_is_its_detection():
    label_id = str(ObjectId())
    raw = RawDetection(label_id, "cat", [0.1, 0.2, 0.3, 0.4], 0.5)
    raw.index = 3
    raw["rotation"] = 12.5
    label = as_label(raw)
    assert isinstance(label, fol.Detection)
    assert label.id == raw.id == label_id
    assert (label.label, label.bounding_box) == ("cat", [0.1, 0.2, 0.3, 0.4])
    assert (label.confidence, label.index, label["rotation"]) == (
        0.5,
        3,
        12.5,
    )
    assert dict(label.to_mongo()) == raw.to_mongo()
    assert list(label.to_mongo()) == list(raw.to_mongo())  # field order
    raw.id = str(ObjectId())
    assert raw.to_mongo()["_id"] == ObjectId(raw.id)
    assert as_label(label) is label
