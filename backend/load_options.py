"""What a load is asked (:class:`LoadOptions`) and what it found
(:class:`LoadReport`): the explicit input and output of every load path
(``download.py``: image, video, in batches)."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, FrozenSet, Optional

from . import unexpected as unknown_classes
from .fiftyone_internals import load_call_argument

# dest_field of a load whose options could not be read: never matches a
# recorded load position, so such a load reads every task
UNKNOWN = "<unknown>"


@dataclass(frozen=True)
class LoadOptions:
    """The options of one load.

    Args:
        annotator: load this person's annotations (e-mail, username or
            id); None: the run's ``annotator``, else each task's latest
        only_annotated: per-annotator fields (annotators.py): samples
            the person did not annotate get nothing (no fallback to the
            sample's current labels)
        unexpected: the load's ``unexpected=`` (labels of unknown
            classes, :mod:`.unexpected`); None keeps them
        dest_field: the load's ``dest_field`` (:data:`UNKNOWN` when it
            could not be read)
        full: re-read every task instead of those changed since the
            last load
        raw_label_fields: fields whose expected labels come back as raw
            documents (the bulk merge takes them)
    """

    annotator: Any = None
    only_annotated: bool = False
    unexpected: Any = None
    dest_field: Any = UNKNOWN
    full: bool = False
    raw_label_fields: FrozenSet[str] = frozenset()

    def annotator_of(self, results) -> Any:
        """The annotator this load reads: the given one, else the run's."""
        if self.annotator is not None:
            return self.annotator
        return results.config.annotator


@dataclass
class LoadReport:
    """What a load found, summed over its batches."""

    num_tasks: int = 0
    # "annotated", "unannotated", "skipped", ...: logged
    counts: Counter = field(default_factory=Counter)
    # {(control, reason without values): count} of results not loaded
    problems: Counter = field(default_factory=Counter)
    # {field: {"action", "classes", ...}} (unexpected.py)
    unknown_classes: dict = field(default_factory=dict)
    # None: the read was not tracked (video runs)
    incremental: Optional[bool] = None
    reason: Optional[str] = None
    tasks_read: Optional[int] = None
    # tasks the listing of changed tasks returned (incremental loads)
    tasks_listed: Optional[int] = None
    # the load position to save with the run once the merge succeeded
    position: Optional[dict] = None

    def as_dict(self) -> dict:
        """The report callers show (the App's load summary)."""
        out = {
            "skipped_results": sum(self.problems.values()),
            "skipped_details": [
                "%d x %s: %s" % (n, from_name, reason)
                for (from_name, reason), n in self.problems.most_common()
            ],
            "unknown_classes": self.unknown_classes,
            "unknown_classes_details": unknown_classes.summary_lines(
                self.unknown_classes
            ),
        }
        if self.incremental is not None:
            out.update(
                incremental=self.incremental,
                reason=self.reason,
                tasks_read=self.tasks_read,
                tasks_listed=self.tasks_listed,
            )
        return out


def from_load_call(unexpected=None) -> LoadOptions:
    """The options of the FiftyOne ``load_annotations`` call that is
    running the download (the backend contract does not pass them; see
    ``fiftyone_internals.load_call_argument``); ``unexpected`` when given.
    Missing ones take safe defaults: keep labels, read every task."""
    if unexpected is None:
        unexpected = load_call_argument("unexpected")
    return LoadOptions(
        annotator=load_call_argument("annotator"),
        only_annotated=bool(load_call_argument("only_annotated", False)),
        unexpected=unexpected,
        dest_field=load_call_argument("dest_field", UNKNOWN),
        full=bool(load_call_argument("full", False)),
    )
