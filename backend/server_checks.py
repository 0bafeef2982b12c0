"""Fits a run to its Label Studio server before anything is created.

What each server version supports lives in ``client/capabilities.py``;
this module decides what a run does about it:

- open-polyline fields (``polyline(s)``, sent as ``VectorLabels``) on a
  server whose editor has no VectorLabels (< 1.23): one error naming the
  fields, the server version and both fixes — unless the run asked for
  ``polylines_as_polygons=True``, which sends them as ``PolygonLabels``
  and restores ``closed=False`` on load (the flag and a per-field mark in
  the label schema are stored with the run).
"""

from ..client.capabilities import VECTOR_LABELS_SINCE, dotted
from ..converters.polylines import AS_POLYGONS
from .errors import LabelStudioBackendError

OPEN_POLYLINE_TYPES = ("polyline", "polylines")


def open_polyline_fields(label_schema: dict) -> list:
    """Fields that would be sent as VectorLabels."""
    return [
        field
        for field, info in label_schema.items()
        if info.get("type") in OPEN_POLYLINE_TYPES
        and not info.get(AS_POLYGONS)
    ]


def fit_schema_to_server(config, capabilities) -> None:
    """Marks open-polyline fields ``as_polygons`` when asked to, or
    raises when the server's editor could not show them.

    Raises:
        LabelStudioBackendError: open polylines on a server without
            VectorLabels, and ``polylines_as_polygons`` is not set
    """
    schema = config.label_schema or {}
    fields = open_polyline_fields(schema)
    if not fields:
        return
    if getattr(config, "polylines_as_polygons", False):
        for field in fields:
            schema[field][AS_POLYGONS] = True
        return
    if capabilities.vector_labels:
        return
    raise LabelStudioBackendError(
        "Label Studio %s cannot show open polylines: field(s) %s would use "
        "the VectorLabels tag, which its editor only knows from Label "
        "Studio %s (tasks would show 'Not expecting tag: vectorlabels'). "
        "Nothing was created. Upgrade Label Studio to >= %s, or pass "
        "polylines_as_polygons=True (in the App: 'Send open polylines as "
        "polygons') to annotate them as polygons that load back as open "
        "polylines"
        % (
            capabilities.version or "(unknown version)",
            ", ".join("'%s'" % f for f in fields),
            dotted(VECTOR_LABELS_SINCE),
            dotted(VECTOR_LABELS_SINCE[:2]),
        )
    )
