"""Runs that add their tasks to an existing Label Studio project.

``annotate(..., project_id=N)`` checks, before anything is recorded or
created, that project N's labeling config covers the label schema: the
config this package would build for the schema is parsed and every
object tag (``<Image name="image" value="$image">``) and control of it
must be in the project's config under the same name, with the same tag,
pointing at the same object, and with every class. Otherwise one error
lists everything that is missing.

Such a run never deletes the project: ``cleanup()`` deletes only the
run's tasks (those of its ``task_map`` that still carry the run's sample
ids) and the storages the run created; a failed upload deletes only the
tasks it imported.
"""

import logging
import xml.etree.ElementTree as ET

from .. import constants
from ..client.errors import LabelStudioNotFoundError
from ..converters.label_config import build_label_config, parse_label_config
from ..converters.video_tasks import build_video_label_config
from .errors import LabelStudioBackendError
from .video import is_video

# where a run's project came from: run_tasks.py (re-exported for callers)
from .run_tasks import CREATED, EXISTING, IMPORTED  # noqa: F401

logger = logging.getLogger(__name__)


def expected_config(samples, label_schema: dict) -> str:
    """The labeling config this package builds for ``label_schema``."""
    if is_video(samples):
        return build_video_label_config(label_schema)
    return build_label_config(label_schema)


def coverage_problems(expected_xml: str, actual_xml: str) -> list:
    """What ``actual_xml`` lacks of ``expected_xml``, one string each."""
    problems = []
    actual_objects = _objects(actual_xml)
    for name, (tag, value) in _objects(expected_xml).items():
        found = actual_objects.get(name)
        if found is None or found != (tag, value):
            problems.append(
                'an <%s name="%s" value="%s"> object tag%s'
                % (tag, name, value, _found(found, '<%s value="%s">'))
            )

    actual = parse_label_config(actual_xml)
    for name, want in parse_label_config(expected_xml).items():
        have = actual.get(name)
        if have is None:
            problems.append(
                'a <%s name="%s" toName="%s"> control'
                % (want["tag"], name, want["to_name"])
            )
            continue
        if have["tag"] != want["tag"] or have["to_name"] != want["to_name"]:
            problems.append(
                "control '%s' must be a <%s toName=\"%s\"> (it is a <%s "
                'toName="%s">)'
                % (
                    name,
                    want["tag"],
                    want["to_name"],
                    have["tag"],
                    have["to_name"],
                )
            )
            continue
        missing = [c for c in want["labels"] if c not in set(have["labels"])]
        if missing:
            problems.append(
                "control '%s' lacks the classes %s"
                % (name, ", ".join(repr(c) for c in missing))
            )
    return problems


def _found(found, fmt) -> str:
    return "" if found is None else " (found " + fmt % found + ")"


def _objects(xml: str) -> dict:
    """``{name: (tag, value)}`` of the object tags (named, no toName)."""
    out = {}
    for element in ET.fromstring(xml).iter():
        name, value = element.get("name"), element.get("value")
        if name and value and value.startswith("$"):
            if element.get("toName") is None:
                out[name] = (element.tag, value)
    return out


def check_project(client, samples, config) -> dict:
    """The project ``config.project_id``, checked to cover the schema.

    Raises:
        LabelStudioBackendError: no such project, or one error naming
            everything its labeling config lacks
    """
    project_id = config.project_id
    try:
        project = client.get_project(int(project_id))
    except LabelStudioNotFoundError:
        raise LabelStudioBackendError(
            "project_id=%s: Label Studio at %s has no such project (or the "
            "API key's user cannot see it). Nothing was created"
            % (project_id, config.url)
        ) from None
    try:
        expected = expected_config(samples, config.label_schema)
    except ValueError as e:
        raise LabelStudioBackendError(str(e)) from None
    try:
        problems = coverage_problems(expected, project.get("label_config"))
    except ET.ParseError as e:
        problems = ["a labeling config that parses (%s)" % e]
    if problems:
        raise LabelStudioBackendError(
            "Label Studio project %s ('%s') does not cover the label "
            "schema; its labeling config needs: %s. Add them in the "
            "project's Settings > Labeling Interface, or annotate fields "
            "the project covers. Nothing was created"
            % (project_id, project.get("title"), "; ".join(problems))
        )
    return project


def remove_imported(client, project_id, count_before, sample_ids, exc):
    """After a failed upload into an existing project: deletes the tasks
    the upload imported (known from the import error, or found as the
    newest tasks of the run's samples beyond ``count_before``)."""
    known = set(getattr(exc, "imported_task_ids", None) or [])
    try:
        extra = client.task_count(project_id) - int(count_before or 0)
        ids = set(known)
        if extra > len(ids):
            wanted = set(sample_ids)
            ours = sorted(
                (
                    t["id"]
                    for t in client.export_tasks(project_id)
                    if t["id"] not in ids
                    and (
                        (t.get("data") or {}).get(constants.TASK_META_KEY)
                        or {}
                    ).get("sample_id")
                    in wanted
                ),
                reverse=True,
            )
            ids.update(ours[: extra - len(ids)])
        if ids:
            client.delete_tasks(project_id, sorted(ids))
    except Exception as e:  # the error the caller raises matters more
        logger.warning(
            "Could not delete the tasks the failed run imported into Label "
            "Studio project %s (%s); delete them in Label Studio",
            project_id,
            e,
        )


def delete_run_tasks(client, project_id, task_map: dict) -> int:
    """Deletes the tasks of ``task_map`` (``{task id: sample id}``) that
    still carry their sample id (task ids can be reused after deletions
    on SQLite); returns how many."""
    if not task_map:
        return 0
    tasks = client.export_tasks(project_id, ids=list(task_map))
    ids = [
        t["id"]
        for t in tasks
        if ((t.get("data") or {}).get(constants.TASK_META_KEY) or {}).get(
            "sample_id"
        )
        == task_map.get(t["id"])
    ]
    if ids:
        client.delete_tasks(project_id, ids)
    return len(ids)
