"""Keypoint skeletons through a real Label Studio server and back.

A keypoint field whose dataset has a skeleton gets one Label Studio label
per point name; points come back in skeleton order, invisible or deleted
points as NaN, points drawn in Label Studio where their names say.
"""

import pytest

import fiftyone as fo

from fiftyone_labelstudio.backend import LabelStudioBackendError
from fiftyone_labelstudio.converters.label_config import parse_label_config
from test_backend_common import (
    BACKEND,
    add_images,
    annotate_task,
    close,
    creds,
    new_region,
    prediction_results,
    project_ids,
    tasks_by_sample,
)

NAN = float("nan")
NAMES = ["nose", "left_eye", "right_eye", "tail"]


def _annotate(dataset, key, ls_server, **kwargs):
    return dataset.annotate(key, backend=BACKEND, **creds(ls_server), **kwargs)


def _labels(ls_client, project_id):
    xml = ls_client.get_project(project_id)["label_config"]
    return parse_label_config(xml)["kp"]["labels"]


def _point(region_id, label, x, y, sample):
    return new_region(
        region_id,
        "kp",
        "keypointlabels",
        {"x": x, "y": y, "width": 0.5, "keypointlabels": [label]},
        sample.metadata.width,
        sample.metadata.height,
    )


def _by_label(results):
    return {r["value"]["keypointlabels"][0]: r for r in results}


def test_field_skeleton_names_points_and_order_comes_back(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    s0, s1 = add_images(dataset, sample_images, 2)
    dataset.skeletons = {
        "kp": fo.KeypointSkeleton(labels=NAMES, edges=[[0, 1], [0, 2]])
    }
    dataset.save()
    cat = fo.Keypoint(
        label="cat",
        points=[[0.1, 0.1], [NAN, NAN], [0.3, 0.3], [0.4, 0.4]],
        sitting=True,
    )
    s0["kp"] = fo.Keypoints(keypoints=[cat])
    s0.save()

    results = _annotate(
        dataset,
        "sk",
        ls_server,
        label_field="kp",
        classes=["cat"],
        attributes={"sitting": {"type": "checkbox"}},
    )
    assert results.config.label_schema["kp"]["skeleton"] == NAMES
    assert _labels(ls_client, results.project_id) == NAMES

    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    points = _by_label([r for r in res if r["type"] == "keypointlabels"])
    assert sorted(points) == ["nose", "right_eye", "tail"]
    assert [r["id"] for r in res if r["from_name"] == "kp__sitting"] == [
        cat.id + "_0_4"
    ]
    # move the nose, delete the tail, draw the missing left eye (fills in
    # the cat), and draw a second cat's nose and right eye (the cat has
    # both: they start a new keypoint)
    points["nose"]["value"].update(x=15.0, y=12.0)
    res = [r for r in res if r is not points["tail"]]
    res.append(_point("drawn00001", "left_eye", 20, 21, s0))
    res.append(_point("drawn00002", "nose", 70, 70, s0))
    res.append(_point("drawn00003", "right_eye", 80, 90, s0))
    annotate_task(ls_client, tasks[s0.id]["id"], res)
    # the other sample gets a whole new cat
    annotate_task(
        ls_client,
        tasks[s1.id]["id"],
        [
            _point("drawn00004", "right_eye", 30, 40, s1),
            _point("drawn00005", "nose", 35, 45, s1),
        ],
    )

    dataset.load_annotations("sk")
    s0.reload()
    s1.reload()
    got = {k.id: k for k in s0.kp.keypoints}
    first = got.pop(cat.id)
    assert close(
        first.points, [[0.15, 0.12], [0.2, 0.21], [0.3, 0.3], [NAN, NAN]]
    )
    assert first.sitting is True
    (second,) = got.values()
    assert second.label == "cat"
    assert close(
        second.points, [[0.7, 0.7], [NAN, NAN], [0.8, 0.9], [NAN, NAN]]
    )
    (new,) = s1.kp.keypoints
    assert close(
        new.points, [[0.35, 0.45], [NAN, NAN], [0.3, 0.4], [NAN, NAN]]
    )


def test_default_skeleton_with_several_classes(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    (s0,) = add_images(dataset, sample_images, 1)
    dataset.default_skeleton = fo.KeypointSkeleton(
        labels=["head", "tail"], edges=[[0, 1]]
    )
    dataset.save()
    dog = fo.Keypoint(label="dog", points=[[0.1, 0.2], [0.3, 0.4]])
    s0["kp"] = fo.Keypoints(keypoints=[dog])
    s0.save()
    results = _annotate(
        dataset, "sk2", ls_server, label_field="kp", classes=["cat", "dog"]
    )
    assert _labels(ls_client, results.project_id) == [
        "cat: head",
        "cat: tail",
        "dog: head",
        "dog: tail",
    ]
    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    assert sorted(_by_label(res)) == ["dog: head", "dog: tail"]
    res.append(_point("drawn00006", "cat: tail", 50, 60, s0))
    annotate_task(ls_client, tasks[s0.id]["id"], res)
    dataset.load_annotations("sk2")
    s0.reload()
    got = {k.label: k for k in s0.kp.keypoints}
    assert got["dog"].id == dog.id
    assert close(got["dog"].points, dog.points)
    assert close(got["cat"].points, [[NAN, NAN], [0.5, 0.6]])


def test_without_skeleton_points_keep_class_labels(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    (s0,) = add_images(dataset, sample_images, 1)
    kp = fo.Keypoint(label="cat", points=[[0.1, 0.2], [0.3, 0.4]])
    s0["kp"] = fo.Keypoints(keypoints=[kp])
    s0.save()
    results = _annotate(dataset, "nosk", ls_server, label_field="kp")
    assert "skeleton" not in results.config.label_schema["kp"]
    assert _labels(ls_client, results.project_id) == ["cat"]
    tasks = tasks_by_sample(ls_client, results.project_id)
    res = prediction_results(tasks[s0.id])
    assert [r["value"]["keypointlabels"] for r in res] == [["cat"], ["cat"]]


def test_skeleton_with_repeated_names_is_refused(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    add_images(dataset, sample_images, 1)
    dataset.skeletons = {
        "kp": fo.KeypointSkeleton(labels=["eye", "eye"], edges=[[0, 1]])
    }
    dataset.save()
    before = project_ids(ls_client)
    with pytest.raises(LabelStudioBackendError, match="repeats point names"):
        _annotate(
            dataset,
            "bad",
            ls_server,
            label_field="kp",
            label_type="keypoints",
            classes=["cat"],
        )
    assert project_ids(ls_client) == before
