"""backend.run_tasks: the annotation chosen per task, and who annotator=
names (one decision each, used by every load, the import and status)."""

from collections import Counter
from types import SimpleNamespace

import pytest

from fiftyone_labelstudio.backend import run_tasks
from fiftyone_labelstudio.backend.errors import LabelStudioBackendError

SAMPLE = "0123456789abcdef01234567"


def _anno(id_, who, at, cancelled=False):
    return {
        "id": id_,
        "completed_by": {"id": who} if who == 2 else who,
        "updated_at": at,
        "was_cancelled": cancelled,
    }


TASK = {
    "id": 7,
    "data": {"fiftyone": {"sample_id": SAMPLE}},
    "annotations": [
        _anno(1, 1, "2024-01-01T00:00:01Z"),
        _anno(2, 2, "2024-01-01T00:00:02Z"),
        _anno(3, 1, "2024-01-01T00:00:03Z", cancelled=True),
        _anno(4, 1, "2024-01-01T00:00:00Z"),
    ],
}


def test_latest_and_by_annotator():
    assert run_tasks.latest_annotation(TASK)["id"] == 2
    assert run_tasks.latest_annotation(TASK, 1)["id"] == 1
    assert run_tasks.latest_annotation(TASK, 9) is None
    by_person = run_tasks.latest_by_annotator(TASK)
    assert {k: v["id"] for k, v in by_person.items()} == {1: 1, 2: 2}
    assert run_tasks.annotators_of([TASK, {"id": 8}]) == [1, 2]


def test_choose_task_counts_what_loads_nothing():
    results = SimpleNamespace(origin="created", task_map={})
    counts = Counter()
    sample_id, annotation, seed = run_tasks.choose_task(
        results, TASK, None, counts
    )
    assert (sample_id, annotation["id"], seed) == (SAMPLE, 2, "7:a2")
    skipped = dict(TASK, annotations=[_anno(5, 1, "x", cancelled=True)])
    assert run_tasks.choose_task(results, skipped, None, counts) is None
    assert run_tasks.choose_task(results, {"id": 9}, None, counts) is None
    assert counts == Counter(
        {"skipped": 1, "tasks without a FiftyOne sample id": 1}
    )


def test_imported_runs_map_tasks_by_id():
    results = SimpleNamespace(origin="imported", task_map={9: SAMPLE})
    assert run_tasks.sample_of(results, {"id": 9, "data": {}}) == SAMPLE


def test_find_user():
    users = {1: {"email": "Alice@x.org", "username": "al"}, 2: {}}
    client = SimpleNamespace(list_users=lambda: users)
    assert run_tasks.find_user(client, None, "u") is None
    assert run_tasks.find_user(client, "alice@x.org", "u") == 1
    assert run_tasks.find_user(client, " AL ", "u") == 1
    assert run_tasks.find_user(client, 2, "u") == 2
    with pytest.raises(LabelStudioBackendError, match="is not a user"):
        run_tasks.find_user(client, "bob", "u")
