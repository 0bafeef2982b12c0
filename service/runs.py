"""This backend's annotation runs of a dataset, read and kept without
Label Studio: listing, summaries, the stored run documents, FiftyOne's
results cache, renaming and the "last loaded" record.

FiftyOne caches a run's results object, which holds the API key of the
execution that loaded it: :func:`uncached_results` makes sure none is
left behind.
"""

import contextlib
from datetime import datetime, timezone

from bson import json_util

from .. import constants
from ..client.api import project_url as client_project_url
from .connection import Credentials

# The backend class whose runs are "ours" (FiftyOne's built-in Label Studio
# backend has the same method name, "labelstudio", so filter by class)
BACKEND_CLS = constants.CONFIG_CLS[: -len("Config")]

# dataset.info key holding {anno_key: ISO time of the last load}
LAST_LOADED_INFO_KEY = "labelstudio_last_loaded"


def list_runs(dataset) -> list:
    """Keys of the annotation runs made with this package's backend."""
    try:
        return dataset.list_annotation_runs(type=BACKEND_CLS)
    except Exception:
        # the backend package failed to import: fall back to the raw docs
        keys = []
        for key, doc in dataset._doc.annotation_runs.items():
            cls = (getattr(doc, "config", None) or {}).get("cls", "")
            if cls == constants.CONFIG_CLS:
                keys.append(key)
        return sorted(keys)


def is_our_run(dataset, anno_key) -> bool:
    return bool(anno_key) and anno_key in list_runs(dataset)


def run_view(dataset, anno_key):
    """The samples of run ``anno_key``."""
    return dataset.load_annotation_view(anno_key)


def run_size(dataset, anno_key) -> int:
    """Samples in run ``anno_key`` (0 when it cannot be read)."""
    if not is_our_run(dataset, anno_key):
        return 0
    try:
        return len(run_view(dataset, anno_key))
    except Exception:
        return 0


def _run_doc(dataset, anno_key):
    return dataset._root_dataset._doc.annotation_runs.get(anno_key)


def _iso(dt) -> str:
    if dt is None:
        return ""
    if isinstance(dt, str):
        return dt
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def run_summary(dataset, anno_key) -> dict:
    """What a person needs to recognize a run, read without Label Studio.

    Keys: key, label_fields, num_samples, created, project_name,
    project_id, project_url, last_loaded. Never credentials.
    """
    info = dataset.get_annotation_info(anno_key)
    config = info.config
    schema = getattr(config, "label_schema", None) or {}
    doc = _run_doc(dataset, anno_key)
    meta = dict(getattr(doc, "results_meta", None) or {})

    try:
        num_samples = len(run_view(dataset, anno_key))
    except Exception:
        num_samples = None

    project_id = meta.get("project_id")
    project_url = meta.get("project_url")
    if project_id is None or project_url is None:
        project_id, project_url = _project_from_results(dataset, anno_key)

    return {
        "key": anno_key,
        "label_fields": sorted(schema.keys()),
        "num_samples": num_samples,
        "created": _iso(info.timestamp),
        "project_name": getattr(config, "project_name", None)
        or meta.get("project_title")
        or "",
        "project_id": project_id,
        "project_url": project_url or "",
        "last_loaded": get_last_loaded(dataset, anno_key, meta=meta),
    }


def stored_results(dataset, anno_key) -> dict:
    """The run's results as stored by FiftyOne (decoded, no backend
    objects made), or ``{}`` when there are none or they do not decode."""
    doc = _run_doc(dataset, anno_key)
    if doc is None or not doc.results:
        return {}
    try:
        doc.results.seek(0)
        return dict(json_util.loads(doc.results.read().decode()))
    except Exception:
        return {}


def _project_from_results(dataset, anno_key):
    """(project_id, project_url) from the stored results, without calling
    Label Studio (credentials are not needed to read the results)."""
    stored = stored_results(dataset, anno_key)
    if not stored:
        return None, None
    project_id = stored.get("project_id")
    project_url = stored.get("project_url")
    if not project_url and project_id is not None:
        doc = _run_doc(dataset, anno_key)
        url = (doc.config or {}).get("url") or ""
        if url:
            project_url = client_project_url(url, project_id)
    return project_id, project_url


def load_results(dataset, anno_key, credentials: Credentials):
    """The run's results with credentials for this execution only.

    Uncached: a cached results object would keep the key in the process.
    """
    return dataset.load_annotation_results(
        anno_key, cache=False, **credentials.kwargs()
    )


@contextlib.contextmanager
def uncached_results(dataset, *anno_keys):
    """Runs the block on a fresh dataset without cached results of
    ``anno_keys``, and drops those the block cached (they hold the API
    key: nothing secret stays in memory)."""
    forget_cached_results(dataset, *anno_keys)
    # Another execution may have saved the run meanwhile (the App shares
    # one dataset object between executions): read it afresh
    dataset.reload()
    try:
        yield
    finally:
        forget_cached_results(dataset, *anno_keys)


def cached_results(dataset, anno_key):
    """The results FiftyOne cached for ``anno_key`` (None if none)."""
    return dataset._annotation_cache.get(anno_key)


def forget_cached_results(dataset, *anno_keys) -> None:
    for key in anno_keys:
        dataset._annotation_cache.pop(key, None)


def rename_run(dataset, anno_key, new_key, credentials=None) -> dict:
    """Renames the run (the backend updates the project when
    ``credentials`` are given) and its "last loaded" record."""
    with uncached_results(dataset, anno_key, new_key):
        if credentials is not None:
            # lets the backend update the project with these credentials
            try:
                dataset.load_annotation_results(
                    anno_key, **credentials.kwargs()
                )
            except Exception:
                pass
        dataset.rename_annotation_run(anno_key, new_key)
    rename_last_loaded(dataset, anno_key, new_key)
    return {"anno_key": new_key, "old_anno_key": anno_key}


def record_last_loaded(dataset, anno_key, when=None) -> str:
    """Remembers when ``anno_key`` was last loaded (in ``dataset.info``)."""
    when = when or datetime.now(timezone.utc)
    stamp = _iso(when)
    dataset.reload()
    records = dict(dataset.info.get(LAST_LOADED_INFO_KEY) or {})
    records[anno_key] = stamp
    dataset.info[LAST_LOADED_INFO_KEY] = records
    dataset.save()
    return stamp


def get_last_loaded(dataset, anno_key, meta=None) -> str:
    records = dataset.info.get(LAST_LOADED_INFO_KEY) or {}
    stamp = records.get(anno_key) or ""
    backend_stamp = (meta or {}).get("last_loaded") or ""
    return max(stamp, _iso(backend_stamp) if backend_stamp else "")


def rename_last_loaded(dataset, old_key, new_key) -> None:
    records = dict(dataset.info.get(LAST_LOADED_INFO_KEY) or {})
    if old_key in records:
        records[new_key] = records.pop(old_key)
        dataset.info[LAST_LOADED_INFO_KEY] = records
        dataset.save()


def forget_last_loaded(dataset, anno_key) -> None:
    records = dict(dataset.info.get(LAST_LOADED_INFO_KEY) or {})
    if anno_key in records:
        records.pop(anno_key)
        dataset.info[LAST_LOADED_INFO_KEY] = records
        dataset.save()
