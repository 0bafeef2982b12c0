"""One connection to a Label Studio server: SDK, raw httpx, auth, errors.

The SDK 2.x client owns the auth: it sends `Token <key>` for legacy
tokens and, for personal access tokens (JWT refresh tokens), exchanges the
token at /api/token/refresh/ and re-exchanges it when the 300 s access
token expires. The raw requests (multipart upload) reuse the SDK's header
builder, so both paths share one token cache and one `httpx.Client`.

Every request sends `Connection: close`: the Django dev server that
Label Studio runs adds ~35-40 ms to each keep-alive request (measured on
1.23.2: median 76 ms keep-alive vs 32-44 ms with close for GET
/api/projects/<id>).
"""

import json as jsonlib
import ssl
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

import httpx

# The SDK's generated base client, not its `LabelStudio` subclass: the
# subclass only adds task/project helpers we do not use, and importing it
# costs ~0.65 s per process (its helpers import pandas, jsf and the label
# interface);
# `LabelStudioBase` imports in ~0.1 s and has the same auth and HTTP layer
from label_studio_sdk.base_client import LabelStudioBase
from label_studio_sdk.core.api_error import ApiError

from . import errors, sdk_internals

# Connecting should fail fast even when reads may take minutes
CONNECT_TIMEOUT = 10.0
# Retries only for reads: a POST that failed with 500 may have committed
READ_RETRIES = 2


def normalize_url(url: str) -> str:
    """The server URL without trailing slash; only http(s), no secrets."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(
            "Label Studio URL is empty; set it, e.g. " "http://localhost:8080"
        )
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "Label Studio URL must start with http:// or https:// and name "
            "a host, got %r" % url
        )
    if parts.username or parts.password:
        raise ValueError(
            "Label Studio URL must not contain a user or password; pass the "
            "API key separately"
        )
    if parts.query or parts.fragment:
        raise ValueError(
            "Label Studio URL must not contain a query or fragment, got %r"
            % url
        )
    return url.rstrip("/")


def tls_verification(url: str):
    """What the HTTP client verifies TLS with: the default trust store for
    https servers; for http servers a context that still requires a valid
    certificate but trusts no authority, so that an https redirect fails
    closed. Loading the trust store costs ~35-45 ms per client, which an
    http server never needs."""
    if urlsplit(url).scheme == "https":
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


class Transport:
    """Sends requests to one server and turns failures into clear errors."""

    def __init__(self, url: str, api_key: str, timeout: float = 600):
        self.url = normalize_url(url)
        if not api_key or not isinstance(api_key, str):
            raise ValueError(
                "Label Studio API key is empty; set "
                "FIFTYONE_LABELSTUDIO_API_KEY"
            )
        self._api_key = api_key
        self.timeout = timeout
        # Path prefix of servers behind a sub path (FORCE_SCRIPT_NAME)
        self.path_prefix = urlsplit(self.url).path.rstrip("/")
        self.http = httpx.Client(
            headers={"Connection": "close"},
            timeout=httpx.Timeout(
                timeout, connect=min(timeout, CONNECT_TIMEOUT)
            ),
            follow_redirects=True,
            verify=tls_verification(self.url),
        )
        # Trailing slash: the SDK's token refresh uses urljoin
        self.sdk: LabelStudioBase = self.guard(
            lambda: LabelStudioBase(
                base_url=self.url + "/",
                api_key=api_key,
                httpx_client=self.http,
                max_retries=0,
            ),
            "use the API key",
        )

    def __repr__(self) -> str:
        return "Transport(%r)" % self.url

    def close(self) -> None:
        self.http.close()

    @property
    def uses_personal_access_token(self) -> bool:
        return sdk_internals.uses_personal_access_token(self.sdk)

    def auth_headers(self) -> dict:
        """Authorization header from the SDK (refreshes a PAT if needed)."""
        headers = sdk_internals.auth_headers(self.sdk)
        return {"Authorization": headers["Authorization"]}

    def guard(self, fn: Callable[[], Any], what: str) -> Any:
        """Runs `fn`; raises one clear, unchained LabelStudioError."""
        try:
            return fn()
        except errors.LabelStudioError as exc:
            err = exc
        except ApiError as exc:
            err = errors.status_error(
                self.url, exc.status_code or 0, exc.body, what
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            err = errors.connection_error(self.url, str(exc) or "no answer")
        except httpx.TimeoutException:
            err = errors.timeout_error(
                self.url, "to '%s'" % what, self.timeout
            )
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            err = errors.connection_error(
                self.url, "connection lost: %s" % (exc or type(exc).__name__)
            )
        except httpx.HTTPError as exc:
            err = errors.LabelStudioRequestError(
                "Could not %s at %s: %s" % (what, self.url, exc),
                url=self.url,
            )
        except jsonlib.JSONDecodeError:
            err = errors.LabelStudioRequestError(
                "Label Studio at %s answered something that is not JSON "
                "while trying to %s; check that the URL points at Label "
                "Studio >= 1.15" % (self.url, what),
                url=self.url,
            )
        # Raised outside the except blocks: no __context__ that could carry
        # the request (and its Authorization header)
        self._scrub(err)
        raise err

    def _scrub(self, err: errors.LabelStudioError) -> None:
        secrets = (self._api_key,)
        err.args = tuple(
            errors.scrub(a, secrets) if isinstance(a, str) else a
            for a in err.args
        )
        if err.detail:
            err.detail = errors.scrub(err.detail, secrets)
        err.__cause__ = None
        err.__context__ = None
        err.__suppress_context__ = True

    def check_status(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 400:
            raise errors.status_error(
                self.url, response.status_code, _body(response), what
            )

    def request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: Optional[dict] = None,
        json: Any = None,
        retries: Optional[int] = None,
    ) -> httpx.Response:
        """A JSON request through the SDK's HTTP layer (auth, base URL)."""
        if retries is None:
            retries = READ_RETRIES if method == "GET" else 0

        # Serialized here: the SDK's jsonable_encoder walks every value
        # (1.3 s per 5,000 tasks with 10 boxes, json.dumps takes 0.17 s)
        content = headers = None
        if json is not None:
            content = jsonlib.dumps(json).encode("utf-8")
            headers = {"Content-Type": "application/json"}

        def send() -> httpx.Response:
            response = sdk_internals.http_client(self.sdk).request(
                path,
                method=method,
                params=params,
                content=content,
                headers=headers,
                request_options={"max_retries": retries},
            )
            self.check_status(response, what)
            return response

        return self.guard(send, what)

    def json(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        """Like `request`, returns the parsed JSON body (None if empty)."""
        response = self.request(method, path, what, **kwargs)
        if not response.content:
            return None
        return self.guard(response.json, what)

    def text(self, method: str, path: str, what: str, **kwargs: Any) -> str:
        """Like `request`, returns the body as text (the response's bytes
        are released when this returns)."""
        response = self.request(method, path, what, **kwargs)
        return self.guard(lambda: response.text, what)

    def post_files(
        self, path: str, what: str, files: list, params: dict
    ) -> Any:
        """A multipart POST (the SDK has no upload helper); never retried."""

        def send() -> Any:
            response = self.http.post(
                self.url + "/" + path.lstrip("/"),
                params=params,
                files=files,
                headers=self.auth_headers(),
            )
            self.check_status(response, what)
            return response.json()

        return self.guard(send, what)
