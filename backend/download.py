"""Reads a run's tasks back (one bulk export) into FiftyOne's
``download_annotations`` format.

Per task: the chosen annotation (latest non-cancelled, or the named
annotator's); without one, the sample's labels stay exactly as they are in
FiftyOne (edits made there since annotate() included). Results the schema does not expect go under another
field/return type of the schema so that ``load_annotations(unexpected=)``
applies to them; everything that cannot load is warned about with counts.
"""

import hashlib
import json
import logging
import re
from collections import Counter

import fiftyone.core.utils as fou

from .. import constants
from ..client.errors import LabelStudioError
from .errors import LabelStudioBackendError
from . import incremental
from .project import call
from . import unexpected as unknown_classes

logger = logging.getLogger(__name__)

_LABEL_ID = re.compile(r"[0-9a-f]{24}")
_REASON_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|\d+(\.\d+)?")


def download(backend, results, unexpected=None) -> dict:
    """``{field: {return type: {sample id: {label id: Label}}}}`` (and
    ``{field: {"scalar": {sample id: value}}}``).

    ``unexpected`` is the load's ``unexpected=`` (see :mod:`.unexpected`
    for labels of classes the run does not list; None keeps them).
    """
    config = results.config
    schema = config.label_schema
    full = incremental.full_requested(results)
    annotator = config.pop_annotator()
    signature = incremental.signature(annotator, results, unexpected)
    try:
        # the load reads annotations only: no prediction objects; tasks
        # are parsed one at a time and converted at once, so neither the
        # parsed export nor the chosen task JSON is ever held whole; only
        # the tasks changed since the last load unless that cannot be
        # trusted (incremental.py)
        read_plan, tasks = call(
            results,
            lambda c, pid: _read_tasks(c, results, full, signature),
        )
        annotator_id = _annotator_id(results, annotator)
        converted, counts, num_tasks = _convert_tasks(
            results, tasks, annotator_id, schema
        )
    except LabelStudioError as e:
        # nothing has been merged yet: say so, and that a rerun is safe
        raise LabelStudioBackendError(
            "Could not read annotation run '%s' from Label Studio: %s. "
            "Nothing was loaded; run load_annotations('%s') again when "
            "Label Studio answers" % (results.key, e, results.key)
        ) from None

    if read_plan.incremental:
        # only the samples read are merged (the others keep their labels)
        incremental.narrow_id_map(
            results, incremental.read_samples(results, read_plan, converted)
        )
    tally = Tally(results, counts)
    annotations = tally.assemble(converted, unexpected)
    tally.finish(num_tasks, read_plan)
    return annotations


class Tally:
    """What a load found, summed over the batches it merges: counts,
    skipped results, unknown classes (and the decision on them, taken
    once per field)."""

    def __init__(self, results, counts=None):
        from ..converters.label_types import RETURN_TYPES

        self.results = results
        schema = results.config.label_schema
        self.expected = {f: RETURN_TYPES[i["type"]] for f, i in schema.items()}
        self.counts = counts if counts is not None else Counter()
        self.problems = Counter()
        self.unloaded = Counter()
        self.unknown_report = {}
        self.decisions = {}

    def assemble(self, converted: dict, unexpected) -> dict:
        """The ``download_annotations`` answer for the samples of
        ``converted`` (``{sample id: (stamp, labels, problems,
        unexpected)}``, whose values are dropped on the way)."""
        results = self.results
        schema = results.config.label_schema
        expected = self.expected
        annotations = {field: {} for field in schema}
        unreadable = {}  # {field: {sample id: label ids | True}}
        unknown = unknown_classes.UnknownClasses()
        for sample_id, (_, labels, task_problems, extra) in list(
            converted.items()
        ):
            converted[sample_id] = True  # only the keys are used later
            for field, by_type in labels.items():
                _add(annotations[field], sample_id, by_type)
            for name, by_type in extra.items():
                own_type = expected.get(name)
                if own_type in by_type:
                    # the field's own type, classes the run does not list
                    unknown.add(
                        name, sample_id, own_type, by_type.pop(own_type)
                    )
                _route(
                    annotations,
                    expected,
                    name,
                    sample_id,
                    by_type,
                    self.unloaded,
                )
            for from_name, _, reason in task_problems:
                self.problems[(from_name, _generic(reason))] += 1
            _note_unreadable(
                results, sample_id, labels, task_problems, unreadable
            )

        # Per-annotator fields (annotators.py) hold only that person's
        # labels: no fallback to the sample's current labels there
        if getattr(results.config, "_only_annotated", False):
            unchanged = 0
        else:
            unchanged = _keep_unchanged(results, annotations, converted)
        if unchanged:
            self.counts[
                "samples left as they are (no annotation or no task)"
            ] += unchanged
        kept = _keep_unreadable(results, annotations, unreadable)
        if kept:
            self.counts[
                "uploaded labels left as they are (unreadable result)"
            ] += kept
        report = unknown_classes.apply(
            unknown,
            annotations,
            unexpected,
            _add,
            getattr(results, "_raw_label_fields", None) or (),
            _mask_targets(results, unknown.labels),
            decisions=self.decisions,
        )
        _save_mask_targets(results, report)
        unknown_classes.add_report(self.unknown_report, report)
        return annotations

    def finish(self, num_tasks: int, read_plan) -> None:
        """Logs the load, keeps its report for callers and the position
        to record once the merge succeeded."""
        results = self.results
        problems = self.problems
        _log(results, num_tasks, self.counts, problems, self.unloaded)
        unknown_classes.log_report(results.key, self.unknown_report)
        # For callers that report the load (the operator); private, so
        # never stored with the run
        results._load_report = {
            "skipped_results": sum(problems.values()),
            "skipped_details": [
                "%d x %s: %s" % (n, from_name, reason)
                for (from_name, reason), n in problems.most_common()
            ],
            "unknown_classes": self.unknown_report,
            "unknown_classes_details": unknown_classes.summary_lines(
                self.unknown_report
            ),
        }
        incremental.record(results, read_plan)
        results._load_report.update(results._load_changes)


def _read_tasks(client, results, full, signature):
    read_plan = incremental.plan(client, results, full, signature)
    tasks = incremental.read(
        client, results, read_plan, predictions=False, stream=True
    )
    return read_plan, tasks


def task_read_error(
    task, sample_id, anno_key, error
) -> LabelStudioBackendError:
    """The error that stops a load when a task cannot be read at all."""
    return LabelStudioBackendError(
        "Could not read Label Studio task %s (sample %s) of run '%s': %s. "
        "Nothing was loaded" % (task.get("id"), sample_id, anno_key, error)
    )


def _note_unreadable(results, sample_id, labels, task_problems, unreadable):
    """Records uploaded labels (and scalar values) whose Label Studio
    result was skipped as unreadable: skipping must not delete them."""
    from ..converters.names import control_name

    for field, info in results.config.label_schema.items():
        sent = (results.id_map.get(field) or {}).get(sample_id)
        if sent is None:
            continue
        control = control_name(field)
        regions = [r for name, r, _ in task_problems if name == control]
        if not regions:
            continue
        if info["type"] == "scalar":
            if (labels.get(field) or {}).get("scalar") is None:
                unreadable.setdefault(field, {})[sample_id] = True
            continue
        loaded = set()
        for items in (labels.get(field) or {}).values():
            loaded.update(items or {})
        # "<label id>" or "<label id>_<suffix>" (one of several regions)
        ids = {r[:24] for r in regions if isinstance(r, str)}
        missing = (ids & set(_as_list(sent))) - loaded
        if missing:
            per_sample = unreadable.setdefault(field, {})
            per_sample.setdefault(sample_id, set()).update(missing)


def _keep_unreadable(results, annotations, unreadable) -> int:
    """Puts the current FiftyOne value of every label noted by
    :func:`_note_unreadable` into ``annotations``; returns how many."""
    dataset = results.samples._root_dataset
    kept = 0
    for field, per_sample in unreadable.items():
        info = results.config.label_schema[field]
        view = dataset.select(sorted(per_sample))
        for sample_id, value in zip(*view.values(["id", field])):
            if value is None:
                continue
            if info["type"] == "scalar":
                by_type = {"scalar": value}
                kept += 1
            else:
                wanted = per_sample[sample_id]
                labels = [x for x in _as_labels(value) if x.id in wanted]
                by_type = {_return_type(info): {x.id: x for x in labels}}
                kept += len(labels)
            _add(annotations[field], sample_id, by_type)
    return kept


def _keep_unchanged(results, annotations, chosen) -> int:
    """Returns the current labels of samples whose uploaded labels have no
    task or prediction to come back from (deleted in Label Studio), so
    that FiftyOne's merge leaves them alone instead of deleting them."""
    dataset = results.samples._root_dataset
    missing = set()
    for field in annotations:
        missing.update(
            s for s in results.id_map.get(field) or {} if s not in chosen
        )
    if not missing:
        return 0

    view = dataset.select(sorted(missing))
    ids = view.values("id")
    for field, info in results.config.label_schema.items():
        uploaded = results.id_map.get(field) or {}
        if not any(s in uploaded for s in ids):
            continue
        for sample_id, value in zip(ids, view.values(field)):
            if sample_id not in uploaded or value is None:
                continue
            if info["type"] == "scalar":
                by_type = {"scalar": value}
            else:
                # only the uploaded ones: others would be "added" again
                sent = set(_as_list(uploaded[sample_id]))
                labels = [x for x in _as_labels(value) if x.id in sent]
                by_type = {_return_type(info): {x.id: x for x in labels}}
            _add(annotations[field], sample_id, by_type)
    return len(ids)


def _return_type(info):
    from ..converters.label_types import RETURN_TYPES

    return RETURN_TYPES[info["type"]]


def _as_list(ids):
    return ids if isinstance(ids, list) else [ids]


def _as_labels(value):
    list_field = getattr(value, "_LABEL_LIST_FIELD", None)
    if list_field is not None:
        return list(value[list_field] or [])
    return [value]


# -- choosing what to load per task -----------------------------------


def _annotator_id(results, annotator):
    """The Label Studio user id named by ``annotator``, or None."""
    if annotator in (None, ""):
        return None

    users = results.backend.client.list_users()
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
        "username or id of one of: %s"
        % (annotator, results.config.url, ", ".join(known))
    )


def _completed_by(annotation):
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("id")
    return who


def _pick_annotation(task, annotator_id):
    """The latest non-cancelled annotation (of ``annotator_id``)."""
    candidates = [
        a
        for a in task.get("annotations") or []
        if not a.get("was_cancelled")
        and (annotator_id is None or _completed_by(a) == annotator_id)
    ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda a: (
            a.get("updated_at") or a.get("created_at") or "",
            a.get("id") or 0,
        ),
    )


def _choose_task(results, task, annotator_id, counts):
    """``(sample id, annotation, seed)`` of what ``task`` loads, or None
    (counted in ``counts``)."""
    meta = (task.get("data") or {}).get(constants.TASK_META_KEY) or {}
    sample_id = meta.get("sample_id")
    if sample_id is None and getattr(results, "origin", None) == "imported":
        # tasks made by hand: import_project matched them to samples
        sample_id = results.task_map.get(task.get("id"))
    if not isinstance(sample_id, str) or not _LABEL_ID.fullmatch(sample_id):
        counts["tasks without a FiftyOne sample id"] += 1
        return None
    annotation = _pick_annotation(task, annotator_id)
    if annotation is None:
        # Nothing to load: the sample keeps its labels exactly as they
        # are in FiftyOne now (see _keep_unchanged), including edits
        # made there since annotate() and bit-exact coordinates
        cancelled = any(
            a.get("was_cancelled") for a in task.get("annotations") or []
        )
        counts["skipped" if cancelled else "unannotated"] += 1
        return None
    seed = "%s:a%s" % (task.get("id"), annotation.get("id"))
    return sample_id, annotation, seed


def _is_newer(previous_stamp, source, counts) -> bool:
    """Whether ``source`` replaces what a sample already loads (several
    tasks of one sample: the latest annotation wins)."""
    if previous_stamp is None:
        return True
    counts["samples with several tasks (latest annotation used)"] += 1
    return _stamp(source) > previous_stamp


def _convert_tasks(results, tasks, annotator_id, schema):
    """``({sample id: (stamp, labels, problems, unexpected)}, counts,
    number of tasks)``: each task's chosen annotation converted as the
    task is read."""
    converted, counts, num_tasks = {}, Counter(), 0
    total = len(getattr(results, "task_map", None) or {}) or None
    with fou.ProgressBar(
        total=total, progress=results.config.progress, iters_str="tasks"
    ) as pb:
        for task in tasks:
            num_tasks += 1
            if total:
                pb.set_iteration(min(num_tasks, total))
            convert_task(
                results, task, annotator_id, schema, converted, counts
            )
    drop_missing_samples(results, converted, counts)
    return converted, counts, num_tasks


def convert_task(results, task, annotator_id, schema, converted, counts):
    """Converts the annotation ``task`` loads into ``converted[sample
    id]`` (unless the sample already holds a newer one); returns the
    sample id, or None when the task loads nothing."""
    from ..converters.task_read import task_to_labels

    choice = _choose_task(results, task, annotator_id, counts)
    if choice is None:
        return None
    sample_id, source, seed = choice
    previous = converted.get(sample_id)
    if not _is_newer(previous and previous[0], source, counts):
        return sample_id
    counts["annotated"] += 1
    try:
        labels, task_problems, unexpected = task_to_labels(
            task.get("data"), source.get("result") or [], schema
        )
    except Exception as e:
        # Skipping the task would delete the sample's labels
        raise task_read_error(task, sample_id, results.key, e) from e
    _stable_new_ids(task, source, seed, labels, unexpected)
    # set by bulk_load for the fields it merges itself: their expected
    # labels are kept as raw documents (half the memory of Label objects;
    # segmentations with unknown classes stay Labels: a kept class is
    # painted into them after the read)
    raw_fields = getattr(results, "_raw_label_fields", None) or ()
    _to_raw_documents(
        labels,
        [f for f in raw_fields if "segmentation" not in unexpected.get(f, {})],
    )
    converted[sample_id] = (
        _stamp(source),
        labels,
        task_problems,
        unexpected,
    )
    return sample_id


def _to_raw_documents(labels: dict, raw_fields) -> None:
    """Replaces the labels of ``raw_fields`` by their raw documents."""
    for field in raw_fields:
        for return_type, items in (labels.get(field) or {}).items():
            if isinstance(items, dict):  # not a scalar value
                for label_id, label in items.items():
                    items[label_id] = dict(label.to_mongo())


def _choose_tasks(results, tasks, annotator_id):
    """``({sample id: (task, source, seed)}, counts, number of tasks)``:
    what each sample loads (video loads convert afterwards). Of each task
    only its id, data and the chosen annotation are kept."""
    wanted, counts, num_tasks = {}, Counter(), 0
    for task in tasks:
        num_tasks += 1
        choice = _choose_task(results, task, annotator_id, counts)
        if choice is None:
            continue
        sample_id, source, seed = choice
        previous = wanted.get(sample_id)
        if not _is_newer(previous and _stamp(previous[1]), source, counts):
            continue
        counts["annotated"] += 1
        slim = {"id": task.get("id"), "data": task.get("data")}
        wanted[sample_id] = (slim, source, seed)
    drop_missing_samples(results, wanted, counts)
    return wanted, counts, num_tasks


def drop_missing_samples(results, by_sample: dict, counts) -> None:
    """Removes the entries of samples no longer in the dataset."""
    if not by_sample:
        return
    dataset = results.samples._root_dataset
    existing = set(dataset.select(list(by_sample)).values("id"))
    missing = [s for s in by_sample if s not in existing]
    for sample_id in missing:
        del by_sample[sample_id]
    if missing:
        counts["tasks of samples no longer in the dataset"] += len(missing)


def _stamp(source):
    return (
        source.get("updated_at") or source.get("created_at") or "",
        source.get("id") or 0,
    )


# -- ids --------------------------------------------------------------


def _stable_new_ids(task, source, seed, labels, unexpected):
    """Gives labels that are new in Label Studio ids derived from the task,
    annotation and position, so that loading twice changes nothing."""
    known = set(
        _LABEL_ID.findall(json.dumps([task.get("data"), source.get("result")]))
    )
    for group_seed, group in ((seed, labels), (seed + ":u", unexpected)):
        for name, by_type in group.items():
            for return_type, items in by_type.items():
                if not isinstance(items, dict):
                    continue  # scalar value
                renamed = {}
                for n, (label_id, label) in enumerate(list(items.items())):
                    if label_id not in known:
                        digest = hashlib.sha1(
                            (
                                "%s:%s:%s:%d"
                                % (group_seed, name, return_type, n)
                            ).encode()
                        ).hexdigest()[:24]
                        label.id = digest
                        label_id = digest
                    renamed[label_id] = label
                by_type[return_type] = renamed


# -- assembling the answer --------------------------------------------


def _add(field_annos, sample_id, by_type):
    for return_type, items in by_type.items():
        if return_type == "scalar":
            if items is not None:
                field_annos.setdefault("scalar", {})[sample_id] = items
        elif items:
            # (An empty dict would turn a None field into an empty list)
            per_sample = field_annos.setdefault(return_type, {})
            per_sample.setdefault(sample_id, {}).update(items)


def _route(annotations, expected, name, sample_id, by_type, unloaded):
    """Puts labels of controls that are not in the schema under a schema
    field whose expected return type differs, where FiftyOne's
    ``load_annotations(unexpected=...)`` handles them by type; those that
    cannot be routed (every field expects their type) are counted in
    ``unloaded``.
    """
    for return_type, items in by_type.items():
        if return_type != "scalar" and not items:
            continue
        count = 1 if return_type == "scalar" else len(items)
        target = next(
            (f for f, t in expected.items() if t != return_type), None
        )
        if target is None:
            unloaded[(name, return_type, "lost")] += count
            continue
        _add(annotations[target], sample_id, {return_type: items})


def _mask_targets(results, fields) -> dict:
    """``{field: {value: class}}`` of segmentation fields among
    ``fields``: the run's mask targets and the dataset's."""
    dataset = results.samples._root_dataset
    out = {}
    for field in fields:
        info = results.config.label_schema.get(field) or {}
        if info.get("type") != "segmentation":
            continue
        targets = {
            int(k): v for k, v in (info.get("mask_targets") or {}).items()
        }
        saved = dataset.mask_targets.get(field) or {}
        targets.update((int(k), v) for k, v in saved.items())
        out[field] = targets
    return out


def _save_mask_targets(results, report) -> None:
    """Adds the mask targets of kept classes to the dataset's."""
    dataset = results.samples._root_dataset
    changed = False
    for field, entry in report.items():
        added = entry.get("mask_targets_added")
        if not added:
            continue
        info = results.config.label_schema.get(field) or {}
        current = dataset.mask_targets.get(field) or info.get("mask_targets")
        targets = {int(k): v for k, v in (current or {}).items()}
        targets.update(added)
        dataset.mask_targets[field] = targets
        changed = True
    if changed:
        dataset.save()


def _generic(reason):
    """The reason without its values, so that counts group."""
    return _REASON_VALUE.sub("…", reason)


def _log(results, num_tasks, counts, problems, unloaded):
    summary = ", ".join(
        "%d %s" % (n, what) for what, n in sorted(counts.items())
    )
    logger.info(
        "Read %d Label Studio tasks of run '%s': %s",
        num_tasks,
        results.key,
        summary or "nothing to load",
    )
    if problems:
        total = sum(problems.values())
        details = "; ".join(
            "%d x %s: %s" % (n, from_name, reason)
            for (from_name, reason), n in problems.most_common()
        )
        logger.warning(
            "%d Label Studio result(s) of run '%s' did not load as they "
            "are: %s",
            total,
            results.key,
            details,
        )
    lost = {k: n for k, n in unloaded.items() if k[2] == "lost"}
    if lost:
        logger.warning(
            "Could not load %s: these Label Studio controls are not in the "
            "run's schema and no field of the schema can report them "
            "through unexpected=. Read them in Label Studio, or annotate "
            "with a schema that includes them",
            "; ".join(
                "%d %s from control '%s'" % (n, t, name)
                for (name, t, _), n in lost.items()
            ),
        )
