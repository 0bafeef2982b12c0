"""The core round trip on Label Studio backed by PostgreSQL.

A second Label Studio server on a private PostgreSQL cluster
(``scripts/ls_server.py --db postgresql``, a copy of a pre-migrated
cluster: ~10 s to start) runs the same annotate -> annotate in Label
Studio -> load round trip as on SQLite, through both load entry points,
and the rows are checked in PostgreSQL itself. The whole suite runs on
PostgreSQL with ``FIFTYONE_LABELSTUDIO_TEST_DB=postgresql``.
"""

import os
import subprocess
import sys

import fiftyone as fo
import pytest

from test_backend_common import (
    BACKEND,
    add_images,
    annotate_task,
    by_id,
    close,
    image_size,
    load_with,
    new_region,
    prediction_results,
    snapshot,
    tasks_by_sample,
)

_REPO = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)


@pytest.fixture
def pg_client(pg_ls):
    from fiftyone_labelstudio.client import LabelStudioClient

    client = LabelStudioClient(pg_ls.url, pg_ls.api_key)
    before = {p["id"] for p in client.list_projects()}
    yield client
    for project in client.list_projects():
        if project["id"] not in before:
            client.delete_project(project["id"])


def _pg_rows(pg_ls, sql):
    """Rows straight from the server's PostgreSQL (through its socket)."""
    code = (
        "import sys, json; sys.path.insert(0, %r); import pg_server;"
        "d = json.load(open(%r))['dir'];"
        "info = json.load(open(d + '/cluster.json'));"
        "print(pg_server.psql(d, info['port'], %r, db='labelstudio'))"
        % (
            os.path.join(_REPO, "scripts"),
            os.path.join(pg_ls.info["data_dir"], "pg.json"),
            sql,
        )
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_roundtrip_on_postgresql(
    dataset, sample_images, pg_ls, pg_client, load_with
):
    s0, s1, s2 = add_images(dataset, sample_images, 3)
    a = fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.3])
    b = fo.Detection(label="dog", bounding_box=[0.5, 0.5, 0.2, 0.2])
    s0["gt"] = fo.Detections(detections=[a, b])
    s0.save()
    untouched = fo.Detections(
        detections=[fo.Detection(label="dog", bounding_box=[0, 0, 0.5, 0.5])]
    )
    s2["gt"] = untouched
    s2.save()

    results = dataset.annotate(
        "pg",
        backend=BACKEND,
        url=pg_ls.url,
        api_key=pg_ls.api_key,
        label_field="gt",
        classes=["cat", "dog"],
    )
    project_id = results.project_id
    # the project and its tasks are rows of PostgreSQL
    assert _pg_rows(
        pg_ls, "SELECT count(*) FROM task WHERE project_id = %d" % project_id
    ) == ["3"]

    tasks = tasks_by_sample(pg_client, project_id)
    res = prediction_results(tasks[s0.id])
    by_id(res, a.id)["value"].update(x=50.0, y=40.0)
    res = [r for r in res if r["id"] != b.id]
    w, h = image_size(s1)
    new = new_region(
        "pgnewbox01",
        "gt",
        "rectanglelabels",
        {
            "x": 10,
            "y": 20,
            "width": 30,
            "height": 40,
            "rotation": 0,
            "rectanglelabels": ["cat"],
        },
        w,
        h,
    )
    annotate_task(pg_client, tasks[s0.id]["id"], res)
    annotate_task(pg_client, tasks[s1.id]["id"], [new])

    load_with(dataset, "pg", url=pg_ls.url, api_key=pg_ls.api_key)
    s0.reload()
    s1.reload()
    s2.reload()
    dets = s0["gt"].detections
    assert [d.id for d in dets] == [a.id]
    assert close(dets[0].bounding_box, [0.5, 0.4, 0.2, 0.3])
    (made,) = s1["gt"].detections
    assert made.label == "cat"
    assert close(made.bounding_box, [0.1, 0.2, 0.3, 0.4])
    assert s2["gt"].to_dict() == untouched.to_dict()

    first = snapshot(dataset, ["gt"])
    load_with(dataset, "pg", url=pg_ls.url, api_key=pg_ls.api_key)
    assert snapshot(dataset, ["gt"]) == first

    dataset.load_annotation_results(
        "pg", url=pg_ls.url, api_key=pg_ls.api_key
    ).cleanup()
    assert _pg_rows(
        pg_ls, "SELECT count(*) FROM project WHERE id = %d" % project_id
    ) == ["0"]
