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

Skeletons (``skeleton`` = the point names of the field's
``KeypointSkeleton``): each point's region is labelled with its name
(:class:`SkeletonLabels`: ``"<point>"`` when the field has one class,
``"<class>: <point>"`` otherwise), so annotators place named points.
Loading puts each point at its name's position in the skeleton (a point
relabelled to another name moves there); points drawn in Label Studio
fill in the one uploaded Keypoint of their class that misses that point,
if there is exactly one; otherwise they become new Keypoints, one per
class with ``len(skeleton)`` points (a repeated point name starts the
next Keypoint of that class). Missing points are NaN.
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
    labels_of,
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
from .skeletons import SkeletonLabels, skeleton_labels  # noqa: F401

RESULT_TYPE = "keypointlabels"
# point radius in percent of the image width; Label Studio requires one
POINT_WIDTH = 0.5

NAN = float("nan")
# more points than any skeleton has: a hint asking for more is garbage
MAX_POINTS = 100_000


def to_ls_keypoint(
    label, control: str, width: int, height: int, skeleton=None
) -> list:
    """One region per visible point of a Keypoint (``skeleton``: a
    :class:`SkeletonLabels` naming the points)."""
    points = list(label.points or [])
    confidence = list(label.confidence or [])
    results = []
    for i, point in enumerate(points):
        xy = _finite_point(point)
        if xy is None:
            continue
        score = confidence[i] if i < len(confidence) else None
        text = (
            str(label.label)
            if skeleton is None
            else skeleton.value(label.label, i)
        )
        value = {
            "x": to_percent(xy[0]),
            "y": to_percent(xy[1]),
            "width": POINT_WIDTH,
            RESULT_TYPE: [text],
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


def to_ls_keypoints(
    labels, control: str, width: int, height: int, skeleton=None
) -> list:
    """All regions of a Keypoints (or list, or None)."""
    results = []
    for label in labels_of(labels, fol.Keypoint, fol.Keypoints):
        results.extend(to_ls_keypoint(label, control, width, height, skeleton))
    return results


def keypoint_hints(labels) -> dict:
    """``{label id: hint}``: ``index``, and ``empty`` (class and number of
    points) for keypoints without any visible point."""
    hints = {}
    for label in labels_of(labels, fol.Keypoint, fol.Keypoints):
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
    skeleton=None,
    owners: dict | None = None,
) -> list[fol.Keypoint]:
    """Keypoints from point regions, grouped back by label id.

    ``skeleton`` (a :class:`SkeletonLabels`) places named points by name;
    ``owners``, when given, receives ``{region id: label id}``.
    """
    hints = clean_hints(hints)
    owners = {} if owners is None else owners
    known = {}  # label id -> {"num": n, "points": {index: region}}
    drawn = []  # (region, named) of regions drawn in Label Studio
    new = []  # [(class, {index: region} or [region])]
    for result in results:
        try:
            region = _read_region(result, problems)
        except ResultError as e:
            report(problems, result, str(e))
            continue
        named = skeleton.parse(region["label"]) if skeleton else None
        if named is not None:
            region["label"] = named[0]
        multi = parse_multi_region_id(region["id"])
        if multi is None:
            drawn.append((region, named))
            continue
        label_id, index, num = multi
        if num > MAX_POINTS:
            report(problems, result, "malformed region id (point count)")
            continue
        if skeleton is not None:
            num = max(num, len(skeleton.names))
            index = named[1] if named is not None else index
        group = known.setdefault(label_id, {"num": num, "points": {}})
        if num != group["num"]:
            report(problems, result, "point count differs from its label's")
            continue
        if index in group["points"]:
            reason = "duplicated region id"
            if named is not None:
                reason = "two regions for point %r" % region_text(named)
            report(problems, result, reason)
            continue
        group["points"][index] = region
        group["label"] = group.get("label", region["label"])
        owners[region["id"]] = label_id

    hidden = _hidden_groups(hints, known, skeleton)
    for region, named in drawn:
        label_id = _completes(known, hidden, region, named)
        if label_id is not None:
            known[label_id]["points"][named[1]] = region
            owners[region["id"]] = label_id
        else:
            _add_new(new, region, named)

    labels = []
    for label_id, group in known.items():
        regions = group["points"]
        ordered = [regions.get(i) for i in range(group["num"])]
        first = regions[min(regions)]
        label = _keypoint(first["label"], ordered)
        label.id = label_id
        labels.append(with_index(label, hints.get(label_id)))

    for cls, regions in new:
        if isinstance(regions, dict):
            ordered = [regions.get(i) for i in range(len(skeleton.names))]
            members = [r for r in ordered if r is not None]
        else:
            ordered = members = regions
        label = _keypoint(cls, ordered)
        label.id = new_label_id(members[0]["id"])
        for region in members:
            if region["id"] is not None:
                owners[region["id"]] = label.id
        labels.append(label)

    for label_id, hint in hints.items():
        empty = empty_hint(hint, problems, label_id)
        if empty is not None and label_id not in known:
            label = _hidden_keypoint(empty, problems, label_id)
            if label is not None:
                labels.append(with_index(label, hint))
    return labels


def region_text(named) -> str:
    return "%s #%d" % named


def _completes(known, hidden, region, named):
    """The uploaded keypoint a named point drawn in Label Studio fills
    in: the only one of its class that misses that point (uploaded
    keypoints without a visible point included), else None."""
    if named is None or region["id"] is None:
        return None
    cls, index = named
    candidates = [
        label_id
        for groups in (known, hidden)
        for label_id, group in groups.items()
        if group.get("label") == cls
        and index not in group["points"]
        and index < group["num"]
    ]
    if len(candidates) != 1:
        return None
    label_id = candidates[0]
    if label_id in hidden:
        known[label_id] = hidden.pop(label_id)
    return label_id


def _hidden_groups(hints, known, skeleton) -> dict:
    """Groups for uploaded keypoints that sent no point (from their
    hints), which points drawn in Label Studio may fill in."""
    if skeleton is None:
        return {}
    out = {}
    for label_id, hint in hints.items():
        empty = hint.get("empty")
        if label_id in known or not isinstance(empty, dict):
            continue
        num = empty.get("num")
        if isinstance(num, bool) or not isinstance(num, int):
            continue
        if not 0 <= num <= MAX_POINTS:
            continue
        out[label_id] = {
            "num": max(num, len(skeleton.names)),
            "points": {},
            "label": empty.get("label"),
        }
    return out


def _add_new(new, region, named):
    """Groups a region drawn in Label Studio: by class (one Keypoint per
    class), or with a skeleton by class and point name, a repeated name
    starting the next Keypoint of the class."""
    cls = region["label"]
    if named is None:
        for group_cls, regions in new:
            if group_cls == cls and isinstance(regions, list):
                regions.append(region)
                return
        new.append((cls, [region]))
        return
    index = named[1]
    for group_cls, regions in reversed(new):
        if group_cls == cls and isinstance(regions, dict):
            if index not in regions:
                regions[index] = region
                return
            break
    new.append((cls, {index: region}))


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
