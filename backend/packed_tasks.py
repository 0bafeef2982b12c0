"""A run's ``task_map`` (``{task id: sample id}``) held packed: task ids in
an int64 array, sample ids as 12-byte rows (``packed_codec``); a read-only
mapping. Old records' plain dicts still load."""

from collections.abc import ItemsView, Mapping, ValuesView
from typing import Optional

import numpy as np

from .packed_codec import (
    MARK,
    format_error,
    hex_ids,
    is_packed,
    oid_rows,
    pack_column,
    unpack_column,
)

TASKS_FORMAT = "packed-tasks-1"


class PackedTaskMap(Mapping):
    """A run's ``{task id: sample id}`` held as arrays (read-only)."""

    def __init__(self, tasks: np.ndarray, samples: np.ndarray):
        self._tasks = tasks  # (n,) int64, in insertion order
        self._samples = samples  # (n, 12) uint8
        self._order = np.argsort(tasks, kind="stable")
        self._sorted = tasks[self._order]

    @classmethod
    def pack(cls, task_map: Mapping) -> Optional["PackedTaskMap"]:
        if isinstance(task_map, PackedTaskMap):
            return task_map
        if not isinstance(task_map, dict):
            return None
        tasks = list(task_map)
        if any(type(t) is not int or not -(2**63) <= t < 2**63 for t in tasks):
            return None
        samples = oid_rows(list(task_map.values()))
        if samples is None:
            return None
        return cls(np.array(tasks, np.int64), samples)

    @classmethod
    def from_serial(cls, d: dict) -> "PackedTaskMap":
        if d.get(MARK) != TASKS_FORMAT:
            raise format_error("task_map", d.get(MARK), TASKS_FORMAT)
        n = int(d["tasks"])
        return cls(
            unpack_column(d["task_ids"], "<i8", n).astype(np.int64),
            unpack_column(d["sample_ids"], np.uint8, n, 12),
        )

    def serialize(self) -> dict:
        return {
            MARK: TASKS_FORMAT,
            "tasks": len(self._tasks),
            "task_ids": pack_column(self._tasks.astype("<i8")),
            "sample_ids": pack_column(self._samples),
        }

    def _find(self, task_id) -> Optional[int]:
        if type(task_id) is not int and not isinstance(task_id, np.integer):
            return None
        if not -(2**63) <= task_id < 2**63 or not len(self._tasks):
            return None
        i = int(np.searchsorted(self._sorted, task_id))
        if i < len(self._sorted) and self._sorted[i] == task_id:
            return int(self._order[i])
        return None

    def __getitem__(self, task_id) -> str:
        pos = self._find(task_id)
        if pos is None:
            raise KeyError(task_id)
        return self._samples[pos].tobytes().hex()

    def __contains__(self, task_id) -> bool:
        return self._find(task_id) is not None

    def __iter__(self):
        return iter(self._tasks.tolist())

    def __len__(self) -> int:
        return len(self._tasks)

    def items(self):
        return _TaskItems(self)

    def values(self):
        return _TaskValues(self)

    def __repr__(self) -> str:
        return "PackedTaskMap(%d tasks)" % len(self)


class _TaskItems(ItemsView):
    def __iter__(self):
        m = self._mapping
        return zip(m._tasks.tolist(), hex_ids(m._samples))


class _TaskValues(ValuesView):
    def __iter__(self):
        return iter(hex_ids(self._mapping._samples))


def task_map_from_record(task_map) -> Mapping:
    """The record's ``task_map``: packed, or an old plain ``{"<task id>":
    sample id}`` (JSON turned the int task ids into strings)."""
    if is_packed(task_map):
        return PackedTaskMap.from_serial(task_map)
    return {int(k): v for k, v in (task_map or {}).items()}


def pack_task_map(task_map: Optional[Mapping]) -> Mapping:
    """The packed form of ``task_map`` when it can be packed."""
    if not task_map:
        return {}
    packed = PackedTaskMap.pack(task_map)
    return task_map if packed is None else packed
