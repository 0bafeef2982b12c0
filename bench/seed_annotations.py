"""Gives every task of a project a human-like annotation, in bulk.

Label Studio Community has no bulk annotation endpoint (one
``POST /api/tasks/<id>/annotations`` costs 44-94 ms). This reads the
predictions annotate() sent (``GET /api/predictions/?project=<id>``), then
per round of ``BATCH`` tasks makes three bulk requests:

1. ``POST /api/projects/<id>/import/predictions``: edited copies as
   predictions of the round's model version ``bench-human-<k>`` (per
   task: 7 boxes moved, 1 relabeled, 2 deleted, 2 new boxes with new
   10-char ids: 10 boxes);
2. data-manager action ``predictions_to_annotations`` for that version and
   the round's task ids (server-side ``bulk_create`` of the annotations);
3. ``DELETE /api/projects/<id>/model-versions/`` of that version, so only
   annotate()'s own prediction stays (``BENCH_SEED_KEEP_HELPERS=1`` skips
   it: two thirds of the time on PostgreSQL, at the cost of one extra
   prediction id per task in exports).

Rounds keep every request short: one action over 100k tasks ran past the
client's timeout. Works on projects of both backends (it only edits their
results).
"""

import os
import random
import string
import sys
import time

from harness import CLASSES
from ls_raw import RawLS

HUMAN_VERSION = "bench-human"
# Tasks per round of import -> convert -> delete. Each request of a round
# stays short (per 1,000 tasks on PostgreSQL: ~3.5 s import, ~3.5 s
# convert, ~13-15 s delete); one action over 100k tasks ran past any
# client timeout.
BATCH = 1000


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


def _is_helper(prediction: dict) -> bool:
    return str(prediction.get("model_version") or "").startswith(HUMAN_VERSION)


def _originals(ls: RawLS, project_id: int) -> list:
    """annotate()'s predictions, by task: the listing comes in table
    order (PostgreSQL reuses the space of deleted helpers), and which task
    gets which random edit must not depend on it."""
    predictions = [p for p in ls.predictions(project_id) if not _is_helper(p)]
    predictions.sort(key=lambda p: (p["task"], p["id"]))
    return predictions


def _convert(ls: RawLS, project_id: int, human: list, version: str) -> None:
    """Imports ``human`` (predictions of ``version``), turns them into
    annotations of their tasks only, and deletes them unless
    ``BENCH_SEED_KEEP_HELPERS`` is set."""
    ls.import_predictions(project_id, human)
    ls.post(
        "/api/dm/actions",
        params={"id": "predictions_to_annotations", "project": project_id},
        json={
            "selectedItems": {
                "all": False,
                "included": sorted({h["task"] for h in human}),
            },
            "model_version": version,
        },
    )
    if not os.environ.get("BENCH_SEED_KEEP_HELPERS"):
        # ~13 ms a prediction on PostgreSQL: Label Studio's pre_delete
        # signal saves the task and the project summary twice, per row
        ls.delete_model_version(project_id, version)


def _rounds(ls, project_id, predictions, rng, version, start) -> None:
    """Converts ``predictions``' edited copies, BATCH tasks a round, each
    round under its own model version (its delete touches only its own
    rows); prints a line per round."""
    total = len(predictions)
    for k, i in enumerate(range(0, total, BATCH)):
        batch_version = "%s-%d" % (version, k)
        human = [
            {
                "task": p["task"],
                "model_version": batch_version,
                "result": edit_results(p["result"], rng),
            }
            for p in predictions[i : i + BATCH]
        ]
        _convert(ls, project_id, human, batch_version)
        print(
            "  seed: %d/%d tasks, %.1f s"
            % (min(i + BATCH, total), total, time.perf_counter() - start),
            file=sys.stderr,
            flush=True,
        )


def seed(project_id: int, ls: RawLS | None = None, seed: int = 0) -> dict:
    """Annotates every task that has a prediction; returns counts and
    seconds."""
    ls = ls or RawLS()
    rng = random.Random(seed)
    start = time.perf_counter()
    predictions = _originals(ls, project_id)
    listed = time.perf_counter() - start
    _rounds(ls, project_id, predictions, rng, HUMAN_VERSION, start)
    project = ls.project(project_id)
    return {
        "tasks": project["task_number"],
        "annotations": project["total_annotations_number"],
        "predictions": project.get("total_predictions_number"),
        "list_seconds": round(listed, 3),
        "helpers_kept": bool(os.environ.get("BENCH_SEED_KEEP_HELPERS")),
        "seconds": round(time.perf_counter() - start, 3),
    }


def change(project_id: int, fraction: float, seed: int = 1) -> dict:
    """A new annotation on ``fraction`` of the tasks (spread over the
    project), as people annotating between two loads: the tasks'
    ``updated_at`` moves (``predictions_to_annotations`` sets it)."""
    ls = RawLS()
    rng = random.Random(seed)
    start = time.perf_counter()
    predictions = _originals(ls, project_id)
    step = max(1, int(round(1 / fraction)))
    chosen = predictions[seed % step :: step]
    version = "%s-change-%d" % (HUMAN_VERSION, seed)
    _rounds(ls, project_id, chosen, rng, version, start)
    ls.close()
    return {
        "tasks_changed": len(chosen),
        "seconds": round(time.perf_counter() - start, 3),
    }
