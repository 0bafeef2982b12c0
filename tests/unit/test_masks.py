"""Instances and semantic segmentation <-> BrushLabels."""

import fiftyone.core.labels as fol
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from label_studio_sdk.converter import brush

from fiftyone_labelstudio.converters import instance_masks as im
from fiftyone_labelstudio.converters import segmentation_masks as sm
from fiftyone_labelstudio.converters.results import ResultError, is_label_id
from fiftyone_labelstudio.converters.rle import encode_rle

pytestmark = pytest.mark.unit

sizes = st.tuples(st.integers(1, 60), st.integers(1, 60))


def alpha_of(result):
    value = result["value"]
    h, w = result["original_height"], result["original_width"]
    return brush.decode_rle(value["rle"]).reshape(h, w, 4)[:, :, 3]


@st.composite
def instances(draw, aligned=True):
    """(Detection, W, H); aligned: the mask fills its pixel box exactly."""
    w_img, h_img = draw(sizes)
    x0 = draw(st.integers(0, w_img - 1))
    y0 = draw(st.integers(0, h_img - 1))
    w = draw(st.integers(1, w_img - x0))
    h = draw(st.integers(1, h_img - y0))
    if aligned:
        box = [x0 / w_img, y0 / h_img, w / w_img, h / h_img]
    else:
        box = [
            draw(st.floats(-0.2, 1.0)),
            draw(st.floats(-0.2, 1.0)),
            draw(st.floats(0.0, 1.0)),
            draw(st.floats(0.0, 1.0)),
        ]
        w, h = draw(st.integers(1, 20)), draw(st.integers(1, 20))
    mask = draw(hnp.arrays(np.bool_, (h, w)))
    if aligned and not mask.any():
        mask[draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))] = True
    label = fol.Detection(
        label=draw(st.sampled_from(["cat", "dog", "a<&\"'b", "ü🐱"])),
        bounding_box=box,
        mask=mask,
        confidence=draw(st.none() | st.floats(0, 1)),
    )
    return label, w_img, h_img


def near_pixel_edge(box, w, h):
    """A corner an ulp below a pixel edge (FiftyOne truncates it)."""
    x, y, bw, bh = box
    corners = [(x, w), (y, h), (x + bw, w), (y + bh, h)]
    for v, size in corners:
        p = size * max(0.0, min(v, 1.0))
        if int(p) != int(p + 1e-6):
            return True
    return False


def test_aligned_box_not_shrunk_by_float_noise():
    # 1/7 + 4/7 falls an ulp short of 5/7: FiftyOne renders the 4-pixel
    # mask into 3 pixels; here it keeps its 4.
    label = fol.Detection(
        label="a", bounding_box=[1 / 7, 0, 4 / 7, 1], mask=np.ones((1, 4))
    )
    assert near_pixel_edge(label.bounding_box, 7, 1)
    assert im.pixel_box(label.bounding_box, 7, 1) == (1, 0, 4, 1)
    fiftyone = label.to_segmentation(frame_size=(7, 1)).mask
    assert np.count_nonzero(fiftyone) == 3
    (result,) = im.to_ls_instance(label, "inst", 7, 1)
    assert np.count_nonzero(alpha_of(result)) == 4


@given(instances(aligned=False))
@settings(max_examples=200, deadline=None)
def test_instance_placed_like_fiftyone(case):
    label, w, h = case
    assume(not near_pixel_edge(label.bounding_box, w, h))
    expected = label.to_segmentation(frame_size=(w, h)).mask
    results = im.to_ls_instance(label, "inst", w, h)
    if not expected.any():
        assert results == []
        return
    (result,) = results
    assert np.array_equal(alpha_of(result), expected)
    assert result["id"] == label.id
    assert result["type"] == "brushlabels"
    assert result["value"]["brushlabels"] == [label.label]
    assert (result["original_width"], result["original_height"]) == (w, h)


@given(instances())
@settings(max_examples=200, deadline=None)
def test_instance_round_trip_is_exact(case):
    label, w, h = case
    (result,) = im.to_ls_instance(label, "inst", w, h)
    hints = im.instance_hints([label], w, h)
    back = im.from_ls_instances([result], hints)[0]
    assert back.id == label.id and back.label == label.label
    assert back.bounding_box == label.bounding_box  # exact
    assert np.array_equal(back.mask, label.mask)
    assert back.confidence == label.confidence


@given(instances(aligned=False))
@settings(max_examples=200, deadline=None)
def test_instance_round_trip_any_box(case):
    # Untouched: the exact original box and the rendered mask.
    label, w, h = case
    results = im.to_ls_instance(label, "inst", w, h)
    hints = im.instance_hints([label], w, h)
    (back,) = im.from_ls_instances(results, hints)
    assert back.id == label.id
    assert back.bounding_box == label.bounding_box
    if results:
        patch, _ = im.render_instance(label.mask, label.bounding_box, w, h)
        assert np.array_equal(back.mask, patch)
    else:
        assert back.mask is None  # came back from its hint


@given(instances())
@settings(max_examples=100, deadline=None)
def test_instance_without_hints_uses_tight_extent(case):
    label, w, h = case
    (result,) = im.to_ls_instance(label, "inst", w, h)
    back = im.from_ls_instance(result)
    patch, (bx, by, bw, bh) = im.render_instance(
        label.mask, label.bounding_box, w, h
    )
    full = np.zeros((h, w), dtype=bool)
    full[by : by + bh, bx : bx + bw] = patch
    ys, xs = np.nonzero(full)
    x0, y0 = xs.min(), ys.min()
    bw, bh = xs.max() - x0 + 1, ys.max() - y0 + 1
    assert np.allclose(back.bounding_box, [x0 / w, y0 / h, bw / w, bh / h])
    assert np.array_equal(back.mask, full[y0 : y0 + bh, x0 : x0 + bw])


def test_edited_instance_gets_tight_box_and_new_regions_new_ids():
    w, h = 40, 30
    label = fol.Detection(
        label="cat", bounding_box=[0.1, 0.1, 0.5, 0.5], mask=np.ones((15, 20))
    )
    (result,) = im.to_ls_instance(label, "inst", w, h)
    hints = im.instance_hints([label], w, h)
    painted = np.zeros((h, w), dtype=np.uint8)
    painted[5:9, 30:33] = 255
    result["value"]["rle"] = encode_rle(painted)
    new = dict(result, id="aB3xY9kLmQ")
    new["value"] = dict(result["value"], brushlabels=["dog"])
    edited, drawn = im.from_ls_instances([result, new], hints)
    assert edited.id == label.id
    assert np.allclose(edited.bounding_box, [30 / w, 5 / h, 3 / w, 4 / h])
    assert edited.mask.shape == (4, 3) and edited.mask.all()
    assert drawn.label == "dog" and is_label_id(drawn.id)
    assert drawn.id != label.id


def test_soft_brush_edges_threshold():
    w, h = 8, 4
    alpha = np.zeros((h, w), dtype=np.uint8)
    alpha[1, 2:6] = [127, 128, 255, 40]
    result = {
        "id": "x",
        "from_name": "inst",
        "type": "brushlabels",
        "original_width": w,
        "original_height": h,
        "value": {
            "format": "rle",
            "rle": encode_rle(alpha),
            "brushlabels": ["cat"],
        },
    }
    label = im.from_ls_instance(result)
    assert np.allclose(label.bounding_box, [3 / w, 1 / h, 2 / w, 1 / h])


def test_maskless_instances_come_back_from_hints():
    w, h = 10, 10
    no_mask = fol.Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2])
    outside = fol.Detection(
        label="dog", bounding_box=[1.5, 1.5, 0.2, 0.2], mask=np.ones((2, 2))
    )
    labels = fol.Detections(detections=[no_mask, outside])
    assert im.to_ls_instances(labels, "inst", w, h) == []
    hints = im.instance_hints(labels, w, h)
    back = {d.id: d for d in im.from_ls_instances([], hints)}
    assert back[no_mask.id].bounding_box == no_mask.bounding_box
    assert back[outside.id].label == "dog"


def test_instance_problems_are_reported():
    good = im.to_ls_instance(
        fol.Detection(
            label="cat", bounding_box=[0, 0, 0.5, 0.5], mask=np.ones((2, 2))
        ),
        "inst",
        4,
        4,
    )[0]
    bad_rle = dict(good, id="b1")
    bad_rle["value"] = dict(good["value"], rle=[1, 2, 3])
    no_size = {k: v for k, v in good.items() if k != "original_width"}
    no_size["id"] = "b2"
    empty = dict(good, id="b3")
    empty["value"] = dict(
        good["value"], rle=encode_rle(np.zeros((4, 4), np.uint8))
    )
    problems = []
    labels = im.from_ls_instances(
        [good, bad_rle, no_size, empty], problems=problems
    )
    assert [x.id for x in labels] == [good["id"]]
    reasons = {p[1]: p[2] for p in problems}
    assert "malformed RLE" in reasons["b1"]
    assert "original_width" in reasons["b2"]
    assert "no pixel" in reasons["b3"]
    with pytest.raises(ResultError):
        im.from_ls_instances([bad_rle])


def test_mask_path_must_be_loaded(tmp_path):
    import cv2

    path = str(tmp_path / "m.png")
    cv2.imwrite(path, np.full((2, 3), 255, np.uint8))
    label = fol.Detection(
        label="cat", bounding_box=[0, 0, 0.3, 0.2], mask_path=path
    )
    with pytest.raises(ValueError, match="mask_path"):
        im.to_ls_instance(label, "inst", 10, 10)


# --- semantic segmentation ---------------------------------------------


@st.composite
def segmentations(draw):
    w, h = draw(sizes)
    n = draw(st.integers(1, 6))
    mask = draw(hnp.arrays(np.uint8, (h, w), elements=st.integers(0, n - 1)))
    names = draw(
        st.lists(
            st.text(min_size=1, max_size=8).filter(lambda s: not s.isdigit()),
            min_size=n,
            max_size=n,
            unique=True,
        )
    )
    targets = {i: name for i, name in enumerate(names)}
    if draw(st.booleans()):  # some values without a target name
        targets.pop(n - 1, None)
    return fol.Segmentation(mask=mask), targets, w, h


@given(segmentations())
@settings(max_examples=200, deadline=None)
def test_segmentation_round_trip(case):
    label, targets, w, h = case
    results = sm.to_ls_segmentation(label, "seg", w, h, targets)
    present = sorted(set(np.unique(label.mask)) - {0})
    assert [r["id"] for r in results] == [f"{label.id}_{v}" for v in present]
    for r, v in zip(results, present):
        assert r["value"]["brushlabels"] == [targets.get(v, str(v))]
        assert np.array_equal(alpha_of(r) > 0, label.mask == v)
    hints = sm.segmentation_hints(label, w, h)
    problems = []
    (back,) = sm.from_ls_segmentation(results, targets, hints, problems)
    assert problems == []
    assert back.id == label.id
    assert np.array_equal(back.mask, label.mask)


def test_segmentation_later_regions_paint_over_and_unknown_reported():
    w, h = 6, 4
    mask = np.zeros((h, w), np.uint8)
    mask[:, :3] = 1
    label = fol.Segmentation(mask=mask)
    targets = {0: "bg", 1: "sky", 2: "road", 300: "car"}
    results = sm.to_ls_segmentation(label, "seg", w, h, targets)
    over = np.zeros((h, w), np.uint8)
    over[:2, :] = 255
    extra = dict(results[0], id="newregion1")
    extra["value"] = dict(
        results[0]["value"], rle=encode_rle(over), brushlabels=["car"]
    )
    unknown = dict(extra, id="newregion2")
    unknown["value"] = dict(extra["value"], brushlabels=["tree"])
    problems = []
    (back,) = sm.from_ls_segmentation(
        results + [extra, unknown], targets, problems=problems
    )
    expected = mask.astype(np.uint16)
    expected[:2, :] = 300
    assert back.mask.dtype == np.uint16
    assert np.array_equal(back.mask, expected)
    assert back.id == label.id
    assert problems == [("seg", "newregion2", problems[0][2])]
    assert "'tree'" in problems[0][2]


def test_segmentation_all_background_and_deleted_regions():
    w, h = 5, 5
    label = fol.Segmentation(mask=np.zeros((h, w), np.uint8))
    assert sm.to_ls_segmentation(label, "seg", w, h, {0: "bg"}) == []
    hints = sm.segmentation_hints(label, w, h)
    (back,) = sm.from_ls_segmentation([], {0: "bg"}, hints)
    assert back.id == label.id and not back.mask.any()
    assert back.mask.shape == (h, w)
    assert sm.from_ls_segmentation([], {0: "bg"}) == []


def test_segmentation_of_other_size_is_resized():
    mask = np.zeros((4, 6), np.uint8)
    mask[:2, :3] = 2
    label = fol.Segmentation(mask=mask)
    (result,) = sm.to_ls_segmentation(label, "seg", 12, 8, None)
    full = alpha_of(result) > 0
    assert full.shape == (8, 12) and full[:4, :6].all()
    assert full.sum() == 24
    hints = sm.segmentation_hints(label, 12, 8)
    (back,) = sm.from_ls_segmentation([result], None, hints)
    assert np.array_equal(back.mask, mask)


def test_rgb_masks_are_refused():
    rgb = fol.Segmentation(mask=np.zeros((3, 3, 3), np.uint8))
    with pytest.raises(ValueError, match="RGB"):
        sm.to_ls_segmentation(rgb, "seg", 3, 3, None)
    gray = fol.Segmentation(mask=np.zeros((3, 3), np.uint8))
    with pytest.raises(ValueError, match="RGB"):
        sm.to_ls_segmentation(gray, "seg", 3, 3, {"#ff0000": "red"})


def test_segmentation_size_mismatch_between_regions_reported():
    label = fol.Segmentation(mask=np.array([[1, 2]], np.uint8))
    a, b = sm.to_ls_segmentation(label, "seg", 2, 1, None)
    b["original_width"], b["original_height"] = 1, 2
    problems = []
    (back,) = sm.from_ls_segmentation([a, b], None, problems=problems)
    assert np.array_equal(back.mask, [[1, 0]])
    assert "differs" in problems[0][2]
