"""Every label type through a real Label Studio server and back.

Annotations are submitted the way the editor does: the annotator starts
from the task's prediction (the uploaded labels), moves/relabels/deletes
regions and draws new ones. Loaded labels are compared exactly (floats
within 1e-6): geometry, classes, attributes, label ids. Each test also
checks that an unannotated sample is untouched and that loading twice
changes nothing. Every test runs with FiftyOne's merge and with the
bulk merge (``fiftyone_labelstudio.load_annotations``).
"""

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

NAN = float("nan")


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

    results = annotate_run(
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
    w, h = image_size(s0)
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
    w, h = image_size(s2)
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
    load_twice(load_with, dataset, "det", ["gt"], unexpected="ignore")

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

    results = annotate_run(
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
    w, h = image_size(s0)
    res.append(
        new_region(
            "tagsmerged", "topics", "choices", {"choices": ["a", "c"]}, w, h
        )
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)

    before_s1 = snapshot(dataset.select(s1.id), ["scene", "topics"])
    load_twice(
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

    # servers < 1.23 have no VectorLabels: open lines go as polygons there
    # and must come back open all the same
    results = annotate_run(
        dataset,
        "poly",
        ls_server,
        label_schema={
            "shapes": {"type": "polygons", "classes": ["roof", "wall"]},
            "lines": {"type": "polylines", "classes": ["wire"]},
        },
        polylines_as_polygons=not ls_client.capabilities.vector_labels,
    )
    assert results.id_map["shapes"] == {s0.id: [poly.id, two.id]}

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    _move_first_vertex(by_id(res, poly.id)["value"], 20.0, 15.0)
    res = [r for r in res if r["id"] != "%s_1_2" % two.id]  # drop a shape
    _move_first_vertex(by_id(res, line.id)["value"], 12.0, 88.0)
    w, h = image_size(s0)
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
    load_twice(
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

    results = annotate_run(
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
    w, h = image_size(s0)
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
    load_twice(load_with, dataset, "kp", ["kps"], unexpected="ignore")

    s0.reload()
    got = s0.kps.keypoints
    assert got[0].id == kp.id and got[0].label == "person"
    assert close(
        got[0].points, [[0.15, 0.25], [0.3, 0.4], [NAN, NAN], [NAN, NAN]]
    )
    assert len(got) == 2 and got[1].label == "dog"
    assert close(got[1].points, [[0.2, 0.3]])
    assert snapshot(dataset.select(s1.id), ["kps"]) == before_s1


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

    results = annotate_run(
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
    w, h = image_size(s0)
    res.append(
        new_region("note", "note", "textarea", {"text": ["hello <&> ü"]}, w, h)
    )
    annotate_task(ls_client, tasks[s0.id]["id"], res)

    fields = ["count", "ratio", "weather", "ok", "note"]
    before_s1 = snapshot(dataset.select(s1.id), fields)
    load_twice(load_with, dataset, "sc", fields, unexpected="ignore")

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
    results = annotate_run(
        dataset,
        "unx",
        ls_server,
        label_schema={
            "gt": {"type": "detections", "classes": ["cat"]},
            "scene": {"type": "classification", "classes": ["in", "out"]},
        },
    )
    task = tasks_by_sample(ls_client, results.project_id)[s0.id]
    w, h = image_size(s0)
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
    # a control the schema lacks: by type, through FiftyOne's unexpected=
    extra = returned["scene"]["detections"][s0.id]
    assert sorted(d.label for d in extra.values()) == ["car"]
    assert "not in the schema" in caplog.text
    # a class the run lacks: returned under the field itself
    extra = returned["gt"]["unknown_classes"][s0.id]
    assert sorted(d.label for d in extra.values()) == ["zebra"]

    load_with(dataset, "unx", unexpected="keep")
    assert sorted(d.label for d in dataset.first().detections.detections) == [
        "car"
    ]
    assert sorted(d.label for d in dataset.first().gt.detections) == [
        "cat",
        "zebra",
    ]
    before = snapshot(dataset, ["gt", "scene", "detections"])
    load_with(dataset, "unx", unexpected="keep")
    assert snapshot(dataset, ["gt", "scene", "detections"]) == before


def test_unknown_class_with_one_field_follows_unexpected(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    caplog,
):
    """With one field, new labels of unknown classes follow unexpected=
    all the same; an unknown control that no field can carry is named in
    a warning."""
    (s0,) = add_images(dataset, sample_images, 1)
    results = annotate_run(
        dataset,
        "one",
        ls_server,
        label_field="gt",
        label_type="detections",
        classes=["cat"],
    )
    task = tasks_by_sample(ls_client, results.project_id)[s0.id]
    w, h = image_size(s0)
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
    assert dataset.first().gt is None
    assert "'zebra' x1" in caplog.text
    assert "1 detections from control 'nowhere'" in caplog.text
    load_with(dataset, "one", unexpected="keep")
    assert [d.label for d in dataset.first().gt.detections] == ["zebra"]
