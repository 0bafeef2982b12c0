"""Agreement figures on hand-computed cases (no server)."""

import pytest

from fiftyone_labelstudio.backend.agreement import (
    box_f1,
    compute_agreement,
    iou,
    latest_by_annotator,
)

W, H = 200, 100


def _box(region_id, label, x, y, w, h):
    return {
        "id": region_id,
        "from_name": "gt",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": W,
        "original_height": H,
        "image_rotation": 0,
        "value": {
            "x": x,
            "y": y,
            "width": w,
            "height": h,
            "rotation": 0,
            "rectanglelabels": [label],
        },
    }


def _choice(region_id, value):
    return {
        "id": region_id,
        "from_name": "tag",
        "to_name": "image",
        "type": "choices",
        "original_width": W,
        "original_height": H,
        "value": {"choices": [value]},
    }


def _anno(anno_id, who, result, cancelled=False, when="2025-01-01"):
    return {
        "id": anno_id,
        "completed_by": who,
        "result": result,
        "was_cancelled": cancelled,
        "updated_at": when,
    }


SCHEMA = {
    "gt": {"type": "detections", "classes": ["cat", "dog"]},
    "tag": {"type": "classification", "classes": ["x", "y"]},
}


def test_iou_and_f1():
    assert iou([0, 0, 10, 10], [0, 0, 10, 10]) == 1.0
    assert iou([0, 0, 10, 10], [5, 0, 10, 10]) == pytest.approx(50 / 150)
    assert iou([0, 0, 1, 1], [2, 2, 1, 1]) == 0.0
    a = [("cat", [0, 0, 10, 10]), ("dog", [20, 20, 10, 10])]
    # same boxes, one class differs -> 1 match of 2 + 2
    b = [("cat", [0, 0, 10, 10]), ("cat", [20, 20, 10, 10])]
    assert box_f1(a, b) == 0.5
    assert box_f1([], []) == 1.0
    assert box_f1(a, []) == 0.0
    # IoU 1/3 < 0.5: no match
    assert box_f1([("cat", [0, 0, 10, 10])], [("cat", [5, 0, 10, 10])]) == 0


def test_latest_by_annotator_skips_cancelled_and_old():
    task = {
        "annotations": [
            _anno(1, 1, [], when="2025-01-01"),
            _anno(2, 1, [], when="2025-01-02"),
            _anno(3, 2, [], cancelled=True),
            _anno(4, {"id": 3}, []),
        ]
    }
    latest = latest_by_annotator(task)
    assert sorted(latest) == [1, 3]
    assert latest[1]["id"] == 2


def test_known_answer():
    box_a = _box("r1", "cat", 10, 10, 20, 20)
    box_b = _box("r2", "dog", 50, 50, 20, 20)
    tasks = [
        # 3 annotators: 1 and 2 agree fully; 3 misses a box, other tag
        {
            "id": 1,
            "data": {},
            "annotations": [
                _anno(1, 1, [box_a, box_b, _choice("c", "x")]),
                _anno(2, 2, [box_a, box_b, _choice("c", "x")]),
                _anno(3, 3, [box_a, _choice("c", "y")]),
            ],
        },
        # one annotator only: not compared
        {"id": 2, "data": {}, "annotations": [_anno(4, 1, [box_a])]},
    ]
    out = compute_agreement(tasks, SCHEMA, {1: "a", 2: "b", 3: "c"})
    assert out["tasks"] == 1
    # pairs (1,2): gt 1, tag 1; (1,3): gt 2/3, tag 0; (2,3): same
    gt = out["fields"]["gt"]
    assert gt["comparisons"] == 3
    assert gt["mean"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    assert out["fields"]["tag"]["mean"] == pytest.approx(1 / 3)
    assert out["comparisons"] == 6
    assert out["mean"] == pytest.approx((1 + 1 + 2 / 3 + 0 + 2 / 3 + 0) / 6)
    assert out["pairs"]["a / b"]["mean"] == 1.0
    assert out["pairs"]["a / c"]["mean"] == pytest.approx(1 / 3)


def test_no_overlap():
    out = compute_agreement([], SCHEMA)
    assert out["tasks"] == 0 and out["mean"] is None
    assert out["fields"]["gt"]["mean"] is None
