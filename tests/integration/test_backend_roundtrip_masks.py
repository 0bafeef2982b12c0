"""Instance masks and semantic segmentations through a real Label Studio
server and back (brush RLE), as in test_backend_roundtrip.py: exact
masks, boxes, ids; loading twice changes nothing; every test runs with
FiftyOne's merge and with the bulk merge.
"""

import numpy as np

import fiftyone as fo

from test_backend_common import (
    add_images,
    annotate_task,
    by_id,
    close,
    new_region,
    prediction_results,
    snapshot,
    tasks_by_sample,
    annotate_run,
    image_size,
    load_twice,
    load_with,
)


def _full_mask(sample, box_px):
    """A full-frame bool mask with the pixel box (x, y, w, h) set."""
    w, h = image_size(sample)
    mask = np.zeros((h, w), dtype=bool)
    x, y, bw, bh = box_px
    mask[y : y + bh, x : x + bw] = True
    return mask


def test_instances(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, load_with
):
    from fiftyone_labelstudio.converters.rle import encode_rle

    s0, s1 = add_images(dataset, sample_images, 2)
    w, h = image_size(s0)
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
    w1, h1 = image_size(s1)
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

    results = annotate_run(
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
    load_twice(load_with, dataset, "inst", ["inst"], unexpected="ignore")

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
    w, h = image_size(s0)
    mask = np.zeros((h, w), dtype=np.uint8)
    mask[:100, :] = 1  # sky
    mask[300:400, 50:250] = 2  # road
    seg = fo.Segmentation(mask=mask)
    s0["seg"] = seg
    w1, h1 = image_size(s1)
    mask1 = np.zeros((h1, w1), dtype=np.uint8)
    mask1[5:50, 5:50] = 2
    s1["seg"] = fo.Segmentation(mask=mask1)
    s0.save()
    s1.save()

    targets = {0: "background", 1: "sky", 2: "road", 3: "car"}
    results = annotate_run(
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
    load_twice(load_with, dataset, "seg", ["seg"], unexpected="ignore")

    s0.reload()
    expected = np.zeros((h, w), dtype=np.uint8)
    expected[:100, :] = 1
    expected[350:450, 100:300] = 2
    expected[200:220, 400:450] = 3
    assert s0.seg.id == seg.id
    assert np.array_equal(s0.seg.get_mask(), expected)
    assert snapshot(dataset.select(s1.id), ["seg"]) == before_s1


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
    w, h = image_size(s0)
    mask = np.zeros((h, w), dtype=np.uint8)
    mask[10:60, 20:90] = 1
    path = str(tmp_path / "seg.png")
    Image.fromarray(mask).save(path)
    seg = fo.Segmentation(mask_path=path)
    s0["seg"] = seg
    s0.save()

    results = annotate_run(
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
