"""Faults against a real Label Studio server of this module (killed,
restarted, behind a proxy that answers 500/401/timeouts): annotate either
completes or leaves nothing behind, load changes nothing when it fails,
errors say what happened and what to do, and running again works."""

import os
import tempfile
import threading

import httpx
import pytest

import fiftyone as fo
from fiftyone_labelstudio import constants
from fiftyone_labelstudio.backend import LabelStudioBackendError, locks
from fiftyone_labelstudio.client import (
    LabelStudioClient,
    LabelStudioError,
    uploads,
)

from test_operators_support import operator
from faults import (
    Fault,
    FaultProxy,
    LabelStudioProcess,
    dataset_state,
    project_tasks,
)

BACKEND = "labelstudio"
IMPORT = r"^/api/projects/\d+/import\?return_task_ids"
UPLOAD = r"^/api/projects/\d+/import\?commit_to_project=false"
EXPORT = r"^/api/projects/\d+/export"
CLEAR_ERRORS = (LabelStudioBackendError, LabelStudioError)


@pytest.fixture(scope="module")
def server():
    """This module's own server (tests kill and restart it)."""
    data_dir = tempfile.mkdtemp(prefix="fols-rel-ls-")
    proc = LabelStudioProcess(os.path.join(data_dir, "ls"))
    proc.start()
    yield proc
    proc.remove()
    os.rmdir(data_dir)


@pytest.fixture
def ls(server):
    """The running server and a client for checks; every project a test
    leaves is deleted afterwards (after the test's own assertions)."""
    server.ensure_running()
    client = LabelStudioClient(server.url, server.token)
    before = set(project_tasks(client))
    yield client
    server.ensure_running()
    client = LabelStudioClient(server.url, server.token)
    for project_id in set(project_tasks(client)) - before:
        client.delete_project(project_id)


@pytest.fixture
def proxy(server):
    p = FaultProxy(server.url)
    yield p
    p.close()


@pytest.fixture
def ds(dataset, sample_images):
    for i, path in enumerate(sample_images):
        sample = fo.Sample(filepath=path)
        sample["gt"] = fo.Detections(
            detections=[
                fo.Detection(
                    label=["cat", "dog"][i % 2],
                    bounding_box=[0.1, 0.1, 0.2 + 0.05 * i, 0.3],
                )
            ]
        )
        sample["weather"] = fo.Classification(label=["sun", "rain"][i % 2])
        dataset.add_sample(sample)
    dataset.compute_metadata()
    return dataset


SCHEMA = {
    "gt": {"type": "detections", "classes": ["cat", "dog", "bird"]},
    "weather": {"type": "classification", "classes": ["sun", "rain"]},
}


def annotate(dataset, url, token, key="run", **kwargs):
    kwargs.setdefault("label_schema", SCHEMA)
    kwargs.setdefault("media_mode", "upload")
    return dataset.annotate(
        key, backend=BACKEND, url=url, api_key=token, **kwargs
    )


def small_batches(monkeypatch, upload=2, tasks=2):
    """Several upload and import requests for the 5 samples."""
    monkeypatch.setattr(uploads.upload_files, "__defaults__", (None, upload))
    monkeypatch.setattr(
        LabelStudioClient.import_tasks, "__defaults__", (tasks, None)
    )


def assert_runs_again(dataset, url, token, projects_before, ls):
    """A clean second attempt (same URL): one new project with one task
    per sample, each sample once, and nothing else new on the server."""
    results = annotate(dataset, url, token)
    after = project_tasks(ls)
    assert set(after) - set(projects_before) == {results.project_id}
    assert after[results.project_id] == len(dataset)
    tasks = ls.export_tasks(results.project_id)
    sample_ids = sorted(t["data"]["fiftyone"]["sample_id"] for t in tasks)
    assert sample_ids == sorted(dataset.values("id"))
    assert sorted(results.task_map.values()) == sample_ids
    return results


def fails_leaving_nothing(dataset, ls, url, token, match, **kwargs):
    """Annotate fails with one clear error; no run, project or task is
    left and the dataset did not change."""
    projects = project_tasks(ls)
    state = dataset_state(dataset)
    # before anything exists the client's own error is raised as is
    with pytest.raises(CLEAR_ERRORS, match=match) as info:
        annotate(dataset, url, token, **kwargs)
    message = str(info.value)
    assert dataset_state(dataset) == state
    assert project_tasks(ls) == projects
    return message, projects


# -- annotate: the server answers an error or nothing --------------------


@pytest.mark.parametrize("committed", [True, False])
def test_500_on_import_rolls_back(ds, server, ls, proxy, committed):
    proxy.inject("POST", IMPORT, Fault(status=500, forward=committed))
    message, projects = fails_leaving_nothing(
        ds, ls, proxy.url, server.token, "HTTP 500"
    )
    assert "Nothing was left behind" in message
    assert server.token not in message
    # imports are never retried: one request for the one batch
    assert len(proxy.requests("POST", IMPORT)) == 1
    if committed:  # the server did store the tasks before the 500
        assert proxy.requests("POST", IMPORT)[0].upstream_status == 201
    assert_runs_again(ds, proxy.url, server.token, projects, ls)


def test_500_on_second_import_batch_after_commit(
    ds, server, ls, proxy, monkeypatch
):
    small_batches(monkeypatch)
    proxy.inject("POST", IMPORT, Fault(status=500), skip=1)
    message, projects = fails_leaving_nothing(
        ds, ls, proxy.url, server.token, "HTTP 500"
    )
    assert len(proxy.requests("POST", IMPORT)) == 2
    assert_runs_again(ds, proxy.url, server.token, projects, ls)


def test_import_timeout_after_commit_rolls_back(ds, server, ls, proxy):
    proxy.inject("POST", IMPORT, Fault(delay=4.0))
    message, projects = fails_leaving_nothing(
        ds, ls, proxy.url, server.token, "did not answer", timeout=1.5
    )
    assert "Nothing was left behind" in message
    assert len(proxy.requests("POST", IMPORT)) == 1
    assert_runs_again(ds, proxy.url, server.token, projects, ls)


def test_connection_dropped_during_upload(ds, server, ls, proxy, monkeypatch):
    small_batches(monkeypatch)
    proxy.inject("POST", UPLOAD, Fault(drop=True), skip=1)
    message, projects = fails_leaving_nothing(
        ds, ls, proxy.url, server.token, "connection lost"
    )
    assert len(proxy.requests("POST", UPLOAD)) == 2
    assert_runs_again(ds, proxy.url, server.token, projects, ls)


def test_connection_check_timeout_creates_nothing(ds, server, ls, proxy):
    proxy.inject(None, r"^/api/(version|current-user)", Fault(delay=3.0))
    message, projects = fails_leaving_nothing(
        ds, ls, proxy.url, server.token, "did not answer", timeout=1
    )
    assert not proxy.requests("POST")
    assert_runs_again(ds, proxy.url, server.token, projects, ls)


def test_project_deleted_in_label_studio_during_annotate(
    ds, server, ls, proxy
):
    def delete_new_project():
        newest = max(p["id"] for p in ls.list_projects())
        ls.delete_project(newest)

    proxy.inject(
        "POST", IMPORT, Fault(before=delete_new_project, forward=True)
    )
    message, projects = fails_leaving_nothing(
        ds, ls, proxy.url, server.token, "not found"
    )
    assert_runs_again(ds, proxy.url, server.token, projects, ls)


# -- annotate: the server dies, the key is revoked ------------------------


def test_server_killed_between_upload_batches(
    ds, server, ls, proxy, monkeypatch
):
    small_batches(monkeypatch)
    projects = project_tasks(ls)
    state = dataset_state(ds)
    proxy.inject("POST", UPLOAD, Fault(before=server.kill), skip=1)
    with pytest.raises(LabelStudioBackendError) as info:
        annotate(ds, proxy.url, server.token)
    message = str(info.value)
    assert "Label Studio" in message and server.token not in message
    # the project could not be deleted while the server was down: the
    # error says which, and that it goes with the next run
    assert "could not be deleted" in message, message
    assert dataset_state(ds) == state  # no run record
    server.start()
    # running again (server back) removes the leftover project first
    assert_runs_again(ds, proxy.url, server.token, projects, ls)


def revoke(server):
    """Resets the user's legacy token: the old one is refused at once."""
    r = httpx.post(
        server.url + "/api/current-user/reset-token/",
        headers={"Authorization": "Token %s" % server.token},
    )
    r.raise_for_status()
    server.token = r.json()["token"]


def test_token_revoked_during_import(ds, server, ls, proxy):
    old_token = server.token
    projects = project_tasks(ls)
    state = dataset_state(ds)

    proxy.inject(
        "POST", IMPORT, Fault(before=lambda: revoke(server), forward=True)
    )
    with pytest.raises(LabelStudioBackendError, match="API key") as info:
        annotate(ds, proxy.url, old_token)
    message = str(info.value)
    assert old_token not in message and server.token not in message
    assert "FIFTYONE_LABELSTUDIO_API_KEY" in message
    assert dataset_state(ds) == state
    # with the new key, the next run first removes the leftover project
    ls = LabelStudioClient(server.url, server.token)
    assert_runs_again(ds, proxy.url, server.token, projects, ls)


# -- load ---------------------------------------------------------------


def _annotate_first_task(results, ls):
    """A human annotation on one task: 'rain' and a new 'bird' box."""
    task_id = sorted(results.task_map)[0]
    ls.sdk.annotations.create(
        id=task_id,
        result=[
            {
                "id": "wthr1",
                "from_name": "weather",
                "to_name": "image",
                "type": "choices",
                "value": {"choices": ["rain"]},
            },
            {
                "id": "newbox1",
                "from_name": "gt",
                "to_name": "image",
                "type": "rectanglelabels",
                "original_width": 100,
                "original_height": 100,
                "image_rotation": 0,
                "value": {
                    "x": 10,
                    "y": 10,
                    "width": 20,
                    "height": 20,
                    "rotation": 0,
                    "rectanglelabels": ["bird"],
                },
            },
        ],
    )
    return results.task_map[task_id]


def _expect_loaded(dataset, sample_id):
    sample = dataset[sample_id]
    assert sample.weather.label == "rain"
    assert [d.label for d in sample.gt.detections] == ["bird"]


@pytest.fixture
def annotated(ds, server, ls):
    results = annotate(ds, server.url, server.token)
    sample_id = _annotate_first_task(results, ls)
    ds._annotation_cache.clear()
    return results, sample_id


def load(dataset, url, token, key="run", **kwargs):
    dataset._annotation_cache.clear()  # credentials of this call only
    return dataset.load_annotations(
        key, url=url, api_key=token, unexpected="keep", **kwargs
    )


@pytest.mark.parametrize(
    "path,fault,match",
    [
        (EXPORT, Fault(status=500), "HTTP 500"),
        (EXPORT, Fault(status=502), "HTTP 502"),
        (EXPORT, Fault(delay=3.0), "did not answer"),
        (EXPORT, Fault(drop=True, forward=False), "connection lost"),
    ],
    ids=["export-500", "export-502", "export-timeout", "dropped"],
)
def test_load_failure_changes_nothing(
    ds, annotated, server, proxy, path, fault, match
):
    _, sample_id = annotated
    state = dataset_state(ds)
    # reads are retried twice: fail every attempt
    proxy.inject("GET", path, fault, times=3)
    with pytest.raises(LabelStudioBackendError, match=match) as info:
        load(ds, proxy.url, server.token, timeout=1)
    assert server.token not in str(info.value)
    assert "Nothing was loaded" in str(info.value)
    assert "load_annotations('run') again" in str(info.value)
    assert dataset_state(ds) == state
    load(ds, server.url, server.token)
    _expect_loaded(ds, sample_id)


def test_load_with_revoked_token_changes_nothing(ds, annotated, server):
    _, sample_id = annotated
    state = dataset_state(ds)
    with pytest.raises(
        LabelStudioBackendError, match="API key was rejected.*Nothing was"
    ) as info:
        load(ds, server.url, "revoked-0123456789abcdef")
    assert "revoked-0123456789abcdef" not in str(info.value)
    assert "FIFTYONE_LABELSTUDIO_API_KEY" in str(info.value)
    assert dataset_state(ds) == state
    load(ds, server.url, server.token)
    _expect_loaded(ds, sample_id)


def test_token_revoked_during_load(ds, annotated, server, proxy):
    _, sample_id = annotated
    old_token = server.token
    state = dataset_state(ds)
    # after connecting, before the export (the load's only read of tasks)
    proxy.inject("GET", EXPORT, Fault(before=lambda: revoke(server)))
    with pytest.raises(LabelStudioBackendError, match="API key") as info:
        load(ds, proxy.url, old_token)
    message = str(info.value)
    assert "Nothing was loaded" in message
    assert old_token not in message and server.token not in message
    assert dataset_state(ds) == state
    load(ds, proxy.url, server.token)  # the new key
    _expect_loaded(ds, sample_id)


def test_server_restarted_during_load(ds, annotated, server, proxy):
    _, sample_id = annotated
    state = dataset_state(ds)
    restarted = threading.Event()

    def restart_in_background():
        server.kill()
        threading.Thread(
            target=lambda: (server.start(), restarted.set()), daemon=True
        ).start()

    proxy.inject("GET", EXPORT, Fault(before=restart_in_background))
    try:
        load(ds, proxy.url, server.token)
    except LabelStudioBackendError as e:
        # failing is fine when nothing changed and the error is clear
        assert "Nothing was loaded" in str(e), e
        assert "load_annotations('run') again" in str(e)
        assert server.token not in str(e)
        assert dataset_state(ds) == state
        assert restarted.wait(120)
        load(ds, proxy.url, server.token)
    restarted.wait(120)
    _expect_loaded(ds, sample_id)
    # a second load changes nothing
    state = dataset_state(ds)
    load(ds, server.url, server.token)
    assert dataset_state(ds) == state


def test_samples_deleted_in_fiftyone_before_load(ds, annotated, server):
    results, sample_id = annotated
    others = [s for s in ds.values("id") if s != sample_id]
    ds.delete_samples(others[:2])
    kept = dataset_state(ds, stamps=False)
    load(ds, server.url, server.token)
    _expect_loaded(ds, sample_id)
    assert len(ds) == 3
    # the unannotated survivors are unchanged
    after = {s["id"]: s for s in dataset_state(ds, stamps=False)[1]}
    for before in kept[1]:
        if before["id"] != sample_id:
            assert after[before["id"]] == before


def test_samples_deleted_and_annotated_sample_gone(ds, annotated, server):
    _, sample_id = annotated
    ds.delete_samples([sample_id])
    state = dataset_state(ds, stamps=False)
    load(ds, server.url, server.token)
    assert dataset_state(ds, stamps=False) == state


def test_labels_edited_in_fiftyone_before_load(ds, annotated, server):
    """Edits made in FiftyOne after annotate survive loading tasks that
    nobody annotated in Label Studio."""
    _, sample_id = annotated
    other = [s for s in ds.values("id") if s != sample_id]
    relabelled, emptied, added = (ds[i] for i in other[:3])
    relabelled.gt.detections[0].label = "bird"
    relabelled.weather.label = (
        "sun" if relabelled.weather.label != "sun" else "rain"
    )
    relabelled.save()
    emptied.gt.detections = []
    emptied.save()
    added.gt.detections.append(
        fo.Detection(label="cat", bounding_box=[0.5, 0.5, 0.1, 0.1])
    )
    added.save()
    edited = {s.id: s.to_dict() for s in (relabelled, emptied, added)}
    load(ds, server.url, server.token)
    _expect_loaded(ds, sample_id)
    for sid, before in edited.items():
        assert ds[sid].to_dict() == before, sid


# -- concurrency ----------------------------------------------------------


def _in_threads(*fns):
    errors = []

    def call(fn):
        try:
            fn()
        except BaseException as e:  # collected and raised below
            errors.append(e)

    threads = [threading.Thread(target=call, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return errors


@pytest.fixture
def app_secrets(server, monkeypatch):
    """The operators read this module's server from the secrets."""
    monkeypatch.setenv(constants.SECRET_URL, server.url)
    monkeypatch.setenv(constants.SECRET_API_KEY, server.token)


def _assert_consistent(dataset, sample_id):
    dataset.reload()
    _expect_loaded(dataset, sample_id)
    for sample in dataset.iter_samples():
        ids = [d.id for d in sample.gt.detections] if sample.gt else []
        assert len(ids) == len(set(ids)), "duplicate labels: %s" % ids


def test_two_loads_of_one_run_at_once(ds, annotated, server, app_secrets):
    """Two App users load the same run at once (each operator execution
    runs in its own thread of the App server)."""
    _, sample_id = annotated
    op = operator("load_annotations")
    out = []
    errors = _in_threads(
        lambda: out.append(op(ds, "run")), lambda: out.append(op(ds, "run"))
    )
    assert not errors, errors
    assert len(out) == 2
    _assert_consistent(ds, sample_id)
    state = dataset_state(ds, stamps=False)
    op(ds, "run")
    assert dataset_state(ds, stamps=False) == state


def test_load_waits_for_a_load_in_another_process(
    ds, annotated, server, app_secrets
):
    """The lock lives in MongoDB: a load holding it elsewhere (here: this
    test) makes the App's load wait, then run."""
    _, sample_id = annotated
    op = operator("load_annotations")
    state = dataset_state(ds)
    done = threading.Event()
    with locks.run_lock(ds, "run", "load"):
        worker = threading.Thread(
            target=lambda: (op(ds, "run"), done.set()), daemon=True
        )
        worker.start()
        assert not done.wait(2.0), "the load did not wait"
        assert dataset_state(ds) == state
    assert done.wait(120)
    _assert_consistent(ds, sample_id)


def test_load_refuses_when_the_run_stays_busy(
    ds, annotated, server, app_secrets, monkeypatch
):
    monkeypatch.setattr(locks, "WAIT", 1.0)
    state = dataset_state(ds)
    with locks.run_lock(ds, "run", "load"):
        with pytest.raises(Exception, match="in progress") as info:
            operator("load_annotations")(ds, "run")
    assert "again" in str(info.value)
    assert dataset_state(ds) == state
    _, sample_id = annotated
    operator("load_annotations")(ds, "run")  # free again
    _expect_loaded(ds.reload() or ds, sample_id)


def test_lock_of_a_crashed_process_expires(ds, annotated, server, app_secrets):
    """A holder that died stops renewing its lease; the next load takes
    the lock once the lease ran out."""
    collection = locks._collection()
    lock_id = locks._lock_id(ds, "run")
    collection.insert_one(
        {
            "_id": lock_id,
            "owner": "crashed",
            "what": "load",
            "since": locks._now(),
            "expires": locks._now(),
        }
    )
    try:
        _, sample_id = annotated
        operator("load_annotations")(ds, "run")
        _expect_loaded(ds.reload() or ds, sample_id)
    finally:
        collection.delete_one({"_id": lock_id, "owner": "crashed"})
    assert collection.find_one({"_id": lock_id}) is None


def test_annotate_two_views_at_once(ds, server, ls):
    ids = ds.values("id")
    views = {"first": ds.select(ids[:2]), "second": ds.select(ids[2:])}
    out = {}

    def run(key):
        out[key] = annotate(views[key], server.url, server.token, key=key)

    errors = _in_threads(lambda: run("first"), lambda: run("second"))
    assert not errors, errors
    ds.reload()
    assert sorted(ds.list_annotation_runs()) == ["first", "second"]
    for key, view in views.items():
        results = ds.load_annotation_results(key)
        tasks = ls.export_tasks(results.project_id)
        assert sorted(t["data"]["fiftyone"]["sample_id"] for t in tasks) == (
            sorted(view.values("id"))
        )
        assert sorted(ds.load_annotation_view(key).values("id")) == sorted(
            view.values("id")
        )


def test_one_key_requested_twice_at_once(ds, server, ls, app_secrets):
    """Two App users request the same new run at once: one run, one
    project; the other is refused with a clear error."""
    projects = project_tasks(ls)
    op = operator("request_annotations")
    out = []

    def request():
        out.append(op(ds, "same", {"gt": {}}, media_mode="upload"))

    errors = _in_threads(request, request)
    assert len(out) == 1 and len(errors) == 1, (out, errors)
    assert "already has an annotation run" in str(errors[0])
    ds.reload()
    assert ds.list_annotation_runs() == ["same"]
    new = set(project_tasks(ls)) - set(projects)
    assert new == {out[0]["project_id"]}


def test_annotate_two_views_at_once_from_the_app(ds, server, ls, app_secrets):
    """Two App users each send a view of one dataset at the same time."""
    ids = ds.values("id")
    views = {"left": ds.select(ids[:2]), "right": ds.select(ids[2:])}
    op = operator("request_annotations")
    out = {}

    def run(key):
        out[key] = op(views[key], key, {"gt": {}}, media_mode="upload")

    errors = _in_threads(lambda: run("left"), lambda: run("right"))
    assert not errors, errors
    ds.reload()
    assert sorted(ds.list_annotation_runs()) == ["left", "right"]
    for key, view in views.items():
        tasks = ls.export_tasks(out[key]["project_id"])
        assert sorted(t["data"]["fiftyone"]["sample_id"] for t in tasks) == (
            sorted(view.values("id"))
        )
