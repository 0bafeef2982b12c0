"""Secrets and injection, against the real server and MongoDB.

The API key never appears in the database (run documents, GridFS
results, delegated operations, every other collection), logs, exception
text, panel state or App responses; it is read per execution from the
plugin's secrets and never copied into global configuration; it is sent
only to the configured server. Class names cannot inject Label Studio
config XML. Only http(s) server URLs are accepted.
"""

import asyncio
import json
import logging
import os
import traceback

import pytest
from lxml import etree

import fiftyone as fo
import fiftyone.core.odm as foo_odm
from fiftyone.internal.secrets import UnencryptedSecret
from fiftyone.internal.secrets.providers.local import EnvSecretProvider
from fiftyone.operators.executor import execute_or_delegate_operator
from fiftyone.plugins.secrets import PluginSecretsResolver

from fiftyone_labelstudio import constants
from fiftyone_labelstudio.client import LabelStudioClient

from faults import Fault, FaultProxy, MediaServer, project_tasks
from test_operators_support import (
    assert_no_secret,
    image_dataset,
    make_ctx,
    operator,
    queue,
    run,
    run_queued,
    triggered,
    uri,
)

BACKEND = "labelstudio"


class VaultSecrets(EnvSecretProvider):
    """A secrets store that is not the environment (like FiftyOne
    Enterprise's): proves the plugin reads secrets per execution."""

    def __init__(self, values):
        self.values = dict(values)

    async def get(self, key, **kwargs):
        return self.get_sync(key)

    def get_sync(self, key, **kwargs):
        if key in self.values:
            return UnencryptedSecret(key, self.values[key])
        return None


@pytest.fixture
def vault(ls_server, monkeypatch):
    """Secrets from a store, and NOT in os.environ or fo.annotation_config."""
    monkeypatch.delenv(constants.SECRET_API_KEY, raising=False)
    monkeypatch.delenv(constants.SECRET_URL, raising=False)
    backends = fo.annotation_config.backends
    params = {
        k: v
        for k, v in (backends.get(BACKEND) or {}).items()
        if k not in ("api_key", "url")
    }
    monkeypatch.setitem(backends, BACKEND, params)
    store = VaultSecrets(
        {
            constants.SECRET_URL: ls_server.url,
            constants.SECRET_API_KEY: ls_server.api_key,
        }
    )
    monkeypatch.setattr(PluginSecretsResolver(), "client", store)
    return store


@pytest.fixture
def images_ds(dataset, sample_images, ls_server, ls_projects_guard):
    return image_dataset(dataset, sample_images)


def _database_text() -> bytes:
    """Every document of every collection of FiftyOne's database
    (datasets, runs, GridFS results, delegated operations, ...)."""
    import bson

    db = foo_odm.get_db_conn()
    out = []
    for name in db.list_collection_names():
        for doc in db[name].find():
            out.append(bson.BSON.encode(doc))
    return b"".join(out)


def _exception_text(exc) -> str:
    return "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__)
    ) + repr(exc)


def _global_config_text() -> str:
    return json.dumps(
        {
            "annotation_config": fo.annotation_config.serialize(),
            "environ": dict(os.environ),
        },
        default=str,
    )


def test_key_appears_nowhere_after_a_full_workflow(
    images_ds, ls_server, vault, caplog, capfd
):
    key = ls_server.api_key
    caplog.set_level(logging.DEBUG)  # every logger, every level
    app_messages = []

    # request (live, as the App streams it), status, load, panel
    request = {
        "dataset_name": images_ds.name,
        "operator_uri": uri("request_annotations"),
        "params": {
            "anno_key": "sec",
            "existing_fields": ["ground_truth", "weather"],
            "media_mode": "upload",
        },
    }
    execution = asyncio.run(
        execute_or_delegate_operator(
            uri("request_annotations"), request, exhaust=False
        )
    )
    app_messages += [m.to_json_line() for m in execution.result]
    assert "sec" in images_ds.list_annotation_runs()

    status = operator("get_annotation_status")(images_ds, "sec")
    assert status["tasks"] == len(images_ds)
    load_result, load_exec = run(
        "load_annotations", images_ds, {"anno_key": "sec"}
    )
    app_messages += [load_result, triggered(load_exec.executor)]

    # delegated: queued, then run by the worker (records in MongoDB)
    op_id = queue(
        "request_annotations",
        images_ds,
        {
            "anno_key": "sec_delegated",
            "existing_fields": ["weather"],
            "media_mode": "upload",
        },
    )
    doc = run_queued(op_id, images_ds.name)
    assert doc.run_state == "completed", doc.result.error
    app_messages.append(doc.to_pymongo())

    # the runs panel, from a real ExecutionContext
    panel = operator("labelstudio_runs")
    ctx = make_ctx(
        images_ds,
        "labelstudio_runs",
        {"panel_id": "p", "panel_state": {}, "__method__": "on_load"},
    )
    panel.execute(ctx)
    assert ctx.panel.get_state("num_runs") == 2
    app_messages += [ctx.panel.state._data, triggered(ctx)]

    # a failure, with its exception text
    with pytest.raises(Exception) as info:
        images_ds.load_annotations(
            "sec", url=ls_server.url + "/no-such-prefix", api_key=key
        )
    images_ds._annotation_cache.clear()

    # Python API results objects
    results = images_ds.load_annotation_results(
        "sec", url=ls_server.url, api_key=key
    )
    app_messages.append(results.serialize())
    images_ds._annotation_cache.clear()

    assert_no_secret(app_messages, key)
    assert key not in _exception_text(info.value)
    assert key.encode() not in _database_text()
    assert key not in caplog.text
    out, err = capfd.readouterr()
    assert key not in out and key not in err
    # secrets were read per execution: nothing global holds the key
    assert key not in _global_config_text()


def test_errors_never_contain_the_key(dataset, sample_images, ls_server):
    dataset.add_sample(fo.Sample(filepath=sample_images[0]))
    key = ls_server.api_key
    proxy = FaultProxy(ls_server.url)
    try:
        proxy.inject("POST", r"/import\?return_task_ids", Fault(status=500))
        attempts = [
            dict(url="http://127.0.0.1:9", api_key=key),
            dict(url=ls_server.url, api_key=key + "x"),
            dict(url=proxy.url, api_key=key),
        ]
        for kwargs in attempts:
            with pytest.raises(Exception) as info:
                dataset.annotate(
                    "err",
                    backend=BACKEND,
                    label_field="animal",
                    label_type="classification",
                    classes=["cat"],
                    media_mode="upload",
                    **kwargs,
                )
            text = _exception_text(info.value)
            assert key not in text, text
            assert dataset.list_annotation_runs() == []
    finally:
        proxy.close()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/",
        "javascript:alert(1)",
        "127.0.0.1:8080",
        "http://admin:secret@127.0.0.1:8080",
    ],
)
def test_only_http_server_urls(dataset, sample_images, ls_server, url):
    dataset.add_sample(fo.Sample(filepath=sample_images[0]))
    client = LabelStudioClient(ls_server.url, ls_server.api_key)
    projects = project_tasks(client)
    with pytest.raises(ValueError, match="http|user or password") as info:
        dataset.annotate(
            "u",
            backend=BACKEND,
            label_field="animal",
            label_type="classification",
            classes=["cat"],
            url=url,
            api_key=ls_server.api_key,
        )
    assert ls_server.api_key not in str(info.value)
    assert "secret" not in str(info.value)  # a password in the URL
    assert dataset.list_annotation_runs() == []
    assert project_tasks(client) == projects


def test_key_is_never_sent_to_media_urls(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    media = MediaServer(os.path.dirname(sample_images[0]))
    try:
        # FiftyOne's filepath is local; the URLs live in another field and
        # their sizes are read over http (no metadata yet)
        for path in sample_images[:2]:
            name = os.path.basename(path)
            sample = fo.Sample(filepath=path)
            sample["image_url"] = media.url(name)
            dataset.add_sample(sample)
        results = dataset.annotate(
            "media",
            backend=BACKEND,
            label_field="animal",
            label_type="classification",
            classes=["cat"],
            media_field="image_url",
            media_mode="url",
            url=ls_server.url,
            api_key=ls_server.api_key,
        )
        assert media.seen, "FiftyOne never read the images"
        results.get_status()
        dataset.load_annotations(
            "media", url=ls_server.url, api_key=ls_server.api_key
        )
        tasks = ls_client.export_tasks(results.project_id)
        assert sorted(t["data"]["image"] for t in tasks) == sorted(
            dataset.values("image_url")
        )
        for path, headers in media.seen:
            lowered = {k.lower(): v for k, v in headers.items()}
            assert "authorization" not in lowered, (path, headers)
            assert ls_server.api_key not in json.dumps(headers)
    finally:
        media.close()


# -- Label Studio config injection ----------------------------------------

NASTY = [
    'a"/><Label value="injected',
    "</Choices><TextArea name='evil' toName='image'/><Choices>",
    "R&D <b>bold</b>",
    "&amp; &lt; already-escaped",
    "<!-- comment -->",
    "]]> cdata end",
    "emoji 🐱‍👤 ünïcode",
    "quote ' and \" both",
    "$image",
    "  spaces  ",
]


def _controls(label_config: str) -> dict:
    """``{control name: [label values]}`` of a stored config."""
    root = etree.fromstring(label_config.encode("utf-8"))
    out = {}
    for element in root.iter():
        name = element.get("name")
        if name and element.get("toName"):
            out[name] = [
                child.get("value")
                for child in element
                if child.get("value") is not None
            ]
    return out


def test_class_names_cannot_inject_config(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    dataset.add_sample(fo.Sample(filepath=sample_images[0]))
    schema = {
        "animal": {"type": "classification", "classes": NASTY},
        "boxes": {"type": "detections", "classes": NASTY},
        "count": {"type": "scalar", "classes": ["1", "<2>", "&3"]},
    }
    results = dataset.annotate(
        "inj",
        backend=BACKEND,
        label_schema=schema,
        media_mode="upload",
        url=ls_server.url,
        api_key=ls_server.api_key,
    )
    stored = ls_client.get_project(results.project_id)["label_config"]
    controls = _controls(stored)
    assert set(controls) == {"animal", "boxes", "count"}, stored
    assert controls["animal"] == NASTY
    assert controls["boxes"] == NASTY
    assert "evil" not in controls
    parsed = ls_client.get_project(results.project_id)["parsed_label_config"]
    assert set(parsed) == {"animal", "boxes", "count"}
    assert parsed["animal"]["labels"] == NASTY


def test_attribute_values_cannot_inject_config(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    dataset.add_sample(fo.Sample(filepath=sample_images[0]))
    schema = {
        "boxes": {
            "type": "detections",
            "classes": ["cat", 'x"/><Choice value="y'],
            "attributes": {
                "mood": {"type": "select", "values": NASTY},
                "note": {"type": "text"},
            },
        },
    }
    results = dataset.annotate(
        "attr",
        backend=BACKEND,
        label_schema=schema,
        media_mode="upload",
        url=ls_server.url,
        api_key=ls_server.api_key,
    )
    stored = ls_client.get_project(results.project_id)["label_config"]
    controls = _controls(stored)
    assert len(controls) == 3, stored  # boxes, mood, note
    assert controls["boxes"] == ["cat", 'x"/><Choice value="y']
    assert NASTY in controls.values()
    assert "evil" not in controls


def test_odd_field_names_and_huge_class_lists(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    dataset.add_sample(fo.Sample(filepath=sample_images[0]))
    classes = ["class %04d <&>" % i for i in range(1000)]
    schema = {
        "Field-With-Dashes": {"type": "detections", "classes": classes},
        "with space": {"type": "classification", "classes": ["a", "b"]},
        "ünïcode_field": {"type": "classification", "classes": ["x"]},
        "image": {"type": "classification", "classes": ["y"]},
        "9lives": {"type": "classification", "classes": ["z"]},
    }
    results = dataset.annotate(
        "odd",
        backend=BACKEND,
        label_schema=schema,
        media_mode="upload",
        url=ls_server.url,
        api_key=ls_server.api_key,
    )
    stored = ls_client.get_project(results.project_id)["label_config"]
    controls = _controls(stored)
    assert len(controls) == 5
    assert sorted(map(len, controls.values())) == [1, 1, 1, 2, 1000]
    assert classes in controls.values()
    dataset.load_annotations(
        "odd", url=ls_server.url, api_key=ls_server.api_key
    )


# -- bad input from the user ----------------------------------------------


@pytest.mark.parametrize(
    "anno_key", ["bad key", "1abc", "a-b", "", "x;drop", "a.b"]
)
def test_anno_keys_that_are_not_identifiers(
    dataset, sample_images, ls_server, ls_client, anno_key
):
    dataset.add_sample(fo.Sample(filepath=sample_images[0]))
    projects = project_tasks(ls_client)
    with pytest.raises(ValueError, match="key") as info:
        dataset.annotate(
            anno_key,
            backend=BACKEND,
            label_field="animal",
            label_type="classification",
            classes=["cat"],
            url=ls_server.url,
            api_key=ls_server.api_key,
        )
    assert ls_server.api_key not in str(info.value)
    assert dataset.list_annotation_runs() == []
    assert project_tasks(ls_client) == projects


def test_cloud_credentials_appear_nowhere(
    dataset,
    sample_images,
    s3_env,
    ls_cloud_server,
    monkeypatch,
    caplog,
    capfd,
):
    """S3 credentials go to Label Studio's storage and nowhere else: not
    in MongoDB, logs, output, results or errors (also a failed run's)."""
    from test_cloud_s3 import cloud_dataset

    caplog.set_level(logging.DEBUG)
    s3 = s3_env.client()
    s3.create_bucket(Bucket="fols-security")
    uris = []
    for path in sample_images[:2]:
        key = "s/" + os.path.basename(path)
        with open(path, "rb") as f:
            s3.put_object(Bucket="fols-security", Key=key, Body=f.read())
        uris.append("s3://fols-security/" + key)
    ds = cloud_dataset(dataset, sample_images, uris, n=2, metadata=True)
    server = {"url": ls_cloud_server.url, "api_key": ls_cloud_server.api_key}
    secret = s3_env.secret_access_key
    results = ds.annotate(
        "cloudsec",
        backend=BACKEND,
        label_field="ground_truth",
        media_field="s3",
        **server,
    )
    serialized = json.dumps(results.serialize(), default=str)
    ds.load_annotations("cloudsec", **server)
    results.cleanup()

    # a failure: wrong secret, the store checking signatures
    wrong = "WRONG" + secret[5:]
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    s3_env.set_auth(True)
    try:
        with pytest.raises(Exception) as info:
            ds.annotate(
                "cloudsec2",
                backend=BACKEND,
                label_field="ground_truth",
                media_field="s3",
                **server,
            )
    finally:
        s3_env.set_auth(False)
    out, err = capfd.readouterr()
    for value in (secret, wrong):
        assert value not in serialized
        assert value not in _exception_text(info.value)
        assert value.encode() not in _database_text()
        assert value not in caplog.text
        assert value not in out and value not in err
