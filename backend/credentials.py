"""Where the Label Studio URL and API key come from.

Order: explicit value (kwarg) > environment > FiftyOne's annotation config
(``~/.fiftyone/annotation_config.json``) > default URL / interactive prompt
(only with a TTY). The key is returned to the caller, which keeps it in
``config._api_key`` only.
"""

import getpass
import os
import sys

import fiftyone as fo

from .. import constants
from .errors import LabelStudioBackendError


def _backend_params(name: str | None) -> dict:
    backends = fo.annotation_config.backends
    return dict(backends.get(name or constants.BACKEND_NAME, None) or {})


def _is_set_url(url) -> bool:
    return bool(url) and url.rstrip("/") != constants.FIFTYONE_PLACEHOLDER_URL


def resolve_url(url: str | None, name: str | None = None) -> str:
    """Returns the server URL to use (never FiftyOne's placeholder)."""
    candidates = [
        url,
        os.environ.get(constants.SECRET_URL),
        _backend_params(name).get("url"),
    ]
    for value in candidates:
        if _is_set_url(value):
            return str(value).strip().rstrip("/")

    return constants.DEFAULT_URL


def find_api_key(api_key: str | None, name: str | None = None) -> str | None:
    """Returns the API key from the kwarg, env or annotation config, or
    None when none of them has one."""
    candidates = [
        api_key,
        os.environ.get(constants.SECRET_API_KEY),
        _backend_params(name).get("api_key"),
    ]
    for value in candidates:
        if value:
            return str(value).strip()

    return None


def resolve_api_key(
    api_key: str | None, name: str | None = None, prompt: bool = True
) -> str:
    """Returns the API key, prompting for it only on an interactive TTY.

    Raises:
        LabelStudioBackendError: if no key can be found
    """
    key = find_api_key(api_key, name)
    if key:
        return key

    if prompt and _stdin_is_tty():
        key = getpass.getpass(prompt="Label Studio API key: ").strip()
        if key:
            return key

    raise LabelStudioBackendError(
        "No Label Studio API key was given. Pass api_key=... (a legacy "
        "token or a personal access token from Label Studio's Account & "
        "Settings page), or set the %s environment variable, or add "
        '"api_key" under backends.labelstudio in '
        "~/.fiftyone/annotation_config.json" % constants.SECRET_API_KEY
    )


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False
