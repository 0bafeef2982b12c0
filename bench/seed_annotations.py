"""Gives every task of a project a human-like annotation, in bulk.

Label Studio Community has no bulk annotation endpoint (one
``POST /api/tasks/<id>/annotations`` costs 44-94 ms). This uses three bulk
requests per batch instead:

1. ``GET /api/predictions/?project=<id>``: the boxes annotate() sent;
2. ``POST /api/projects/<id>/import/predictions``: edited copies as
   predictions of model version ``bench-human`` (per task: 7 boxes moved,
   1 relabeled, 2 deleted, 2 new boxes with new 10-char ids: 10 boxes);
3. data-manager action ``predictions_to_annotations`` for that version
   (server-side ``bulk_create`` of the annotations), then
   ``DELETE /api/projects/<id>/model-versions/`` removes the helper
   predictions so only annotate()'s own prediction stays.

Works on projects of both backends (it only edits their results).
"""

import random
import string
import time

from harness import CLASSES
from ls_raw import RawLS

HUMAN_VERSION = "bench-human"
BATCH = 5000


def _new_id(rng) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=10))


def edit_results(results: list, rng: random.Random) -> list:
    """The annotation a person would leave starting from ``results``."""
    boxes = [r for r in results if r.get("type") == "rectanglelabels"]
    if not boxes:
        return []
    kept = boxes[:-2] if len(boxes) > 2 else boxes
    edited = []
    for k, r in enumerate(kept):
        value = dict(r["value"])
        if k == 0:
            label = value["rectanglelabels"][0]
            value["rectanglelabels"] = [
                rng.choice([c for c in CLASSES if c != label])
            ]
        else:
            value["x"] = min(max(value["x"] + rng.uniform(-2, 2), 0), 80)
            value["y"] = min(max(value["y"] + rng.uniform(-2, 2), 0), 80)
        edited.append({**r, "value": value, "origin": "manual"})
    template = boxes[0]
    for _ in range(2):
        edited.append(
            {
                **{k: v for k, v in template.items() if k != "id"},
                "id": _new_id(rng),
                "origin": "manual",
                "value": {
                    "x": rng.uniform(0, 70),
                    "y": rng.uniform(0, 70),
                    "width": rng.uniform(5, 25),
                    "height": rng.uniform(5, 25),
                    "rotation": 0,
                    "rectanglelabels": [rng.choice(CLASSES)],
                },
            }
        )
    return edited


def seed(project_id: int, ls: RawLS | None = None, seed: int = 0) -> dict:
    """Annotates every task that has a prediction; returns counts and
    seconds."""
    ls = ls or RawLS()
    rng = random.Random(seed)
    start = time.perf_counter()
    predictions = ls.predictions(project_id)
    human = [
        {
            "task": p["task"],
            "model_version": HUMAN_VERSION,
            "result": edit_results(p["result"], rng),
        }
        for p in predictions
        if p.get("model_version") != HUMAN_VERSION
    ]
    for i in range(0, len(human), BATCH):
        ls.import_predictions(project_id, human[i : i + BATCH])
    ls.predictions_to_annotations(project_id, HUMAN_VERSION)
    ls.delete_model_version(project_id, HUMAN_VERSION)
    project = ls.project(project_id)
    return {
        "tasks": project["task_number"],
        "annotations": project["total_annotations_number"],
        "seconds": round(time.perf_counter() - start, 3),
    }


def change(project_id: int, fraction: float, seed: int = 1) -> dict:
    """A new annotation on ``fraction`` of the tasks (spread over the
    project), as people annotating between two loads: the tasks'
    ``updated_at`` moves (``predictions_to_annotations`` sets it)."""
    ls = RawLS()
    rng = random.Random(seed)
    start = time.perf_counter()
    predictions = [
        p
        for p in ls.predictions(project_id)
        if p.get("model_version") != HUMAN_VERSION
    ]
    step = max(1, int(round(1 / fraction)))
    chosen = predictions[seed % step :: step]
    version = "%s-change-%d" % (HUMAN_VERSION, seed)
    human = [
        {
            "task": p["task"],
            "model_version": version,
            "result": edit_results(p["result"], rng),
        }
        for p in chosen
    ]
    for i in range(0, len(human), BATCH):
        ls.import_predictions(project_id, human[i : i + BATCH])
    ls.post(
        "/api/dm/actions",
        params={"id": "predictions_to_annotations", "project": project_id},
        json={
            "selectedItems": {
                "all": False,
                "included": [p["task"] for p in chosen],
            },
            "model_version": version,
        },
    )
    ls.delete_model_version(project_id, version)
    ls.close()
    return {
        "tasks_changed": len(chosen),
        "seconds": round(time.perf_counter() - start, 3),
    }
