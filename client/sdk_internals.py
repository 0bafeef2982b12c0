"""The one gate to label-studio-sdk's private client layout.

The SDK's generated client keeps its HTTP layer in ``_client_wrapper``
(``get_headers()`` refreshes a personal access token; ``httpx_client``
sends with the base URL and auth; ``_tokens_client._use_legacy_token``
says which kind of key it decoded). Nothing public exposes them, and
``transport.py`` needs them so that raw requests share the SDK's auth and
token cache. This module is the only code that touches them: it checks
the layout once per process (SDK 2.x, every name present) and raises one
clear error naming the installed SDK and the fix when it does not match.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any, Optional

from . import errors

SUPPORTED = "label-studio-sdk>=2.1,<3"
_checked = {"problem": None, "done": False}


def sdk_version() -> str:
    try:
        return version("label-studio-sdk")
    except PackageNotFoundError:
        return "(not installed)"


def _find_problem(sdk) -> Optional[str]:
    if not sdk_version().startswith("2."):
        return "label-studio-sdk %s is not 2.x" % sdk_version()
    wrapper = getattr(sdk, "_client_wrapper", None)
    if wrapper is None:
        return "its client has no _client_wrapper"
    for name in ("get_headers", "httpx_client"):
        if not hasattr(wrapper, name):
            return "its client wrapper has no %s" % name
    if not hasattr(wrapper.httpx_client, "request"):
        return "its HTTP client has no request()"
    tokens = getattr(wrapper, "_tokens_client", None)
    if tokens is None or not hasattr(tokens, "_use_legacy_token"):
        return "its client has no token client"
    return None


def _wrapper(sdk) -> Any:
    if not _checked["done"]:
        _checked["problem"] = _find_problem(sdk)
        _checked["done"] = True
    if _checked["problem"] is not None:
        raise errors.LabelStudioError(
            "The installed label-studio-sdk %s does not have the client "
            "layout this plugin was built for (%s); install %r"
            % (sdk_version(), _checked["problem"], SUPPORTED)
        )
    return sdk._client_wrapper


def auth_headers(sdk) -> dict:
    """The SDK's headers (refreshes a personal access token if needed)."""
    return _wrapper(sdk).get_headers()


def http_client(sdk) -> Any:
    """The SDK's HTTP client (base URL and auth applied)."""
    return _wrapper(sdk).httpx_client


def uses_personal_access_token(sdk) -> bool:
    return not _wrapper(sdk)._tokens_client._use_legacy_token
