"""Agreement between annotators on the tasks several people annotated.

For every task with annotations by two or more people (each person's
latest non-cancelled annotation), every pair of people is compared field
by field, in FiftyOne terms (the results are converted with
``converters.task_read.task_to_labels`` first):

- detection(s), instance(s): **F1 of IoU-matched boxes** -- boxes of the
  same class are matched greedily by decreasing IoU, a match needs
  IoU >= ``IOU_THRESHOLD`` (0.5); F1 = 2 x matches / (boxes of A + boxes
  of B). Two empty answers agree (1.0)
- classification(s): **exact match** of the set of class names (1 or 0)
- scalar: **exact match** of the values (1 or 0)
- other types (polylines, keypoints, segmentation): not scored

A field's figure is the mean over all (task, pair) comparisons; ``mean``
is the mean over every comparison of every scored field. Nothing here
talks to Label Studio.
"""

import itertools
from collections import defaultdict

from ..converters.task_read import task_to_labels
from .run_tasks import latest_by_annotator

IOU_THRESHOLD = 0.5

_BOX_TYPES = ("detection", "detections", "instance", "instances")
_CLASS_TYPES = ("classification", "classifications")
METRICS = {
    **{t: "box F1 (IoU >= %.1f)" % IOU_THRESHOLD for t in _BOX_TYPES},
    **{t: "exact match" for t in _CLASS_TYPES},
    "scalar": "exact match",
}


def compute_agreement(tasks: list, label_schema: dict, names=None) -> dict:
    """Agreement figures of ``tasks`` (exported tasks with annotations).

    Returns::

        {"tasks": <tasks with >= 2 annotators>,
         "comparisons": <(task, pair, field) comparisons scored>,
         "mean": <mean score, or None when nothing was compared>,
         "fields": {field: {"metric", "comparisons", "mean"}},
         "pairs": {"<name A> / <name B>": {"comparisons", "mean"}}}

    ``names`` maps user ids to display names (default: the ids).
    """
    names = names or {}
    by_field = defaultdict(list)
    by_pair = defaultdict(list)
    overlapping = 0
    scored = {f: i for f, i in label_schema.items() if i["type"] in METRICS}
    for task in tasks:
        latest = latest_by_annotator(task)
        if len(latest) < 2:
            continue
        overlapping += 1
        if not scored:
            continue
        labels = {}
        for who, annotation in latest.items():
            try:
                converted, _, _ = task_to_labels(
                    task.get("data"), annotation.get("result") or [], scored
                )
            except Exception:  # unreadable annotation: not comparable
                continue
            labels[who] = converted
        for a, b in itertools.combinations(sorted(labels, key=str), 2):
            pair = "%s / %s" % tuple(
                sorted(str(names.get(w, w)) for w in (a, b))
            )
            for field, info in scored.items():
                score = _score(
                    info["type"],
                    labels[a].get(field) or {},
                    labels[b].get(field) or {},
                )
                by_field[field].append(score)
                by_pair[pair].append(score)

    every = [s for scores in by_field.values() for s in scores]
    return {
        "tasks": overlapping,
        "comparisons": len(every),
        "mean": _mean(every),
        "fields": {
            field: {
                "metric": METRICS.get(info["type"]),
                "comparisons": len(by_field.get(field, [])),
                "mean": _mean(by_field.get(field, [])),
            }
            for field, info in label_schema.items()
        },
        "pairs": {
            pair: {"comparisons": len(scores), "mean": _mean(scores)}
            for pair, scores in sorted(by_pair.items())
        },
    }


def _mean(scores):
    return sum(scores) / len(scores) if scores else None


def _score(label_type, a: dict, b: dict) -> float:
    """One comparison of one field's labels (``{return type: ...}``)."""
    if label_type == "scalar":
        return float(a.get("scalar") == b.get("scalar"))
    items_a = _items(a)
    items_b = _items(b)
    if label_type in _CLASS_TYPES:
        return float({x.label for x in items_a} == {x.label for x in items_b})
    return box_f1(
        [(x.label, x.bounding_box) for x in items_a],
        [(x.label, x.bounding_box) for x in items_b],
    )


def _items(by_type: dict) -> list:
    out = []
    for items in by_type.values():
        if isinstance(items, dict):
            out.extend(items.values())
    return out


def box_f1(boxes_a: list, boxes_b: list, threshold=IOU_THRESHOLD) -> float:
    """F1 of greedily IoU-matched ``(class, [x, y, w, h])`` boxes."""
    if not boxes_a and not boxes_b:
        return 1.0
    candidates = []
    for i, (label_a, box_a) in enumerate(boxes_a):
        for j, (label_b, box_b) in enumerate(boxes_b):
            if label_a != label_b:
                continue
            overlap = iou(box_a, box_b)
            if overlap >= threshold:
                candidates.append((overlap, i, j))
    used_a, used_b, matches = set(), set(), 0
    for _, i, j in sorted(candidates, reverse=True):
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        matches += 1
    return 2.0 * matches / (len(boxes_a) + len(boxes_b))


def iou(box_a, box_b) -> float:
    """IoU of two ``[x, y, w, h]`` boxes (any consistent units)."""
    if box_a is None or box_b is None:
        return 0.0
    ax, ay, aw, ah = box_a
    bx, by, bw, bh = box_b
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def format_agreement(agreement: dict) -> list:
    """Readable lines for ``print_status``."""
    if not agreement or not agreement.get("tasks"):
        return ["    agreement:    no task has 2 or more annotators"]
    mean = agreement.get("mean")
    lines = [
        "    agreement:    %s over %d tasks with 2+ annotators"
        % ("n/a" if mean is None else "%.3f" % mean, agreement["tasks"])
    ]
    for field, info in agreement.get("fields", {}).items():
        if info.get("mean") is None:
            continue
        lines.append(
            "        %s: %.3f (%s, %d comparisons)"
            % (field, info["mean"], info["metric"], info["comparisons"])
        )
    for pair, info in agreement.get("pairs", {}).items():
        if info.get("mean") is not None:
            lines.append("        %s: %.3f" % (pair, info["mean"]))
    return lines
