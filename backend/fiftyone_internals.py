"""The one gate to FiftyOne's private names used by the fast paths.

``fast_annotate`` (attribute discovery by aggregation) and ``bulk_load`` /
``bulk_merge`` (raw bulk merge) reuse private helpers of
``fiftyone.utils.annotations`` and ``fiftyone.core.labels`` so that they
follow FiftyOne's own rules exactly. Private names change between
releases without notice (``_build_label_schema``'s parameters,
``_get_label_type``'s return and the label-field maps already did), so:

- every private module-level name goes through :func:`internal`, which
  hands out only names that passed :func:`check`;
- :func:`check` runs once per process: the FiftyOne release must be in
  the tested range and every name must exist with the shape recorded here
  (function parameters, map/class types, the private members of
  collections and results the fast paths read);
- :func:`fast_paths_ok` is what a fast path asks first: when the check
  failed it logs ONE warning and the caller takes FiftyOne's public path
  (``samples.annotate`` with its own attribute scan,
  ``dataset.load_annotations`` with its own merge): slower, never wrong.

``FIFTYONE_LABELSTUDIO_FAST_PATHS=0`` (or :func:`force_public_paths`)
takes the public paths on purpose (tests compare both).
"""

import inspect
import logging
import os
import sys
import threading
from typing import Any, Optional

import fiftyone
import fiftyone.core.collections as focl
import fiftyone.core.dataset as fod
import fiftyone.core.labels as fol
import fiftyone.utils.annotations as foua

logger = logging.getLogger(__name__)

# FiftyOne release series whose internals were checked (compat.sh)
TESTED_SERIES = ((1, 21), (1, 22))

# fiftyone.utils.annotations: name -> parameter names, or a type
_FOUA = {
    "_parse_attributes": ("label_info",),
    "_RETURN_TYPES_MAP": dict,
    "_handle_frame_fields": ("dataset", "field", "ref_field"),
    "_merge_scalars": (
        "dataset",
        "anno_dict",
        "results",
        "label_field",
        "label_info",
        "progress",
    ),
    "_merge_labels": (
        "dataset",
        "anno_dict",
        "results",
        "label_field",
        "label_type",
        "label_info",
        "global_attrs",
        "class_attrs",
        "progress",
    ),
    "_prompt_field": (
        "dataset",
        "label_type",
        "label_field",
        "label_schema",
        "is_frames_view",
    ),
    "_LABEL_TYPES_MAP": dict,
    "_ensure_label_field": ("dataset", "label_field", "fo_label_type"),
    "_to_list": ("value",),
    "_merge_label": (
        "label",
        "anno_label",
        "global_attrs",
        "class_attrs",
        "allow_label_edits",
        "allow_index_edits",
        "allow_spatial_edits",
        "only_keyframes",
    ),
    "_DEFAULT_LABEL_FIELDS_MAP": dict,
    "_SPATIAL_LABEL_FIELDS_MAP": dict,
    "_parse_config": ("name", "label_schema", "kwargs"),
    "_get_label_type": (
        "samples",
        "backend",
        "label_type",
        "label_field",
        "label_info",
    ),
    "_select_labels_with_type": ("samples", "label_field", "label_type"),
    "_get_patches_view_label_ids": ("patches_view",),
    "_init_label_schema": (
        "label_field",
        "label_type",
        "classes",
        "attributes",
        "mask_targets",
        "allow_additions",
        "allow_deletions",
        "allow_label_edits",
        "allow_index_edits",
        "allow_spatial_edits",
    ),
    "_is_trackable_field": ("samples", "label_field", "label_type"),
    # app_schemas: FiftyOne's normalization of a label_schema argument
    "_build_label_schema": (
        "samples",
        "backend",
        "label_schema",
        "label_field",
        "label_type",
        "classes",
        "attributes",
        "mask_targets",
        "allow_additions",
        "allow_deletions",
        "allow_label_edits",
        "allow_index_edits",
        "allow_spatial_edits",
    ),
}
# fiftyone.core.labels
_FOL = {
    "_LABEL_LIST_TO_SINGLE_MAP": dict,
    "_HasLabelList": type,
    "_HasAttributesDict": type,
}
# private members of SampleCollection the fast paths call
_COLLECTION_MEMBERS = (
    "_root_dataset",
    "_dataset",
    "_aggregate",
    "_get_label_field_path",
    "_is_frame_field",
    "_handle_frame_field",
)
# private members of Dataset the fast paths call
_DATASET_MEMBERS = (
    "_sample_collection",
    "_is_patches",
    "_FRAMES_PREFIX",
)
# private members of AnnotationResults the bulk load reads
_RESULTS_MEMBERS = ("_is_frames", "_is_clips", "_to_sample_annos")
# private members of runs the kill-safe save of results calls
_RUN_MEMBERS = ("_get_run_doc", "_run_str", "_results_cache_field")

_lock = threading.Lock()
_state = {"checked": False, "problem": None, "warned": False}
_forced = {"public": None}


def version() -> str:
    return getattr(fiftyone, "__version__", "") or ""


def _series(text: str) -> Optional[tuple]:
    try:
        major, minor = text.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return None


def _shape_problem(module, name: str, expected) -> Optional[str]:
    if not hasattr(module, name):
        return "%s.%s is missing" % (module.__name__, name)
    obj = getattr(module, name)
    if isinstance(expected, type):
        ok = isinstance(obj, expected)
        return (
            None
            if ok
            else "%s.%s is no %s"
            % (
                module.__name__,
                name,
                expected.__name__,
            )
        )
    try:
        params = tuple(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return "%s.%s is not a function" % (module.__name__, name)
    if params != expected:
        return "%s.%s takes %s, expected %s" % (
            module.__name__,
            name,
            params,
            expected,
        )
    return None


def _find_problem() -> Optional[str]:
    series = _series(version())
    if series not in TESTED_SERIES:
        return "FiftyOne %s is not a tested release (%s)" % (
            version(),
            ", ".join("%d.%d.x" % s for s in TESTED_SERIES),
        )
    for module, names in ((foua, _FOUA), (fol, _FOL)):
        for name, expected in names.items():
            problem = _shape_problem(module, name, expected)
            if problem:
                return problem
    for cls, members in (
        (focl.SampleCollection, _COLLECTION_MEMBERS),
        (fod.Dataset, _DATASET_MEMBERS),
        (foua.AnnotationResults, _RESULTS_MEMBERS),
        (foua.AnnotationBackend, _RUN_MEMBERS),
    ):
        for member in members:
            if not hasattr(cls, member):
                return "%s.%s is missing" % (cls.__name__, member)
    return None


def check() -> Optional[str]:
    """None when the internals match (checked once), else the reason."""
    with _lock:
        if not _state["checked"]:
            _state["problem"] = _find_problem()
            _state["checked"] = True
        return _state["problem"]


def force_public_paths(value: Optional[bool] = True) -> None:
    """Takes FiftyOne's public paths (True), the fast ones when the check
    passes (False), or what the environment says (None). For tests."""
    _forced["public"] = value
    _state["warned"] = False


def _public_forced() -> bool:
    if _forced["public"] is not None:
        return bool(_forced["public"])
    return os.environ.get("FIFTYONE_LABELSTUDIO_FAST_PATHS", "1") == "0"


def fast_paths_ok(what: str) -> bool:
    """Whether a fast path may run; logs one warning per process when
    not (the caller then takes FiftyOne's public path)."""
    if _public_forced():
        return False
    problem = check()
    if problem is None:
        return True
    with _lock:
        warn = not _state["warned"]
        _state["warned"] = True
    if warn:
        logger.warning(
            "fiftyone-labelstudio: %s; %s uses FiftyOne's own public path "
            "instead (slower, same results)",
            problem,
            what,
        )
    return False


def internal(name: str) -> Any:
    """A checked private name of fiftyone.utils.annotations or
    fiftyone.core.labels (only after :func:`fast_paths_ok`)."""
    problem = check()
    if problem is not None:
        raise RuntimeError(
            "FiftyOne internals do not match (%s); take the public path"
            % problem
        )
    if name in _FOUA:
        return getattr(foua, name)
    if name in _FOL:
        return getattr(fol, name)
    raise KeyError("%s is not a checked FiftyOne internal" % name)


def root_dataset(samples):
    """The dataset a collection belongs to (``samples._root_dataset``,
    which every FiftyOne collection has; checked above)."""
    return samples._root_dataset


_NOT_FOUND = object()


def load_call_argument(name: str, default=None):
    """An argument of the FiftyOne ``load_annotations`` call that is
    running below us (``unexpected``, ``dest_field``, or a ``**kwargs``
    entry such as ``full``), or ``default`` when there is none.

    FiftyOne's backend contract does not pass the load's options to
    ``download_annotations``; they are arguments of the public
    ``fiftyone.utils.annotations.load_annotations`` frame that called it.
    The one place that reads a caller's frame; every caller has a safe
    default (keep labels / read every task).
    """
    code = getattr(foua.load_annotations, "__code__", None)
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            local = frame.f_locals
            if name in local:
                return local[name]
            return (local.get("kwargs") or {}).get(name, default)
        frame = frame.f_back
    return default
