"""LabelStudioClient against a real Label Studio server (no mocks)."""

import http.server
import json
import os
import socket
import threading
import time
import traceback
import uuid

import httpx
import jwt
import numpy as np
import pytest
from PIL import Image

from fiftyone_labelstudio import constants
from fiftyone_labelstudio.client import (
    LabelStudioAuthError,
    LabelStudioClient,
    LabelStudioConnectionError,
    LabelStudioError,
    LabelStudioImportError,
    LabelStudioNotFoundError,
    LabelStudioRequestError,
    api as client_api,
    local_file_url,
)

pytestmark = pytest.mark.integration

LABEL_CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="bbox" toName="image">
    <Label value="cat"/><Label value="dog"/>
  </RectangleLabels>
  <PolygonLabels name="poly" toName="image"><Label value="cat"/></PolygonLabels>
  <KeyPointLabels name="kp" toName="image"><Label value="nose"/></KeyPointLabels>
  <BrushLabels name="mask" toName="image"><Label value="cat"/></BrushLabels>
  <Choices name="scene" toName="image"><Choice value="indoor"/></Choices>
</View>"""

GEOM = {"original_width": 64, "original_height": 48, "image_rotation": 0}


def _results(label_id):
    """One result of each kind, with awkward values that must survive."""
    return [
        {
            "id": label_id,
            "from_name": "bbox",
            "to_name": "image",
            "type": "rectanglelabels",
            **GEOM,
            "value": {
                "x": 12.5,
                "y": 20.000000001,
                "width": 25.0,
                "height": 33.33333333333333,
                "rotation": 0,
                "rectanglelabels": ["cat"],
            },
        },
        {
            "id": label_id[:-2] + "p1",
            "from_name": "poly",
            "to_name": "image",
            "type": "polygonlabels",
            **GEOM,
            "value": {
                "points": [[10, 10], [50.5, 12.25], [30, 60]],
                "closed": True,
                "polygonlabels": ["cat"],
            },
        },
        {
            "id": label_id + "_0_2",
            "from_name": "kp",
            "to_name": "image",
            "type": "keypointlabels",
            **GEOM,
            "value": {
                "x": 40,
                "y": 45,
                "width": 0.5,
                "keypointlabels": ["nose"],
            },
        },
        {
            "id": label_id[:-2] + "m1",
            "from_name": "mask",
            "to_name": "image",
            "type": "brushlabels",
            **GEOM,
            "value": {
                "format": "rle",
                "rle": [0, 0, 48, 0, 57, 27, 3],
                "brushlabels": ["cat"],
            },
        },
        {
            "id": "scene01",
            "from_name": "scene",
            "to_name": "image",
            "type": "choices",
            "value": {"choices": ['indoor <&"> ünïcode']},
        },
    ]


def _task(i):
    sample_id = "%024x" % (i + 1)
    return {
        "data": {
            "image": "/data/upload/none/%d.png" % i,
            constants.TASK_META_KEY: {
                "sample_id": sample_id,
                "media": "/x/%d.png" % i,
            },
        },
        "predictions": [
            {
                "model_version": constants.PREDICTION_MODEL_VERSION,
                "result": _results("%024x" % (1000 + i)),
            }
        ],
    }


def _write_images(dirname, n, ext="png"):
    os.makedirs(dirname, exist_ok=True)
    paths = []
    rng = np.random.default_rng(0)
    for i in range(n):
        path = os.path.join(dirname, "img %03d.%s" % (i, ext))
        Image.fromarray(rng.integers(0, 255, (8, 12, 3), dtype=np.uint8)).save(
            path
        )
        paths.append(path)
    return paths


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_no_secret(err, secret):
    """The key appears nowhere in the exception, its chain or traceback."""
    assert isinstance(err, LabelStudioError)
    assert err.__cause__ is None
    assert err.__context__ is None
    texts = [
        str(err),
        repr(err),
        str(err.detail),
        "".join(traceback.format_exception(err)),
    ]
    for text in texts:
        assert secret not in text


@pytest.fixture
def project(ls_client):
    p = ls_client.create_project(
        "client-test-%s" % uuid.uuid4().hex[:8], LABEL_CONFIG
    )
    yield p
    try:
        ls_client.delete_project(p["id"])
    except LabelStudioNotFoundError:
        pass


@pytest.fixture
def pat(ls_client):
    """A personal access token of the admin, revoked afterwards.

    Label Studio allows one PAT per user at a time (409 otherwise)."""
    token = ls_client.create_personal_access_token()
    yield token
    ls_client.revoke_personal_access_token(token)


# -- connection, URL and auth ---------------------------------------------


def test_check_with_legacy_token(ls_server, ls_client):
    info = ls_client.check()
    assert info["version"] == ls_server.version
    assert info["url"] == ls_server.url.rstrip("/")
    assert info["user"]["id"] == ls_client.whoami()["id"]
    assert not ls_client.uses_personal_access_token


def test_one_http_client_with_connection_close(ls_client, ls_server):
    transport = ls_client._transport
    assert transport.http.headers["connection"] == "close"
    sdk_http = ls_client.sdk._client_wrapper.httpx_client.httpx_client
    assert sdk_http is transport.http
    assert ls_server.api_key not in repr(ls_client)
    assert ls_server.api_key not in repr(transport)


@pytest.mark.parametrize(
    "url",
    [
        "localhost:8080",
        "ftp://localhost:8080",
        "file:///etc/passwd",
        "http://user:pw@localhost:8080",
        "",
        "http://",
    ],
)
def test_only_http_urls(url):
    with pytest.raises(ValueError):
        LabelStudioClient(url, "0123456789")


def test_unreachable_server(ls_server):
    url = "http://127.0.0.1:%d" % _free_port()
    client = LabelStudioClient(url, ls_server.api_key)
    with pytest.raises(LabelStudioConnectionError) as info:
        client.check()
    msg = str(info.value)
    assert "Cannot reach Label Studio at %s" % url in msg
    assert "FIFTYONE_LABELSTUDIO_URL" in msg
    _assert_no_secret(info.value, ls_server.api_key)


def test_not_label_studio(ls_server):
    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><title>Nothing here</title></html>")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = "http://127.0.0.1:%d" % server.server_port
        with pytest.raises(LabelStudioConnectionError) as info:
            LabelStudioClient(url, ls_server.api_key).check()
    finally:
        server.shutdown()
        server.server_close()
    assert "is it Label Studio?" in str(info.value)
    _assert_no_secret(info.value, ls_server.api_key)


def test_wrong_legacy_token(ls_server):
    bad = "wrong0123456789abcdef"
    client = LabelStudioClient(ls_server.url, bad)
    with pytest.raises(LabelStudioAuthError) as info:
        client.list_projects()
    assert info.value.status_code == 401
    assert "FIFTYONE_LABELSTUDIO_API_KEY" in str(info.value)
    _assert_no_secret(info.value, bad)


def test_personal_access_token(ls_server, pat, tmp_path):
    client = LabelStudioClient(ls_server.url, pat)
    assert client.uses_personal_access_token
    assert client.check()["version"] == ls_server.version
    tokens = client.sdk._client_wrapper._tokens_client
    assert tokens._access_token and tokens._access_token != pat
    # An expired access token must be exchanged again (the SDK does not
    # verify signatures, so a forged expired one is what it would see)
    tokens._access_token = jwt.encode(
        {"token_type": "access", "exp": int(time.time()) - 10}, "k" * 32
    )
    assert client.whoami()["id"] == client.check()["user"]["id"]
    assert (
        jwt.decode(tokens._access_token, options={"verify_signature": False})[
            "exp"
        ]
        > time.time()
    )
    # The raw multipart path uses the same token handling
    project = client.create_project(
        "pat-%s" % uuid.uuid4().hex[:6], LABEL_CONFIG
    )
    try:
        paths = _write_images(str(tmp_path), 2)
        assert len(client.upload_files(project["id"], paths)) == 2
    finally:
        client.delete_project(project["id"])


def test_revoked_personal_access_token(ls_server, ls_client):
    token = ls_client.create_personal_access_token()
    client = LabelStudioClient(ls_server.url, token)
    assert client.check()["version"] == ls_server.version
    ls_client.revoke_personal_access_token(token)
    with pytest.raises(LabelStudioAuthError) as info:
        LabelStudioClient(ls_server.url, token).check()
    assert "revoked" in str(info.value)
    _assert_no_secret(info.value, token)


def test_expired_personal_access_token(ls_server):
    expired = jwt.encode(
        {"token_type": "refresh", "exp": int(time.time()) - 60}, "k" * 32
    )
    with pytest.raises(LabelStudioAuthError) as info:
        LabelStudioClient(ls_server.url, expired)
    assert "expired" in str(info.value)
    _assert_no_secret(info.value, expired)


def test_legacy_tokens_disabled(ls_server, ls_client, pat):
    admin = LabelStudioClient(ls_server.url, pat)
    admin.set_legacy_tokens_enabled(False)
    try:
        with pytest.raises(LabelStudioAuthError) as info:
            LabelStudioClient(ls_server.url, ls_server.api_key).check()
    finally:
        admin.set_legacy_tokens_enabled(True)
    msg = str(info.value)
    assert "legacy token authentication has been disabled" in msg
    assert "personal access token" in msg
    assert "enable legacy tokens" in msg
    _assert_no_secret(info.value, ls_server.api_key)
    assert ls_client.check()["version"] == ls_server.version


def test_read_timeout_is_a_clear_error(ls_server):
    # A local server that accepts connections and never answers
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        url = "http://127.0.0.1:%d" % hung.getsockname()[1]
        client = LabelStudioClient(url, ls_server.api_key, timeout=0.5)
        with pytest.raises(LabelStudioRequestError) as info:
            client.get_project(1)
    assert "did not answer" in str(info.value)
    assert "get project 1" in str(info.value)
    _assert_no_secret(info.value, ls_server.api_key)


# -- projects -------------------------------------------------------------


def test_project_lifecycle(ls_client, ls_server):
    title = "client-crud-%s" % uuid.uuid4().hex[:8]
    created = ls_client.create_project(
        title, LABEL_CONFIG, description="made by a test"
    )
    pid = created["id"]
    other = ls_client.create_project(title + " (copy)", LABEL_CONFIG)
    try:
        assert created["title"] == title
        assert ls_client.get_project(pid)["description"] == "made by a test"
        updated = ls_client.update_project(pid, description="changed")
        assert updated["description"] == "changed"
        assert [p["id"] for p in ls_client.list_projects(title)] == [pid]
        assert ls_client.project_url(pid) == "%s/projects/%d/data" % (
            ls_server.url.rstrip("/"),
            pid,
        )
        assert ls_client.task_count(pid) == 0
    finally:
        ls_client.delete_project(other["id"])
    ls_client.delete_project(pid)
    with pytest.raises(LabelStudioNotFoundError) as info:
        ls_client.get_project(pid)
    assert "project %d" % pid in str(info.value)
    _assert_no_secret(info.value, ls_server.api_key)


def test_list_projects_paginates(ls_client, monkeypatch):
    ids = [
        ls_client.create_project("page-%d" % i, LABEL_CONFIG)["id"]
        for i in range(3)
    ]
    try:
        monkeypatch.setattr(client_api, "PROJECTS_PAGE_SIZE", 2)
        listed = {p["id"] for p in ls_client.list_projects()}
        assert set(ids) <= listed
        assert len(listed) == len(ls_client.list_projects())
    finally:
        for pid in ids:
            ls_client.delete_project(pid)


def test_bad_label_config_is_a_request_error(ls_client, ls_server):
    with pytest.raises(LabelStudioRequestError) as info:
        ls_client.create_project("bad", '<View><Label value="a<b"/></View>')
    assert info.value.status_code == 400
    assert "label_config" in str(info.value)
    _assert_no_secret(info.value, ls_server.api_key)


def test_list_users(ls_client):
    me = ls_client.whoami()
    users = ls_client.list_users()
    assert users[me["id"]]["email"] == me["email"]


# -- uploads ---------------------------------------------------------------


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_upload_150_files_in_two_requests(
    ls_client, ls_server, project, tmp_path
):
    paths = _write_images(str(tmp_path), 150)
    progress = []
    fds = _open_fds()
    urls = ls_client.upload_files(
        project["id"], paths, progress=progress.append
    )
    assert _open_fds() == fds
    assert progress == [100, 150]  # one call per multipart request
    assert len(urls) == 150 and len(set(urls)) == 150
    assert ls_client.task_count(project["id"]) == 0  # no tasks created
    headers = {"Authorization": "Token %s" % ls_server.api_key}
    with httpx.Client(base_url=ls_server.url, headers=headers) as http:
        for path, url in zip(paths, urls):
            assert url.startswith("/data/upload/%d/" % project["id"])
            assert url.endswith(os.path.basename(path).replace(" ", "_"))
            response = http.get(url)
            assert response.status_code == 200
            with open(path, "rb") as f:
                assert response.content == f.read()


def test_upload_refuses_unsupported_files_before_uploading(
    ls_client, project, tmp_path
):
    good = _write_images(str(tmp_path), 2)
    bad = _write_images(str(tmp_path), 1, ext="tif")
    with pytest.raises(ValueError) as info:
        ls_client.upload_files(project["id"], good + bad)
    assert ".tif" in str(info.value) and "convert" in str(info.value)
    with pytest.raises(ValueError):
        ls_client.upload_files(
            project["id"], good + [str(tmp_path / "missing.png")]
        )
    uploads = ls_client._transport.json(
        "GET",
        "api/projects/%d/file-uploads" % project["id"],
        "list",
        params={"all": "true"},
    )
    assert uploads == []


def test_upload_to_missing_project(ls_client, tmp_path):
    paths = _write_images(str(tmp_path), 1)
    with pytest.raises(LabelStudioNotFoundError):
        ls_client.upload_files(999999, paths)


# -- import, export, delete -------------------------------------------------


def test_import_and_export_round_trip(ls_client, project):
    pid = project["id"]
    tasks = [_task(i) for i in range(5)]
    progress = []
    ids = ls_client.import_tasks(
        pid, tasks, batch_size=2, progress=progress.append
    )
    assert progress == [2, 4, 5]
    assert len(ids) == 5 and len(set(ids)) == 5
    # An annotation made as a person would (the UI's endpoint)
    human = _results("%024x" % 77)[:1]
    ls_client.sdk.annotations.create(id=ids[1], result=human, lead_time=1.5)
    me = ls_client.whoami()["id"]

    exported = ls_client.export_tasks(pid)
    assert sorted(t["id"] for t in exported) == sorted(ids)
    by_sample = {
        t["data"][constants.TASK_META_KEY]["sample_id"]: t for t in exported
    }
    for i, sent in enumerate(tasks):
        got = by_sample[sent["data"][constants.TASK_META_KEY]["sample_id"]]
        assert got["data"] == sent["data"]
        [prediction] = got["predictions"]
        assert prediction["model_version"] == "fiftyone"
        sent_result = sent["predictions"][0]["result"]
        # byte-identical: same values, same key order
        assert json.dumps(prediction["result"]) == json.dumps(sent_result)
    annotated = [t for t in exported if t["annotations"]]
    assert [t["id"] for t in annotated] == [ids[1]]
    [annotation] = annotated[0]["annotations"]
    assert annotation["completed_by"] == me
    assert json.dumps(annotation["result"]) == json.dumps(human)

    subset = ls_client.export_tasks(pid, ids=[ids[0], ids[3]])
    assert sorted(t["id"] for t in subset) == sorted([ids[0], ids[3]])
    assert all(isinstance(t["predictions"][0], dict) for t in subset)
    assert ls_client.export_tasks(pid, ids=[]) == []

    # predictions=False: same tasks and annotations, prediction ids only
    light = ls_client.export_tasks(pid, predictions=False)
    assert sorted(t["id"] for t in light) == sorted(ids)
    by_id = {t["id"]: t for t in exported}
    for task in light:
        assert task["data"] == by_id[task["id"]]["data"]
        assert task["annotations"] == by_id[task["id"]]["annotations"]
        assert task["predictions"] == [
            p["id"] for p in by_id[task["id"]]["predictions"]
        ]


def test_import_consumes_a_generator_one_batch_ahead(ls_client, project):
    progress, seen_at = [], []

    def tasks():
        for i in range(7):
            seen_at.append(len(progress))  # batches imported so far
            yield _task(i)

    ids = ls_client.import_tasks(
        project["id"], tasks(), batch_size=2, progress=progress.append
    )
    assert len(set(ids)) == 7 and progress == [2, 4, 6, 7]
    # task i is in batch i // 2, built while batch i // 2 - 1 is sent:
    # never more than one batch ahead of what was imported
    assert all(seen_at[i] >= i // 2 - 1 for i in range(7)), seen_at
    assert seen_at[:2] == [0, 0]
    assert ls_client.task_count(project["id"]) == 7


def test_import_is_never_retried(ls_client, project):
    seen = []
    http = ls_client.sdk._client_wrapper.httpx_client
    real = http.request

    def spy(path, **kwargs):
        seen.append((kwargs["method"], path, kwargs.get("request_options")))
        return real(path, **kwargs)

    http.request = spy
    try:
        ls_client.import_tasks(project["id"], [_task(0)])
    finally:
        del http.request
    posts = [s for s in seen if s[0] == "POST"]
    assert posts == [
        ("POST", "api/projects/%d/import" % project["id"], {"max_retries": 0})
    ]


def test_import_failure_reports_what_the_project_holds(
    ls_client, project, ls_server
):
    pid = project["id"]
    bad = {"data": {"not_image": 1}}
    with pytest.raises(LabelStudioImportError) as info:
        ls_client.import_tasks(pid, [_task(0), _task(1), bad], batch_size=2)
    err = info.value
    assert err.status_code == 400
    assert len(err.imported_task_ids) == 2
    assert err.project_task_count == 2
    assert "holds 2 tasks" in str(err)
    assert "image" in str(err)  # the server's reason
    _assert_no_secret(err, ls_server.api_key)
    # the caller can roll back with the ids it got
    assert ls_client.delete_tasks(pid, err.imported_task_ids) == 2
    assert ls_client.task_count(pid) == 0


def test_import_into_missing_project(ls_client):
    with pytest.raises(LabelStudioImportError) as info:
        ls_client.import_tasks(999999, [_task(0)])
    assert info.value.status_code == 404
    assert info.value.project_task_count is None


def test_export_missing_project(ls_client):
    with pytest.raises(LabelStudioNotFoundError):
        ls_client.export_tasks(999999)


def test_delete_tasks_in_bulk(ls_client, project):
    pid = project["id"]
    ids = ls_client.import_tasks(pid, [_task(i) for i in range(10)])
    assert ls_client.delete_tasks(pid, ids[:4]) == 4
    assert ls_client.task_count(pid) == 6
    left = {t["id"] for t in ls_client.export_tasks(pid)}
    assert left == set(ids[4:])


# -- local files -------------------------------------------------------------


def test_local_storage_accepted_and_served(ls_client, ls_server, project):
    root = ls_server.files_root
    assert root, "the server's LOCAL_FILES_DOCUMENT_ROOT must be known"
    subdir = os.path.join(root, "client-test-%s" % uuid.uuid4().hex[:6])
    [path] = _write_images(subdir, 1)
    url = ls_client.local_file_url(path, root)
    assert url == "/data/local-files/?d=%s/img%%20000.png" % (
        os.path.basename(subdir)
    )
    assert local_file_url(path, root) == url
    headers = {"Authorization": "Token %s" % ls_server.api_key}
    with httpx.Client(base_url=ls_server.url, headers=headers) as http:
        assert http.get(url).status_code == 404  # no storage yet
        storage_id = ls_client.create_local_storage(
            project["id"], subdir, "test"
        )
        assert isinstance(storage_id, int)
        assert ls_client.storage_refusal is None
        response = http.get(url)
        assert response.status_code == 200
        with open(path, "rb") as f:
            assert response.content == f.read()
        ls_client.delete_storage(storage_id)
        assert http.get(url).status_code == 404
    with pytest.raises(LabelStudioNotFoundError):
        ls_client.delete_storage(storage_id)


def test_local_storage_refused_by_the_server(
    ls_client, ls_server, project, tmp_path
):
    root = ls_server.files_root
    assert ls_client.create_local_storage(project["id"], root) is None
    # 1.23 says "cannot be the same", 1.20-1.22 "must be a child"
    refusal = ls_client.storage_refusal
    assert "cannot be the same" in refusal or "must be a child" in refusal
    assert ls_client.create_local_storage(project["id"], str(tmp_path)) is None
    refusal = ls_client.storage_refusal
    assert "subdirectory" in refusal or "must be a child" in refusal


def test_local_file_url_needs_a_file_under_root(tmp_path):
    with pytest.raises(ValueError):
        local_file_url("/etc/passwd", str(tmp_path))
    with pytest.raises(ValueError):
        local_file_url(str(tmp_path), str(tmp_path))
