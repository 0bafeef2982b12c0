"""Helpers shared by the backend integration tests (no tests here).

Annotations are posted through Label Studio's API the way its editor
does: start from the task's prediction (what the annotator sees), edit the
results, submit them as an annotation.
"""

import copy
import math

import fiftyone as fo
import numpy as np
import pytest

BACKEND = "labelstudio"


def creds(ls_server) -> dict:
    return {"url": ls_server.url, "api_key": ls_server.api_key}


def add_images(dataset, paths, n=None):
    """Adds one sample per image path; returns the samples in order."""
    import fiftyone as fo

    paths = list(paths)[: n or len(paths)]
    samples = [fo.Sample(filepath=p) for p in paths]
    dataset.add_samples(samples)
    dataset.compute_metadata()
    return list(dataset.iter_samples())


def tasks_by_sample(ls_client, project_id) -> dict:
    """``{sample id: task}`` of a project (full predictions/annotations)."""
    return {
        t["data"]["fiftyone"]["sample_id"]: t
        for t in ls_client.export_tasks(project_id)
    }


def prediction_results(task) -> list:
    """A copy of the results of the task's FiftyOne prediction."""
    preds = [
        p for p in task["predictions"] if p["model_version"] == "fiftyone"
    ]
    assert len(preds) == 1, task["predictions"]
    return copy.deepcopy(preds[0]["result"])


def annotate_task(ls_client, task_id, result, cancelled=False):
    """Submits an annotation as the API key's user (like the editor)."""
    return ls_client.sdk.annotations.create(
        id=task_id,
        result=result,
        was_cancelled=cancelled,
        lead_time=1.5,
    )


def new_region(region_id, from_name, result_type, value, width, height):
    """A result like the editor serializes for a region drawn by hand."""
    return {
        "id": region_id,
        "from_name": from_name,
        "to_name": "image",
        "type": result_type,
        "origin": "manual",
        "original_width": width,
        "original_height": height,
        "image_rotation": 0,
        "value": value,
    }


def by_id(results, region_id):
    matches = [r for r in results if r["id"] == region_id]
    assert matches, (region_id, [r["id"] for r in results])
    return matches[0]


def close(a, b, tol=1e-6) -> bool:
    """Float lists (nested) equal within ``tol``; NaN equals NaN."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    both_nan = np.isnan(a) & np.isnan(b)
    return bool(np.all(both_nan | (np.abs(a - b) <= tol)))


def snapshot(dataset, fields) -> list:
    """Everything a load could change, to compare before/after."""
    out = []
    present = [f for f in fields if dataset.get_field(f) is not None]
    for sample in dataset.select_fields(present).iter_samples():
        row = {"id": sample.id}
        for field in fields:
            value = sample[field] if field in present else None
            row[field] = (
                value.to_dict() if hasattr(value, "to_dict") else value
            )
        out.append(_nan_safe(row))
    return out


def _nan_safe(value):
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, dict):
        # FiftyOne's merge writes a declared attribute the label lacks as
        # null once, later loads leave it out: both mean "not set"
        return {k: _nan_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_nan_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, value.tobytes())
    return value


def project_ids(ls_client) -> set:
    return {p["id"] for p in ls_client.list_projects()}


def annotate_run(dataset, key, ls_server, **kwargs):
    return dataset.annotate(key, backend=BACKEND, **creds(ls_server), **kwargs)


def boxes_run(dataset, sample_images, ls_server, ls_client, key, n=4):
    """A run of ``n`` images with one "cat" box each in ``gt``; returns
    ``(samples, results, {sample id: task})``."""
    samples = add_images(dataset, sample_images, n)
    for i, sample in enumerate(samples):
        sample["gt"] = fo.Detections(
            detections=[
                fo.Detection(
                    label="cat", bounding_box=[0.1 * i, 0.1, 0.2, 0.2]
                )
            ]
        )
        sample.save()
    results = annotate_run(
        dataset, key, ls_server, label_field="gt", classes=["cat", "dog"]
    )
    tasks = tasks_by_sample(ls_client, results.project_id)
    return samples, results, tasks


def load_twice(load_with, dataset, key, fields, **kwargs):
    """Loads, then checks that a second load changes nothing."""
    out = load_with(dataset, key, **kwargs)
    first = snapshot(dataset, fields)
    load_with(dataset, key, **kwargs)
    assert snapshot(dataset, fields) == first
    return out


@pytest.fixture(params=["fiftyone merge", "bulk merge"])
def load_with(request):
    """Every test loads through FiftyOne's ``dataset.load_annotations``
    and through ``fiftyone_labelstudio.load_annotations`` (bulk merge),
    the latter in batches of 2 samples read 3 tasks a request, so that
    every test merges several batches (backend/batched_download.py)."""
    if request.param == "fiftyone merge":
        return lambda dataset, key, **kw: dataset.load_annotations(key, **kw)
    import fiftyone_labelstudio
    from fiftyone_labelstudio.backend import batched_download

    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setattr(batched_download, "BATCH_TASKS", 2)
    monkeypatch.setattr(batched_download, "IDS_PER_REQUEST", 3)

    return fiftyone_labelstudio.load_annotations


def image_size(sample):
    return sample.metadata.width, sample.metadata.height
