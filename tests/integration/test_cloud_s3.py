"""Media in an S3 bucket, against a real S3 API (moto's server on
localhost) and a real Label Studio that serves the objects through its own
S3 import storage (presigned URLs).

``ls_cloud_server`` is a Label Studio started with
USE_DEFAULT_BANNED_SUBNETS=false (the store listens on 127.0.0.1); the
session server keeps the default and shows what a server that cannot
reach the store says.
"""

import os
import uuid

import httpx
import pytest

import fiftyone as fo

from fiftyone_labelstudio.backend.errors import LabelStudioBackendError
from fiftyone_labelstudio.client import LabelStudioClient
from fiftyone_labelstudio.client.errors import LabelStudioNotFoundError

from test_backend_common import (
    BACKEND,
    annotate_task,
    creds,
    prediction_results,
)


@pytest.fixture
def bucket(s3_server, sample_images):
    """A fresh bucket holding the photographs under ``photos/``."""
    s3_server.set_auth(False)
    s3 = s3_server.client()
    name = "fols-%s" % uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=name)
    uris = []
    for path in sample_images:
        key = "photos/%s" % os.path.basename(path)
        with open(path, "rb") as f:
            s3.put_object(Bucket=name, Key=key, Body=f.read())
        uris.append("s3://%s/%s" % (name, key))
    return name, uris


@pytest.fixture
def cloud_client(ls_cloud_server):
    client = LabelStudioClient(ls_cloud_server.url, ls_cloud_server.api_key)
    before = {p["id"] for p in client.list_projects()}
    yield client
    for project in client.list_projects():
        if project["id"] not in before:
            client.delete_project(project["id"])
    client.close()


def cloud_dataset(dataset, sample_images, uris, n=3, metadata=False):
    """Samples whose ``s3`` field holds the bucket URIs (FiftyOne's
    open-source build keeps ``filepath`` local)."""
    samples = []
    for path, uri in list(zip(sample_images, uris))[:n]:
        samples.append(
            fo.Sample(
                filepath=path,
                s3=uri,
                ground_truth=fo.Detections(
                    detections=[
                        fo.Detection(
                            label="cat", bounding_box=[0.1, 0.2, 0.3, 0.4]
                        )
                    ]
                ),
            )
        )
    dataset.add_samples(samples)
    if metadata:
        dataset.compute_metadata()
    return dataset


def served_bytes(server, task_id, uri) -> bytes:
    """What a browser gets for the task's ``s3://`` image: Label Studio's
    presign endpoint redirects to the store, which serves the object."""
    import base64

    fileuri = base64.urlsafe_b64encode(uri.encode()).decode()
    headers = {"Authorization": "Token %s" % server.api_key}
    with httpx.Client(timeout=30) as http:
        answer = http.get(
            "%s/tasks/%d/presign/?fileuri=%s" % (server.url, task_id, fileuri),
            headers=headers,
        )
        assert answer.status_code in (302, 303), answer.text[:300]
        location = answer.headers["location"]
        assert location.startswith("http://127.0.0.1:")  # the store
        media = http.get(location)  # no Authorization to the store
        assert media.status_code == 200, media.text[:300]
        return media.content


def storages(client, project_id):
    return client.list_cloud_storages("s3", project_id)


def test_s3_media_end_to_end(
    dataset, sample_images, bucket, s3_env, ls_cloud_server, cloud_client
):
    name, uris = bucket
    ds = cloud_dataset(dataset, sample_images, uris)  # no metadata: read
    results = ds.annotate(
        "s3run",
        backend=BACKEND,
        label_field="ground_truth",
        label_type="detections",
        classes=["cat", "dog"],
        media_field="s3",
        **creds(ls_cloud_server),
    )
    assert results.media_mode == "s3"
    assert results.storage_ids == []
    assert len(results.cloud_storages) == 1
    storage = results.cloud_storages[0]
    assert storage["kind"] == "s3"
    [found] = storages(cloud_client, results.project_id)
    assert found["id"] == storage["id"]
    assert (found["bucket"], found["prefix"]) == (name, "photos/")
    assert found["presign"] is True
    assert "aws_secret_access_key" not in found

    tasks = cloud_client.export_tasks(results.project_id)
    assert len(tasks) == 3
    s3 = s3_env.client()
    for task in tasks:
        uri = task["data"]["fiftyone"]["media"]
        assert task["data"]["image"] == uri  # Label Studio resolves it
        key = uri.split("/", 3)[3]
        expected = s3.get_object(Bucket=name, Key=key)["Body"].read()
        assert served_bytes(ls_cloud_server, task["id"], uri) == expected

    # the sizes were read from the bucket (no metadata)
    from PIL import Image

    sample = ds.first()
    task = next(
        t for t in tasks if t["data"]["fiftyone"]["sample_id"] == sample.id
    )
    result = prediction_results(task)[0]
    with Image.open(sample.filepath) as img:
        assert (result["original_width"], result["original_height"]) == (
            img.size
        )

    # annotate in Label Studio, load, clean up
    edited = prediction_results(task)
    edited[0]["value"]["rectanglelabels"] = ["dog"]
    annotate_task(cloud_client, task["id"], edited)
    ds.load_annotations("s3run", **creds(ls_cloud_server))
    assert ds[sample.id].ground_truth.detections[0].label == "dog"

    results = ds.load_annotation_results("s3run", **creds(ls_cloud_server))
    results.cleanup()
    assert results.cloud_storages == []
    with pytest.raises(LabelStudioNotFoundError):
        cloud_client.get_cloud_storage("s3", storage["id"])


def _nothing_created(ds, client, before):
    assert ds.list_annotation_runs() == []
    assert {p["id"] for p in client.list_projects()} == before


@pytest.mark.parametrize("server_has_projects", [False, True])
def test_wrong_credentials_fail_before_anything_is_created(
    dataset,
    sample_images,
    bucket,
    s3_env,
    ls_cloud_server,
    cloud_client,
    monkeypatch,
    server_has_projects,
):
    """Label Studio's validate endpoint needs some project: with one on
    the server it checks the storage; on an empty server the check runs
    from here first (and the server checks again at creation)."""
    _, uris = bucket
    ds = cloud_dataset(dataset, sample_images, uris, metadata=True)
    if server_has_projects:
        cloud_client.create_project("fols-other", "<View></View>")
    assert bool(cloud_client.list_projects()) == server_has_projects
    before = {p["id"] for p in cloud_client.list_projects()}
    wrong = "wrong" + s3_env.secret_access_key[5:]
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    s3_env.set_auth(True)  # the store checks signatures, like AWS
    try:
        with pytest.raises(LabelStudioBackendError) as info:
            ds.annotate(
                "bad",
                backend=BACKEND,
                label_field="ground_truth",
                media_field="s3",
                **creds(ls_cloud_server),
            )
    finally:
        s3_env.set_auth(False)
    message = str(info.value)
    assert "s3://%s/photos/" % bucket[0] in message
    assert "Nothing was created" in message
    assert "AWS_SECRET_ACCESS_KEY" in message
    assert "refused these credentials" in message
    assert wrong not in message and s3_env.secret_access_key not in message
    _nothing_created(ds, cloud_client, before)


def test_missing_bucket(
    dataset, sample_images, bucket, s3_env, ls_cloud_server, cloud_client
):
    uris = [u.replace(bucket[0], "no-such-bucket-fols") for u in bucket[1]]
    ds = cloud_dataset(dataset, sample_images, uris, metadata=True)
    before = {p["id"] for p in cloud_client.list_projects()}
    with pytest.raises(LabelStudioBackendError) as info:
        ds.annotate(
            "nobucket",
            backend=BACKEND,
            label_field="ground_truth",
            media_field="s3",
            **creds(ls_cloud_server),
        )
    assert "Bucket 'no-such-bucket-fols' does not exist" in str(info.value)
    _nothing_created(ds, cloud_client, before)


def test_server_that_cannot_reach_the_store(
    dataset, sample_images, bucket, s3_env, ls_server, ls_client
):
    """The session server keeps Label Studio's SSRF protection: the local
    store is refused, and the error says which setting allows it."""
    ls_client.create_project("fols-keep-one-project", "<View></View>")
    before = {p["id"] for p in ls_client.list_projects()}
    ds = cloud_dataset(dataset, sample_images, bucket[1], metadata=True)
    try:
        with pytest.raises(LabelStudioBackendError) as info:
            ds.annotate(
                "ssrf",
                backend=BACKEND,
                label_field="ground_truth",
                media_field="s3",
                **creds(ls_server),
            )
        assert "USE_DEFAULT_BANNED_SUBNETS=false" in str(info.value)
        assert "Nothing was created" in str(info.value)
        _nothing_created(ds, ls_client, before)
    finally:
        for p in ls_client.list_projects(title="fols-keep-one-project"):
            ls_client.delete_project(p["id"])


def test_reused_storage_is_never_deleted(
    dataset, sample_images, bucket, s3_env, ls_cloud_server, cloud_client
):
    name, uris = bucket
    ds = cloud_dataset(dataset, sample_images, uris, metadata=True)
    project = cloud_client.create_project(
        "fols-existing",
        '<View><Image name="image" value="$image"/>'
        '<RectangleLabels name="ground_truth" toName="image">'
        '<Label value="cat"/><Label value="dog"/></RectangleLabels></View>',
    )
    payload = {
        "project": project["id"],
        "bucket": name,
        "prefix": "",
        "presign": True,
        "use_blob_urls": False,
        "title": "the team's storage",
        "aws_access_key_id": s3_env.access_key_id,
        "aws_secret_access_key": s3_env.secret_access_key,
        "region_name": s3_env.region,
        "s3_endpoint": s3_env.endpoint,
    }
    theirs = cloud_client.create_cloud_storage("s3", payload)

    # found on the project, and named by id
    for key, extra in (("found", {}), ("named", {"cloud_storage_id": theirs})):
        results = ds.annotate(
            key,
            backend=BACKEND,
            label_field="ground_truth",
            label_type="detections",
            classes=["cat", "dog"],
            media_field="s3",
            project_id=project["id"],
            **extra,
            **creds(ls_cloud_server),
        )
        assert results.cloud_storages == []
        [task] = cloud_client.export_tasks(project["id"])[:1]
        uri = task["data"]["image"]
        assert served_bytes(ls_cloud_server, task["id"], uri)
        results.cleanup()
        ds.delete_annotation_run(key)
        assert [s["id"] for s in storages(cloud_client, project["id"])] == [
            theirs
        ]


def test_named_storage_of_another_project_is_refused(
    dataset, sample_images, bucket, s3_env, ls_cloud_server, cloud_client
):
    ds = cloud_dataset(dataset, sample_images, bucket[1], metadata=True)
    with pytest.raises(LabelStudioBackendError) as info:
        ds.annotate(
            "named",
            backend=BACKEND,
            label_field="ground_truth",
            media_field="s3",
            cloud_storage_id=999999,
            **creds(ls_cloud_server),
        )
    assert "has no s3 import storage with this id" in str(info.value)
    assert ds.list_annotation_runs() == []


def test_mixed_local_and_bucket_media(
    dataset, sample_images, bucket, s3_env, ls_cloud_server, cloud_client
):
    ds = cloud_dataset(dataset, sample_images, bucket[1], metadata=True)
    local = ds.first()
    local["s3"] = local.filepath  # this one is a local file
    local.save()
    results = ds.annotate(
        "mixed",
        backend=BACKEND,
        label_field="ground_truth",
        label_type="detections",
        classes=["cat", "dog"],
        media_field="s3",
        **creds(ls_cloud_server),
    )
    assert results.media_mode == "s3+upload"
    tasks = cloud_client.export_tasks(results.project_id)
    images = sorted(t["data"]["image"] for t in tasks)
    assert images[0].startswith("/data/upload/")
    assert all(i.startswith("s3://") for i in images[1:])
    results.cleanup()


def test_credentials_as_kwargs_are_not_serialized(
    dataset,
    sample_images,
    bucket,
    s3_server,
    ls_cloud_server,
    cloud_client,
    monkeypatch,
):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    ds = cloud_dataset(dataset, sample_images, bucket[1], metadata=True)
    results = ds.annotate(
        "kw",
        backend=BACKEND,
        label_field="ground_truth",
        media_field="s3",
        cloud_credentials={
            "AWS_ACCESS_KEY_ID": s3_server.access_key_id,
            "aws_secret_access_key": s3_server.secret_access_key,
            "s3_endpoint": s3_server.endpoint,
        },
        **creds(ls_cloud_server),
    )
    assert results.media_mode == "s3"
    doc = ds._doc.annotation_runs["kw"].to_dict()
    text = str(doc) + str(results.serialize())
    assert s3_server.secret_access_key not in text
    assert s3_server.access_key_id not in text
    results.cleanup()


def test_app_request_form_offers_bucket_media(
    dataset,
    sample_images,
    bucket,
    s3_env,
    ls_cloud_server,
    cloud_client,
    monkeypatch,
):
    """The request operator detects the bucket URIs of the chosen media
    field, says how they are served, and runs with the credentials from
    the plugin secrets (here the environment, like the App's)."""
    from test_operators_support import resolve, run

    monkeypatch.setenv("FIFTYONE_LABELSTUDIO_URL", ls_cloud_server.url)
    monkeypatch.setenv("FIFTYONE_LABELSTUDIO_API_KEY", ls_cloud_server.api_key)
    ds = cloud_dataset(dataset, sample_images, bucket[1], metadata=True)
    ds.app_config.media_fields = ["filepath", "s3"]
    ds.save()
    params = {
        "anno_key": "app",
        "existing_fields": ["ground_truth"],
        "media_field": "s3",
    }
    props, errors = resolve(ds, "request_annotations", params)
    assert not errors, errors
    notice = props["cloud_notice"].view.label
    assert "S3" in notice and "s3://%s/photos/" % bucket[0] in notice
    result, _ = run("request_annotations", ds, params)
    results = ds.load_annotation_results("app", **creds(ls_cloud_server))
    assert results.media_mode == "s3"
    assert len(results.cloud_storages) == 1
    results.cleanup()
