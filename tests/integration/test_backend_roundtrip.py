"""Every label type through a real Label Studio server and back.

Annotations are submitted the way the editor does: the annotator starts
from the task's prediction (the uploaded labels), moves/relabels/deletes
regions and draws new ones. Loaded labels are compared exactly (floats
within 1e-6): geometry, classes, attributes, label ids. Each test also
checks that an unannotated sample is untouched and that loading twice
changes nothing. Every test runs with FiftyOne's merge and with the
bulk merge (``fiftyone_labelstudio.load_annotations``).
"""

import math

import numpy as np
import pytest

import fiftyone as fo

from test_backend_common import (
    BACKEND,
    add_images,
    annotate_task,
    by_id,
    close,
    creds,
    new_region,
    prediction_results,
    snapshot,
    tasks_by_sample,
)

NAN = float("nan")


def _annotate(dataset, key, ls_server, **kwargs):
    return dataset.annotate(key, backend=BACKEND, **creds(ls_server), **kwargs)


def _load_twice(load_with, dataset, key, fields, **kwargs):
    """Loads, then checks that a second load changes nothing."""
    out = load_with(dataset, key, **kwargs)
    first = snapshot(dataset, fields)
    load_with(dataset, key, **kwargs)
    assert snapshot(dataset, fields) == first
    return out


@pytest.fixture(params=["fiftyone merge", "bulk merge"])
def load_with(request):
    """Every test loads through FiftyOne's ``dataset.load_annotations``
    and through ``fiftyone_labelstudio.load_annotations`` (bulk merge)."""
    if request.param == "fiftyone merge":
        return lambda dataset, key, **kw: dataset.load_annotations(key, **kw)
    import fiftyone_labelstudio

    return fiftyone_labelstudio.load_annotations


def _size(sample):
    return sample.metadata.width, sample.metadata.height


def test_detections(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, load_with
):
    s0, s1, s2 = add_images(dataset, sample_images, 3)
    a = fo.Detection(
        label="cat",
        bounding_box=[0.1, 0.1, 0.2, 0.3],
        confidence=0.9,
        note="keep me",
    )
    b = fo.Detection(label="dog", bounding_box=[0.5, 0.5, 0.2, 0.2])
    c = fo.Detection(label="cat", bounding_box=[0.6, 0.1, 0.3, 0.3], index=4)
    d = fo.Detection(label="dog", bounding_box=[0.2, 0.2, 0.5, 0.5])
    s0["gt"] = fo.Detections(detections=[a, b, c])
    s1["gt"] = fo.Detections(detections=[d])
    s0.save()
    s1.save()

    results = _annotate(
        dataset,
        "det",
        ls_server,
        label_field="gt",
        classes=["cat", "dog", "bird"],
    )
    assert results.id_map == {"gt": {s0.id: [a.id, b.id, c.id], s1.id: [d.id]}}

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    by_id(res, a.id)["value"].update(x=50.0, y=40.0)  # move
    res = [r for r in res if r["id"] != b.id]  # delete
    by_id(res, c.id)["value"]["rectanglelabels"] = ["dog"]  # relabel
    w, h = _size(s0)
    res.append(
        new_region(
            "newbox0001",
            "gt",
            "rectanglelabels",
            {
                "x": 5,
                "y": 6,
                "width": 10,
                "height": 12,
                "rotation": 0,
                "rectanglelabels": ["bird"],
            },
            w,
            h,
        )
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)
    w, h = _size(s2)
    annotate_task(
        ls_client,
        tasks[s2.id]["id"],
        [
            new_region(
                "newbox0002",
                "gt",
                "rectanglelabels",
                {
                    "x": 10,
                    "y": 20,
                    "width": 30,
                    "height": 40,
                    "rotation": 0,
                    "rectanglelabels": ["cat"],
                },
                w,
                h,
            )
        ],
    )

    before_s1 = snapshot(dataset.select(s1.id), ["gt"])
    _load_twice(load_with, dataset, "det", ["gt"], unexpected="ignore")

    s0.reload()
    dets = s0.gt.detections
    assert [x.id for x in dets[:2]] == [a.id, c.id]
    assert close(dets[0].bounding_box, [0.5, 0.4, 0.2, 0.3])
    assert (dets[0].label, dets[0].confidence, dets[0]["note"]) == (
        "cat",
        0.9,
        "keep me",
    )
    assert (dets[1].label, dets[1].index) == ("dog", 4)
    assert close(dets[1].bounding_box, [0.6, 0.1, 0.3, 0.3])
    assert len(dets) == 3 and dets[2].label == "bird"
    assert close(dets[2].bounding_box, [0.05, 0.06, 0.1, 0.12])
    s2.reload()
    assert [x.label for x in s2.gt.detections] == ["cat"]
    assert close(s2.gt.detections[0].bounding_box, [0.1, 0.2, 0.3, 0.4])
    assert snapshot(dataset.select(s1.id), ["gt"]) == before_s1


def test_classification_and_classifications_in_one_task(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, load_with
):
    s0, s1 = add_images(dataset, sample_images, 2)
    scene = fo.Classification(label="indoor")
    ta, tb = fo.Classification(label="a"), fo.Classification(label="b")
    s0["scene"] = scene
    s0["topics"] = fo.Classifications(classifications=[ta, tb])
    s1["scene"] = fo.Classification(label="outdoor")
    s0.save()
    s1.save()

    results = _annotate(
        dataset,
        "cls",
        ls_server,
        label_schema={
            "scene": {"classes": ["indoor", "outdoor"]},
            "topics": {"classes": ["a", "b", "c"]},
        },
    )
    assert results.id_map["scene"] == {s0.id: scene.id, s1.id: s1.scene.id}
    assert results.id_map["topics"] == {s0.id: [ta.id, tb.id]}

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    by_id(res, scene.id)["value"]["choices"] = ["outdoor"]
    # the editor merges the choices of one control into ONE result
    res = [r for r in res if r["from_name"] != "topics"]
    w, h = _size(s0)
    res.append(
        new_region(
            "tagsmerged", "topics", "choices", {"choices": ["a", "c"]}, w, h
        )
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)

    before_s1 = snapshot(dataset.select(s1.id), ["scene", "topics"])
    _load_twice(
        load_with, dataset, "cls", ["scene", "topics"], unexpected="ignore"
    )

    s0.reload()
    assert (s0.scene.id, s0.scene.label) == (scene.id, "outdoor")
    labels = {x.label: x.id for x in s0.topics.classifications}
    assert set(labels) == {"a", "c"}
    assert labels["a"] == ta.id and labels["c"] != tb.id
    assert snapshot(dataset.select(s1.id), ["scene", "topics"]) == before_s1


def _move_first_vertex(value, x, y):
    if "points" in value:
        value["points"][0] = [x, y]
    else:
        value["vertices"][0].update(x=x, y=y)


def test_polygons_and_polylines(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, load_with
):
    s0, s1 = add_images(dataset, sample_images, 2)
    poly = fo.Polyline(
        label="roof",
        points=[[[0.1, 0.1], [0.4, 0.1], [0.3, 0.4]]],
        closed=True,
        filled=True,
    )
    two = fo.Polyline(
        label="roof",
        points=[
            [[0.5, 0.5], [0.6, 0.5], [0.6, 0.6]],
            [[0.7, 0.7], [0.8, 0.7], [0.8, 0.8]],
        ],
        closed=True,
        filled=True,
    )
    line = fo.Polyline(
        label="wire",
        points=[[[0.1, 0.9], [0.5, 0.8], [0.9, 0.9]]],
        closed=False,
        filled=False,
    )
    s0["shapes"] = fo.Polylines(polylines=[poly, two])
    s0["lines"] = fo.Polylines(polylines=[line])
    s1["lines"] = fo.Polylines(
        polylines=[
            fo.Polyline(
                label="wire", points=[[[0.2, 0.2], [0.3, 0.3]]], closed=False
            )
        ]
    )
    s0.save()
    s1.save()

    results = _annotate(
        dataset,
        "poly",
        ls_server,
        label_schema={
            "shapes": {"type": "polygons", "classes": ["roof", "wall"]},
            "lines": {"type": "polylines", "classes": ["wire"]},
        },
    )
    assert results.id_map["shapes"] == {s0.id: [poly.id, two.id]}

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    _move_first_vertex(by_id(res, poly.id)["value"], 20.0, 15.0)
    res = [r for r in res if r["id"] != "%s_1_2" % two.id]  # drop a shape
    _move_first_vertex(by_id(res, line.id)["value"], 12.0, 88.0)
    w, h = _size(s0)
    res.append(
        new_region(
            "newpoly001",
            "shapes",
            "polygonlabels",
            {
                "points": [[50, 10], [60, 10], [55, 20]],
                "closed": True,
                "polygonlabels": ["wall"],
            },
            w,
            h,
        )
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)

    before_s1 = snapshot(dataset.select(s1.id), ["shapes", "lines"])
    _load_twice(
        load_with, dataset, "poly", ["shapes", "lines"], unexpected="ignore"
    )

    s0.reload()
    got = s0.shapes.polylines
    assert [x.id for x in got[:2]] == [poly.id, two.id]
    assert close(got[0].points, [[[0.2, 0.15], [0.4, 0.1], [0.3, 0.4]]])
    assert (got[0].closed, got[0].filled) == (True, True)
    assert close(got[1].points, [[[0.5, 0.5], [0.6, 0.5], [0.6, 0.6]]])
    assert got[2].label == "wall" and (got[2].closed, got[2].filled) == (
        True,
        True,
    )
    assert close(got[2].points, [[[0.5, 0.1], [0.6, 0.1], [0.55, 0.2]]])
    (wire,) = s0.lines.polylines
    assert wire.id == line.id and (wire.closed, wire.filled) == (False, False)
    assert close(wire.points, [[[0.12, 0.88], [0.5, 0.8], [0.9, 0.9]]])
    assert snapshot(dataset.select(s1.id), ["shapes", "lines"]) == before_s1


def test_keypoints(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, load_with
):
    s0, s1 = add_images(dataset, sample_images, 2)
    kp = fo.Keypoint(
        label="person", points=[[0.1, 0.2], [0.3, 0.4], [NAN, NAN], [0.5, 0.6]]
    )
    s0["kps"] = fo.Keypoints(keypoints=[kp])
    s1["kps"] = fo.Keypoints(
        keypoints=[fo.Keypoint(label="person", points=[[0.7, 0.7]])]
    )
    s0.save()
    s1.save()

    results = _annotate(
        dataset, "kp", ls_server, label_field="kps", classes=["person", "dog"]
    )
    assert results.id_map["kps"] == {
        s0.id: [kp.id],
        s1.id: [s1.kps.keypoints[0].id],
    }

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    assert sorted(r["id"] for r in res) == sorted(
        "%s_%d_4" % (kp.id, i) for i in (0, 1, 3)
    )
    by_id(res, "%s_0_4" % kp.id)["value"].update(x=15.0, y=25.0)
    res = [r for r in res if r["id"] != "%s_3_4" % kp.id]
    w, h = _size(s0)
    res.append(
        new_region(
            "newkp00001",
            "kps",
            "keypointlabels",
            {"x": 20, "y": 30, "width": 0.5, "keypointlabels": ["dog"]},
            w,
            h,
        )
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)

    before_s1 = snapshot(dataset.select(s1.id), ["kps"])
    _load_twice(load_with, dataset, "kp", ["kps"], unexpected="ignore")

    s0.reload()
    got = s0.kps.keypoints
    assert got[0].id == kp.id and got[0].label == "person"
    assert close(
        got[0].points, [[0.15, 0.25], [0.3, 0.4], [NAN, NAN], [NAN, NAN]]
    )
    assert len(got) == 2 and got[1].label == "dog"
    assert close(got[1].points, [[0.2, 0.3]])
    assert snapshot(dataset.select(s1.id), ["kps"]) == before_s1


def _full_mask(sample, box_px):
    """A full-frame bool mask with the pixel box (x, y, w, h) set."""
    w, h = _size(sample)
    mask = np.zeros((h, w), dtype=bool)
    x, y, bw, bh = box_px
    mask[y : y + bh, x : x + bw] = True
    return mask


def test_instances(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, load_with
):
    from fiftyone_labelstudio.converters.rle import encode_rle

    s0, s1 = add_images(dataset, sample_images, 2)
    w, h = _size(s0)
    ring = np.ones((50, 100), dtype=bool)
    ring[10:40, 20:80] = False  # a hole: the mask is not just its box
    a = fo.Detection(
        label="cat", bounding_box=[64 / w, 128 / h, 100 / w, 50 / h], mask=ring
    )
    b = fo.Detection(
        label="dog",
        bounding_box=[300 / w, 300 / h, 40 / w, 30 / h],
        mask=np.ones((30, 40), dtype=bool),
    )
    s0["inst"] = fo.Detections(detections=[a, b])
    w1, h1 = _size(s1)
    s1["inst"] = fo.Detections(
        detections=[
            fo.Detection(
                label="cat",
                bounding_box=[10 / w1, 10 / h1, 20 / w1, 20 / h1],
                mask=np.ones((20, 20), dtype=bool),
            )
        ]
    )
    s0.save()
    s1.save()

    results = _annotate(
        dataset,
        "inst",
        ls_server,
        label_field="inst",
        label_type="instances",
        classes=["cat", "dog"],
    )
    assert results.id_map["inst"] == {
        s0.id: [a.id, b.id],
        s1.id: [s1.inst.detections[0].id],
    }

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    # repaint b somewhere else; delete nothing; paint a new instance
    by_id(res, b.id)["value"]["rle"] = encode_rle(
        _full_mask(s0, (200, 100, 30, 20)).astype(np.uint8) * 255
    )
    res.append(
        new_region(
            "newbrush01",
            "inst",
            "brushlabels",
            {
                "format": "rle",
                "brushlabels": ["cat"],
                "rle": encode_rle(
                    _full_mask(s0, (10, 400, 25, 15)).astype(np.uint8) * 255
                ),
            },
            w,
            h,
        )
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)

    before_s1 = snapshot(dataset.select(s1.id), ["inst"])
    _load_twice(load_with, dataset, "inst", ["inst"], unexpected="ignore")

    s0.reload()
    got = {d.id: d for d in s0.inst.detections}
    assert set(got) >= {a.id, b.id} and len(got) == 3
    assert close(got[a.id].bounding_box, a.bounding_box)
    assert np.array_equal(got[a.id].mask.astype(bool), ring)
    assert close(got[b.id].bounding_box, [200 / w, 100 / h, 30 / w, 20 / h])
    assert got[b.id].mask.astype(bool).all() and got[b.id].mask.shape == (
        20,
        30,
    )
    (new,) = [d for i, d in got.items() if i not in (a.id, b.id)]
    assert new.label == "cat"
    assert close(new.bounding_box, [10 / w, 400 / h, 25 / w, 15 / h])
    assert snapshot(dataset.select(s1.id), ["inst"]) == before_s1


def test_segmentation(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, load_with
):
    from fiftyone_labelstudio.converters.rle import encode_rle

    s0, s1 = add_images(dataset, sample_images, 2)
    w, h = _size(s0)
    mask = np.zeros((h, w), dtype=np.uint8)
    mask[:100, :] = 1  # sky
    mask[300:400, 50:250] = 2  # road
    seg = fo.Segmentation(mask=mask)
    s0["seg"] = seg
    w1, h1 = _size(s1)
    mask1 = np.zeros((h1, w1), dtype=np.uint8)
    mask1[5:50, 5:50] = 2
    s1["seg"] = fo.Segmentation(mask=mask1)
    s0.save()
    s1.save()

    targets = {0: "background", 1: "sky", 2: "road", 3: "car"}
    results = _annotate(
        dataset, "seg", ls_server, label_field="seg", mask_targets=targets
    )
    assert results.id_map["seg"] == {s0.id: seg.id, s1.id: s1.seg.id}

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    assert sorted(r["id"] for r in res) == ["%s_1" % seg.id, "%s_2" % seg.id]
    road = np.zeros((h, w), dtype=np.uint8)
    road[350:450, 100:300] = 255
    by_id(res, "%s_2" % seg.id)["value"]["rle"] = encode_rle(road)
    car = np.zeros((h, w), dtype=np.uint8)
    car[200:220, 400:450] = 255
    res.append(
        new_region(
            "newcar0001",
            "seg",
            "brushlabels",
            {"format": "rle", "rle": encode_rle(car), "brushlabels": ["car"]},
            w,
            h,
        )
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)

    before_s1 = snapshot(dataset.select(s1.id), ["seg"])
    _load_twice(load_with, dataset, "seg", ["seg"], unexpected="ignore")

    s0.reload()
    expected = np.zeros((h, w), dtype=np.uint8)
    expected[:100, :] = 1
    expected[350:450, 100:300] = 2
    expected[200:220, 400:450] = 3
    assert s0.seg.id == seg.id
    assert np.array_equal(s0.seg.get_mask(), expected)
    assert snapshot(dataset.select(s1.id), ["seg"]) == before_s1


def test_scalars(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, load_with
):
    s0, s1 = add_images(dataset, sample_images, 2)
    for sample, values in (
        (s0, (3, 0.25, "sun", True)),
        (s1, (5, 1.5, "rain", False)),
    ):
        sample["count"], sample["ratio"], sample["weather"], sample["ok"] = (
            values
        )
        sample.save()

    results = _annotate(
        dataset,
        "sc",
        ls_server,
        label_schema={
            "count": {},
            "ratio": {},
            "ok": {},
            "weather": {"classes": ["sun", "rain", "snow"]},
            "note": {"type": "scalar"},
        },
    )
    assert results.id_map["count"] == {s0.id: True, s1.id: True}
    assert "note" not in results.id_map

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    value_keys = {
        "count": "number",
        "ratio": "number",
        "ok": "choices",
        "weather": "choices",
    }
    new_values = {
        "count": 7,
        "ratio": 0.75,
        "ok": ["false"],
        "weather": ["snow"],
    }
    for r in res:
        r["value"][value_keys[r["from_name"]]] = new_values[r["from_name"]]
    w, h = _size(s0)
    res.append(
        new_region("note", "note", "textarea", {"text": ["hello <&> ü"]}, w, h)
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)

    fields = ["count", "ratio", "weather", "ok", "note"]
    before_s1 = snapshot(dataset.select(s1.id), fields)
    _load_twice(load_with, dataset, "sc", fields, unexpected="ignore")

    s0.reload()
    assert (s0["count"], s0["ratio"], s0["weather"], s0["ok"], s0["note"]) == (
        7,
        0.75,
        "snow",
        False,
        "hello <&> ü",
    )
    assert isinstance(s0["count"], int)
    assert snapshot(dataset.select(s1.id), fields) == before_s1


def test_unexpected_labels_go_through_unexpected(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    caplog,
):
    (s0,) = add_images(dataset, sample_images, 1)
    results = _annotate(
        dataset,
        "unx",
        ls_server,
        label_schema={
            "gt": {"type": "detections", "classes": ["cat"]},
            "scene": {"type": "classification", "classes": ["in", "out"]},
        },
    )
    task = tasks_by_sample(ls_client, results.project_id)[s0.id]
    w, h = _size(s0)
    box = {"x": 10, "y": 10, "width": 10, "height": 10, "rotation": 0}
    annotate_task(
        ls_client,
        task["id"],
        [
            new_region(
                "ok00000001",
                "gt",
                "rectanglelabels",
                dict(box, rectanglelabels=["cat"]),
                w,
                h,
            ),
            new_region(
                "zebra00001",
                "gt",
                "rectanglelabels",
                dict(box, rectanglelabels=["zebra"]),
                w,
                h,
            ),
            new_region(
                "other00001",
                "other_control",
                "rectanglelabels",
                dict(box, rectanglelabels=["car"]),
                w,
                h,
            ),
        ],
    )

    returned = load_with(dataset, "unx", unexpected="return")
    assert [d.label for d in dataset.first().gt.detections] == ["cat"]
    extra = returned["scene"]["detections"][s0.id]
    assert sorted(d.label for d in extra.values()) == ["car", "zebra"]
    assert "not in the schema" in caplog.text

    load_with(dataset, "unx", unexpected="keep")
    assert sorted(d.label for d in dataset.first().detections.detections) == [
        "car",
        "zebra",
    ]
    before = snapshot(dataset, ["gt", "scene", "detections"])
    load_with(dataset, "unx", unexpected="keep")
    assert snapshot(dataset, ["gt", "scene", "detections"]) == before


def test_unknown_class_with_one_field_is_kept_and_warned(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    caplog,
):
    """With one field nothing can carry them through unexpected=; new
    labels of unknown classes are loaded (not lost) with a warning."""
    (s0,) = add_images(dataset, sample_images, 1)
    results = _annotate(
        dataset,
        "one",
        ls_server,
        label_field="gt",
        label_type="detections",
        classes=["cat"],
    )
    task = tasks_by_sample(ls_client, results.project_id)[s0.id]
    w, h = _size(s0)
    box = {"x": 10, "y": 10, "width": 10, "height": 10, "rotation": 0}
    annotate_task(
        ls_client,
        task["id"],
        [
            new_region(
                "zebra00001",
                "gt",
                "rectanglelabels",
                dict(box, rectanglelabels=["zebra"]),
                w,
                h,
            ),
            new_region(
                "ghost00001",
                "nowhere",
                "rectanglelabels",
                dict(box, rectanglelabels=["car"]),
                w,
                h,
            ),
        ],
    )
    load_with(dataset, "one", unexpected="ignore")
    assert [d.label for d in dataset.first().gt.detections] == ["zebra"]
    assert "1 new detections of 'gt'" in caplog.text
    assert "1 detections from control 'nowhere'" in caplog.text


def test_masks_stored_on_disk(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    tmp_path,
):
    """``mask_path`` segmentations are read for upload; ids stay the same.

    (FiftyOne itself leaves ``mask_path``-only Detections out of
    "instances" runs: it selects them by ``mask``.)
    """
    from PIL import Image

    from fiftyone_labelstudio.converters.rle import encode_rle

    (s0,) = add_images(dataset, sample_images, 1)
    w, h = _size(s0)
    mask = np.zeros((h, w), dtype=np.uint8)
    mask[10:60, 20:90] = 1
    path = str(tmp_path / "seg.png")
    Image.fromarray(mask).save(path)
    seg = fo.Segmentation(mask_path=path)
    s0["seg"] = seg
    s0.save()

    results = _annotate(
        dataset, "disk", ls_server, label_field="seg", mask_targets={1: "sky"}
    )
    assert results.id_map == {"seg": {s0.id: seg.id}}
    task = tasks_by_sample(ls_client, results.project_id)[s0.id]
    res = prediction_results(task)
    assert [r["id"] for r in res] == ["%s_1" % seg.id]
    painted = np.zeros((h, w), dtype=np.uint8)
    painted[100:120, 30:50] = 255
    res[0]["value"]["rle"] = encode_rle(painted)
    annotate_task(ls_client, task["id"], res)

    load_with(dataset, "disk", unexpected="ignore")
    s0.reload()
    assert s0.seg.id == seg.id
    expected = (painted > 0).astype(np.uint8)
    assert np.array_equal(s0.seg.get_mask(), expected)
