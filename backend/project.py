"""Calls on a run's Label Studio project, with one clear error when the
project is gone (cleaned up, or deleted in Label Studio), and the
description of the projects runs create."""

from ..client.errors import LabelStudioNotFoundError
from .errors import LabelStudioBackendError


def describe_project(dataset, anno_key) -> str:
    """The description of a project a run created (kept in step with the
    run key by ``rename``)."""
    return "FiftyOne dataset '%s', annotation run '%s'" % (
        dataset.name,
        anno_key,
    )


def project_client(results):
    """The checked client of ``results``' backend; raises when the run has
    no project any more."""
    if results.project_id is None:
        raise LabelStudioBackendError(
            "Annotation run '%s' no longer has a Label Studio project: it "
            "was deleted by results.cleanup(). Start a new run with "
            "annotate(), and delete this one with "
            "dataset.delete_annotation_run('%s')" % (results.key, results.key)
        )
    return results.backend.client


def call(results, fn):
    """Runs ``fn(client, project_id)``; a 404 becomes a clear error."""
    client = project_client(results)
    try:
        return fn(client, results.project_id)
    except LabelStudioNotFoundError:
        raise project_gone(results) from None


def project_gone(results) -> LabelStudioBackendError:
    return LabelStudioBackendError(
        "Label Studio project %s of annotation run '%s' no longer exists at "
        "%s (it was deleted in Label Studio), so its annotations cannot be "
        "read. Remove the run with dataset.delete_annotation_run('%s')"
        % (results.project_id, results.key, results.config.url, results.key)
    )
