"""A run's ``id_map`` and ``task_map`` in a compact form.

At 100k samples x 10 labels the plain ``id_map`` is a million 24-character
strings: 39 MB of JSON in the run's record and ~+200 MB of Python objects
when FiftyOne loads the record whole. Here each ObjectId is 12 bytes in a
numpy array: :class:`PackedIds` holds one field's ``{sample id: label id,
[label ids], True or None}`` (a dict-like mapping that decodes one sample
on access; assignments go to a small overlay, folded back in now and then),
:class:`PackedTaskMap` the ``{task id: sample id}`` map. In the record they
are zlib-compressed columns in base64 (ObjectIds made by one process share
their timestamp and random bytes: ~2 bytes an id).

Only maps whose every key and id is a 24-character lowercase hex string
are packed (frame fields' nested dicts, clips/frames maps and anything
else stay plain dicts). Values are decoded copies: assign to change one.
"""

import base64
import zlib
from collections.abc import ItemsView, Mapping, MutableMapping, ValuesView
from typing import Iterable, Iterator, Optional

import numpy as np

IDS_FORMAT = "packed-ids-1"
TASKS_FORMAT = "packed-tasks-1"
_MARK = "_packed"

# per-sample kinds of value
_NONE, _TRUE, _ONE, _LIST = 0, 1, 2, 3
# assignments kept aside before they are folded into the arrays
_MIN_OVERLAY = 4096


def _oid(text) -> Optional[bytes]:
    """The 12 bytes of a lowercase hex ObjectId string, else None."""
    if type(text) is not str or len(text) != 24:
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return raw if raw.hex() == text else None


def _oids(texts: list) -> Optional[np.ndarray]:
    """``(k, 12)`` uint8 of a list of hex ObjectIds, else None."""
    if not texts:
        return np.zeros((0, 12), np.uint8)
    if any(type(t) is not str or len(t) != 24 for t in texts):
        return None
    joined = "".join(texts)
    try:
        raw = bytes.fromhex(joined)
    except ValueError:
        return None
    if raw.hex() != joined:
        return None
    return np.frombuffer(raw, np.uint8).reshape(-1, 12)


def _hex(rows: np.ndarray) -> list:
    text = rows.tobytes().hex()
    return [text[i : i + 24] for i in range(0, len(text), 24)]


def _pack_column(array: np.ndarray) -> str:
    """zlib of ``array``'s bytes, 2-D arrays by byte column (all first
    bytes, then all second bytes...: ids made together differ in few of
    them, so they compress well), one column at a time, in base64."""
    compressor = zlib.compressobj(6)
    if array.ndim == 2:
        parts = [
            compressor.compress(np.ascontiguousarray(array[:, j]).tobytes())
            for j in range(array.shape[1])
        ]
    else:
        parts = [compressor.compress(array.tobytes())]
    parts.append(compressor.flush())
    return base64.b64encode(b"".join(parts)).decode()


def _unpack_column(text: str, dtype, rows: int, width: int = 0):
    """The array :func:`_pack_column` wrote; 2-D ones are filled one
    column at a time (never a second whole copy)."""
    data = base64.b64decode(text)
    if not width:
        return np.frombuffer(zlib.decompress(data), dtype).copy()
    out = np.empty((rows, width), np.uint8)
    decompressor = zlib.decompressobj()
    pending = b""
    for j in range(width):
        while len(pending) < rows:
            more = decompressor.decompress(
                data, max(rows - len(pending), 1 << 16)
            )
            data = decompressor.unconsumed_tail
            if not more and not data:
                raise ValueError("packed ids: the data ends too soon")
            pending += more
        out[:, j] = np.frombuffer(pending[:rows], np.uint8)
        pending = pending[rows:]
    return out


def is_packed(value) -> bool:
    """Whether a record entry is a packed map (else an old plain dict)."""
    return isinstance(value, dict) and _MARK in value


def _encode(items: Iterable) -> Optional[tuple]:
    """``(keys, kinds, counts, ids)`` arrays of ``(sample id, value)``
    pairs, or None when one of them cannot be packed."""
    keys, kinds, counts, ids = [], [], [], []
    for key, value in items:
        keys.append(key)
        if value is None:
            kinds.append(_NONE)
            counts.append(0)
        elif value is True:
            kinds.append(_TRUE)
            counts.append(0)
        elif type(value) is str:
            kinds.append(_ONE)
            counts.append(1)
            ids.append(value)
        elif type(value) is list:
            kinds.append(_LIST)
            counts.append(len(value))
            ids.extend(value)
        else:
            return None
    key_rows, id_rows = _oids(keys), _oids(ids)
    if key_rows is None or id_rows is None:
        return None
    return (
        key_rows,
        np.array(kinds, np.uint8),
        np.array(counts, np.uint32),
        id_rows,
    )


class _Items(ItemsView):
    def __iter__(self):
        return self._mapping._iter_items()


class _Values(ValuesView):
    def __iter__(self):
        return (v for _, v in self._mapping._iter_items())


class PackedIds(MutableMapping):
    """One field of a run's ``id_map``: ``{sample id: label id, [label
    ids], True or None}`` held as ObjectId bytes."""

    def __init__(self, keys, kinds, counts, ids):
        self._keys = keys  # (n, 12) uint8, in insertion order
        self._kinds = kinds  # (n,) uint8
        self._counts = counts  # (n,) uint32
        self._ids = ids  # (sum(counts), 12) uint8
        self._starts = np.cumsum(counts, dtype=np.int64) - counts
        self._sorted = None  # (order, sorted keys as S12), built on use
        self._over = {}  # assigned values
        self._gone = set()  # deleted keys of the arrays
        self._added = 0  # keys of _over that are not in the arrays
        self._stuck = False  # an assigned value cannot be packed

    # -- building -----------------------------------------------------------

    @classmethod
    def pack(cls, by_sample: Mapping) -> Optional["PackedIds"]:
        """The packed form of a plain ``{sample id: ids}``, or None."""
        if isinstance(by_sample, PackedIds):
            return by_sample
        if not isinstance(by_sample, dict):
            return None
        arrays = _encode(by_sample.items())
        return None if arrays is None else cls(*arrays)

    @classmethod
    def from_serial(cls, d: dict) -> "PackedIds":
        if d.get(_MARK) != IDS_FORMAT:
            raise ValueError(
                "The run's id_map was written in format %r, which this "
                "version of fiftyone-labelstudio cannot read (it reads %r); "
                "upgrade fiftyone-labelstudio" % (d.get(_MARK), IDS_FORMAT)
            )
        n, m = int(d["samples"]), int(d["labels"])
        return cls(
            _unpack_column(d["keys"], np.uint8, n, 12),
            _unpack_column(d["kinds"], np.uint8, n),
            _unpack_column(d["counts"], "<u4", n).astype(np.uint32),
            _unpack_column(d["ids"], np.uint8, m, 12),
        )

    def serialize(self) -> dict:
        """The record's form (FiftyOne's serializer calls this); a plain
        dict when an assigned value cannot be packed."""
        if not self.compact():
            return dict(self._iter_items())
        return {
            _MARK: IDS_FORMAT,
            "samples": len(self._kinds),
            "labels": len(self._ids),
            "keys": _pack_column(self._keys),
            "kinds": _pack_column(self._kinds),
            "counts": _pack_column(self._counts.astype("<u4")),
            "ids": _pack_column(self._ids),
        }

    def compact(self) -> bool:
        """Folds the assignments into the arrays; False when one of them
        cannot be packed (they stay aside)."""
        if not self._over and not self._gone:
            return True
        arrays = _encode(self._over.items())
        if arrays is None:
            self._stuck = True
            return False
        keep = np.ones(len(self._kinds), bool)
        for key in list(self._over) + list(self._gone):
            pos = self._find(key)
            if pos is not None:
                keep[pos] = False
        keys, kinds, counts, ids = arrays
        kept_ids = self._ids[np.repeat(keep, self._counts)]
        self.__init__(
            np.concatenate([self._keys[keep], keys]),
            np.concatenate([self._kinds[keep], kinds]),
            np.concatenate([self._counts[keep], counts]),
            np.concatenate([kept_ids, ids]),
        )
        return True

    # -- reading ------------------------------------------------------------

    def _find(self, key) -> Optional[int]:
        """Position of ``key`` in the arrays (deleted ones included)."""
        raw = _oid(key)
        if raw is None or not len(self._kinds):
            return None
        if self._sorted is None:
            order = np.argsort(self._keys.view("S12").ravel(), kind="stable")
            self._sorted = (order, self._keys[order].view("S12").ravel())
        order, keys = self._sorted
        i = int(np.searchsorted(keys, np.bytes_(raw)))
        if i < len(order) and self._keys[order[i]].tobytes() == raw:
            return int(order[i])
        return None

    def _value(self, pos: int):
        kind = self._kinds[pos]
        if kind == _NONE:
            return None
        if kind == _TRUE:
            return True
        start = self._starts[pos]
        rows = self._ids[start : start + self._counts[pos]]
        if kind == _ONE:
            return rows[0].tobytes().hex()
        return _hex(rows)

    def _iter_items(self) -> Iterator[tuple]:
        over, gone = self._over, self._gone
        keys = _hex(self._keys)
        for pos, key in enumerate(keys):
            if key in over:
                yield key, over[key]
            elif key not in gone:
                yield key, self._value(pos)
        if self._added:
            for key, value in list(over.items()):
                if self._find(key) is None:
                    yield key, value

    def __getitem__(self, key):
        if key in self._over:
            return self._over[key]
        if key in self._gone:
            raise KeyError(key)
        pos = self._find(key)
        if pos is None:
            raise KeyError(key)
        return self._value(pos)

    def __contains__(self, key) -> bool:
        if key in self._over:
            return True
        return key not in self._gone and self._find(key) is not None

    def __iter__(self):
        return (k for k, _ in self._iter_items())

    def __len__(self) -> int:
        return len(self._kinds) - len(self._gone) + self._added

    def items(self):
        return _Items(self)

    def values(self):
        return _Values(self)

    def __repr__(self) -> str:
        return "PackedIds(%d samples, %d labels)" % (len(self), len(self._ids))

    # -- writing ------------------------------------------------------------

    def __setitem__(self, key, value) -> None:
        if key not in self._over:
            if self._find(key) is None:
                self._added += 1
            else:
                self._gone.discard(key)
        self._over[key] = value
        limit = max(_MIN_OVERLAY, len(self._kinds) // 8)
        if len(self._over) > limit and not self._stuck:
            self.compact()

    def __delitem__(self, key) -> None:
        in_arrays = self._find(key) is not None and key not in self._gone
        if key in self._over:
            del self._over[key]
            if in_arrays:
                self._gone.add(key)
            else:
                self._added -= 1
        elif in_arrays:
            self._gone.add(key)
        else:
            raise KeyError(key)

    def update_changed(self, values: Mapping) -> None:
        """Assigns only the values that differ from the current ones (a
        batch's narrowed map holds every sample it saw)."""
        for key, value in values.items():
            if key not in self or self[key] != value:
                self[key] = value


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
        samples = _oids(list(task_map.values()))
        if samples is None:
            return None
        return cls(np.array(tasks, np.int64), samples)

    @classmethod
    def from_serial(cls, d: dict) -> "PackedTaskMap":
        if d.get(_MARK) != TASKS_FORMAT:
            raise ValueError(
                "The run's task_map was written in format %r, which this "
                "version of fiftyone-labelstudio cannot read (it reads %r); "
                "upgrade fiftyone-labelstudio" % (d.get(_MARK), TASKS_FORMAT)
            )
        n = int(d["tasks"])
        return cls(
            _unpack_column(d["task_ids"], "<i8", n).astype(np.int64),
            _unpack_column(d["sample_ids"], np.uint8, n, 12),
        )

    def serialize(self) -> dict:
        return {
            _MARK: TASKS_FORMAT,
            "tasks": len(self._tasks),
            "task_ids": _pack_column(self._tasks.astype("<i8")),
            "sample_ids": _pack_column(self._samples),
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
        return zip(m._tasks.tolist(), _hex(m._samples))


class _TaskValues(ValuesView):
    def __iter__(self):
        return iter(_hex(self._mapping._samples))


def pack_id_map(id_map: Optional[dict]) -> dict:
    """``id_map`` with every field that can be packed packed (the others,
    and the top-level dict, stay as they are)."""
    if id_map is None:
        return {}
    out = {}
    for field, by_sample in id_map.items():
        packed = None
        if not field.startswith("_"):  # _clips / _frames: FiftyOne's
            packed = PackedIds.pack(by_sample)
        out[field] = by_sample if packed is None else packed
    return out


def unpack_record(id_map: Optional[dict]) -> dict:
    """The record's ``id_map`` (old plain dicts, or packed fields)."""
    return {
        field: (
            PackedIds.from_serial(by_sample)
            if is_packed(by_sample)
            else by_sample
        )
        for field, by_sample in (id_map or {}).items()
    }


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
