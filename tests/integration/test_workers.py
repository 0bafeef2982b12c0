"""Delegated operations run by a worker that shares nothing with the App
process but MongoDB (and the media files): its own HOME and temp dir, no
FiftyOne setting of the App's except ``FIFTYONE_DATABASE_URI``, the
plugin installed, and the plugin secrets in its own environment.

This test process plays the App (it queues the operations); each worker
is a separate Python process that executes the queued operations, as
``fiftyone delegated launch`` does.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

import fiftyone as fo
from fiftyone.operators.delegated import DelegatedOperationService

from faults import Fault, FaultProxy, dataset_state
from test_backend_common import annotate_task, prediction_results
from test_operators_support import image_dataset, queue, run

_WORKER = """
import sys
from fiftyone.operators.delegated import DelegatedOperationService
DelegatedOperationService().execute_queued_operations(
    dataset_name=sys.argv[1], log=True
)
"""


def worker_env(tmp_path, url, api_key):
    """Only what a worker machine would have."""
    home = tmp_path / "worker-home"
    tmp = tmp_path / "worker-tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FIFTYONE", "LABEL_STUDIO", "AWS_"))
    }
    env.update(
        HOME=str(home),
        TMPDIR=str(tmp),
        FIFTYONE_DATABASE_URI=os.environ["FIFTYONE_DATABASE_URI"],
        FIFTYONE_PLUGINS_DIR=os.environ["FIFTYONE_PLUGINS_DIR"],
        FIFTYONE_DO_NOT_TRACK="true",
        FIFTYONE_DATABASE_VALIDATION="false",
        FIFTYONE_LABELSTUDIO_URL=url,
        FIFTYONE_LABELSTUDIO_API_KEY=api_key,
    )
    return env


def start_worker(dataset, env):
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, dataset.name],
        env=env,
        cwd=env["TMPDIR"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def finish(proc, timeout=240) -> str:
    out, _ = proc.communicate(timeout=timeout)
    return out.decode(errors="replace")


@pytest.fixture
def images_ds(dataset, sample_images, ls_server, ls_projects_guard):
    ds = image_dataset(dataset, sample_images)
    ds.persistent = True  # the worker opens it by name
    return ds


def test_worker_runs_request_and_load(images_ds, ls_server, tmp_path):
    env = worker_env(tmp_path, ls_server.url, ls_server.api_key)
    request = queue(
        "request_annotations",
        images_ds,
        {
            "anno_key": "w",
            "existing_fields": ["ground_truth"],
            "media_mode": "upload",
        },
    )
    out = finish(start_worker(images_ds, env))
    doc = DelegatedOperationService().get(request)
    assert doc.run_state == "completed", (doc.result, out[-2000:])
    assert doc.status is not None and doc.status.progress == 1.0

    images_ds.reload()
    results = images_ds.load_annotation_results("w")
    task = next(iter(results.backend.client.export_tasks(results.project_id)))
    edited = prediction_results(task)
    edited[0]["value"]["rectanglelabels"] = ["zebra"]
    annotate_task(results.backend.client, task["id"], edited)
    images_ds._annotation_cache.clear()

    load = queue("load_annotations", images_ds, {"anno_key": "w"})
    out = finish(start_worker(images_ds, env))
    doc = DelegatedOperationService().get(load)
    assert doc.run_state == "completed", (doc.result, out[-2000:])
    images_ds.reload()
    sample = images_ds[task["data"]["fiftyone"]["sample_id"]]
    assert sample.ground_truth.detections[0].label == "zebra"
    # the worker's HOME got nothing from the App process
    assert not (tmp_path / "worker-home" / ".fiftyone" / "plugins").exists()


def test_worker_killed_mid_load(images_ds, ls_server, tmp_path):
    """Killed while the export is on the wire: the dataset is unchanged,
    the run's lock frees itself, and the run loads again."""
    from fiftyone_labelstudio.backend import locks

    run(
        "request_annotations",
        images_ds,
        {
            "anno_key": "k",
            "existing_fields": ["ground_truth"],
            "media_mode": "upload",
        },
    )
    images_ds.reload()
    results = images_ds.load_annotation_results("k")
    client = results.backend.client
    task = next(iter(client.export_tasks(results.project_id)))
    edited = prediction_results(task)
    edited[0]["value"]["rectanglelabels"] = ["zebra"]
    annotate_task(client, task["id"], edited)
    images_ds._annotation_cache.clear()
    before = dataset_state(images_ds, stamps=False)

    proxy = FaultProxy(ls_server.url)
    proxy.inject("GET", r"export", Fault(delay=300, forward=False))
    try:
        env = worker_env(tmp_path, proxy.url, ls_server.api_key)
        queue("load_annotations", images_ds, {"anno_key": "k"})
        worker = start_worker(images_ds, env)
        deadline = time.time() + 180
        while not proxy.requests("GET", r"export"):
            assert worker.poll() is None, finish(worker)[-2000:]
            assert time.time() < deadline, "the worker never exported"
            time.sleep(0.2)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        proxy.close()

    assert dataset_state(images_ds, stamps=False) == before
    held = locks._collection().find_one(
        {"_id": locks._lock_id(images_ds, "k")}
    )
    assert held is not None  # the dead worker's lease runs out by itself

    # loadable again (here, from the App process): waits for the lease
    started = time.monotonic()
    result, _ = run("load_annotations", images_ds, {"anno_key": "k"})
    assert time.monotonic() - started <= locks.LEASE + 10
    images_ds.reload()
    sample = images_ds[task["data"]["fiftyone"]["sample_id"]]
    assert sample.ground_truth.detections[0].label == "zebra"
