"""What a load does with labels whose class is not in the run's classes.

Label Studio does not enforce a project's labeling config: an annotation
can hold a region of the run's control with any label value. Such labels
are the field's own type, so FiftyOne's ``unexpected=`` (which decides by
label *type*) cannot see them; this module applies its documented meaning
to them instead:

- ``"keep"``: merged into the run's field beside the other labels, and
  reported (class names and counts) in the load summary.
- ``"ignore"``: not merged; counted in the summary.
- ``"return"``: not merged; returned by the load under
  ``{field: {UNKNOWN_CLASSES_KEY: {sample id: {label id: label}}}}``.
- ``"prompt"``: asks once per field when a terminal is attached (keep in
  the field or skip); without a terminal it keeps them (never blocks a
  delegated run, never loses an annotator's work) and says so.

Labels of the run's classes always load, whatever sits beside them.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from dataclasses import dataclass, field

import fiftyone.core.labels as fol
import numpy as np

logger = logging.getLogger(__name__)

UNKNOWN_CLASSES_KEY = "unknown_classes"


@dataclass
class UnknownClasses:
    """Unknown-class labels of one load, per schema field."""

    # {field: {sample id: {label id: label}}}
    labels: dict = field(default_factory=dict)
    # {field: Counter(class name)}
    classes: dict = field(default_factory=dict)

    # {field: return type}
    types: dict = field(default_factory=dict)

    def add(
        self, field_name: str, sample_id: str, return_type: str, items
    ) -> None:
        """``items``: ``{label id: label}``, or a scalar value."""
        if return_type == "scalar":
            if items is None:
                return
            self.labels.setdefault(field_name, {})[sample_id] = items
            values = [items]
        else:
            if not items:
                return
            per_sample = self.labels.setdefault(field_name, {})
            per_sample.setdefault(sample_id, {}).update(items)
            values = [_class_of(x) for x in items.values()]
        self.types[field_name] = return_type
        counts = self.classes.setdefault(field_name, Counter())
        counts.update(str(v) for v in values)


def decide(unexpected, field_name: str, return_type: str, found) -> str:
    """``"keep"``, ``"ignore"`` or ``"return"`` for one field's labels of
    unknown classes, given the load's ``unexpected=``."""
    if unexpected in ("keep", "ignore", "return"):
        return unexpected
    if unexpected is None:
        return "keep"
    if unexpected == "prompt":
        return _prompt(field_name, found)
    # FiftyOne's undocumented forms name label types (a dict maps them to
    # fields, a list keeps them): a same-type label can only stay in its
    # field or be skipped
    if isinstance(unexpected, (dict, list, tuple, set)):
        return "keep" if return_type in unexpected else "ignore"
    return "ignore"


def _prompt(field_name: str, found) -> str:
    if not has_terminal():
        logger.warning(
            "unexpected='prompt' without a terminal: keeping %s in '%s' "
            "(pass unexpected='ignore' or 'return' to leave them out)",
            _describe(found),
            field_name,
        )
        return "keep"
    answer = input(
        "Found %s in field '%s' (classes not in the run's classes).\n"
        "Keep them in '%s'? [y/N] "
        % (_describe(found), field_name, field_name)
    )
    return "keep" if answer.strip().lower() in ("y", "yes") else "ignore"


def apply(
    unknown: UnknownClasses,
    annotations: dict,
    unexpected,
    add,
    raw_fields=(),
    mask_targets=None,
    decisions=None,
) -> dict:
    """Puts unknown-class labels where ``unexpected`` says; returns the report
    ``{field: {"action": ..., "classes": {class: count}}}``.

    Kept classes of a segmentation field are painted into the sample's
    mask with their value in ``mask_targets[field]`` (``{value: class}``),
    or the next free value, reported as ``"mask_targets_added"``."""
    report = {}
    decisions = {} if decisions is None else decisions
    for field_name, per_sample in unknown.labels.items():
        found = unknown.classes[field_name]
        return_type = unknown.types[field_name]
        action = decisions.get(field_name)
        if action is None:
            action = decide(unexpected, field_name, return_type, found)
            decisions[field_name] = action
        entry = {"action": action, "classes": dict(found)}
        if action == "keep" and return_type == "segmentation":
            targets = dict((mask_targets or {}).get(field_name) or {})
            entry["mask_targets_added"] = paint_segmentations(
                per_sample, annotations[field_name], targets
            )
        elif action == "keep":
            raw = field_name in raw_fields and return_type != "scalar"
            for sample_id, items in per_sample.items():
                if raw:  # the bulk merge takes raw documents
                    items = {k: dict(x.to_mongo()) for k, x in items.items()}
                add(annotations[field_name], sample_id, {return_type: items})
        elif action == "return":
            annotations[field_name][UNKNOWN_CLASSES_KEY] = per_sample
        report[field_name] = entry
    return report


def add_report(total: dict, report: dict) -> None:
    """Sums the report of one batch into the load's."""
    for field_name, entry in report.items():
        into = total.setdefault(
            field_name, {"action": entry["action"], "classes": {}}
        )
        for name, n in entry["classes"].items():
            into["classes"][name] = into["classes"].get(name, 0) + n
        if "mask_targets_added" in entry:
            into.setdefault("mask_targets_added", {}).update(
                entry["mask_targets_added"]
            )


def paint_segmentations(per_sample: dict, field_annos: dict, targets: dict):
    """Paints kept unknown-class segmentations (0/255 masks, ``label`` =
    class) into each sample's Segmentation; returns the mask targets it
    had to add (``{value: class}``)."""
    values = {name: value for value, name in targets.items()}
    added = {}
    out = field_annos.setdefault("segmentation", {})
    for sample_id, items in per_sample.items():
        known = out.get(sample_id) or {}
        base = next(iter(known.values()), None)
        for label in items.values():
            value = values.get(label.label)
            if value is None:
                value = max([0, *targets, *added]) + 1
                added[value] = label.label
                values[label.label] = value
            if base is None:
                base = fol.Segmentation(
                    mask=np.zeros(label.mask.shape, dtype=np.uint8)
                )
                base.id = label.id
                out[sample_id] = {base.id: base}
            mask = np.asarray(base.mask)
            if value > np.iinfo(mask.dtype).max:
                mask = mask.astype(np.uint16)
            painted = label.mask > 0
            if painted.shape != mask.shape:
                painted = _resized(painted, mask.shape)
            mask[painted] = value
            base.mask = mask
    return added


def _resized(painted, shape):
    # deferred: OpenCV loads only for masks of another size (rare)
    import cv2

    return (
        cv2.resize(
            painted.astype(np.uint8),
            (shape[1], shape[0]),
            interpolation=cv2.INTER_NEAREST,
        )
        > 0
    )


def log_report(anno_key: str, report: dict) -> None:
    verbs = {
        "keep": "kept in the field",
        "ignore": "skipped (unexpected='ignore')",
        "return": "returned, not merged (unexpected='return')",
    }
    for field_name, entry in report.items():
        logger.warning(
            "Run '%s', field '%s': %s of classes not in the run's classes "
            "%s",
            anno_key,
            field_name,
            _describe(Counter(entry["classes"])),
            verbs[entry["action"]],
        )


def summary_lines(report: dict) -> list:
    """One line per field, for the App's load summary."""
    return [
        "%s: %s %s"
        % (
            field_name,
            _describe(Counter(entry["classes"])),
            {"keep": "kept", "ignore": "skipped", "return": "returned"}[
                entry["action"]
            ],
        )
        for field_name, entry in report.items()
    ]


def _describe(found: Counter) -> str:
    total = sum(found.values())
    names = ", ".join("%r x%d" % (c, n) for c, n in found.most_common())
    return "%d label(s) (%s)" % (total, names)


def _class_of(label) -> str:
    if isinstance(label, dict):  # a raw document
        return str(label.get("label"))
    return str(getattr(label, "label", None))


def has_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False
