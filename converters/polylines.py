"""Polyline(s) <-> Label Studio ``PolygonLabels`` or ``VectorLabels``.

The tag is chosen by ``converters.label_config`` and passed in as
``result_type`` (``"polygonlabels"`` or ``"vectorlabels"``), so both work.

- One region per shape of ``Polyline.points``; a one-shape polyline uses
  the label id as region id, several shapes use
  ``"<label id>_<shape index>_<num shapes>"`` and are grouped back into
  the same Polyline in shape order (a shape deleted in Label Studio is
  dropped from the polyline).
- ``closed`` travels in the region value (both tags carry it).
- ``filled`` cannot travel in a region: it comes back from the task-data
  hints for uploaded labels (:func:`polyline_hints`), else from the field
  type (``polygon(s)``: filled when closed; ``polyline(s)``: not filled).
- ``confidence`` travels as the result ``score``; ``index`` in the hints.
- A polyline with no drawable shape sends no region and comes back from
  its hint unchanged.
- Open polylines sent as polygons (``polylines_as_polygons``: servers
  whose editor has no VectorLabels) come back open: ``closed`` is then
  read from the hint of an uploaded label (``{"closed": true}`` only for
  closed ones) and is False for new regions.
"""

import fiftyone.core.labels as fol

from .results import (
    ResultError,
    clean_hints,
    empty_hint,
    finite_or_none,
    from_percent,
    hint_bool,
    hint_float,
    index_hint,
    is_label_id,
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

POLYGON = "polygonlabels"
VECTOR = "vectorlabels"
RESULT_TYPES = (POLYGON, VECTOR)
# Label-schema key of polyline(s) fields sent as PolygonLabels
AS_POLYGONS = "as_polygons"
_OPEN_TYPES = ("polyline", "polylines")


def _polygons_for_lines(as_polygons: bool, label_type: str) -> bool:
    """Open-polyline fields sent as polygons."""
    return bool(as_polygons) and label_type in _OPEN_TYPES


def default_filled(label_type: str, closed: bool) -> bool:
    """``filled`` of a polyline drawn in Label Studio."""
    return bool(closed) and label_type in ("polygon", "polygons")


def to_ls_polyline(
    label,
    control: str,
    width: int,
    height: int,
    result_type: str = POLYGON,
) -> list[dict]:
    """One region per drawable shape of a Polyline."""
    _check_type(result_type)
    shapes = _shapes(label)
    results = []
    for i, shape in enumerate(shapes):
        region_id = (
            label.id
            if len(shapes) == 1
            else multi_region_id(label.id, i, len(shapes))
        )
        points = [[to_percent(x), to_percent(y)] for x, y in shape]
        if result_type == POLYGON:
            value = {"points": points}
        else:
            value = {"vertices": [{"x": x, "y": y} for x, y in points]}
        value["closed"] = bool(label.closed)
        value[result_type] = [str(label.label)]
        results.append(
            region_result(
                region_id,
                control,
                result_type,
                value,
                width,
                height,
                score=label.confidence,
            )
        )
    return results


def to_ls_polylines(
    labels,
    control: str,
    width: int,
    height: int,
    result_type: str = POLYGON,
) -> list[dict]:
    """All regions of a Polylines (or list, or None)."""
    results = []
    for label in labels_of(labels, fol.Polyline, fol.Polylines):
        results.extend(
            to_ls_polyline(label, control, width, height, result_type)
        )
    return results


def polyline_hints(
    labels, label_type: str = "polylines", as_polygons: bool = False
) -> dict:
    """``{label id: hint}``: ``index``, ``filled`` when not the default,
    ``closed`` of closed polylines sent as polygons, and ``empty`` for
    polylines that send no region."""
    hints = {}
    as_polygons = _polygons_for_lines(as_polygons, label_type)
    for label in labels_of(labels, fol.Polyline, fol.Polylines):
        hint = index_hint(label)
        filled = bool(label.filled)
        if filled != default_filled(label_type, label.closed):
            hint["filled"] = filled
        if as_polygons and label.closed:
            hint["closed"] = True
        if not _shapes(label) and label.label is not None:
            hint["empty"] = {
                "label": str(label.label),
                "closed": bool(label.closed),
                "filled": filled,
                "confidence": finite_or_none(label.confidence),
            }
        if hint:
            hints[label.id] = hint
    return hints


def from_ls_polylines(
    results: list[dict],
    result_type: str = POLYGON,
    label_type: str = "polylines",
    hints: dict | None = None,
    problems: list | None = None,
    as_polygons: bool = False,
) -> list[fol.Polyline]:
    """Polylines from region results, shapes grouped back by label id.

    ``as_polygons``: a ``polyline(s)`` field sent as PolygonLabels
    (``closed`` then comes from the hints, else False)."""
    _check_type(result_type)
    hints = clean_hints(hints)
    groups = {}  # label id -> {shape index: region}
    for result in results:
        try:
            region = _read_region(result, result_type, problems)
        except ResultError as e:
            report(problems, result, str(e))
            continue
        label_id, index = region["label_id"], region["index"]
        shapes = groups.setdefault(label_id, {})
        if index in shapes:
            report(problems, result, "duplicated region id")
            continue
        shapes[index] = region

    labels = []
    for label_id, shapes in groups.items():
        regions = [shapes[i] for i in sorted(shapes)]
        first = regions[0]
        hint = hints.get(label_id) or {}
        closed = first["closed"]
        if _polygons_for_lines(as_polygons, label_type):
            # a polygon region is always closed: the hint says otherwise
            closed = hint_bool(hint, "closed")
        filled = hint.get("filled")
        if not isinstance(filled, bool):
            filled = default_filled(label_type, closed)
        label = fol.Polyline(
            label=first["label"],
            points=[r["points"] for r in regions],
            closed=closed,
            filled=filled,
            confidence=first["score"],
        )
        label.id = label_id
        labels.append(with_index(label, hint))

    for label_id, hint in hints.items():
        empty = empty_hint(hint, problems, label_id)
        if empty is not None and label_id not in groups:
            label = fol.Polyline(
                label=empty["label"],
                points=[],
                closed=hint_bool(empty, "closed"),
                filled=hint_bool(empty, "filled"),
                confidence=hint_float(empty.get("confidence")),
            )
            label.id = label_id
            labels.append(with_index(label, hint))
    return labels


def _read_region(result, result_type, problems) -> dict:
    value = result_value(result, result_type)
    cls = region_label(value, result_type, problems, result)
    if result_type == POLYGON:
        points = _polygon_points(value.get("points"))
        closed = value.get("closed", True)
    else:
        points = _vector_points(value.get("vertices"))
        closed = value.get("closed", False)
    if not isinstance(closed, bool):
        raise ResultError("'closed' is not a boolean")
    region_id = result_id(result)
    multi = parse_multi_region_id(region_id)
    if multi is not None:
        label_id, index = multi[0], multi[1]
    elif is_label_id(region_id):
        label_id, index = region_id, 0
    else:
        label_id, index = new_label_id(region_id), 0
    return {
        "label_id": label_id,
        "index": index,
        "label": cls,
        "points": points,
        "closed": closed,
        "score": result_score(result),
    }


def _polygon_points(points) -> list:
    if not isinstance(points, list) or not points:
        raise ResultError("region has no points")
    out = []
    for i, point in enumerate(points):
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise ResultError("point %d is not an [x, y] pair" % i)
        out.append(_point(point[0], point[1], i))
    return out


def _vector_points(vertices) -> list:
    if not isinstance(vertices, list) or not vertices:
        raise ResultError("region has no vertices")
    out = []
    for i, vertex in enumerate(_chain_order(vertices)):
        if isinstance(vertex, dict):
            out.append(_point(vertex.get("x"), vertex.get("y"), i))
        elif isinstance(vertex, (list, tuple)) and len(vertex) == 2:
            out.append(_point(vertex[0], vertex[1], i))
        else:
            raise ResultError("vertex %d has no x, y" % i)
    return out


def _chain_order(vertices: list) -> list:
    """Vertices in path order when ``prevPointId`` links form one path.

    The Vector tool links each vertex to its predecessor; a vertex inserted
    on a segment may sit at the end of the list. Anything that is not one
    simple path keeps the list order.
    """
    if not all(isinstance(v, dict) and v.get("id") for v in vertices):
        return vertices
    by_id = {v["id"]: v for v in vertices}
    if len(by_id) != len(vertices):
        return vertices
    next_of = {}
    for v in vertices:
        prev = v.get("prevPointId")
        if prev in by_id:
            if prev in next_of:
                return vertices  # branching
            next_of[prev] = v
    starts = [v for v in vertices if v.get("prevPointId") not in by_id]
    start = starts[0] if len(starts) == 1 else vertices[0]
    if len(starts) > 1:
        return vertices
    ordered, seen = [], set()
    node = start
    while node is not None and node["id"] not in seen:
        ordered.append(node)
        seen.add(node["id"])
        node = next_of.get(node["id"])
    return ordered if len(ordered) == len(vertices) else vertices


def _point(x, y, i) -> list:
    return [
        from_percent(percent(x, "x of point %d" % i)),
        from_percent(percent(y, "y of point %d" % i)),
    ]


def _shapes(label) -> list:
    """Shapes with their non-finite points removed; empty shapes dropped."""
    shapes = []
    for shape in label.points or []:
        points = []
        for point in shape or []:
            if point is None or len(point) != 2:
                continue
            x, y = finite_or_none(point[0]), finite_or_none(point[1])
            if x is not None and y is not None:
                points.append((x, y))
        if points:
            shapes.append(points)
    return shapes


def _check_type(result_type: str) -> None:
    if result_type not in RESULT_TYPES:
        raise ValueError("unsupported polyline tag type %r" % result_type)
