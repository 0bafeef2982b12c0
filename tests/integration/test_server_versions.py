"""The oldest supported Label Studio (1.20.0, a real server of its own):
round trips work, open polylines are refused before anything is created
unless sent as polygons, which load back as open polylines.

This is CI's round trip against the oldest server (the session server is
the newest tested release); ``scripts/compat.sh`` runs the whole round
trip and browser tests against every release.
"""

import logging

import fiftyone as fo
import pytest

from fiftyone_labelstudio.backend.errors import LabelStudioBackendError
from fiftyone_labelstudio.client import LabelStudioClient
from test_backend_common import (
    BACKEND,
    add_images,
    annotate_task,
    by_id,
    close,
    creds,
    prediction_results,
    tasks_by_sample,
)


@pytest.fixture(scope="module")
def old_client(oldest_ls_server):
    return LabelStudioClient(oldest_ls_server.url, oldest_ls_server.api_key)


@pytest.fixture
def old_projects_guard(old_client):
    before = {p["id"] for p in old_client.list_projects()}
    yield
    for project in old_client.list_projects():
        if project["id"] not in before:
            old_client.delete_project(project["id"])


def _line():
    return fo.Polyline(
        label="wire",
        points=[[[0.1, 0.9], [0.5, 0.8], [0.9, 0.9]]],
        closed=False,
        filled=False,
    )


def _fields(dataset, sample_images):
    (s0,) = add_images(dataset, sample_images, 1)
    box = fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.3, 0.3])
    ring = fo.Polyline(
        label="wire",
        points=[[[0.2, 0.2], [0.4, 0.2], [0.3, 0.4]]],
        closed=True,
        filled=False,
    )
    s0["boxes"] = fo.Detections(detections=[box])
    s0["lines"] = fo.Polylines(polylines=[_line(), ring])
    s0.save()
    return s0


SCHEMA = {
    "boxes": {"type": "detections", "classes": ["cat", "dog"]},
    "lines": {"type": "polylines", "classes": ["wire"]},
}


def test_version_is_read_once_per_client(oldest_ls_server):
    client = LabelStudioClient(oldest_ls_server.url, oldest_ls_server.api_key)
    calls = []
    json = client._transport.json

    def counting(method, path, *args, **kwargs):
        calls.append(path)
        return json(method, path, *args, **kwargs)

    client._transport.json = counting
    assert client.check()["version"] == "1.20.0"
    assert not client.capabilities.vector_labels
    assert client.capabilities.version == "1.20.0"
    assert calls.count("api/version") == 1


def test_newer_server_warns_in_one_line(ls_server, caplog):
    client = LabelStudioClient(ls_server.url, ls_server.api_key)
    client._version = "1.99.0"  # as if the server were newer
    with caplog.at_level(logging.WARNING):
        client.check()
        client.check()
    lines = [r.getMessage() for r in caplog.records if "1.99.0" in r.message]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "newer than the newest" in lines[0]


def test_open_polylines_refused_before_anything_is_created(
    dataset, sample_images, oldest_ls_server, old_client, old_projects_guard
):
    _fields(dataset, sample_images)
    before = {p["id"] for p in old_client.list_projects()}
    with pytest.raises(LabelStudioBackendError) as e:
        dataset.annotate(
            "old",
            backend=BACKEND,
            label_schema=SCHEMA,
            **creds(oldest_ls_server),
        )
    msg = str(e.value)
    assert "'lines'" in msg and "'boxes'" not in msg
    assert "1.20.0" in msg and ">= 1.23" in msg
    assert "polylines_as_polygons=True" in msg
    assert {p["id"] for p in old_client.list_projects()} == before
    assert "old" not in dataset.list_annotation_runs()


@pytest.mark.parametrize("bulk", [False, True])
def test_round_trip_on_oldest_server_with_lines_as_polygons(
    dataset,
    sample_images,
    oldest_ls_server,
    old_client,
    old_projects_guard,
    bulk,
):
    import fiftyone_labelstudio as fols

    s0 = _fields(dataset, sample_images)
    line, ring = s0.lines.polylines
    box = s0.boxes.detections[0]
    results = dataset.annotate(
        "old",
        backend=BACKEND,
        label_schema=SCHEMA,
        polylines_as_polygons=True,
        **creds(oldest_ls_server),
    )
    project = old_client.get_project(results.project_id)
    assert "VectorLabels" not in project["label_config"]
    assert "PolygonLabels" in project["label_config"]

    task = tasks_by_sample(old_client, results.project_id)[s0.id]
    res = prediction_results(task)
    assert {r["type"] for r in res} == {"rectanglelabels", "polygonlabels"}
    for r in res:  # the editor closes every polygon it saves
        if r["type"] == "polygonlabels":
            r["value"]["closed"] = True
    by_id(res, line.id)["value"]["points"][0] = [12.0, 88.0]
    by_id(res, box.id)["value"]["rectanglelabels"] = ["dog"]
    annotate_task(old_client, task["id"], res)

    # the option is stored with the run and restored on load
    dataset.reload()
    info = dataset.get_annotation_info("old")
    assert info.config.polylines_as_polygons is True
    if bulk:
        fols.load_annotations(dataset, "old", **creds(oldest_ls_server))
    else:
        dataset.load_annotations("old", **creds(oldest_ls_server))
    s0.reload()
    got_line, got_ring = s0.lines.polylines
    assert got_line.id == line.id and got_line.closed is False
    assert close(got_line.points, [[[0.12, 0.88], [0.5, 0.8], [0.9, 0.9]]])
    assert got_ring.id == ring.id and got_ring.closed is True
    assert s0.boxes.detections[0].label == "dog"
    assert s0.boxes.detections[0].id == box.id
    results = dataset.load_annotation_results("old", **creds(oldest_ls_server))
    results.cleanup()


def _polyline_form_params():
    from fiftyone_labelstudio.operators.label_form import field_key

    key = field_key("wires")
    return {
        "new_fields": ["wires"],
        key + "__type": "polylines",
        key + "__classes": ["wire"],
    }


def test_app_form_offers_polylines_as_polygons(
    dataset, sample_images, ls_server
):
    from test_operators_support import resolve

    add_images(dataset, sample_images, 1)
    props, errors = resolve(dataset, "request_annotations", {})
    assert "polylines_as_polygons" not in props
    props, errors = resolve(
        dataset, "request_annotations", _polyline_form_params()
    )
    assert errors == {}
    assert props["polylines_as_polygons"].default is False
    assert "1.23" in props["polylines_as_polygons"].view.description


def test_operator_sends_polylines_as_polygons(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    from test_operators_support import operator

    add_images(dataset, sample_images, 1)
    op = operator("request_annotations")
    op(
        dataset,
        "wires",
        {"wires": {"type": "polylines", "classes": ["wire"]}},
        media_mode="upload",
        polylines_as_polygons=True,
    )
    config = dataset.get_annotation_info("wires").config
    assert config.polylines_as_polygons is True
    project_id = dataset.load_annotation_results(
        "wires", **creds(ls_server)
    ).project_id
    label_config = ls_client.get_project(project_id)["label_config"]
    assert "PolygonLabels" in label_config
    assert "VectorLabels" not in label_config
