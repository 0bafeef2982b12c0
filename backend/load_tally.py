"""Assembling a load's answer and report from its converted tasks.

:class:`Tally` turns converted tasks (``{sample id: (stamp, labels,
problems, unexpected)}``) into FiftyOne's ``download_annotations`` answer
and sums, over the batches of one load, what it found: counts, results
that did not load, labels of unknown classes (and the decision on them,
taken once per field). Results the schema does not expect go under
another field/return type of the schema so that ``load_annotations(
unexpected=)`` applies to them.
"""

import logging
import re
from collections import Counter

from ..converters.label_types import RETURN_TYPES
from . import kept_labels
from . import unexpected as unknown_classes
from .load_options import LoadOptions, LoadReport

logger = logging.getLogger(__name__)

_REASON_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|\d+(\.\d+)?")


class Tally:
    """What a load found, summed over the batches it merges."""

    def __init__(self, results, options: LoadOptions, counts=None):
        self.results = results
        self.options = options
        schema = results.config.label_schema
        self.expected = {f: RETURN_TYPES[i["type"]] for f, i in schema.items()}
        self.counts = counts if counts is not None else Counter()
        self.problems = Counter()
        self.unloaded = Counter()
        self.unknown_report = {}
        self.decisions = {}

    def assemble(self, converted: dict) -> dict:
        """The ``download_annotations`` answer for the samples of
        ``converted``, whose values are dropped on the way."""
        results = self.results
        expected = self.expected
        annotations = {field: {} for field in results.config.label_schema}
        unreadable = {}  # {field: {sample id: label ids | True}}
        unknown = unknown_classes.UnknownClasses()
        for sample_id, (_, labels, task_problems, extra) in list(
            converted.items()
        ):
            converted[sample_id] = True  # only the keys are used later
            for field, by_type in labels.items():
                kept_labels.add(annotations[field], sample_id, by_type)
            for name, by_type in extra.items():
                own_type = expected.get(name)
                if own_type in by_type:
                    # the field's own type, classes the run does not list
                    unknown.add(
                        name, sample_id, own_type, by_type.pop(own_type)
                    )
                _route(annotations, expected, name, sample_id, by_type, self)
            for from_name, _, reason in task_problems:
                self.problems[(from_name, generic(reason))] += 1
            kept_labels.note_unreadable(
                results, sample_id, labels, task_problems, unreadable
            )

        # Per-annotator fields (annotators.py) hold only that person's
        # labels: no fallback to the sample's current labels there
        if not self.options.only_annotated:
            unchanged = kept_labels.keep_unchanged(
                results, annotations, converted
            )
            if unchanged:
                self.counts[
                    "samples left as they are (no annotation or no task)"
                ] += unchanged
        kept = kept_labels.keep_unreadable(results, annotations, unreadable)
        if kept:
            self.counts[
                "uploaded labels left as they are (unreadable result)"
            ] += kept
        report = unknown_classes.apply(
            unknown,
            annotations,
            self.options.unexpected,
            kept_labels.add,
            self.options.raw_label_fields,
            _mask_targets(results, unknown.labels),
            decisions=self.decisions,
        )
        _save_mask_targets(results, report)
        unknown_classes.add_report(self.unknown_report, report)
        return annotations

    def report(self, num_tasks: int, read_plan=None) -> LoadReport:
        """Logs the load and returns its report (with the read's
        position when ``read_plan`` tracked it)."""
        log(self.results, num_tasks, self.counts, self.problems, self.unloaded)
        unknown_classes.log_report(self.results.key, self.unknown_report)
        report = LoadReport(
            num_tasks=num_tasks,
            counts=self.counts,
            problems=self.problems,
            unknown_classes=self.unknown_report,
        )
        if read_plan is not None:
            report.incremental = read_plan.incremental
            report.reason = read_plan.reason
            report.tasks_read = read_plan.num_read
            report.tasks_listed = read_plan.num_listed
            report.position = read_plan.position(self.results)
        return report


def _route(annotations, expected, name, sample_id, by_type, tally):
    """Puts labels of controls that are not in the schema under a schema
    field whose expected return type differs, where FiftyOne's
    ``load_annotations(unexpected=...)`` handles them by type; those that
    cannot be routed (every field expects their type) are counted as
    unloaded.
    """
    for return_type, items in by_type.items():
        if return_type != "scalar" and not items:
            continue
        count = 1 if return_type == "scalar" else len(items)
        target = next(
            (f for f, t in expected.items() if t != return_type), None
        )
        if target is None:
            tally.unloaded[(name, return_type, "lost")] += count
            continue
        kept_labels.add(annotations[target], sample_id, {return_type: items})


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


def generic(reason: str) -> str:
    """The reason without its values, so that counts group."""
    return _REASON_VALUE.sub("…", reason)


def log(results, num_tasks, counts, problems, unloaded=()) -> None:
    """Logs what a load read, what did not load and why."""
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
    lost = {k: n for k, n in dict(unloaded).items() if k[2] == "lost"}
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
