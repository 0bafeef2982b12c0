"""Errors raised by the client: one clear message each, never the key.

Every message names the problem and the fix. Exceptions are raised
without chaining (`__cause__`/`__context__` stay empty) because httpx
and SDK exceptions carry the request, whose headers hold the key.
"""

import re
from typing import Any, Optional

_URL_HINT = "start it or set FIFTYONE_LABELSTUDIO_URL"
_KEY_HINT = (
    "copy a valid key from Label Studio's Account & Settings page and set "
    "FIFTYONE_LABELSTUDIO_API_KEY"
)
LEGACY_DISABLED = "legacy token authentication has been disabled"
# Anything that looks like an Authorization header value
_AUTH_VALUE = re.compile(
    r"(?i)\b(token|bearer)\s+(?=[A-Za-z0-9._\-]*\d)[A-Za-z0-9._\-]{8,}"
)


class LabelStudioError(Exception):
    """Base class of every error the client raises."""

    def __init__(
        self,
        message: str,
        url: Optional[str] = None,
        status_code: Optional[int] = None,
        detail: Optional[str] = None,
    ):
        super().__init__(message)
        self.url = url
        self.status_code = status_code
        self.detail = detail


class LabelStudioConnectionError(LabelStudioError):
    """The server cannot be reached (refused, DNS, TLS, dropped)."""


class LabelStudioAuthError(LabelStudioError):
    """The key is wrong, revoked, expired or of a disabled kind (401/403)."""


class LabelStudioNotFoundError(LabelStudioError):
    """A project, task, storage or endpoint does not exist (404)."""


class LabelStudioRequestError(LabelStudioError):
    """Any other failed request; carries the status and server detail."""


class LabelStudioImportError(LabelStudioRequestError):
    """A task import failed part way; says what is in the project now.

    `imported_task_ids` are the ids of the batches that succeeded before
    the failure; `project_task_count` is the number of tasks the project
    holds after the failure (None if it could not be read). A failed
    batch may still have been committed by the server. `reason` is the
    failure alone, without the advice (for callers that roll back).
    """

    def __init__(
        self,
        message: str,
        imported_task_ids: list,
        project_task_count: Optional[int],
        reason: Optional[str] = None,
        **kwargs: Any,
    ):
        super().__init__(message, **kwargs)
        self.imported_task_ids = imported_task_ids
        self.project_task_count = project_task_count
        self.reason = reason


def scrub(text: str, secrets: tuple = ()) -> str:
    """Removes secrets and anything shaped like an auth header value."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _AUTH_VALUE.sub(lambda m: m.group(1) + " ***", text)


def _flatten(errors: Any) -> str:
    """`{"field": ["msg", ...]}` -> "field: msg; ..." (server order)."""
    if isinstance(errors, dict):
        return "; ".join(
            "%s: %s" % (k, _flatten(v)) for k, v in errors.items()
        )
    if isinstance(errors, (list, tuple)):
        return " ".join(_flatten(e) for e in errors)
    return str(errors)


def body_detail(body: Any) -> str:
    """The server's explanation from a JSON or HTML error body."""
    if isinstance(body, dict):
        detail = str(body.get("detail") or "")
        errors = body.get("validation_errors")
        if errors:
            detail = "%s: %s" % (
                detail or "Validation error",
                _flatten(errors),
            )
        if not detail:
            detail = str(body)[:500]
        return detail
    text = str(body or "")
    title = re.search(r"(?is)<title>(.*?)</title>", text)
    if title:
        return " ".join(title.group(1).split())
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())[:300]


def connection_error(url: str, reason: str) -> LabelStudioConnectionError:
    return LabelStudioConnectionError(
        "Cannot reach Label Studio at %s (%s); %s" % (url, reason, _URL_HINT),
        url=url,
    )


def timeout_error(
    url: str, what: str, seconds: Any
) -> LabelStudioRequestError:
    return LabelStudioRequestError(
        "Label Studio at %s did not answer %s within %s s; the server may "
        "still be working on it. Retry later or raise the client timeout"
        % (url, what, seconds),
        url=url,
    )


def auth_error(url: str, status: int, detail: str) -> LabelStudioAuthError:
    """401/403 with a message that says which key problem it is."""
    low = detail.lower()
    if LEGACY_DISABLED in low:
        problem = (
            "legacy token authentication has been disabled for this "
            "organization. Use a personal access token (Account & Settings "
            "> Personal Access Token) as the API key, or enable legacy "
            "tokens (Organization > API Tokens Settings)"
        )
    elif "blacklisted" in low or "token_not_valid" in low:
        problem = (
            "the personal access token has been revoked or is not valid. "
            "Create a new one in Account & Settings > Personal Access Token "
            "and set FIFTYONE_LABELSTUDIO_API_KEY"
        )
    elif "expired" in low:
        problem = (
            "the personal access token has expired. Create a new one in "
            "Account & Settings > Personal Access Token and set "
            "FIFTYONE_LABELSTUDIO_API_KEY"
        )
    elif status == 403:
        problem = (
            "permission denied (%s). Use the key of a user with "
            "access to this project" % detail
        )
    else:
        problem = "the API key was rejected (%s); %s" % (detail, _KEY_HINT)
    return LabelStudioAuthError(
        "Label Studio at %s refused the request: %s" % (url, problem),
        url=url,
        status_code=status,
        detail=detail,
    )


def status_error(
    url: str, status: int, body: Any, what: str
) -> LabelStudioError:
    """The exception for an HTTP error answer to the request `what`."""
    detail = body_detail(body)
    if status in (401, 403):
        return auth_error(url, status, detail)
    if status == 404:
        return LabelStudioNotFoundError(
            "Label Studio at %s could not %s: not found (HTTP 404: %s); "
            "check the id, or whether it was deleted" % (url, what, detail),
            url=url,
            status_code=status,
            detail=detail,
        )
    return LabelStudioRequestError(
        "Label Studio at %s could not %s (HTTP %d: %s)"
        % (url, what, status, detail),
        url=url,
        status_code=status,
        detail=detail,
    )
