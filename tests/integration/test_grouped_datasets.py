"""Grouped datasets through a real Label Studio server and back.

One task per group with one ``Image`` per slice, each slice's controls
bound to its image (``backend/groups.py``, ``converters/group_tasks.py``).
Annotations are submitted through the API the way the editor does (from
the task's prediction); loads go through FiftyOne's
``dataset.load_annotations`` and ``fiftyone_labelstudio.load_annotations``
(``load_with``) and are compared exactly on every slice's samples. What
cannot be done is refused before anything is created.
"""

import xml.etree.ElementTree as ET

import fiftyone as fo
import pytest

import fiftyone_labelstudio as fols

from test_backend_common import (
    annotate_task,
    close,
    creds,
    image_size,
    load_with,
    project_ids,
    snapshot,
)
from test_incremental_loads import no_margin  # noqa: F401 (a fixture)

FIELDS = ["gt", "weather"]


def _every_slice(dataset):
    return dataset.select_group_slices(_allow_mixed=True)


def _grouped(dataset, sample_images, n_groups=3, extra=None):
    """``n_groups`` groups of slices left / right (and ``extra``:
    ``{slice: filepath}`` added to every group), each image with a
    Detections field ``gt`` (an attribute, a confidence) and a
    Classification ``weather``; returns ``{(group, slice): sample}``."""
    dataset.add_group_field("group", default="left")
    samples = {}
    for i in range(n_groups):
        group = fo.Group()
        for j, slice_ in enumerate(("left", "right")):
            path = sample_images[(i + j) % len(sample_images)]
            sample = fo.Sample(filepath=path, group=group.element(slice_))
            sample["gt"] = fo.Detections(
                detections=[
                    fo.Detection(
                        label="car" if j == 0 else "person",
                        bounding_box=[0.1 + 0.1 * i, 0.2, 0.3, 0.25],
                        confidence=0.5 + 0.1 * j,
                        occluded=bool(j),
                    ),
                    fo.Detection(
                        label="person",
                        bounding_box=[0.5, 0.5, 0.1 + 0.05 * j, 0.2],
                        occluded=False,
                    ),
                ]
            )
            sample["weather"] = fo.Classification(
                label=["sun", "rain"][(i + j) % 2]
            )
            samples[(i, slice_)] = sample
        for slice_, path in (extra or {}).items():
            samples[(i, slice_)] = fo.Sample(
                filepath=path, group=group.element(slice_)
            )
    dataset.add_samples(list(samples.values()))
    _every_slice(dataset).compute_metadata()
    for sample in samples.values():
        sample.reload()
    return samples


def _annotate(dataset, key, ls_server, entry=None, **kwargs):
    """Through ``dataset.annotate`` or ``entry`` (e.g.
    ``fiftyone_labelstudio.annotate``)."""
    if entry is None:
        entry = lambda *a, **k: dataset.annotate(*a[1:], **k)
    kwargs.setdefault(
        "label_schema",
        {
            "gt": {"attributes": {"occluded": {"type": "checkbox"}}},
            "weather": {},
        },
    )
    return entry(
        dataset, key, backend="labelstudio", **creds(ls_server), **kwargs
    )


def _prediction(task) -> list:
    (pred,) = [
        p for p in task["predictions"] if p["model_version"] == "fiftyone"
    ]
    return [dict(r, value=dict(r["value"])) for r in pred["result"]]


def test_one_task_per_group_round_trip(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, load_with
):
    samples = _grouped(dataset, sample_images)
    results = _annotate(dataset, "grp", ls_server)

    # the id_map is keyed by the slice samples
    assert set(results.id_map["gt"]) == {s.id for s in samples.values()}
    project = ls_client.get_project(results.project_id)
    root = ET.fromstring(project["label_config"])
    images = {e.get("name"): e.get("value") for e in root.iter("Image")}
    assert images == {
        "image_left": "$image_left",
        "image_right": "$image_right",
    }
    bound = {
        e.get("name"): e.get("toName")
        for e in root.iter()
        if e.get("toName") is not None
    }
    assert bound == {
        "gt_left": "image_left",
        "gt__occluded_left": "image_left",
        "weather_left": "image_left",
        "gt_right": "image_right",
        "gt__occluded_right": "image_right",
        "weather_right": "image_right",
    }

    tasks = ls_client.export_tasks(results.project_id)
    assert len(tasks) == 3 == len(results.task_map)
    for task in tasks:
        meta = task["data"]["fiftyone"]
        assert set(meta["slices"]) == {"left", "right"}
        assert task["data"]["image_left"] and task["data"]["image_right"]
        group = [
            k
            for k in samples
            if samples[k].id == meta["slices"]["left"]["sample_id"]
        ][0][0]
        members = {s: samples[(group, s)] for s in ("left", "right")}
        for slice_, sample in members.items():
            assert meta["slices"][slice_]["sample_id"] == sample.id
            regions = [
                r
                for r in _prediction(task)
                if r["to_name"] == "image_" + slice_
            ]
            # every label of the slice is a region of its image (or, for
            # the classification, its choice), under its own label id
            ids = {r["id"] for r in regions}
            assert {d.id for d in sample.gt.detections} <= ids
            assert sample.weather.id in ids
            assert all(r["from_name"].endswith("_" + slice_) for r in regions)

    before = snapshot(_every_slice(dataset), FIELDS)
    for task in tasks:  # submitted unchanged
        annotate_task(ls_client, task["id"], _prediction(task))
    load_with(dataset, "grp")
    assert snapshot(_every_slice(dataset), FIELDS) == before
    load_with(dataset, "grp")
    assert snapshot(_every_slice(dataset), FIELDS) == before


def _report(dataset):
    return dataset.load_annotation_results("grp")._load_report


def test_edit_of_one_slice_changes_only_its_sample(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    no_margin,
):
    samples = _grouped(dataset, sample_images, n_groups=2)
    results = _annotate(dataset, "grp", ls_server)
    # a first load (full) of tasks nobody annotated changes nothing
    unchanged = snapshot(_every_slice(dataset), FIELDS)
    load_with(dataset, "grp")
    assert snapshot(_every_slice(dataset), FIELDS) == unchanged
    left, right = samples[(0, "left")], samples[(0, "right")]
    (task,) = [
        t
        for t in ls_client.export_tasks(results.project_id)
        if t["data"]["fiftyone"]["slices"]["right"]["sample_id"] == right.id
    ]
    box = right.gt.detections[0]
    res = _prediction(task)
    for r in res:
        if r["id"] == box.id and r["type"] == "rectanglelabels":
            r["value"].update(x=40.0, y=30.0)
            r["value"]["rectanglelabels"] = ["car"]
        if r["id"] == right.weather.id:
            r["value"]["choices"] = [
                "sun" if right.weather.label == "rain" else "rain"
            ]
    w, h = image_size(right)
    res.append(
        {
            "id": "newbox0001",
            "from_name": "gt_right",
            "to_name": "image_right",
            "type": "rectanglelabels",
            "origin": "manual",
            "original_width": w,
            "original_height": h,
            "image_rotation": 0,
            "value": {
                "x": 5,
                "y": 6,
                "width": 10,
                "height": 12,
                "rotation": 0,
                "rectanglelabels": ["person"],
            },
        }
    )
    annotate_task(ls_client, task["id"], res)

    others = [s for k, s in samples.items() if s.id != right.id]
    view = _every_slice(dataset).select([s.id for s in others])
    before_others = snapshot(view, FIELDS)
    old_weather = right.weather.label
    load_with(dataset, "grp")
    # incremental: only the edited group's task is read
    assert _report(dataset)["incremental"] is True
    assert _report(dataset)["tasks_read"] == 1

    assert snapshot(view, FIELDS) == before_others  # left slice untouched
    right.reload()
    dets = right.gt.detections
    assert [d.id for d in dets[:2]] == [
        box.id,
        samples[(0, "right")].gt.detections[1].id,
    ]
    assert dets[0].label == "car"
    assert close(dets[0].bounding_box, [0.4, 0.3, 0.3, 0.25])
    assert (dets[0].confidence, dets[0].occluded) == (0.6, True)
    assert len(dets) == 3 and dets[2].label == "person"
    assert close(dets[2].bounding_box, [0.05, 0.06, 0.1, 0.12])
    assert right.weather.label != old_weather
    left.reload()
    assert left.id not in {d.id for d in dets}

    # loading again, incrementally or in full, changes nothing
    after = snapshot(_every_slice(dataset), FIELDS)
    id_map = dataset.load_annotation_results("grp").id_map
    load_with(dataset, "grp")
    assert snapshot(_every_slice(dataset), FIELDS) == after
    load_with(dataset, "grp", full=True)
    assert _report(dataset)["incremental"] is False
    assert snapshot(_every_slice(dataset), FIELDS) == after
    assert dataset.load_annotation_results("grp").id_map == id_map


@pytest.mark.parametrize(
    "case",
    ["video slice", "point cloud slice", "3d slice", "missing slice"],
)
def test_refused_before_anything_is_created(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    case,
    tmp_path,
):
    extra = {
        "video slice": {"front": str(tmp_path / "front.mp4")},
        "point cloud slice": {"lidar": str(tmp_path / "scan.pcd")},
        "3d slice": {"scene": str(tmp_path / "scene.fo3d")},
        "missing slice": {},
    }[case]
    samples = _grouped(dataset, sample_images, n_groups=2, extra=extra)
    if case == "missing slice":
        dataset.delete_samples([samples[(1, "right")].id])
    before = snapshot(_every_slice(dataset), FIELDS)
    projects = project_ids(ls_client)
    if case != "missing slice":
        # FiftyOne's annotate() refuses a collection with a video slice
        # itself (its own message) before the backend sees it
        with pytest.raises(ValueError):
            _annotate(dataset, "grp", ls_server)
        assert project_ids(ls_client) == projects
    with pytest.raises(ValueError) as info:
        _annotate(dataset, "grp", ls_server, entry=fols.annotate)
    message = str(info.value)
    if case == "missing slice":
        assert "lack a slice" in message and "no ['right']" in message
    else:
        (name,) = extra
        assert "are not images" in message and repr(name) in message
        assert "select_group_slices(['left', 'right'], flat=False)" in message
    assert project_ids(ls_client) == projects
    assert dataset.list_annotation_runs() == []
    assert snapshot(_every_slice(dataset), FIELDS) == before

    if case != "missing slice":
        # the image slices alone can be sent
        images = dataset.select_group_slices(["left", "right"], flat=False)
        results = _annotate(images, "grp", ls_server)
        assert len(results.task_map) == 2
        assert results.config.group_slices == ["left", "right"]


@pytest.mark.parametrize(
    "kwargs, named",
    [
        ({"predictions_field": "gt"}, "predictions_field"),
        ({"project_id": 1}, "project_id"),
        (
            {"label_schema": {"score": {"type": "scalar"}}},
            r"Scalar field\(s\) \['score'\]",
        ),
    ],
)
def test_unsupported_options_are_refused(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    kwargs,
    named,
):
    _grouped(dataset, sample_images, n_groups=1)
    _every_slice(dataset).set_values("score", [1.0, 2.0])
    projects = project_ids(ls_client)
    with pytest.raises(ValueError, match=named):
        _annotate(dataset, "grp", ls_server, **kwargs)
    assert project_ids(ls_client) == projects
    assert dataset.list_annotation_runs() == []


def test_request_and_load_operators_on_a_grouped_dataset(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    from test_operators_support import run

    samples = _grouped(dataset, sample_images, n_groups=2)
    # the App's form: the grouped dataset can be sent as it is
    props, errors = _resolve_request(dataset)
    assert errors == {}
    result, _ = run(
        "request_annotations",
        dataset,
        {
            "anno_key": "ops",
            "existing_fields": ["gt", "weather"],
            "media_mode": "upload",
        },
    )
    tasks = ls_client.export_tasks(result["project_id"])
    assert len(tasks) == 2  # one per group
    results = dataset.load_annotation_results(
        "ops", url=ls_server.url, api_key=ls_server.api_key
    )
    assert set(results.id_map["gt"]) == {s.id for s in samples.values()}

    right = samples[(1, "right")]
    (task,) = [
        t
        for t in tasks
        if t["data"]["fiftyone"]["slices"]["right"]["sample_id"] == right.id
    ]
    res = [
        (
            dict(r, value=dict(r["value"], choices=["sun"]))
            if r["id"] == right.weather.id
            else r
        )
        for r in _prediction(task)
    ]
    annotate_task(ls_client, task["id"], res)
    before = snapshot(_every_slice(dataset).exclude(right.id), FIELDS)
    run("load_annotations", dataset, {"anno_key": "ops"})
    right.reload()
    assert right.weather.label == "sun"
    assert snapshot(_every_slice(dataset).exclude(right.id), FIELDS) == before


def _resolve_request(dataset):
    from test_operators_support import resolve

    return resolve(dataset, "request_annotations", {"existing_fields": ["gt"]})


def test_attributes_of_every_slice_become_controls(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    samples = _grouped(dataset, sample_images, n_groups=1)
    right = samples[(0, "right")]
    right.gt.detections[0]["truncated"] = True  # on the right slice only
    right.save()
    results = fols.annotate(
        dataset, "grp", label_field="gt", **creds(ls_server)
    )
    root = ET.fromstring(
        ls_client.get_project(results.project_id)["label_config"]
    )
    names = {e.get("name") for e in root.iter() if e.get("name")}
    assert {"gt__truncated_left", "gt__truncated_right"} <= names
    assert {"gt__occluded_left", "gt__occluded_right"} <= names
