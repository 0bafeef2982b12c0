"""Deleting a run: its record in FiftyOne and, when asked, its Label
Studio project (the backend's ``cleanup``)."""

from ..backend.locks import run_lock
from ..client.errors import LabelStudioNotFoundError
from . import runs
from .connection import Connection, Credentials


def delete_run(dataset, anno_key, credentials: Credentials = None) -> dict:
    """Deletes run ``anno_key``; with ``credentials`` its Label Studio
    project first. Labels already loaded stay."""
    deleted = missing = False
    if credentials is not None:
        deleted, missing = delete_project(dataset, anno_key, credentials)
    dataset.delete_annotation_run(anno_key)
    runs.forget_cached_results(dataset, anno_key)
    runs.forget_last_loaded(dataset, anno_key)
    return {
        "anno_key": anno_key,
        "project_deleted": deleted,
        "project_was_missing": missing,
    }


def delete_project(dataset, anno_key, credentials: Credentials):
    """Deletes the run's Label Studio project; returns ``(deleted, already
    missing)``."""
    results = runs.load_results(dataset, anno_key, credentials)
    if results is None or getattr(results, "project_id", None) is None:
        return False, True
    with Connection(credentials) as conn:
        try:
            conn.client.get_project(results.project_id)
        except LabelStudioNotFoundError:
            return False, True
    results.cleanup()
    return True, False


def cleanup(dataset, anno_key, credentials: Credentials) -> None:
    """Deletes what the run made in Label Studio (its project, or the
    tasks it added to an existing one), holding the run's lock."""
    with run_lock(dataset, anno_key, "cleanup"):
        runs.load_results(dataset, anno_key, credentials).cleanup()
