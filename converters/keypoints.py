"""Keypoint(s) <-> Label Studio ``KeyPointLabels`` results.

- Each *visible* (finite) point of a Keypoint is one region with id
  ``"<label id>_<point index>_<num points>"``; NaN points are not sent.
- Loading groups regions by label id back into the same Keypoint with the
  same number of points in the same order; points that did not come back
  (invisible at upload, or deleted in Label Studio) are ``[nan, nan]``.
- Regions with other ids (drawn in Label Studio) are grouped by class into
  one new Keypoint per class, in result order.
- Per-point ``confidence`` travels as the result ``score`` and comes back
  aligned with the points (NaN where a point has none); when no point of a
  label has a score the confidence is None.
- A Keypoint with no visible point sends nothing and comes back from its
  task-data hint (:func:`keypoint_hints`); ``index`` also travels there.
"""

import fiftyone.core.labels as fol

from .results import (
    ResultError,
    clean_hints,
    empty_hint,
    finite_or_none,
    from_percent,
    hint_float,
    index_hint,
    multi_region_id,
    new_label_id,
    parse_multi_region_id,
    percent,
    region_label,
    region_result,
    report,
    result_id,
    result_score,
    result_value,
    to_percent,
    with_index,
)

RESULT_TYPE = "keypointlabels"
# point radius in percent of the image width; Label Studio requires one
POINT_WIDTH = 0.5

NAN = float("nan")
# more points than any skeleton has: a hint asking for more is garbage
MAX_POINTS = 100_000


def to_ls_keypoint(label, control: str, width: int, height: int) -> list:
    """One region per visible point of a Keypoint."""
    points = list(label.points or [])
    confidence = list(label.confidence or [])
    results = []
    for i, point in enumerate(points):
        xy = _finite_point(point)
        if xy is None:
            continue
        score = confidence[i] if i < len(confidence) else None
        value = {
            "x": to_percent(xy[0]),
            "y": to_percent(xy[1]),
            "width": POINT_WIDTH,
            RESULT_TYPE: [str(label.label)],
        }
        results.append(
            region_result(
                multi_region_id(label.id, i, len(points)),
                control,
                RESULT_TYPE,
                value,
                width,
                height,
                score=score,
            )
        )
    return results


def to_ls_keypoints(labels, control: str, width: int, height: int) -> list:
    """All regions of a Keypoints (or list, or None)."""
    results = []
    for label in _as_list(labels):
        results.extend(to_ls_keypoint(label, control, width, height))
    return results


def keypoint_hints(labels) -> dict:
    """``{label id: hint}``: ``index``, and ``empty`` (class and number of
    points) for keypoints without any visible point."""
    hints = {}
    for label in _as_list(labels):
        hint = index_hint(label)
        points = list(label.points or [])
        if label.label is not None and not any(
            _finite_point(p) for p in points
        ):
            hint["empty"] = {"label": str(label.label), "num": len(points)}
            if label.confidence is not None:
                hint["empty"]["confidence"] = [
                    finite_or_none(c) for c in label.confidence
                ]
        if hint:
            hints[label.id] = hint
    return hints


def from_ls_keypoints(
    results: list[dict],
    hints: dict | None = None,
    problems: list | None = None,
) -> list[fol.Keypoint]:
    """Keypoints from point regions, grouped back by label id."""
    hints = clean_hints(hints)
    known = {}  # label id -> {"num": n, "points": {index: region}}
    new = {}  # class -> [region]
    for result in results:
        try:
            region = _read_region(result, problems)
        except ResultError as e:
            report(problems, result, str(e))
            continue
        multi = parse_multi_region_id(region["id"])
        if multi is None:
            new.setdefault(region["label"], []).append(region)
            continue
        label_id, index, num = multi
        if num > MAX_POINTS:
            report(problems, result, "malformed region id (point count)")
            continue
        group = known.setdefault(label_id, {"num": num, "points": {}})
        if num != group["num"]:
            report(problems, result, "point count differs from its label's")
            continue
        if index in group["points"]:
            report(problems, result, "duplicated region id")
            continue
        group["points"][index] = region

    labels = []
    for label_id, group in known.items():
        regions = group["points"]
        ordered = [regions.get(i) for i in range(group["num"])]
        first = regions[min(regions)]
        label = _keypoint(first["label"], ordered)
        label.id = label_id
        labels.append(with_index(label, hints.get(label_id)))

    for cls, regions in new.items():
        label = _keypoint(cls, regions)
        label.id = new_label_id()
        labels.append(label)

    for label_id, hint in hints.items():
        empty = empty_hint(hint, problems, label_id)
        if empty is not None and label_id not in known:
            label = _hidden_keypoint(empty, problems, label_id)
            if label is not None:
                labels.append(with_index(label, hint))
    return labels


def _hidden_keypoint(empty: dict, problems, label_id):
    """The Keypoint of an ``empty`` hint: all points invisible."""
    num = empty.get("num")
    if isinstance(num, bool) or not isinstance(num, int):
        num = -1
    confidence = empty.get("confidence")
    if confidence is not None and (
        not isinstance(confidence, list) or len(confidence) != num
    ):
        num = -1
    if not 0 <= num <= MAX_POINTS:
        report(problems, {"id": label_id}, "malformed task-data hint; ignored")
        return None
    label = fol.Keypoint(
        label=empty["label"], points=[[NAN, NAN] for _ in range(num)]
    )
    if confidence is not None:
        label.confidence = [
            NAN if hint_float(c) is None else hint_float(c) for c in confidence
        ]
    label.id = label_id
    return label


def _keypoint(cls: str, regions: list) -> fol.Keypoint:
    """A Keypoint from regions in point order (None = missing point)."""
    points = [[NAN, NAN] if r is None else r["point"] for r in regions]
    scores = [None if r is None else r["score"] for r in regions]
    confidence = None
    if any(s is not None for s in scores):
        confidence = [NAN if s is None else s for s in scores]
    return fol.Keypoint(label=cls, points=points, confidence=confidence)


def _read_region(result, problems) -> dict:
    value = result_value(result, RESULT_TYPE)
    cls = region_label(value, RESULT_TYPE, problems, result)
    x = percent(value.get("x"), "x")
    y = percent(value.get("y"), "y")
    return {
        "id": result_id(result),
        "label": cls,
        "point": [from_percent(x), from_percent(y)],
        "score": result_score(result),
    }


def _finite_point(point):
    if point is None or len(point) != 2:
        return None
    x, y = finite_or_none(point[0]), finite_or_none(point[1])
    if x is None or y is None:
        return None
    return x, y


def _as_list(labels) -> list:
    if labels is None:
        return []
    if isinstance(labels, fol.Keypoint):
        return [labels]
    if isinstance(labels, fol.Keypoints):
        return list(labels.keypoints or [])
    return list(labels)
