"""Bad results from Label Studio (the server does not validate them):
posted through its API like an editor would, then loaded. Each bad result
is skipped and counted in one warning (and in the load operator's
output); every good result still loads."""

import json
import logging

import httpx
import numpy as np
import pytest

import fiftyone as fo
from fiftyone_labelstudio.converters.rle import encode_rle

from test_operators_support import operator

BACKEND = "labelstudio"
SCHEMA = {
    "gt": {"type": "detections", "classes": ["cat", "dog"]},
    "weather": {"type": "classification", "classes": ["sun", "rain"]},
    "kp": {"type": "keypoints", "classes": ["cat", "dog"]},
    "seg": {"type": "segmentation", "mask_targets": {1: "cat", 2: "dog"}},
    "count": {"type": "scalar"},
}


@pytest.fixture
def run(dataset, sample_images, ls_server, ls_projects_guard):
    for i, path in enumerate(sample_images[:2]):
        sample = fo.Sample(filepath=path)
        sample["gt"] = fo.Detections(
            detections=[
                fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2])
            ]
        )
        sample["weather"] = fo.Classification(label="sun")
        sample["count"] = 1
        dataset.add_sample(sample)
    dataset.compute_metadata()
    results = dataset.annotate(
        "bad",
        backend=BACKEND,
        label_schema=SCHEMA,
        media_mode="upload",
        url=ls_server.url,
        api_key=ls_server.api_key,
    )
    dataset._annotation_cache.clear()
    return dataset, results


def region(region_id, from_name, result_type, value, size=None):
    result = {
        "id": region_id,
        "from_name": from_name,
        "to_name": "image",
        "type": result_type,
        "origin": "manual",
        "image_rotation": 0,
        "value": value,
    }
    if size is not None:
        result["original_width"], result["original_height"] = size
    return result


def box(region_id, size, label="cat", **changes):
    value = {
        "x": 10,
        "y": 20,
        "width": 30,
        "height": 40,
        "rotation": 0,
        "rectanglelabels": [label],
    }
    value.update(changes)
    return region(region_id, "gt", "rectanglelabels", value, size)


def post_annotation(ls_server, task_id, results):
    """POSTs raw JSON (NaN included) as the editor's request does."""
    r = httpx.post(
        "%s/api/tasks/%d/annotations/" % (ls_server.url, task_id),
        headers={
            "Authorization": "Token %s" % ls_server.api_key,
            "Content-Type": "application/json",
        },
        content=json.dumps({"result": results, "lead_time": 1.0}),
    )
    assert r.status_code == 201, r.text


def _bad_annotations(dataset, results, ls_server):
    """Posts good and bad results; returns (sample ids, #bad, mask)."""
    s0, s1 = dataset.values("id")
    tasks = {v: k for k, v in results.task_map.items()}
    sample0 = dataset[s0]
    size = (sample0.metadata.width, sample0.metadata.height)
    existing = sample0.gt.detections[0].id
    mask = np.zeros((size[1], size[0]), dtype=np.uint8)
    mask[5:25, 10:40] = 255
    good = [
        box(existing, size, x=50),  # the uploaded box, moved
        box("newgood1", size, label="dog"),
        region("w1", "weather", "choices", {"choices": ["rain"]}),
        region(
            "kpgood1",
            "kp",
            "keypointlabels",
            {"x": 50, "y": 50, "width": 0.5, "keypointlabels": ["cat"]},
            size,
        ),
        region(
            "seggood1",
            "seg",
            "brushlabels",
            {"format": "rle", "rle": encode_rle(mask), "brushlabels": ["cat"]},
            size,
        ),
        region("n1", "count", "number", {"number": 7}),
    ]
    bad = [
        box("bad_range", size, x=500),
        # (the server refuses NaN in JSON: the string is what can come)
        box("bad_nan", size, y="NaN"),
        box("bad_huge", size, height=1e308),
        box("bad_type", size, width="wide"),
        box("bad_labels", size, rectanglelabels="cat"),
        box("newgood1", size, label="cat", x=1),  # duplicated region id
        region(
            "bad_rle",
            "seg",
            "brushlabels",
            {"format": "rle", "rle": [1, 2, 3], "brushlabels": ["cat"]},
            size,
        ),
        region(
            "bad_size",
            "seg",
            "brushlabels",
            {"format": "rle", "rle": encode_rle(mask), "brushlabels": ["dog"]},
        ),
        region(
            "bad_kp",
            "kp",
            "keypointlabels",
            {"x": 50, "y": -900, "width": 0.5, "keypointlabels": ["cat"]},
            size,
        ),
        region(
            "bad_from",
            "no_such_control",
            "rectanglelabels",
            {
                "x": 1,
                "y": 1,
                "width": 2,
                "height": 2,
                "rectanglelabels": ["cat"],
            },
            size,
        ),
    ]
    # not bad: a class the run does not list follows unexpected=
    unknown_class = [box("bad_class", size, label="zebra")]
    post_annotation(ls_server, tasks[s0], good + bad + unknown_class)
    more_bad = [
        region("n2", "count", "number", {"number": "seven"}),
        # (the server answers 500 to a result that is not an object)
        {"id": "nofrom", "type": "choices", "value": {"choices": ["sun"]}},
    ]
    post_annotation(
        ls_server,
        tasks[s1],
        [region("w2", "weather", "choices", {"choices": ["rain"]})] + more_bad,
    )
    return (s0, s1), len(bad) + len(more_bad), mask


def _skipped_in_warning(caplog) -> int:
    import re

    total = 0
    for record in caplog.records:
        if record.levelno < logging.WARNING:
            continue
        match = re.search(r"(\d+) Label Studio result\(s\)", record.message)
        if match:
            total += int(match.group(1))
    return total


def _assert_good_loaded(dataset, s0, s1, mask):
    first, second = dataset[s0], dataset[s1]
    boxes = {d.label: d for d in first.gt.detections}
    assert sorted(boxes) == ["cat", "dog"], first.gt
    assert np.allclose(boxes["cat"].bounding_box[0], 0.5)
    assert np.allclose(boxes["dog"].bounding_box, [0.1, 0.2, 0.3, 0.4])
    assert first.weather.label == "rain"
    assert first.count == 7
    points = [p for k in first.kp.keypoints for p in k.points]
    assert [(round(x, 3), round(y, 3)) for x, y in points] == [(0.5, 0.5)]
    assert np.array_equal(first.seg.mask > 0, mask > 0)
    assert second.weather.label == "rain"
    assert second.count == 1  # the bad number changed nothing


def test_bad_results_are_skipped_and_counted(run, ls_server, caplog):
    dataset, results = run
    (s0, s1), num_bad, mask = _bad_annotations(dataset, results, ls_server)
    caplog.set_level(logging.INFO)
    dataset.load_annotations(
        "bad",
        url=ls_server.url,
        api_key=ls_server.api_key,
        unexpected="ignore",
    )
    _assert_good_loaded(dataset, s0, s1, mask)
    assert _skipped_in_warning(caplog) == num_bad, caplog.text
    # the unknown control and the unknown class are named
    assert "no_such_control" in caplog.text
    assert "'zebra' x1" in caplog.text
    assert "zebra" not in dataset.distinct("gt.detections.label")


def test_bad_results_in_the_load_operator_output(run, ls_server):
    dataset, results = run
    (s0, s1), num_bad, mask = _bad_annotations(dataset, results, ls_server)
    out = operator("load_annotations")(dataset, "bad", unexpected="ignore")
    dataset.reload()
    _assert_good_loaded(dataset, s0, s1, mask)
    assert out["skipped_results"] == num_bad, out
    assert out["skipped_details"], out
    assert out["unknown_classes"] == ["gt: 1 label(s) ('zebra' x1) skipped"]


def test_loading_bad_results_twice_changes_nothing(run, ls_server):
    dataset, results = run
    _bad_annotations(dataset, results, ls_server)
    kwargs = dict(
        url=ls_server.url, api_key=ls_server.api_key, unexpected="ignore"
    )
    dataset.load_annotations("bad", **kwargs)
    first = _contents(dataset)
    dataset._annotation_cache.clear()
    dataset.load_annotations("bad", **kwargs)
    second = _contents(dataset)
    for a, b in zip(first, second):
        for key in set(a) | set(b):
            assert a.get(key) == b.get(key), (key, a.get(key), b.get(key))


def _contents(dataset):
    """Every sample as a dict, without the modification stamp."""
    out = []
    for sample in dataset.iter_samples():
        d = sample.to_dict()
        d.pop("last_modified_at", None)
        out.append(d)
    return out
