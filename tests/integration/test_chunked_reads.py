"""Labels are read in chunks while tasks are built (backend/upload.py
``_chunked_values``): for views with label filters and a sort with ties,
every task carries exactly the labels of its own sample, the same as a
single read, and the id map is the same."""

import uuid

import pytest

import fiftyone as fo
from fiftyone import ViewField as F

from fiftyone_labelstudio.backend import label_reads
from test_backend_common import BACKEND, creds, prediction_results
from test_backend_common import tasks_by_sample

pytestmark = pytest.mark.integration

NUM_SAMPLES = 130


def _dataset(image):
    dataset = fo.Dataset("chunked-%s" % uuid.uuid4().hex)
    samples = []
    for i in range(NUM_SAMPLES):
        dets = [
            fo.Detection(
                label=("cat", "dog")[(i + k) % 2],
                bounding_box=[0.01 * (k + 1), 0.002 * i, 0.1, 0.1],
            )
            for k in range(1 + i % 3)
        ]
        samples.append(
            fo.Sample(
                filepath=image,
                rank=i % 4,  # ties: the sort order within a rank is free
                gt=fo.Detections(detections=dets),
            )
        )
    dataset.add_samples(samples)
    dataset.compute_metadata()
    return dataset


def _sent(ls_client, results, view) -> dict:
    """{sample id: [(label id, class, x)]} of the run's tasks."""
    tasks = tasks_by_sample(ls_client, results.project_id)
    assert sorted(tasks) == sorted(view.values("id"))
    return {
        sid: sorted(
            (r["id"], r["value"]["rectanglelabels"][0], r["value"]["x"])
            for r in prediction_results(task)
        )
        for sid, task in tasks.items()
    }


def test_chunked_reads_send_each_sample_its_own_labels(
    sample_images, ls_server, ls_client, ls_projects_guard, monkeypatch
):
    dataset = _dataset(sample_images[0])
    try:
        view = dataset.filter_labels("gt", F("label") == "cat").sort_by("rank")
        expected = {
            s.id: sorted(
                (d.id, d.label, pytest.approx(100 * d.bounding_box[0]))
                for d in s.gt.detections
            )
            for s in view
        }
        kwargs = dict(backend=BACKEND, label_field="gt", **creds(ls_server))
        monkeypatch.setattr(label_reads, "READ_CHUNK", 10)
        monkeypatch.setattr(label_reads, "READ_CHUNK_MAX", 40)
        chunked = view.annotate("chunked", **kwargs)
        monkeypatch.setattr(label_reads, "READ_CHUNK", 10**6)
        whole = view.annotate("whole", **kwargs)

        assert _sent(ls_client, chunked, view) == expected
        assert _sent(ls_client, whole, view) == expected
        assert chunked.id_map == whole.id_map
        assert sum(len(v) for v in chunked.id_map["gt"].values()) == sum(
            len(v) for v in expected.values()
        )
    finally:
        dataset.delete()
