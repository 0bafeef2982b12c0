"""Cloud media without a server: URI parsing, buckets and prefixes,
credentials from kwargs and the standard environment, and the import
storage payloads of S3, GCS and Azure (GCS and Azure have no local
emulator here: their storages are checked on these payloads only; S3 runs
end to end in tests/integration/test_cloud_s3.py)."""

import json

import pytest

from fiftyone_labelstudio.backend import cloud_media as fc
from fiftyone_labelstudio.backend.errors import LabelStudioBackendError
from fiftyone_labelstudio.backend.media import MediaPlan
from fiftyone_labelstudio.client.cloud_storage import SECRET_FIELDS

_ALL_ENV = fc.SECRET_NAMES


@pytest.fixture
def clean_env(monkeypatch):
    for name in _ALL_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_parse_cloud_uris():
    assert fc.parse_cloud_uri("s3://b/k/x.png") == ("s3", "b", "k/x.png")
    assert fc.parse_cloud_uri("gs://b/x.jpg") == ("gcs", "b", "x.jpg")
    assert fc.parse_cloud_uri("azure-blob://c/d/x.jpg") == (
        "azure",
        "c",
        "d/x.jpg",
    )
    for ref in ("/tmp/x.png", "http://h/x.png", "s3://bucket-only", "s3:/b/k"):
        assert fc.parse_cloud_uri(ref) is None


def test_targets_group_buckets_with_the_common_folder():
    targets = fc.cloud_targets(
        [
            "s3://b/data/a/1.png",
            "s3://b/data/b/2.png",
            "s3://b/data/a/1.png",
            "gs://g/x.png",
            "/local/file.png",
        ]
    )
    assert [(t.kind, t.bucket, t.prefix) for t in targets] == [
        ("gcs", "g", ""),
        ("s3", "b", "data/"),
    ]
    assert targets[1].keys == ["data/a/1.png", "data/b/2.png"]
    assert targets[1].uri == "s3://b/data/"
    assert fc.common_prefix(["a/b/c.png"]) == "a/b/"


def test_covers():
    [target] = fc.cloud_targets(["s3://b/p/q/1.png", "s3://b/p/2.png"])
    assert fc.covers({"bucket": "b", "prefix": "p/"}, target)
    assert fc.covers({"bucket": "b", "prefix": ""}, target)
    assert not fc.covers({"bucket": "b", "prefix": "p/q/"}, target)
    assert not fc.covers({"bucket": "other", "prefix": ""}, target)
    [azure] = fc.cloud_targets(["azure-blob://c/x/1.png"])
    assert fc.covers({"container": "c", "prefix": "x"}, azure)


def test_s3_credentials_from_env_and_kwargs(clean_env):
    clean_env.setenv("AWS_ACCESS_KEY_ID", "env-id")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    clean_env.setenv("AWS_REGION", "eu-west-1")
    clean_env.setenv("AWS_ENDPOINT_URL", "http://generic")
    clean_env.setenv("AWS_ENDPOINT_URL_S3", "http://s3-specific")
    assert fc.find_credentials("s3") == {
        "aws_access_key_id": "env-id",
        "aws_secret_access_key": "env-secret",
        "region_name": "eu-west-1",
        "s3_endpoint": "http://s3-specific",
    }
    # kwargs (payload names or env names, e.g. plugin secrets) win
    found = fc.find_credentials(
        "s3",
        {"AWS_SECRET_ACCESS_KEY": "kw-secret", "aws_session_token": "tok"},
    )
    assert found["aws_secret_access_key"] == "kw-secret"
    assert found["aws_session_token"] == "tok"
    assert found["aws_access_key_id"] == "env-id"


def test_no_credentials_leaves_them_to_the_server(clean_env):
    assert fc.find_credentials("s3") == {}
    text = fc.describe_credentials("s3", {})
    assert "AWS_ACCESS_KEY_ID" in text and "own environment" in text


def test_s3_payload():
    [target] = fc.cloud_targets(["s3://b/p/1.png"])
    creds = {"aws_access_key_id": "i", "aws_secret_access_key": "s"}
    assert fc.storage_payload(target, creds, 7) == {
        "project": 7,
        "bucket": "b",
        "prefix": "p/",
        "presign": True,
        "use_blob_urls": False,
        "title": "fiftyone",
        "aws_access_key_id": "i",
        "aws_secret_access_key": "s",
    }


def test_gcs_payload_reads_the_key_file(clean_env, tmp_path):
    key = {"type": "service_account", "project_id": "p"}
    path = tmp_path / "key.json"
    path.write_text(json.dumps(key))
    clean_env.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    clean_env.setenv("GOOGLE_CLOUD_PROJECT", "proj")
    [target] = fc.cloud_targets(["gs://g/imgs/1.png"])
    payload = fc.storage_payload(target, fc.find_credentials("gcs"), 3)
    assert payload == {
        "project": 3,
        "bucket": "g",
        "prefix": "imgs/",
        "presign": True,
        "use_blob_urls": False,
        "title": "fiftyone",
        "google_application_credentials": json.dumps(key),
        "google_project_id": "proj",
    }


def test_gcs_unreadable_key_file(clean_env):
    clean_env.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/no/such/key.json")
    with pytest.raises(LabelStudioBackendError) as info:
        fc.find_credentials("gcs")
    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(info.value)


def test_azure_payload(clean_env):
    clean_env.setenv("AZURE_STORAGE_ACCOUNT_NAME", "acct")
    clean_env.setenv("AZURE_STORAGE_ACCOUNT_KEY", "k3y")
    [target] = fc.cloud_targets(["azure-blob://c/x/1.png"])
    assert fc.storage_payload(target, fc.find_credentials("azure")) == {
        "container": "c",
        "prefix": "x/",
        "presign": True,
        "use_blob_urls": False,
        "title": "fiftyone",
        "account_name": "acct",
        "account_key": "k3y",
    }


def test_every_secret_field_is_scrubbed_by_the_client():
    secret_fields = {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "google_application_credentials",
        "account_key",
    }
    assert secret_fields <= set(SECRET_FIELDS)


def test_media_plan_repr_hides_credentials():
    plan = MediaPlan("s3", [], [])
    plan.cloud_credentials = {("s3", "b"): {"aws_secret_access_key": "zz"}}
    assert "zz" not in repr(plan)
