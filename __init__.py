"""fiftyone-labelstudio: annotate FiftyOne samples in Label Studio.

This file is both the package ``fiftyone_labelstudio`` and the entry point
of the FiftyOne plugin ``@fiftyone-labelstudio/labelstudio``. FiftyOne loads
plugins under a synthetic module name; annotation runs, however, store the
dotted path of the backend class and must reload in any process. So when
loaded under another name, this file hands over to the package imported
under its stable name, and every class lives there exactly once.
"""

import importlib
import importlib.util
import os
import sys

_STABLE_NAME = "fiftyone_labelstudio"
_HERE = os.path.dirname(os.path.abspath(__file__))


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _stable_package():
    """Returns this directory imported as ``fiftyone_labelstudio``."""
    module = sys.modules.get(_STABLE_NAME)
    if module is not None:
        return module

    spec = importlib.util.find_spec(_STABLE_NAME)
    if spec is not None and spec.origin and _same_file(spec.origin, __file__):
        return importlib.import_module(_STABLE_NAME)

    # Not installed (or another copy is): load this directory under the
    # stable name so that dotted class paths resolve to this code
    spec = importlib.util.spec_from_file_location(
        _STABLE_NAME, __file__, submodule_search_locations=[_HERE]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[_STABLE_NAME] = module
    spec.loader.exec_module(module)
    return module


if __name__ == _STABLE_NAME:
    __version__ = "0.1.0"

    def register(p):
        """Registers the plugin's operators and panels with FiftyOne."""
        # deferred: the operators load FiftyOne's App machinery
        from .registration import register_all

        register_all(p)

    def use_backend():
        """Makes ``backend="labelstudio"`` use this package's backend in
        this process (equivalent to setting
        ``FIFTYONE_LABELSTUDIO_CONFIG_CLS``)."""
        # deferred: FiftyOne loads on first use (the package is cheap)
        from .backend import use_backend as _use_backend

        _use_backend()

    def annotate(samples, anno_key, **kwargs):
        """``samples.annotate(anno_key, backend="labelstudio", **kwargs)``
        without FiftyOne's full label scan for attributes (see
        backend.fast_annotate)."""
        # deferred: FiftyOne loads on first use (the package is cheap)
        from .backend.fast_annotate import annotate as _annotate

        return _annotate(samples, anno_key, **kwargs)

    def load_annotations(samples, anno_key, **kwargs):
        """``samples.load_annotations(anno_key, **kwargs)`` with a bulk
        merge instead of one sample save at a time (see
        backend.bulk_load)."""
        # deferred: FiftyOne loads on first use (the package is cheap)
        from .backend.bulk_load import load_annotations as _load

        return _load(samples, anno_key, **kwargs)

    def load_annotator(samples, anno_key, annotator, **kwargs):
        """One person's annotations of a run (see backend.annotators)."""
        # deferred: FiftyOne loads on first use (the package is cheap)
        from .backend.annotators import load_annotator as _load

        return _load(samples, anno_key, annotator, **kwargs)

    def load_all_annotators(samples, anno_key, **kwargs):
        """Every person's annotations into ``<field>_<annotator>`` fields
        (see backend.annotators)."""
        # deferred: FiftyOne loads on first use (the package is cheap)
        from .backend.annotators import load_all_annotators as _load

        return _load(samples, anno_key, **kwargs)

    def import_project(samples, project_id, **kwargs):
        """A Label Studio project's annotations into new fields (see
        backend.import_project)."""
        # deferred: FiftyOne loads on first use (the package is cheap)
        from .backend.import_project import import_project as _import

        return _import(samples, project_id, **kwargs)

    def sync(samples, anno_key, every=10.0, until=None, **kwargs):
        """Loads what annotators submit while they work, every ``every``
        seconds, until the run is complete, ``until`` passes or
        :func:`stop_sync` is called (see backend.sync)."""
        # deferred: FiftyOne loads on first use (the package is cheap)
        from .backend.sync import sync as _sync

        return _sync(samples, anno_key, every=every, until=until, **kwargs)

    def stop_sync(samples, anno_key):
        """Asks the run's live sync to stop (see backend.sync)."""
        # deferred: FiftyOne loads on first use (the package is cheap)
        from .backend.sync import stop_sync as _stop

        return _stop(samples, anno_key)

    def sync_status(samples, anno_key):
        """The run's live-sync state, or None (see backend.sync)."""
        # deferred: FiftyOne loads on first use (the package is cheap)
        from .backend.sync import sync_status as _status

        return _status(samples, anno_key)

else:
    register = _stable_package().register
