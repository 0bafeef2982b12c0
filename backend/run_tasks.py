"""A run's tasks: which belong to it, reading them, and what each loads.

The one place every load (image, video, in batches), the import, the
per-annotator loads and the status read a run's tasks through:

- **which tasks** (by the run's ``origin``): ``created`` -- the run made
  the project: its ``task_map``'s tasks (another run may have added tasks
  to the project since); ``existing`` -- the run added tasks to a project:
  only those; ``imported`` -- ``import_project`` registered a whole
  project: every task of it.
- **reading them**: one export (:func:`export_run_tasks`), by task ids
  (:func:`read_tasks`, what an incremental load changed), or page by page
  (:func:`pages`, ``per_request`` ids a request, the next one made while
  this page is read: no request grows with the project).
- **the annotation per task**: :func:`latest_annotation` (the latest
  non-cancelled one, or a named annotator's), :func:`latest_by_annotator`
  (every person's latest), :func:`find_user` (who ``annotator=`` names).
- **tasks -> samples**: :func:`sample_of` (the task's sample id, or the
  imported run's ``task_map``), :func:`choose_task` (what a task loads;
  several tasks of one sample: the latest annotation wins).
"""

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Iterator, Optional

from .. import constants
from ..client.errors import LabelStudioNotFoundError
from .errors import LabelStudioBackendError
from .group_samples import every_sample
from .project import project_client, project_gone

# where a run's project came from (LabelStudioAnnotationResults.origin)
CREATED = "created"  # annotate() created it: cleanup deletes it
EXISTING = "existing"  # annotate() added tasks: cleanup deletes those
IMPORTED = "imported"  # import_project() registered it: deletes nothing

_SAMPLE_ID = re.compile(r"[0-9a-f]{24}")


def origin(results) -> str:
    return getattr(results, "origin", CREATED) or CREATED


# -- reading ------------------------------------------------------------


def export_run_tasks(
    client, results, predictions: bool = True, stream: bool = False
):
    """The run's own tasks with annotations, and no other run's: a run
    that added tasks to an existing project exports only its task ids; a
    run that created its project exports it whole (one request, faster)
    and keeps the tasks of its ``task_map`` (another run may have added
    tasks to the project since); an imported run reads its project.
    ``predictions=False``: prediction ids only; ``stream``: parsed one at
    a time (see client.export_tasks)."""
    task_map = getattr(results, "task_map", None) or {}
    if origin(results) == EXISTING:
        return client.export_tasks(
            results.project_id,
            ids=list(task_map),
            predictions=predictions,
            stream=stream,
        )
    tasks = client.export_tasks(
        results.project_id, predictions=predictions, stream=stream
    )
    if not task_map or origin(results) == IMPORTED:
        # an imported run is the whole project it imported
        return tasks
    own = (t for t in tasks if t.get("id") in task_map)
    return own if stream else list(own)


def read_tasks(client, results, ids=None, **export_kwargs):
    """The tasks of ``ids`` (None: every task of the run)."""
    task_map = getattr(results, "task_map", None) or {}
    if ids is not None:
        return client.export_tasks(
            results.project_id, ids=ids, **export_kwargs
        )
    if task_map and origin(results) != IMPORTED:
        # the run's task ids, 500 a request: one request of a whole large
        # project outlasts Label Studio's request timeouts (its Docker
        # image kills requests after 120 s; 50k tasks take ~400 s)
        return client.export_tasks(
            results.project_id, ids=sorted(task_map), **export_kwargs
        )
    return export_run_tasks(client, results, **export_kwargs)


def pages(results, ids: list, per_request: int) -> Iterator[dict]:
    """The tasks of ``ids`` (annotations only), one sync-export request
    of ``per_request`` ids at a time. The next page's request runs in a
    worker thread while this page's tasks are converted and merged (Label
    Studio's export and the client's work overlap instead of taking
    turns); at most two pages of export text are held."""
    client = project_client(results)
    chunks = [
        ids[start : start + per_request]
        for start in range(0, len(ids), per_request)
    ]

    def fetch(chunk):
        return client.export_tasks(
            results.project_id, ids=chunk, predictions=False, stream=True
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(fetch, chunks[0]) if chunks else None
        try:
            for k in range(len(chunks)):
                try:
                    page = pending.result()
                except LabelStudioNotFoundError:
                    raise project_gone(results) from None
                pending = None
                if k + 1 < len(chunks):
                    pending = pool.submit(fetch, chunks[k + 1])
                yield from page
        finally:
            if pending is not None and not pending.cancel():
                # the reader stopped early: wait for the request in
                # flight, drop its answer (and any error it had)
                pending.exception()


def several_task_samples(task_map: dict) -> set:
    """Samples with more than one task in ``task_map``."""
    seen, several = set(), set()
    for sample_id in task_map.values():
        if sample_id in seen:
            several.add(sample_id)
        seen.add(sample_id)
    return several


# -- the annotation per task ----------------------------------------------


def completed_by(annotation: dict):
    """The user id of an annotation (the export gives an id or a dict)."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("id")
    return who


def annotation_stamp(annotation: dict) -> tuple:
    """Orders annotations: the latest edit last (ids break ties)."""
    return (
        annotation.get("updated_at") or annotation.get("created_at") or "",
        annotation.get("id") or 0,
    )


def latest_annotation(task: dict, annotator_id=None) -> Optional[dict]:
    """The latest non-cancelled annotation (of ``annotator_id``)."""
    candidates = [
        a
        for a in task.get("annotations") or []
        if not a.get("was_cancelled")
        and (annotator_id is None or completed_by(a) == annotator_id)
    ]
    if not candidates:
        return None
    return max(candidates, key=annotation_stamp)


def latest_by_annotator(task: dict) -> dict:
    """``{user id: annotation}``: each person's latest non-cancelled
    annotation of ``task``."""
    latest = {}
    for annotation in task.get("annotations") or []:
        if annotation.get("was_cancelled"):
            continue
        who = completed_by(annotation)
        if who is None:
            continue
        previous = latest.get(who)
        if previous is None or (
            annotation_stamp(annotation) > annotation_stamp(previous)
        ):
            latest[who] = annotation
    return latest


def annotators_of(tasks: Iterable[dict]) -> list:
    """User ids with at least one non-cancelled annotation, sorted."""
    ids = set()
    for task in tasks:
        ids.update(latest_by_annotator(task))
    return sorted(ids, key=str)


def find_user(client, annotator, url: str):
    """The id of the Label Studio user ``annotator`` (an e-mail, username
    or id) names, or None for no annotator."""
    if annotator in (None, ""):
        return None
    users = client.list_users()
    wanted = str(annotator).strip().lower()
    for user_id, user in users.items():
        names = {str(user_id)}
        names.update(
            str(user.get(k) or "").lower() for k in ("email", "username")
        )
        if wanted in names:
            return user_id
    known = sorted(u.get("email") or str(i) for i, u in users.items())
    raise LabelStudioBackendError(
        "annotator=%r is not a user of Label Studio at %s. Pass the email, "
        "username or id of one of: %s" % (annotator, url, ", ".join(known))
    )


def annotator_id(results, annotator):
    """The Label Studio user id named by ``annotator``, or None."""
    return find_user(results.backend.client, annotator, results.config.url)


# -- tasks -> samples -------------------------------------------------------


def sample_of(results, task: dict) -> Optional[str]:
    """The id of the sample ``task`` belongs to, or None."""
    meta = (task.get("data") or {}).get(constants.TASK_META_KEY) or {}
    sample_id = meta.get("sample_id")
    if sample_id is None and origin(results) == IMPORTED:
        # tasks made by hand: import_project matched them to samples
        sample_id = results.task_map.get(task.get("id"))
    if not isinstance(sample_id, str) or not _SAMPLE_ID.fullmatch(sample_id):
        return None
    return sample_id


def choose_task(results, task, annotator_id, counts: Counter):
    """``(sample id, annotation, seed)`` of what ``task`` loads, or None
    (counted in ``counts``). ``seed`` names the annotation (new labels get
    ids derived from it)."""
    sample_id = sample_of(results, task)
    if sample_id is None:
        counts["tasks without a FiftyOne sample id"] += 1
        return None
    annotation = latest_annotation(task, annotator_id)
    if annotation is None:
        # Nothing to load: the sample keeps its labels exactly as they
        # are in FiftyOne now (kept_labels.keep_unchanged), including
        # edits made there since annotate() and bit-exact coordinates
        cancelled = any(
            a.get("was_cancelled") for a in task.get("annotations") or []
        )
        counts["skipped" if cancelled else "unannotated"] += 1
        return None
    seed = "%s:a%s" % (task.get("id"), annotation.get("id"))
    meta = (task.get("data") or {}).get(constants.TASK_META_KEY) or {}
    if meta.get("slice") is not None:
        # a group task's slices: new labels of each get ids of their own
        seed += ":%s" % meta["slice"]
    return sample_id, annotation, seed


def is_newer(previous_stamp, annotation, counts: Counter) -> bool:
    """Whether ``annotation`` replaces what a sample already loads
    (several tasks of one sample: the latest annotation wins)."""
    if previous_stamp is None:
        return True
    counts["samples with several tasks (latest annotation used)"] += 1
    return annotation_stamp(annotation) > previous_stamp


def choose_tasks(results, tasks, annotator_id):
    """``({sample id: (task, annotation, seed)}, counts, number of
    tasks)``: what each sample loads. Of each task only its id, data and
    the chosen annotation are kept."""
    wanted, counts, num_tasks = {}, Counter(), 0
    for task in tasks:
        num_tasks += 1
        choice = choose_task(results, task, annotator_id, counts)
        if choice is None:
            continue
        sample_id, annotation, seed = choice
        previous = wanted.get(sample_id)
        stamp = previous and annotation_stamp(previous[1])
        if not is_newer(stamp, annotation, counts):
            continue
        counts["annotated"] += 1
        slim = {"id": task.get("id"), "data": task.get("data")}
        wanted[sample_id] = (slim, annotation, seed)
    drop_missing_samples(results, wanted, counts)
    return wanted, counts, num_tasks


def drop_missing_samples(results, by_sample: dict, counts: Counter) -> None:
    """Removes the entries of samples no longer in the dataset."""
    if not by_sample:
        return
    dataset = every_sample(results.samples._root_dataset)
    existing = set(dataset.select(list(by_sample)).values("id"))
    missing = [s for s in by_sample if s not in existing]
    for sample_id in missing:
        del by_sample[sample_id]
    if missing:
        counts["tasks of samples no longer in the dataset"] += len(missing)
