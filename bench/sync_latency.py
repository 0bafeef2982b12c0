"""Live-sync latency: from an annotation's submit to its labels in FiftyOne.

Starts a fresh Label Studio (``scripts/ls_server.py``) and a private
mongod (``scripts/mongo_server.py``), sends N images x 10 boxes (local
files), runs ``fiftyone_labelstudio.sync(every=...)`` in a thread, then
submits annotations one at a time through Label Studio's API (one box
kept of ten) at random moments, once ``--settle`` seconds passed after
the tasks were created, and polls the sample in MongoDB every 10 ms
until its labels changed. Prints one JSON line.

    python bench/sync_latency.py --n 300 --n 5000 --every 1 --submits 8
"""

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)


def _script(name):
    path = os.path.join(REPO, "scripts", name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _start_servers(tmp):
    mongo = _script("mongo_server").start(
        os.path.join(tmp, "db"), die_with_parent=True
    )
    os.environ["FIFTYONE_DATABASE_URI"] = mongo["uri"]
    os.environ["FIFTYONE_DATABASE_VALIDATION"] = "false"
    os.environ["FIFTYONE_DO_NOT_TRACK"] = "true"
    os.environ["FIFTYONE_LABELSTUDIO_CONFIG_CLS"] = (
        "fiftyone_labelstudio.backend.LabelStudioBackendConfig"
    )
    out = subprocess.run(
        [
            sys.executable,
            os.path.join(REPO, "scripts", "ls_server.py"),
            "start",
            "--data-dir",
            os.path.join(tmp, "ls"),
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _measure(n, every, submits, ls, settle):
    sys.path.insert(0, BENCH)
    import dataset_gen
    import harness

    import fiftyone_labelstudio as fols
    from fiftyone_labelstudio.client import LabelStudioClient

    creds = {"url": ls["url"], "api_key": ls["token"]}
    images = os.path.join(ls["files_root"], "bench-images")
    dataset_gen.ensure_images(images, n)
    dataset = dataset_gen.build_dataset(n, images)
    key = "sync%d" % n
    t = time.perf_counter()
    results = fols.annotate(
        dataset,
        key,
        label_field=harness.LABEL_FIELD,
        media_mode="local",
        **creds,
    )
    annotate_s = time.perf_counter() - t
    client = LabelStudioClient(ls["url"], ls["token"])
    tasks = {t: s for t, s in results.task_map.items()}
    rounds = []
    runner = threading.Thread(
        target=fols.sync,
        args=(dataset, key),
        kwargs=dict(every=every, until=3600, on_round=rounds.append, **creds),
        daemon=True,
    )
    runner.start()
    # tasks changed within incremental.MARGIN (60 s) of the position are
    # read again by every round: annotations come long after the tasks
    # were created, so measure once the new tasks are out of that window
    ready = time.perf_counter() + settle
    while not rounds or time.perf_counter() < ready:
        time.sleep(0.05)
    settled = len(rounds)
    collection = dataset._sample_collection
    field = harness.LABEL_FIELD
    rng = random.Random(0)
    latencies = []
    for task_id in rng.sample(sorted(tasks), submits):
        from bson import ObjectId

        time.sleep(rng.uniform(0, every))
        (task,) = client.export_tasks(
            results.project_id, ids=[task_id], predictions=True
        )
        (pred,) = [
            p for p in task["predictions"] if p["model_version"] == "fiftyone"
        ]
        result = [r for r in pred["result"] if r["type"] == "rectanglelabels"]
        oid = ObjectId(tasks[task_id])
        client.sdk.annotations.create(id=task_id, result=result[:1])
        submitted = time.perf_counter()
        while True:
            doc = collection.find_one({"_id": oid}, {field: 1})
            if len(doc[field]["detections"]) == 1:
                break
            time.sleep(0.01)
        latencies.append(time.perf_counter() - submitted)
    fols.stop_sync(dataset, key)
    runner.join(120)
    later = [r["seconds"] for r in rounds[settled:]]
    read = [r["tasks_read"] for r in rounds[settled:]]
    return {
        "n": n,
        "every_s": every,
        "annotate_s": round(annotate_s, 2),
        "first_round_s (full read)": rounds[0]["seconds"],
        "incremental_round_s_median": round(statistics.median(later), 3),
        "incremental_tasks_read_max": max(read),
        "latency_s": [round(x, 2) for x in latencies],
        "latency_s_median": round(statistics.median(latencies), 2),
        "latency_s_max": round(max(latencies), 2),
        "rounds": len(rounds),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append")
    parser.add_argument("--every", type=float, default=1.0)
    parser.add_argument("--submits", type=int, default=8)
    parser.add_argument("--settle", type=float, default=65.0)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="fols-sync-bench-")
    ls = _start_servers(tmp)
    try:
        for n in args.n or [300]:
            print(
                json.dumps(
                    _measure(n, args.every, args.submits, ls, args.settle)
                )
            )
            sys.stdout.flush()
    finally:
        subprocess.run(
            [
                sys.executable,
                os.path.join(REPO, "scripts", "ls_server.py"),
                "stop",
                "--data-dir",
                os.path.join(tmp, "ls"),
            ],
            check=False,
        )
        _script("mongo_server").stop(os.path.join(tmp, "db"))


if __name__ == "__main__":
    main()
