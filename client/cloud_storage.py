"""Cloud import storages (S3, GCS, Azure): Label Studio serves media that
lives in a bucket through presigned URLs.

The payloads carry cloud credentials: every error raised here is scrubbed
of them (and of the API key) before it leaves this module, and nothing
here logs a payload. Label Studio never returns the credentials in its
answers (its serializers drop them).
"""

from typing import Any, Optional

from . import errors
from .transport import Transport

# storage kind -> the path segment of Label Studio's storage API
KINDS = {"s3": "s3", "gcs": "gcs", "azure": "azure"}

# payload fields that hold secrets (scrubbed from every error)
SECRET_FIELDS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "google_application_credentials",
    "account_key",
)


def _secrets(payload: Optional[dict]) -> tuple:
    return tuple(
        str(payload[k]) for k in SECRET_FIELDS if payload and payload.get(k)
    )


def _scrubbed(err: errors.LabelStudioError, secrets: tuple):
    err.args = tuple(
        errors.scrub(a, secrets) if isinstance(a, str) else a for a in err.args
    )
    if err.detail:
        err.detail = errors.scrub(err.detail, secrets)
    return err


def _call(transport: Transport, payload: Optional[dict], *args, **kwargs):
    try:
        return transport.json(*args, **kwargs)
    except errors.LabelStudioError as exc:
        err = _scrubbed(exc, _secrets(payload))
    raise err  # outside the except: no context that holds the payload


def _path(kind: str, suffix: str = "") -> str:
    if kind not in KINDS:
        raise ValueError("unknown storage kind %r" % kind)
    return "api/storages/%s/%s" % (KINDS[kind], suffix)


def validate(transport: Transport, kind: str, payload: dict) -> None:
    """Asks the server to connect to the store with ``payload`` (nothing
    is created). Raises LabelStudioError with the server's reason."""
    _call(
        transport,
        payload,
        "POST",
        _path(kind, "validate"),
        "check the %s storage %s" % (kind, _where(payload)),
        json=payload,
        retries=0,
    )


def create(transport: Transport, kind: str, payload: dict) -> int:
    """Creates an import storage (the server checks the connection
    first); returns its id."""
    storage = _call(
        transport,
        payload,
        "POST",
        _path(kind),
        "create the %s storage %s" % (kind, _where(payload)),
        json=payload,
        retries=0,
    )
    return int(storage["id"])


def get(transport: Transport, kind: str, storage_id: int) -> dict:
    return _call(
        transport,
        None,
        "GET",
        _path(kind, "%d" % storage_id),
        "read %s storage %d" % (kind, storage_id),
    )


def list_for_project(transport: Transport, kind: str, project_id: int):
    answer = _call(
        transport,
        None,
        "GET",
        _path(kind),
        "list the %s storages of project %d" % (kind, project_id),
        params={"project": project_id},
    )
    if isinstance(answer, dict):
        answer = answer.get("results", [])
    return list(answer or [])


def delete(transport: Transport, kind: str, storage_id: int) -> None:
    transport.request(
        "DELETE",
        _path(kind, "%d" % storage_id),
        "delete %s storage %d" % (kind, storage_id),
        retries=0,
    )


def _where(payload: dict) -> str:
    bucket = payload.get("bucket") or payload.get("container") or ""
    return "for %s/%s" % (bucket, payload.get("prefix") or "")


def first_project_id(transport: Transport) -> Optional[int]:
    """Any project of the organization (the validate endpoint needs one;
    validating creates nothing in it), or None."""
    answer: Any = transport.json(
        "GET",
        "api/projects/",
        "list projects",
        params={"page_size": 1, "page": 1},
    )
    results = answer.get("results", []) if isinstance(answer, dict) else []
    return int(results[0]["id"]) if results else None
