"""The FiftyOne annotation backend for Label Studio.

Importing this package is cheap: the classes (and fiftyone) load on first
use, so ``etau.get_class("fiftyone_labelstudio.backend.LabelStudioBackendConfig")``
works and ``use_backend()`` only touches FiftyOne's annotation config.
"""

from ..constants import CONFIG_CLS
from .errors import LabelStudioBackendError

_CLASSES = (
    "LabelStudioBackendConfig",
    "LabelStudioBackend",
    "LabelStudioAnnotationResults",
)

__all__ = list(_CLASSES) + ["LabelStudioBackendError", "use_backend"]


def __getattr__(name):
    if name in _CLASSES:
        # deferred: the classes import fiftyone (this package stays cheap)
        from . import core

        return getattr(core, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def use_backend(name: str = "labelstudio") -> None:
    """Makes ``backend=name`` (default "labelstudio") use this package's
    backend in this process, keeping the backend's other settings (URL,
    key) from FiftyOne's annotation config and environment."""
    # deferred: fiftyone is imported on first use only
    import fiftyone as fo

    backends = fo.annotation_config.backends
    params = dict(backends.get(name) or {})
    params["config_cls"] = CONFIG_CLS
    backends[name] = params
