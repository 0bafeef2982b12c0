"""Live sync through a real Label Studio server and MongoDB.

Annotations are submitted through Label Studio's API while a sync runs
(in a thread of this process, or in a process of its own that the test
kills); the dataset is polled until they arrive.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import fiftyone.core.odm as foo
import fiftyone_labelstudio as fols
from fiftyone_labelstudio.backend import sync_state
from fiftyone_labelstudio.backend.results_store import RUN_TAG
from fiftyone_labelstudio.backend.locks import COLLECTION as LOCKS

from test_backend_common import (
    annotate_task,
    boxes_run,
    creds,
    prediction_results,
    snapshot,
)
from test_operators_support import run

KEY = "live"


def _setup(dataset, sample_images, ls_server, ls_client, n=4):
    samples, _, tasks = boxes_run(
        dataset, sample_images, ls_server, ls_client, KEY, n
    )
    return samples, tasks


def _relabel(ls_client, task, label):
    res = prediction_results(task)
    res[0]["value"]["rectanglelabels"] = [label]
    return annotate_task(ls_client, task["id"], res)


def _label(dataset, sample_id):
    dataset.reload()
    sample = dataset[sample_id]
    sample.reload()
    return [d.label for d in sample["gt"].detections]


def _wait(predicate, timeout=60.0, poll=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError("timed out waiting for %s" % what)


class _Sync:
    """fols.sync in a thread of this process."""

    def __init__(self, dataset, ls_server, **kwargs):
        self.result = self.error = None
        kwargs.setdefault("every", 0.3)
        kwargs.setdefault("until", 300)
        self.thread = threading.Thread(
            target=self._run,
            args=(dataset,),
            kwargs={**kwargs, **creds(ls_server)},
            daemon=True,
        )
        self.thread.start()

    def _run(self, dataset, **kwargs):
        try:
            self.result = fols.sync(dataset, KEY, **kwargs)
        except BaseException as e:
            self.error = e

    def join(self, timeout=60.0):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the sync did not end"
        return self.result


def _rounds(dataset):
    doc = fols.sync_status(dataset, KEY) or {}
    return doc.get("rounds") or 0


def _lock_free(dataset):
    import fiftyone.core.odm as foo

    lock_id = "%s:%s" % (dataset._doc.id, KEY)
    return foo.get_db_conn()[LOCKS].find_one({"_id": lock_id}) is None


def test_sync_picks_up_annotations_while_running(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    samples, tasks = _setup(dataset, sample_images, ls_server, ls_client)
    before = snapshot(dataset, ["gt"])
    running = _Sync(dataset, ls_server)
    _wait(lambda: _rounds(dataset) >= 1, what="the first round")
    status = fols.sync_status(dataset, KEY)
    assert status["alive"] and status["state"] == "running"
    assert status["last_change"]["unfinished"] == 4
    # no lock is held between rounds
    _wait(lambda: _lock_free(dataset), what="the lock to be free")

    submitted = time.monotonic()
    _relabel(ls_client, tasks[samples[0].id], "dog")
    _wait(
        lambda: _label(dataset, samples[0].id) == ["dog"],
        what="the annotation to arrive",
    )
    latency = time.monotonic() - submitted
    assert latency < 10, latency

    assert fols.stop_sync(dataset, KEY) is True
    result = running.join()
    assert running.error is None, running.error
    assert result["state"] == "stopped" and not result["alive"]
    assert result["rounds"] >= 2
    change = result["last_change"]
    assert change["incremental"] is True
    assert change["labels"] == {"gt": {"before": 4, "after": 4}}
    # the other samples are as they were
    after = snapshot(dataset, ["gt"])
    assert after[1:] == before[1:]
    assert fols.stop_sync(dataset, KEY) is False  # nothing runs now


def test_sync_ends_when_every_task_is_annotated(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    samples, tasks = _setup(dataset, sample_images, ls_server, ls_client)
    running = _Sync(dataset, ls_server)
    _wait(lambda: _rounds(dataset) >= 1, what="the first round")
    for sample in samples[:3]:
        _relabel(ls_client, tasks[sample.id], "dog")
    # a skipped task counts as done
    annotate_task(ls_client, tasks[samples[3].id]["id"], [], cancelled=True)
    result = running.join()
    assert running.error is None, running.error
    assert result["state"] == "completed"
    assert result["last_change"]["complete"] is True
    assert [_label(dataset, s.id) for s in samples[:3]] == [["dog"]] * 3
    # what the sync left equals a full re-read
    synced = snapshot(dataset, ["gt"])
    fols.load_annotations(dataset, KEY, full=True, **creds(ls_server))
    assert snapshot(dataset, ["gt"]) == synced


def test_second_sync_refuses_or_joins(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    _setup(dataset, sample_images, ls_server, ls_client, n=2)
    first = _Sync(dataset, ls_server)
    _wait(lambda: _rounds(dataset) >= 1, what="the first round")
    with pytest.raises(sync_state.SyncRunningError) as e:
        fols.sync(dataset, KEY, every=0.3, **creds(ls_server))
    assert "already running" in str(e.value)
    assert "stop_sync" in str(e.value)
    assert ls_server.api_key not in str(e.value)

    joined = _Sync(dataset, ls_server, join=True)
    time.sleep(1.0)
    assert joined.thread.is_alive()  # waits for the first
    fols.stop_sync(dataset, KEY)
    assert first.join()["state"] == "stopped"
    assert joined.join()["state"] == "stopped"
    assert joined.error is None


def test_manual_load_during_sync(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    samples, tasks = _setup(dataset, sample_images, ls_server, ls_client)
    running = _Sync(dataset, ls_server, every=0.5)
    _wait(lambda: _rounds(dataset) >= 1, what="the first round")
    _relabel(ls_client, tasks[samples[1].id], "dog")
    started = time.monotonic()
    # the App's load operator (takes the run's lock) and the Python call
    result, _ = run("load_annotations", dataset, {"anno_key": KEY})
    fols.load_annotations(dataset, KEY, **creds(ls_server))
    assert time.monotonic() - started < 30
    assert result["fields"][0]["field"] == "gt"
    assert _label(dataset, samples[1].id) == ["dog"]
    rounds = _rounds(dataset)
    _wait(lambda: _rounds(dataset) > rounds + 1, what="more rounds")
    fols.stop_sync(dataset, KEY)
    assert running.join()["state"] == "stopped"
    assert running.error is None


def test_python_loads_while_a_sync_runs_in_this_process(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard, caplog
):
    # the sync thread and this one share the dataset object and its run
    # documents: a load here once read the results file a round was
    # replacing ("'str' object has no attribute 'decode'")
    samples, tasks = _setup(dataset, sample_images, ls_server, ls_client)
    running = _Sync(dataset, ls_server, every=0.2)
    _wait(lambda: _rounds(dataset) >= 1, what="the first round")
    _relabel(ls_client, tasks[samples[3].id], "dog")
    for _ in range(15):
        fols.load_annotations(dataset, KEY, **creds(ls_server))
    assert _label(dataset, samples[3].id) == ["dog"]
    fols.stop_sync(dataset, KEY)
    result = running.join()
    assert running.error is None, running.error
    assert result["state"] == "stopped"
    assert "round failed" not in caplog.text


def test_deadline_and_bad_arguments(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    _setup(dataset, sample_images, ls_server, ls_client, n=1)
    started = time.monotonic()
    result = fols.sync(dataset, KEY, every=0.3, until=1.5, **creds(ls_server))
    assert result["state"] == "deadline"
    assert 1.0 < time.monotonic() - started < 20
    for kwargs, words in [
        (dict(every=0), "every=0"),
        (dict(until=-5), "already past"),
        (dict(until="soon"), "until='soon'"),
        (dict(unexpected="prompt"), "unexpected='prompt'"),
    ]:
        with pytest.raises(Exception) as e:
            fols.sync(dataset, KEY, **kwargs, **creds(ls_server))
        assert words in str(e.value)
    with pytest.raises(Exception) as e:
        fols.sync(dataset, "nope", **creds(ls_server))
    assert "no Label Studio annotation run 'nope'" in str(e.value)


_CHILD = """
import sys, fiftyone as fo, fiftyone_labelstudio as fols
from fiftyone_labelstudio.backend import sync_state
sync_state.LEASE = 3.0
fols.sync(fo.load_dataset(sys.argv[1]), sys.argv[2], every=0.3, until=300,
          url=sys.argv[3], api_key=sys.argv[4])
"""


def test_killed_sync_restarts_from_its_position(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    samples, tasks = _setup(dataset, sample_images, ls_server, ls_client)
    dataset.persistent = True  # the child opens it by name
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _CHILD,
            dataset.name,
            KEY,
            ls_server.url,
            ls_server.api_key,
        ],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: _rounds(dataset) >= 1, timeout=120, what="child")
        _relabel(ls_client, tasks[samples[0].id], "dog")
        _wait(lambda: _label(dataset, samples[0].id) == ["dog"])
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    # killed without a word: still "running" until its heartbeat expires
    assert fols.sync_status(dataset, KEY)["state"] == "running"
    _wait(
        lambda: not fols.sync_status(dataset, KEY)["alive"],
        timeout=10,
        what="the heartbeat to expire",
    )
    _relabel(ls_client, tasks[samples[2].id], "dog")
    restarted = _Sync(dataset, ls_server)
    _wait(lambda: _label(dataset, samples[2].id) == ["dog"])
    fols.stop_sync(dataset, KEY)
    result = restarted.join()
    assert restarted.error is None, restarted.error
    # the restart read only what changed since the killed sync's position
    assert result["last_change"]["incremental"] is True
    assert _label(dataset, samples[0].id) == ["dog"]


# a load that dies while saving the run: right after its n-th write to
# GridFS (the run's results file: every write, whole or in pieces, ends in
# GridIn.close) or delete
_DIES_SAVING = """
import os, sys, gridfs, fiftyone as fo, fiftyone_labelstudio as fols
writes = [int(sys.argv[5])]
def dying(original):
    def write(*args, **kwargs):
        value = original(*args, **kwargs)
        writes[0] -= 1
        if writes[0] == 0:
            os._exit(9)
        return value
    return write
gridfs.GridIn.close = dying(gridfs.GridIn.close)
gridfs.GridFS.delete = dying(gridfs.GridFS.delete)
fols.load_annotations(fo.load_dataset(sys.argv[1]), sys.argv[2],
                      url=sys.argv[3], api_key=sys.argv[4])
"""


@pytest.mark.parametrize("writes", [1, 2])
def test_run_killed_while_saving_stays_loadable(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    writes,
    caplog,
):
    # FiftyOne deletes a run's old results before it saves the new ones;
    # a sync killed in between left a run whose results nothing could
    # load again (a bare AttributeError in every later round)
    samples, tasks = _setup(dataset, sample_images, ls_server, ls_client)
    dataset.persistent = True  # the child opens it by name
    _relabel(ls_client, tasks[samples[0].id], "dog")
    args = [dataset.name, KEY, ls_server.url, ls_server.api_key, writes]
    child = subprocess.run(
        [sys.executable, "-c", _DIES_SAVING, *map(str, args)],
        env=dict(os.environ),
        capture_output=True,
        timeout=300,
    )
    assert child.returncode == 9, child.stderr.decode()[-2000:]

    dataset.reload()
    dataset._annotation_cache.pop(KEY, None)
    assert dataset.load_annotation_results(KEY, **creds(ls_server))
    _relabel(ls_client, tasks[samples[2].id], "dog")
    fols.load_annotations(dataset, KEY, **creds(ls_server))
    assert _label(dataset, samples[0].id) == ["dog"]
    assert _label(dataset, samples[2].id) == ["dog"]
    # the file the killed save wrote and never pointed at is gone: the
    # run's only results file is the one its document names
    run_doc = dataset._doc.annotation_runs[KEY]
    files = foo.get_db_conn()["fs.files"]
    tagged = [
        f["_id"] for f in files.find({RUN_TAG: str(run_doc.id)}, {"_id": 1})
    ]
    assert tagged == [run_doc.results.grid_id]
    result = fols.sync(dataset, KEY, every=0.3, until=2, **creds(ls_server))
    assert result["state"] == "deadline"
    assert "round failed" not in caplog.text


def test_delegated_operator_shown_and_stopped_from_the_panel(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    from test_operators_support import queue, run_queued
    from test_panel_runs import panel_event, rendered

    samples, tasks = _setup(dataset, sample_images, ls_server, ls_client)
    dataset.persistent = True  # delegated operations open it by name
    op_id = queue("sync_annotations", dataset, {"anno_key": KEY, "every": 1})
    box = {}
    worker = threading.Thread(
        target=lambda: box.update(doc=run_queued(op_id, dataset.name)),
        daemon=True,
    )
    worker.start()
    _wait(lambda: _rounds(dataset) >= 1, what="the first round")
    _relabel(ls_client, tasks[samples[0].id], "dog")
    _wait(lambda: _label(dataset, samples[0].id) == ["dog"])
    _wait(
        lambda: (fols.sync_status(dataset, KEY)["last_change"] or {}).get(
            "unfinished"
        )
        == 3,
        what="a round after the annotation",
    )

    ctx, calls = panel_event(dataset, "on_load")
    (row,) = ctx.panel.get_state("syncs")
    assert row["anno_key"] == KEY and row["running"] is True
    assert row["status"].startswith("running (")
    assert row["last_sync"] != "never"
    assert "1/4 annotated" in row["last_change"]
    props = rendered(calls)
    table = props["syncs"]["view"]
    assert [a["name"] for a in table["row_actions"]] == ["stop_sync"]

    state = {"syncs": ctx.panel.get_state("syncs")}
    ctx, calls = panel_event(dataset, "stop_sync", state=state, row=0)
    (note,) = [p for u, p in calls if u.endswith("notify")]
    assert "Stopping the live sync of 'live'" in note["message"]
    worker.join(60)
    assert not worker.is_alive()
    doc = box["doc"]
    assert doc.run_state == "completed", doc.run_state
    assert doc.result.result["state"] == "it was stopped"
    assert doc.result.result["rounds"] >= 2
    assert "1/4 annotated" in (doc.status.label or "")

    ctx, _ = panel_event(dataset, "on_load")
    (row,) = ctx.panel.get_state("syncs")
    assert row["running"] is False
    assert row["status"] == "ended: it was stopped"
