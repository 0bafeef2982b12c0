"""Server capabilities by version, and what a run does about them."""

from types import SimpleNamespace

import fiftyone.core.labels as fol
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.backend.errors import LabelStudioBackendError
from fiftyone_labelstudio.backend.server_checks import fit_schema_to_server
from fiftyone_labelstudio.client.capabilities import (
    ServerCapabilities,
    parse_version,
)
from fiftyone_labelstudio.converters import polylines as pc
from fiftyone_labelstudio.converters.label_config import build_label_config
from fiftyone_labelstudio.converters.label_types import polyline_result_type


@pytest.mark.parametrize(
    "text, parsed",
    [
        ("1.23.2", (1, 23, 2)),
        ("1.20.0", (1, 20, 0)),
        ("1.24.0.dev0", (1, 24, 0)),
        ("1.22", (1, 22, 0)),
        ("", None),
        ("custom", None),
    ],
)
def test_parse_version(text, parsed):
    assert parse_version(text) == parsed


@pytest.mark.parametrize(
    "version, vector",
    [
        ("1.20.0", False),
        ("1.22.0", False),
        ("1.23.0", True),
        ("1.23.2", True),
        ("1.30.1", True),
        ("", True),  # unreadable: treated as current
    ],
)
def test_vector_labels_by_version(version, vector):
    caps = ServerCapabilities(version)
    assert caps.vector_labels is vector
    assert caps.supports_tag("VectorLabels") is vector
    assert caps.supports_tag("PolygonLabels")


def test_newer_server_gets_one_line_warning():
    assert ServerCapabilities("1.23.2").warning() is None
    assert ServerCapabilities("1.20.0").warning() is None
    warning = ServerCapabilities("1.24.0").warning()
    assert "1.24.0" in warning and "1.23.2" in warning
    assert "\n" not in warning
    assert "older" in ServerCapabilities("1.19.1").warning()


def _config(schema, as_polygons=False):
    return SimpleNamespace(
        label_schema=schema, polylines_as_polygons=as_polygons
    )


def _schema():
    return {
        "lines": {"type": "polylines", "classes": ["wire"]},
        "shapes": {"type": "polygons", "classes": ["roof"]},
        "boxes": {"type": "detections", "classes": ["cat"]},
    }


def test_open_polylines_refused_on_old_server_naming_field_and_fixes():
    config = _config(_schema())
    with pytest.raises(LabelStudioBackendError) as e:
        fit_schema_to_server(config, ServerCapabilities("1.20.0"))
    msg = str(e.value)
    assert "'lines'" in msg and "'shapes'" not in msg
    assert "1.20.0" in msg and ">= 1.23" in msg
    assert "polylines_as_polygons=True" in msg
    assert "Nothing was created" in msg


def test_open_polylines_pass_on_new_server_unchanged():
    config = _config(_schema())
    fit_schema_to_server(config, ServerCapabilities("1.23.2"))
    assert "as_polygons" not in config.label_schema["lines"]
    assert "VectorLabels" in build_label_config(config.label_schema)


@pytest.mark.parametrize("version", ["1.20.0", "1.23.2"])
def test_polylines_as_polygons_marks_the_schema(version):
    config = _config(_schema(), as_polygons=True)
    fit_schema_to_server(config, ServerCapabilities(version))
    lines = config.label_schema["lines"]
    assert lines[pc.AS_POLYGONS] is True
    assert polyline_result_type(lines) == pc.POLYGON
    xml = build_label_config(config.label_schema)
    assert "VectorLabels" not in xml and xml.count("PolygonLabels") == 4


def test_open_lines_sent_as_polygons_come_back_open():
    opened = fol.Polyline(
        label="wire", points=[[[0.1, 0.2], [0.5, 0.5], [0.9, 0.2]]]
    )
    closed = fol.Polyline(
        label="wire", points=[[[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]]]
    )
    closed.closed = True
    labels = fol.Polylines(polylines=[opened, closed])
    results = pc.to_ls_polylines(labels, "lines", 100, 50, pc.POLYGON)
    assert {r["type"] for r in results} == {"polygonlabels"}
    hints = pc.polyline_hints(labels, "polylines", as_polygons=True)
    assert hints.get(closed.id, {}).get("closed") is True
    assert "closed" not in hints.get(opened.id, {})
    # the editor always stores polygons as closed
    for r in results:
        r["value"]["closed"] = True
    drawn = dict(results[0], id="newline001")
    got = pc.from_ls_polylines(
        results + [drawn], pc.POLYGON, "polylines", hints, as_polygons=True
    )
    by_id = {p.id: p for p in got}
    assert by_id[opened.id].closed is False
    assert by_id[opened.id].filled is False
    assert by_id[closed.id].closed is True
    new = [p for p in got if p.id not in (opened.id, closed.id)]
    assert len(new) == 1 and new[0].closed is False


@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=4))
def test_as_polygons_round_trip_keeps_closed(flags):
    lines = [
        fol.Polyline(
            label="wire",
            points=[[[0.1, 0.1], [0.5, 0.2], [0.3, 0.4]]],
            closed=flag,
            filled=False,
        )
        for flag in flags
    ]
    labels = fol.Polylines(polylines=lines)
    results = pc.to_ls_polylines(labels, "p", 10, 10, pc.POLYGON)
    hints = pc.polyline_hints(labels, "polylines", as_polygons=True)
    back = pc.from_ls_polylines(
        results, pc.POLYGON, "polylines", hints, as_polygons=True
    )
    assert [(b.id, b.closed, b.filled) for b in back] == [
        (p.id, p.closed, p.filled) for p in lines
    ]
