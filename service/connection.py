"""The connection of one execution to Label Studio: the credentials read
from the plugin's secrets, at most one HTTP client (closed when the
execution is done), one timeout, and the connection check that forms run
once per change of credentials.

The API key lives only in a :class:`Credentials` (never printed) for the
length of one execution; the check's cache keys on a SHA-256 fingerprint
of URL and key, never on the key.
"""

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from .. import constants
from ..client import LabelStudioClient
from ..client import errors as ls_errors

# Seconds every call made here (checks, form look-ups) may take; the
# runs themselves go through the backend, which has its own client
TIMEOUT = 10.0

# Seconds a successful check is trusted for the same credentials (a
# server that went away is noticed again after this)
CHECK_TTL = 600.0

# {fingerprint: (monotonic time, server facts)} of successful checks;
# failures are not kept, so a fixed server is seen on the next render
_CHECKED = {}
_CHECKED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Credentials:
    """Label Studio URL + API key for one execution (never stored)."""

    url: str
    api_key: str = field(repr=False)

    def kwargs(self) -> dict:
        """The keyword arguments FiftyOne passes on to the backend."""
        return {"url": self.url, "api_key": self.api_key}

    def fingerprint(self) -> str:
        """SHA-256 of URL and key: tells credentials apart without
        holding the key."""
        text = "%s\n%s" % (self.url, self.api_key)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def secret(ctx, name: str) -> Optional[str]:
    """The plugin secret ``name`` of this execution (stripped), or None."""
    # ctx.secret() always returns a str (ctx.secrets[k] may be an object)
    try:
        value = ctx.secret(name)
    except Exception:
        value = None
    if value is not None and not isinstance(value, str):
        value = getattr(value, "value", None)
    return value.strip() if value else None


def get_credentials(ctx):
    """Returns ``(credentials, problem)`` from the plugin's secrets.

    ``problem`` is a user-facing sentence naming the secret to set, or
    None. The URL defaults to ``constants.DEFAULT_URL``.
    """
    url = secret(ctx, constants.SECRET_URL)
    if not url or url.rstrip("/") == constants.FIFTYONE_PLACEHOLDER_URL:
        url = constants.DEFAULT_URL
    api_key = secret(ctx, constants.SECRET_API_KEY)
    if not api_key:
        return None, (
            "No Label Studio API key: set the secret %s (an environment "
            "variable of the FiftyOne App server, or of the `fiftyone "
            "delegated launch` worker for background runs) to your Label "
            "Studio access token; %s=%s is the server used."
            % (constants.SECRET_API_KEY, constants.SECRET_URL, url)
        )
    return Credentials(url.rstrip("/"), api_key), None


class Connection:
    """One execution's link to Label Studio: its credentials and at most
    one client, made on first use and closed by :meth:`close` (use it as
    a context manager)."""

    def __init__(self, credentials: Credentials):
        self.credentials = credentials
        self._client = None

    def __repr__(self) -> str:
        return "Connection(%r)" % self.credentials.url

    @property
    def url(self) -> str:
        return self.credentials.url

    @property
    def client(self) -> LabelStudioClient:
        if self._client is None:
            self._client = LabelStudioClient(
                self.credentials.url,
                self.credentials.api_key,
                timeout=TIMEOUT,
            )
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def check_connection(conn: Connection, fresh: bool = False):
    """Returns ``(server facts, problem)``: one cheap authenticated call,
    skipped when these credentials passed it lately (unless ``fresh``).

    ``problem`` names the secret to fix when the key is rejected, and never
    contains the key.
    """
    fingerprint = conn.credentials.fingerprint()
    if not fresh:
        with _CHECKED_LOCK:
            checked = _CHECKED.get(fingerprint)
        if checked is not None and time.monotonic() - checked[0] < CHECK_TTL:
            return dict(checked[1]), None
    try:
        facts = conn.client.check()
    except ls_errors.LabelStudioAuthError as e:
        problem = _naming(str(e), constants.SECRET_API_KEY)
    except ls_errors.LabelStudioError as e:
        problem = _naming(str(e), constants.SECRET_URL)
    except Exception as e:  # network stack errors the client did not wrap
        problem = _naming(
            "Cannot reach Label Studio at %s (%s)"
            % (conn.url, type(e).__name__),
            constants.SECRET_URL,
        )
    else:
        with _CHECKED_LOCK:
            _CHECKED[fingerprint] = (time.monotonic(), dict(facts))
        return facts, None
    with _CHECKED_LOCK:
        _CHECKED.pop(fingerprint, None)
    return None, problem


def forget_checks() -> None:
    """Forgets every connection check (the next one asks the server)."""
    with _CHECKED_LOCK:
        _CHECKED.clear()


def _naming(message: str, secret_name: str) -> str:
    """The message, making sure it names the secret to fix."""
    if secret_name not in message:
        message = "%s (set the secret %s)" % (message.rstrip("."), secret_name)
    return message
