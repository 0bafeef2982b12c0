"""Listing the changed tasks after a bulk action, on PostgreSQL.

Standalone (not part of ``scripts/bench.sh``), like ``export_bench.py``:
starts its own Label Studio on a private PostgreSQL cluster, and per size
N imports N tasks (one 10-box annotation and one prediction each), stamps
them all with one instant (``predictions_to_annotations`` on every task,
as the bench's seeding), gives 1% a new annotation, then times (client
wall clock, one run each) what the next incremental load lists:

- ``old_list``: every task updated at or after the bulk stamp minus the
  60 s margin (``GET /api/tasks``, ``fields=task_only``, 5,000 a page),
  the previous load's ``seen`` dropping them client-side
- ``old_list_noresolve``: the same with ``resolve_uri=false``
- ``new_list``: the bulk stamp left out of that listing, and the tasks at
  exactly that stamp whose ids were not read (``backend/incremental.py``)
- ``count_at_stamp``: a ``page_size=1`` listing of the tasks at the stamp
  (its ``total``), what a count-based check would cost
- ``latest``: the newest ``updated_at`` (every incremental load asks it)

and checks that the old and new listings find the same changed tasks.

    python bench/listing_bench.py --sizes 10000 [--out FILE.json]
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile

from export_bench import CONFIG, REPO, _boxes, _timed


def _tasks(n):
    for i in range(n):
        yield {
            "data": {"image": "http://example.invalid/%d.png" % i},
            "annotations": [{"result": _boxes(i)}],
            "predictions": [{"result": _boxes(i), "model_version": "v1"}],
        }


def _list(transport, pid, query, **extra):
    params = {
        "project": pid,
        "fields": "task_only",
        "page_size": 5000,
        "query": json.dumps(query),
        **extra,
    }
    out, page = [], 1
    while True:
        body = transport.json(
            "GET", "api/tasks/", "list", params={**params, "page": page}
        )
        out.extend((t["id"], t["updated_at"]) for t in body["tasks"])
        if not body["tasks"] or len(out) >= body["total"]:
            return out
        page += 1


def bench_size(client, n):
    from fiftyone_labelstudio.backend import incremental
    from fiftyone_labelstudio.client import changes

    pid = client.create_project("listing-bench-%d" % n, CONFIG)["id"]
    t = client._transport
    row = {"n": n}
    try:
        row["import_s"], ids = _timed(
            lambda: client.import_tasks(pid, _tasks(n))
        )
        row["bulk_s"], _ = _timed(
            lambda: t.json(
                "POST",
                "api/dm/actions",
                "convert",
                params={"id": "predictions_to_annotations", "project": pid},
                json={"selectedItems": {"all": True, "excluded": []}},
            )
        )
        row["latest_s"], stamp = _timed(lambda: client.latest_update(pid))
        stamp = incremental.format_stamp(incremental.parse_stamp(stamp))
        seen = {stamp: sorted(ids)}
        changed = ids[::100]
        for tid in changed:
            client.sdk.annotations.create(id=tid, result=_boxes(tid)[:5])
        row["changed"] = len(changed)
        since = incremental.format_stamp(
            incremental.parse_stamp(stamp) - dt.timedelta(seconds=60)
        )
        query = changes._since_query(since)
        row["old_list_s"], listed = _timed(lambda: _list(t, pid, query))
        row["old_listed"] = len(listed)
        read = set(ids)  # every task was read at the bulk stamp
        old = {
            i
            for i, s in listed
            if not (s.rstrip("Z") == stamp.rstrip("Z") and i in read)
        }
        row["old_list_noresolve_s"], _ = _timed(
            lambda: _list(t, pid, query, resolve_uri="false")
        )
        row["count_at_stamp_s"], body = _timed(
            lambda: t.json(
                "GET",
                "api/tasks/",
                "count",
                params={
                    "project": pid,
                    "fields": "task_only",
                    "page_size": 1,
                    "query": json.dumps(
                        {
                            "filters": {
                                "conjunction": "and",
                                "items": [changes._stamp_item("equal", stamp)],
                            }
                        }
                    ),
                },
            )
        )
        row["count_at_stamp"] = body["total"]

        class Results:
            project_id = pid
            task_map = {i: "s%d" % i for i in ids}

        row["new_list_s"], (new, num_listed) = _timed(
            lambda: incremental._changed_run_tasks(
                client, Results, since, seen
            )
        )
        row["new_listed"] = num_listed
        assert set(new) == old == set(changed), (len(new), len(old))
    finally:
        client.delete_project(pid)
    return {
        k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    from fiftyone_labelstudio.client import LabelStudioClient

    script = os.path.join(REPO, "scripts", "ls_server.py")
    data_dir = tempfile.mkdtemp(prefix="fols-listing-bench-")
    out = subprocess.run(
        [sys.executable, script, "start", "--db", "postgresql"]
        + ["--data-dir", data_dir, "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(out.stdout.strip().splitlines()[-1])
    rows = []
    try:
        client = LabelStudioClient(info["url"], info["token"], timeout=3600)
        for n in [int(s) for s in args.sizes.split(",")]:
            row = bench_size(client, n)
            print(json.dumps(row), flush=True)
            rows.append(row)
    finally:
        subprocess.run(
            [sys.executable, script, "stop", "--data-dir", data_dir]
        )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
