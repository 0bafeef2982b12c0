"""The floors: the least work any client must do for the same result.

annotate floor: build the same tasks JSON our backend sends (task data
with the media URL and ``data.fiftyone.sample_id``, one inline prediction
of 10 rectangles per task), then time only the raw requests Label Studio
needs: create the project, connect a Local Files storage (local mode) or
upload the files in multipart batches of 100 (upload mode), and ONE import
request of the serialized JSON.

load floor: time one raw sync export of all tasks, ``json.loads`` of it,
and FiftyOne's own bulk write of the same labels
(``set_values(..., key_field="id")``); building the label objects from
the export is not timed. Above ``SINGLE_EXPORT_MAX_TASKS`` tasks the
export is read in pages of ``PAGE_IDS`` task ids (the paged floor: one
request of the whole project runs far past Label Studio's timeouts).
"""

import json
import os

from harness import IMAGE_HEIGHT, IMAGE_WIDTH, LABEL_FIELD, Timer
from ls_raw import RawLS, detection_label_config

FLOOR_VERSION = "fiftyone"


def box_result(label_id: str, label: str, box: list) -> dict:
    x, y, w, h = box
    return {
        "id": label_id,
        "from_name": LABEL_FIELD,
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": IMAGE_WIDTH,
        "original_height": IMAGE_HEIGHT,
        "image_rotation": 0,
        "value": {
            "x": 100.0 * x,
            "y": 100.0 * y,
            "width": 100.0 * w,
            "height": 100.0 * h,
            "rotation": 0,
            "rectanglelabels": [label],
        },
    }


def build_tasks(sample_ids, paths, detections, urls) -> list:
    """Tasks from raw label dicts (``values(..., _raw=True)``)."""
    tasks = []
    for sample_id, path, dets, url in zip(sample_ids, paths, detections, urls):
        result = [
            box_result(str(d["_id"]), d["label"], d["bounding_box"])
            for d in (dets or {}).get("detections") or []
        ]
        tasks.append(
            {
                "data": {
                    "image": url,
                    "fiftyone": {"sample_id": sample_id, "media": path},
                },
                "predictions": [
                    {"model_version": FLOOR_VERSION, "result": result}
                ],
            }
        )
    return tasks


# Tasks per import request (one request up to 50k tasks)
IMPORT_MAX_TASKS = 50000


def annotate_floor(dataset, mode: str, files_root: str) -> dict:
    """Runs the annotate floor on ``dataset``; deletes its project.

    Also times (outside the floor) what a client needs before the
    requests: reading the labels raw from MongoDB and building the JSON."""
    timer = Timer()
    with timer.section("read_labels"):
        sample_ids, paths, detections = dataset.values(
            ["id", "filepath", LABEL_FIELD], _raw=True
        )
        sample_ids = [str(i) for i in sample_ids]
    ls = RawLS()
    project_id = None
    try:
        with timer.section("create_project"):
            project_id = ls.create_project(
                "bench floor %s" % mode, detection_label_config()
            )
        if mode == "local":
            with timer.section("media"):
                ls.create_local_storage(
                    project_id, os.path.dirname(os.path.abspath(paths[0]))
                )
            urls = [
                "/data/local-files/?d="
                + os.path.relpath(os.path.abspath(p), files_root)
                for p in paths
            ]
        else:
            with timer.section("media"):
                urls = ls.upload_files(project_id, paths)
        with timer.section("build_json"):
            tasks = build_tasks(sample_ids, paths, detections, urls)
            # Label Studio refuses bodies above 250 MB
            # (DATA_UPLOAD_MAX_MEMORY_SIZE): ~100k tasks of 10 boxes
            bodies = [
                json.dumps(tasks[i : i + IMPORT_MAX_TASKS]).encode()
                for i in range(0, len(tasks), IMPORT_MAX_TASKS)
            ]
            del tasks
        with timer.section("import"):
            task_ids = []
            for body in bodies:
                task_ids += ls.import_body(project_id, body)
        assert len(task_ids) == len(sample_ids), "floor import lost tasks"
    finally:
        if project_id is not None:
            ls.delete_project(project_id)
        ls.close()
    s = timer.sections
    requests = s["create_project"] + s["media"] + s["import"]
    return {
        "seconds": requests,
        "with_read_build_seconds": requests
        + s["read_labels"]
        + s["build_json"],
        "import_seconds": s["import"],
        "sections": {k: round(v, 4) for k, v in s.items()},
        "body_mb": round(sum(len(b) for b in bodies) / 2**20, 2),
        "import_requests": len(bodies),
    }


def _labels_from_export(tasks: list) -> dict:
    """{sample id: Detections} from the latest annotation of each task."""
    import fiftyone as fo

    labels = {}
    for task in tasks:
        annotations = [
            a for a in task.get("annotations", []) if not a["was_cancelled"]
        ]
        if not annotations:
            continue
        latest = max(annotations, key=lambda a: a["updated_at"])
        dets = []
        for r in latest["result"]:
            if r.get("type") != "rectanglelabels":
                continue
            v = r["value"]
            kwargs = {}
            if len(r["id"]) == 24:
                kwargs["_id"] = fo.core.labels.ObjectId(r["id"])
            dets.append(
                fo.Detection(
                    label=v["rectanglelabels"][0],
                    bounding_box=[
                        v["x"] / 100.0,
                        v["y"] / 100.0,
                        v["width"] / 100.0,
                        v["height"] / 100.0,
                    ],
                    **kwargs,
                )
            )
        labels[task["data"]["fiftyone"]["sample_id"]] = fo.Detections(
            detections=dets
        )
    return labels


# Above this many tasks the load floor reads the export in pages of
# PAGE_IDS task ids (the single request of 50k tasks ran 858 s and 3.9 GB
# here, far past Label Studio's own request timeouts)
SINGLE_EXPORT_MAX_TASKS = 50000
PAGE_IDS = 500


def load_floor(
    dataset, project_id: int, field: str, task_ids: list | None = None
) -> dict:
    """Runs the load floor against ``project_id`` (tasks made by our
    backend), writing into ``field`` of ``dataset``.

    With ``task_ids`` (the run's tasks, known to the client from its
    annotate call) the export is read ``PAGE_IDS`` ids a request: the
    paged floor, for projects too large for one request."""
    ls = RawLS()
    timer = Timer()
    labels, export_bytes, requests = {}, 0, 0
    try:
        pages = (
            [None]
            if task_ids is None
            else [
                task_ids[i : i + PAGE_IDS]
                for i in range(0, len(task_ids), PAGE_IDS)
            ]
        )
        for ids in pages:
            with timer.section("export"):
                raw = ls.export_raw(project_id, ids)
            with timer.section("parse"):
                tasks = json.loads(raw)
            export_bytes += len(raw)
            requests += 1
            del raw
            # building the label objects is not timed
            labels.update(_labels_from_export(tasks))
            del tasks
    finally:
        ls.close()
    # the same labels written by our bulk write (serialization included),
    # then by set_values: the field must end up identical
    with timer.section("bulk_write"):
        _bulk_write(dataset, field, labels)
    written = _field_docs(dataset, field)
    with timer.section("set_values"):
        dataset.set_values(field, labels, key_field="id")
    s = timer.sections
    return {
        "seconds": s["export"] + s["parse"] + s["set_values"],
        "bulk_write_seconds": s["bulk_write"],
        "set_values_seconds": s["set_values"],
        "bulk_write_identical": written == _field_docs(dataset, field),
        "sections": {k: round(v, 4) for k, v in s.items()},
        "export_mb": round(export_bytes / 2**20, 2),
        "export_requests": requests,
        "paged": task_ids is not None,
        "labels": sum(len(d.detections) for d in labels.values()),
    }


def _bulk_write(dataset, field: str, labels: dict) -> None:
    """fiftyone_labelstudio's raw bulk write of ``{sample id: label}``."""
    from bson import ObjectId

    from fiftyone_labelstudio.backend.bulk_merge import write_field_docs

    docs = {ObjectId(k): dict(v.to_mongo()) for k, v in labels.items()}
    write_field_docs(dataset, field, docs)


def _field_docs(dataset, field: str) -> list:
    coll = dataset._sample_collection
    return list(coll.find({}, {field: 1}).sort("_id", 1))
