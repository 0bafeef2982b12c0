"""What loading a run's results record costs in memory (issue 14).

    FIFTYONE_DATABASE_URI=... python bench/record_memory.py 10000 100000
    ... python bench/record_memory.py --random-ids 100000

For each N: a persistent dataset ``record-mem-<N>`` of N samples with 10
Detections each (no media: only the record matters), and a run of this
plugin whose results record has the real shape of an annotated run
(``id_map`` of every uploaded label id, ``task_map`` of N tasks; ``--random-ids``: random
12-byte label ids instead, the worst case for the packed record's
compression), written
by the package on ``PYTHONPATH`` (so old and new code each write their own
format). Then a FRESH child process measures its high-water mark
(``VmHWM``) after importing FiftyOne, after
``dataset.load_annotation_results(key)``, after touching the ``id_map`` as
a batched load does (narrowed to 20 batches of N/20 samples, each batch's
uploaded ids read, widened back) and after saving the record. Prints one
JSON line per N, and the record's JSON size.
"""

import json
import os
import subprocess
import sys

KEY = "record_mem"
FIELD = "ground_truth"
BOXES = 10
BATCHES = 20


def dataset_name(n: int) -> str:
    return "record-mem-%d" % n


def vm_hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def build(n: int):
    """The dataset (reused when it exists) and its ``{sample id: [label
    ids]}``."""
    import fiftyone as fo
    from bson import ObjectId

    name = dataset_name(n)
    if fo.dataset_exists(name):
        dataset = fo.load_dataset(name)
        ids, labels = dataset.values(["id", FIELD + ".detections.id"])
        return dataset, dict(zip(ids, labels))
    dataset = fo.Dataset(name, persistent=True)
    box = [0.1, 0.1, 0.2, 0.2]
    dataset.add_sample(
        fo.Sample(
            filepath="/nonexistent/0.jpg",
            **{
                FIELD: fo.Detections(
                    detections=[
                        fo.Detection(label="cat", bounding_box=box)
                        for _ in range(BOXES)
                    ]
                )
            },
        )
    )
    collection = dataset._sample_collection
    template = collection.find_one()
    det = template[FIELD]["detections"][0]
    docs = []
    for i in range(1, n):
        doc = dict(
            template, _id=ObjectId(), filepath="/nonexistent/%d.jpg" % i
        )
        doc[FIELD] = {
            "_cls": "Detections",
            "detections": [dict(det, _id=ObjectId()) for _ in range(BOXES)],
        }
        docs.append(doc)
        if len(docs) >= 5000:
            collection.insert_many(docs, ordered=False)
            docs = []
    if docs:
        collection.insert_many(docs, ordered=False)
    dataset.reload()
    ids, labels = dataset.values(["id", FIELD + ".detections.id"])
    return dataset, dict(zip(ids, labels))


def write_record(n: int, random_ids: bool = False) -> int:
    """Registers the run and saves its record with the package's own
    save; returns the record's JSON size in bytes."""
    import fiftyone.utils.annotations as foua
    from fiftyone_labelstudio.backend import (
        LabelStudioAnnotationResults,
        LabelStudioBackendConfig,
    )

    dataset, labels = build(n)
    if random_ids:
        labels = {
            s: [os.urandom(12).hex() for _ in ids] for s, ids in labels.items()
        }
    if KEY in dataset.list_annotation_runs():
        dataset.delete_annotation_run(KEY)
    schema = {
        FIELD: {
            "type": "detections",
            "classes": ["cat"],
            "attributes": {},
            "existing_field": True,
        }
    }
    config = LabelStudioBackendConfig(
        "labelstudio", schema, url="http://127.0.0.1:9", api_key="unused"
    )
    backend = config.build()
    # the run document only (the backend's register_run checks the server)
    foua.AnnotationBackend.register_run(backend, dataset, KEY)
    id_map = {FIELD: labels}
    task_map = {1000 + i: s for i, s in enumerate(labels)}
    results = LabelStudioAnnotationResults(
        dataset,
        config,
        KEY,
        id_map,
        project_id=1,
        task_map=task_map,
        backend=backend,
    )
    backend.save_run_results(dataset, KEY, results)
    run_doc = dataset._doc.annotation_runs[KEY]
    run_doc.results.seek(0)
    return len(run_doc.results.read())


def measure(n: int) -> dict:
    """In a fresh process: high-water marks around loading the record."""
    out = {"n": n}
    import fiftyone as fo

    dataset = fo.load_dataset(dataset_name(n))
    out["after_import_mb"] = vm_hwm_mb()
    results = dataset.load_annotation_results(KEY)
    out["after_load_results_mb"] = vm_hwm_mb()
    sample_ids = list(results.task_map.values())
    step = max(1, len(sample_ids) // BATCHES)
    uploaded = 0
    for start in range(0, len(sample_ids), step):
        results.narrow_id_map(set(sample_ids[start : start + step]))
        for sample_id, ids in results.id_map[FIELD].items():
            uploaded += len(ids) if isinstance(ids, list) else 1
        results.restore_id_map()
    out["uploaded_ids"] = uploaded
    out["after_batches_mb"] = vm_hwm_mb()
    results.backend.save_run_results(dataset, KEY, results)
    out["after_save_mb"] = vm_hwm_mb()
    return out


def main(argv: list) -> int:
    if argv and argv[0] == "--child":
        print("RECORD_MEMORY " + json.dumps(measure(int(argv[1]))))
        return 0
    random_ids = "--random-ids" in argv
    argv = [a for a in argv if a != "--random-ids"]
    for n in [int(a) for a in argv] or [10000, 100000]:
        size = write_record(n, random_ids)
        child = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--child", str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
        line = [
            x for x in child.stdout.splitlines() if x.startswith("RECORD_")
        ][-1]
        result = json.loads(line.split(" ", 1)[1])
        result["record_json_mb"] = round(size / 2**20, 2)
        result["random_ids"] = random_ids
        result["load_results_delta_mb"] = round(
            result["after_load_results_mb"] - result["after_import_mb"], 1
        )
        result["whole_delta_mb"] = round(
            result["after_save_mb"] - result["after_import_mb"], 1
        )
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
