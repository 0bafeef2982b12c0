"""The backend's connection to Label Studio: a LabelStudioClient built
from the run config's URL and key, checked once per connection."""

import fiftyone.utils.annotations as foua

from ..client import LabelStudioClient
from . import credentials


class LabelStudioAnnotationAPI(foua.AnnotationAPI):
    """Holds one checked :class:`LabelStudioClient` for a backend."""

    def __init__(self, client, whoami: dict):
        self.client = client
        self.whoami = whoami

    @property
    def url(self) -> str:
        return self.client.url

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close is not None:
            close()


def connect(config, prompt: bool = True) -> LabelStudioAnnotationAPI:
    """Connects with ``config``'s URL and key (resolving the key now) and
    checks that the server answers and accepts the key.

    Raises:
        LabelStudioBackendError: no key could be found
        client.errors.LabelStudioError: the server is unreachable or the
            key was refused (one clear message, never the key)
    """
    api_key = credentials.resolve_api_key(
        config.api_key, config.name, prompt=prompt
    )
    client = LabelStudioClient(config.url, api_key, timeout=config.timeout)
    whoami = client.check()
    # Kept so that later loads in this process need not ask again
    config.api_key = api_key
    return LabelStudioAnnotationAPI(client, whoami)
