"""Sync export vs export snapshot vs changed-task reads, on PostgreSQL.

Standalone (not part of ``scripts/bench.sh``): starts its own Label
Studio on a private PostgreSQL cluster (``scripts/ls_server.py --db
postgresql``), and per size N imports N tasks each with one 10-box
annotation, then times (client wall clock, one run each):

- ``sync``: ``GET /export?download_all_tasks=true`` (one request)
- ``snapshot``: create + wait + download + delete an export snapshot
- ``changed_list``: ids of the 1% of tasks edited since a position
  (``GET /api/tasks`` with the Data Manager ``updated_at`` filter)
- ``changed_sync``: those tasks through the sync export (``ids[]``)
- ``changed_snapshot``: those tasks through a snapshot filtered by a view

    python bench/export_bench.py --sizes 10000,50000 [--out FILE.json]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CONFIG = (
    '<View><Image name="image" value="$image"/>'
    '<RectangleLabels name="gt" toName="image">'
    '<Label value="cat"/><Label value="dog"/></RectangleLabels></View>'
)


def _boxes(i):
    return [
        {
            "id": "b%d_%d" % (i, k),
            "from_name": "gt",
            "to_name": "image",
            "type": "rectanglelabels",
            "original_width": 640,
            "original_height": 480,
            "image_rotation": 0,
            "value": {
                "x": 5.0 * k,
                "y": 4.0 * k,
                "width": 10.0,
                "height": 12.5,
                "rotation": 0,
                "rectanglelabels": ["cat" if k % 2 else "dog"],
            },
        }
        for k in range(10)
    ]


def _tasks(n):
    for i in range(n):
        yield {
            "data": {"image": "http://example.invalid/%d.png" % i},
            "annotations": [{"result": _boxes(i)}],
        }


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def bench_size(client, n):
    pid = client.create_project("export-bench-%d" % n, CONFIG)["id"]
    row = {"n": n}
    try:
        row["import_s"], ids = _timed(
            lambda: client.import_tasks(pid, _tasks(n))
        )
        t = client._transport
        row["sync_s"], text = _timed(
            lambda: t.text(
                "GET",
                "api/projects/%d/export" % pid,
                "export",
                params={"exportType": "JSON", "download_all_tasks": "true"},
            )
        )
        row["export_mb"] = round(len(text) / 1e6, 1)
        del text
        row["snapshot_s"], count = _timed(
            lambda: sum(1 for _ in client.snapshot_tasks(pid))
        )
        assert count == n, count
        position = client.latest_update(pid)
        changed = ids[::100]
        for tid in changed:
            client.sdk.annotations.create(id=tid, result=_boxes(tid)[:5])
        row["changed"] = len(changed)
        row["changed_list_s"], found = _timed(
            lambda: [i for i, _ in client.changed_tasks(pid, position)]
        )
        assert set(changed) <= set(found), (len(changed), len(found))
        row["changed_sync_s"], got = _timed(
            lambda: list(
                client.export_tasks(pid, found, predictions=False, stream=True)
            )
        )
        assert len(got) == len(found)
        row["changed_snapshot_s"], got = _timed(
            lambda: list(client.snapshot_tasks(pid, position))
        )
        assert len(got) == len(found)
    finally:
        t0 = time.perf_counter()
        client.delete_project(pid)
        row["delete_s"] = time.perf_counter() - t0
    return {
        k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--out", default=None)
    parser.add_argument("--url", default=None)
    parser.add_argument("--token", default=None)
    args = parser.parse_args()
    from fiftyone_labelstudio.client import LabelStudioClient

    data_dir = None
    if args.url:
        url, token = args.url, args.token
    else:
        data_dir = tempfile.mkdtemp(prefix="fols-export-bench-")
        out = subprocess.run(
            [
                sys.executable,
                os.path.join(REPO, "scripts", "ls_server.py"),
                "start",
                "--db",
                "postgresql",
                "--data-dir",
                data_dir,
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        info = json.loads(out.stdout.strip().splitlines()[-1])
        url, token = info["url"], info["token"]
    rows = []
    try:
        client = LabelStudioClient(url, token, timeout=3600)
        for n in [int(s) for s in args.sizes.split(",")]:
            row = bench_size(client, n)
            print(json.dumps(row), flush=True)
            rows.append(row)
    finally:
        if data_dir:
            subprocess.run(
                [
                    sys.executable,
                    os.path.join(REPO, "scripts", "ls_server.py"),
                    "stop",
                    "--data-dir",
                    data_dir,
                ]
            )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
