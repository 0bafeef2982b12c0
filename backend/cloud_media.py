"""Media in cloud buckets: which URIs are cloud objects, which bucket and
prefix a run needs, where the credentials come from, and the storage
payload Label Studio takes. Pure except for reading the environment (and
the file ``GOOGLE_APPLICATION_CREDENTIALS`` names).

Label Studio serves such media itself: an import storage of the project
(S3, GCS or Azure) presigns ``s3://`` / ``gs://`` / ``azure-blob://``
task URIs when the editor asks for them. The credentials go to Label
Studio (it needs them to presign) and nowhere else.
"""

import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Optional

from .errors import LabelStudioBackendError

# URI scheme -> storage kind (Label Studio's own schemes)
SCHEMES = {"s3": "s3", "gs": "gcs", "azure-blob": "azure"}
_CLOUD_URI = re.compile(r"^(s3|gs|azure-blob)://([^/?#]+)/([^?#]+)$")

# kwarg / plugin-secret name -> storage payload field, per kind
CREDENTIAL_ENV = {
    "s3": {
        "aws_access_key_id": ("AWS_ACCESS_KEY_ID",),
        "aws_secret_access_key": ("AWS_SECRET_ACCESS_KEY",),
        "aws_session_token": ("AWS_SESSION_TOKEN",),
        "region_name": ("AWS_DEFAULT_REGION", "AWS_REGION"),
        "s3_endpoint": ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
    },
    "gcs": {
        "google_application_credentials": ("GOOGLE_APPLICATION_CREDENTIALS",),
        "google_project_id": ("GOOGLE_CLOUD_PROJECT",),
    },
    "azure": {
        "account_name": ("AZURE_STORAGE_ACCOUNT_NAME",),
        "account_key": ("AZURE_STORAGE_ACCOUNT_KEY",),
    },
}
# every environment / plugin secret name the storages read
SECRET_NAMES = tuple(
    name
    for fields in CREDENTIAL_ENV.values()
    for names in fields.values()
    for name in names
)
_BUCKET_FIELD = {"s3": "bucket", "gcs": "bucket", "azure": "container"}


def parse_cloud_uri(ref: str) -> Optional[tuple]:
    """``(kind, bucket, key)`` of a cloud object URI, else None."""
    match = _CLOUD_URI.match(ref or "")
    if not match:
        return None
    scheme, bucket, key = match.groups()
    return SCHEMES[scheme], bucket, key


def is_cloud_uri(ref: str) -> bool:
    return parse_cloud_uri(ref) is not None


@dataclass(eq=False)  # hashed by identity (dict keys)
class CloudTarget:
    """One bucket a run needs, and how Label Studio gets to it."""

    kind: str
    bucket: str
    prefix: str  # common folder of the run's keys ("" = whole bucket)
    keys: list = field(default_factory=list)
    reuse_id: Optional[int] = None  # an import storage that already works

    @property
    def uri(self) -> str:
        scheme = {v: k for k, v in SCHEMES.items()}[self.kind]
        return "%s://%s/%s" % (scheme, self.bucket, self.prefix)


def cloud_targets(refs: list) -> list:
    """The buckets of the cloud URIs among ``refs``, each with the common
    folder of its keys (sorted by kind and bucket)."""
    keys = {}
    for ref in refs:
        parsed = parse_cloud_uri(ref)
        if parsed:
            kind, bucket, key = parsed
            keys.setdefault((kind, bucket), []).append(key)
    targets = []
    for (kind, bucket), found in sorted(keys.items()):
        targets.append(
            CloudTarget(kind, bucket, common_prefix(found), sorted(set(found)))
        )
    return targets


def common_prefix(keys: list) -> str:
    """The deepest folder ("a/b/", or "") that holds every key."""
    folders = {posixpath.dirname(k) for k in keys}
    common = posixpath.commonpath(sorted(folders)) if folders else ""
    return common + "/" if common else ""


def covers(storage: dict, target: CloudTarget) -> bool:
    """Whether an existing storage (Label Studio's JSON) serves every key
    of ``target``."""
    bucket = storage.get(_BUCKET_FIELD[target.kind])
    prefix = storage.get("prefix") or ""
    return bucket == target.bucket and all(
        k.startswith(prefix) for k in target.keys
    )


def find_credentials(kind: str, given: Optional[dict] = None) -> dict:
    """The payload credential fields of ``kind``: from ``given`` (payload
    field names or environment names, e.g. plugin secrets), else the
    environment. Fields found nowhere are left out (Label Studio then uses
    its own environment, e.g. an instance role)."""
    given = {k: v for k, v in (given or {}).items() if v}
    found = {}
    for field_name, env_names in CREDENTIAL_ENV[kind].items():
        candidates = [given.get(field_name)]
        candidates += [given.get(n) for n in env_names]
        candidates += [os.environ.get(n) for n in env_names]
        value = next((c for c in candidates if c), None)
        if value:
            found[field_name] = str(value).strip()
    if kind == "gcs" and "google_application_credentials" in found:
        found["google_application_credentials"] = _gcs_key_json(
            found["google_application_credentials"]
        )
    return found


def _gcs_key_json(value: str) -> str:
    """Label Studio takes the service-account JSON itself; the standard
    variable names a file."""
    if value.lstrip().startswith("{"):
        return value
    try:
        with open(os.path.expanduser(value)) as f:
            return f.read()
    except OSError as exc:
        raise LabelStudioBackendError(
            "GOOGLE_APPLICATION_CREDENTIALS names %s, which cannot be read "
            "(%s). Point it at the service-account key file"
            % (value, exc.strerror)
        ) from None


def storage_payload(
    target: CloudTarget,
    credentials: dict,
    project_id: Optional[int] = None,
    title: str = "fiftyone",
) -> dict:
    """The JSON of Label Studio's import-storage API for ``target``:
    presigned URLs (the browser fetches from the store), no blob URLs
    (tasks keep their ``s3://`` URIs) and no sync (tasks come from the
    run, never from listing the bucket)."""
    payload = {
        _BUCKET_FIELD[target.kind]: target.bucket,
        "prefix": target.prefix,
        "presign": True,
        "use_blob_urls": False,
        "title": title,
        **credentials,
    }
    if project_id is not None:
        payload["project"] = int(project_id)
    return payload


def describe_credentials(kind: str, credentials: dict) -> str:
    """Which credentials were used, without their values."""
    secret_fields = {
        "s3": ("aws_access_key_id", "aws_secret_access_key"),
        "gcs": ("google_application_credentials",),
        "azure": ("account_name", "account_key"),
    }[kind]
    names = [
        " / ".join(CREDENTIAL_ENV[kind][f])
        for f in secret_fields
        if f in credentials
    ]
    if not names:
        return (
            "no credentials were given, so Label Studio used its own "
            "environment; set %s (or pass cloud_credentials=...)"
            % ", ".join(
                n for f in secret_fields for n in CREDENTIAL_ENV[kind][f]
            )
        )
    return "credentials from %s" % ", ".join(names)
