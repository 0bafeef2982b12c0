"""A run's progress in Label Studio: task counts, one row per annotator,
and the agreement in one line (JSON-ready, for operators and panel)."""

from . import runs
from .connection import Credentials


def run_status(dataset, anno_key, credentials: Credentials) -> dict:
    """The run's status from Label Studio."""
    return status_of(
        runs.load_results(dataset, anno_key, credentials), anno_key
    )


def project_status(dataset, anno_key, credentials: Credentials):
    """:func:`run_status`, or None when the run has no project (deleted)."""
    results = runs.load_results(dataset, anno_key, credentials)
    if getattr(results, "project_id", None) is None:
        return None
    return status_of(results, anno_key)


def status_of(results, anno_key) -> dict:
    """``run_status`` of results already loaded."""
    status = dict(results.get_status())
    status["anno_key"] = anno_key
    status["project_url"] = status.get("project_url") or ""
    status["annotators"] = [
        dict(annotator=name, **counts)
        for name, counts in (status.get("annotators") or {}).items()
    ]
    status["agreement_summary"] = agreement_summary(status.get("agreement"))
    return status


def agreement_summary(agreement) -> str:
    """One line: the mean and each field's figure (backend.agreement)."""
    if not agreement or not agreement.get("tasks"):
        return ""
    parts = [
        "%s: %s %.3f" % (field, info["metric"], info["mean"])
        for field, info in (agreement.get("fields") or {}).items()
        if info.get("mean") is not None
    ]
    mean = agreement.get("mean")
    return "%s over %d tasks%s" % (
        "n/a" if mean is None else "%.3f" % mean,
        agreement["tasks"],
        " (%s)" % "; ".join(parts) if parts else "",
    )
