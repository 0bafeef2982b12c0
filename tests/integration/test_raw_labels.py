"""backend.raw_labels: tasks built from raw-dict views are identical to
tasks built from real labels, for every label type the views cover (needs
FiftyOne's database, not Label Studio)."""

import math

import fiftyone as fo
import fiftyone.core.labels as fol
import pytest

from fiftyone_labelstudio.backend import label_reads
from fiftyone_labelstudio.backend.raw_labels import RawLabel, raw_values
from fiftyone_labelstudio.converters.task_build import sample_to_task

pytestmark = pytest.mark.integration

ATTRS = {
    "kind": {"type": "text"},
    "ok": {"type": "checkbox"},
    "size": {"type": "number"},
    "tone": {"type": "select", "values": ["dark", "light"]},
    "tags2": {"type": "checkboxes", "values": ["a", "b"]},
}
SCHEMA = {
    "dets": {"type": "detections", "classes": ["cat", "dog"]},
    "det": {"type": "detection", "classes": ["cat", "dog"]},
    "lines": {"type": "polylines", "classes": ["road"]},
    "polys": {"type": "polygons", "classes": ["road"]},
    "line": {"type": "polyline", "classes": ["road"]},
    "kps": {"type": "keypoints", "classes": ["person"]},
    "kp": {"type": "keypoint", "classes": ["person"]},
    "clss": {"type": "classifications", "classes": ["sunny", "rainy"]},
    "cls": {"type": "classification", "classes": ["sunny", "rainy"]},
    "legacy": {"type": "detections", "classes": ["cat"]},
}
for _info in SCHEMA.values():
    _info["existing_field"] = True
    _info["attributes"] = ATTRS


def _det(**kwargs):
    return fol.Detection(**kwargs)


def _samples():
    box = [0.1, 0.2, 0.3, 0.4]
    first = fo.Sample(
        filepath="/tmp/raw-labels-1.jpg",
        dets=fol.Detections(
            detections=[
                _det(label="cat", bounding_box=box, confidence=0.9, index=3),
                _det(label="dog", bounding_box=box, kind="x", ok=True),
                _det(label="dog", bounding_box=box, size=2.5, tone="dark"),
                _det(label="cat", bounding_box=box, tags2=["a", "b"]),
                _det(label="cat", bounding_box=box, rotation=30.0),
                _det(label="cat", bounding_box=box, tone="purple"),
                _det(label="cat", confidence=math.nan),  # no box
                _det(label="cat", bounding_box=[0.1, math.nan, 0.2, 0.2]),
                _det(label=None, bounding_box=box),
            ]
        ),
        det=_det(label="dog", bounding_box=box, confidence=0.5, ok=False),
        lines=fol.Polylines(
            polylines=[
                fol.Polyline(
                    label="road",
                    points=[[[0.1, 0.1], [0.5, 0.5]], [[0.2, 0.2]]],
                    closed=True,
                    filled=False,
                    index=1,
                ),
                fol.Polyline(label="road", points=[], kind="empty"),
                fol.Polyline(
                    label="road",
                    points=[[[0.1, 0.1], [0.3, 0.5], [0.6, 0.2]]],
                    filled=True,
                    confidence=0.7,
                ),
            ]
        ),
        polys=fol.Polylines(
            polylines=[
                fol.Polyline(
                    label="road",
                    points=[[[0.1, 0.1], [0.3, 0.5], [0.6, 0.2]]],
                    closed=True,
                    filled=True,
                    size=3,
                )
            ]
        ),
        line=fol.Polyline(
            label="road", points=[[[0.1, 0.1], [0.3, 0.5]]], tone="light"
        ),
        kps=fol.Keypoints(
            keypoints=[
                fol.Keypoint(
                    label="person",
                    points=[[0.1, 0.2], [math.nan, math.nan], [0.5, 0.5]],
                    confidence=[0.9, math.nan, 0.4],
                    index=2,
                    kind="k",
                ),
                fol.Keypoint(label="person", points=[[math.nan, math.nan]]),
            ]
        ),
        kp=fol.Keypoint(label="person", points=[[0.3, 0.3]], ok=True),
        clss=fol.Classifications(
            classifications=[
                fol.Classification(label="sunny", confidence=0.3, kind="a"),
                fol.Classification(label="rainy", kind="a"),
                fol.Classification(label="sunny"),
            ]
        ),
        cls=fol.Classification(label="rainy", confidence=0.8, tone="dark"),
        legacy=fol.Detections(
            detections=[
                _det(
                    label="cat",
                    bounding_box=box,
                    attributes={"kind": fol.Attribute(value="old")},
                )
            ]
        ),
    )
    second = fo.Sample(filepath="/tmp/raw-labels-2.jpg")  # all None
    third = fo.Sample(
        filepath="/tmp/raw-labels-3.jpg",
        dets=fol.Detections(detections=[]),
        lines=fol.Polylines(),
        clss=fol.Classifications(classifications=[]),
    )
    return [first, second, third]


@pytest.fixture()
def dataset():
    ds = fo.Dataset()
    ds.add_samples(_samples())
    yield ds
    ds.delete()


def test_views_build_the_same_tasks_as_real_labels(dataset):
    ids = dataset.values("id")
    for field, info in SCHEMA.items():
        real = dataset.values(field)
        views = raw_values(dataset, field)
        assert len(views) == len(real)
        if field != "legacy":
            assert any(isinstance(v, RawLabel) for v in _flat(views))
        for sample_id, r, v in zip(ids, real, views):
            expected = sample_to_task(
                sample_id, "u", "m", {field: r}, {field: info}, 64, 48
            )
            got = sample_to_task(
                sample_id, "u", "m", {field: v}, {field: info}, 64, 48
            )
            assert got == expected, field
            assert (
                label_reads.label_ids(v) == label_reads.label_ids(r)
                if (r is not None)
                else v is None
            )


def test_views_answer_like_labels(dataset):
    view = raw_values(dataset, "dets")[0]
    real = dataset.values("dets")[0]
    assert isinstance(view, fol.Detections)
    assert not isinstance(view, fol.Detection)
    det, real_det = view.detections[0], real.detections[0]
    assert isinstance(det, fol.Detection)
    assert det.id == real_det.id
    assert det.index == 3 and det.mask is None and det.tags == []
    assert view["detections"][1].get_attribute_value("kind") == "x"
    assert det.get_attribute_value("missing", None) is None
    with pytest.raises(AttributeError):
        det.get_attribute_value("missing")
    with pytest.raises(AttributeError):
        det.missing
    assert getattr(det, "rotation", None) is None
    assert view._LABEL_LIST_FIELD == "detections"


def test_legacy_attributes_fall_back_to_real_labels(dataset):
    values = raw_values(dataset, "legacy")
    assert not any(isinstance(v, RawLabel) for v in _flat(values))
    assert values[0].detections[0].get_attribute_value("kind") == "old"


def _flat(values):
    for value in values:
        if value is None:
            continue
        yield value
        list_field = getattr(value, "_LABEL_LIST_FIELD", None)
        if list_field:
            yield from value[list_field] or []
