"""A run's ``id_map`` in a compact form (``task_map``: ``packed_tasks``).

At 100k samples x 10 labels the plain ``id_map`` is a million 24-character
strings: 39 MB of JSON in the run's record and ~+200 MB of Python objects
when FiftyOne loads the record whole. Here each ObjectId is 12 bytes in a
numpy array: :class:`PackedIds` holds one field's ``{sample id: label id,
[label ids], True or None}`` (a dict-like mapping that decodes one sample
on access; assignments go to a small overlay, folded back in now and then).
In the record it is zlib-compressed byte columns in base64 (ObjectIds made
by one process share their timestamp and random bytes: a few bits an id;
random ids ~16 bytes).

Only maps whose every key and id is a 24-character lowercase hex string
are packed (frame fields' nested dicts, clips/frames maps and anything
else stay plain dicts). Values are decoded copies: assign to change one.
"""

from collections.abc import ItemsView, Mapping, MutableMapping, ValuesView
from typing import Iterable, Iterator, Optional

import numpy as np

from .packed_codec import (
    KIND_NONE,
    KIND_ONE,
    KIND_TRUE,
    MARK,
    encode_values,
    gather_rows,
    format_error,
    hex_ids,
    is_packed,
    oid_bytes,
    pack_column,
    unpack_column,
)

IDS_FORMAT = "packed-ids-1"

# Assignments kept aside before they are folded into the arrays: at least
# _MIN_OVERLAY, else 1/_OVERLAY_SHARE of the samples. Aside, a sample
# costs ~1 KB of Python objects (10-20 ids); a fold copies the arrays
# (12 B an id, ~15 ms at 1M ids). 1/8 held 12.5k samples aside at 100k
# and the peak of a 100k load rose with them.
_MIN_OVERLAY = 4096
_OVERLAY_SHARE = 64


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
        self._shared = False  # another map holds these arrays (copy())

    # -- building -----------------------------------------------------------

    @classmethod
    def pack(cls, by_sample: Mapping) -> Optional["PackedIds"]:
        """The packed form of a plain ``{sample id: ids}``, or None."""
        if isinstance(by_sample, PackedIds):
            return by_sample
        if not isinstance(by_sample, dict):
            return None
        arrays = encode_values(by_sample.items())
        return None if arrays is None else cls(*arrays)

    @classmethod
    def from_serial(cls, d: dict) -> "PackedIds":
        if d.get(MARK) != IDS_FORMAT:
            raise format_error("id_map", d.get(MARK), IDS_FORMAT)
        n, m = int(d["samples"]), int(d["labels"])
        return cls(
            unpack_column(d["keys"], np.uint8, n, 12),
            unpack_column(d["kinds"], np.uint8, n),
            unpack_column(d["counts"], "<u4", n).astype(np.uint32),
            unpack_column(d["ids"], np.uint8, m, 12),
        )

    def serialize(self) -> dict:
        """The record's form (FiftyOne's serializer calls this); a plain
        dict when an assigned value cannot be packed."""
        if not self.compact():
            return dict(self._iter_items())
        return {
            MARK: IDS_FORMAT,
            "samples": len(self._kinds),
            "labels": len(self._ids),
            "keys": pack_column(self._keys),
            "kinds": pack_column(self._kinds),
            "counts": pack_column(self._counts.astype("<u4")),
            "ids": pack_column(self._ids),
        }

    def compact(self) -> bool:
        """Folds the assignments into the arrays; False when one of them
        cannot be packed (they stay aside)."""
        if not self._over and not self._gone:
            return True
        arrays = encode_values(self._over.items())
        if arrays is None:
            self._stuck = True
            return False
        keep = np.ones(len(self._kinds), bool)
        positions = self._positions(list(self._over) + list(self._gone))
        keep[positions[positions >= 0]] = False
        keys, kinds, counts, ids = arrays
        # the kept ids go straight into the new array (no third copy)
        kept_rows = np.repeat(keep, self._counts)
        num_kept = int(kept_rows.sum())
        all_ids = np.empty((num_kept + len(ids), 12), np.uint8)
        np.compress(kept_rows, self._ids, axis=0, out=all_ids[:num_kept])
        all_ids[num_kept:] = ids
        self.__init__(
            np.concatenate([self._keys[keep], keys]),
            np.concatenate([self._kinds[keep], kinds]),
            np.concatenate([self._counts[keep], counts]),
            all_ids,
        )
        return True

    # -- reading ------------------------------------------------------------

    def _sorted_keys(self) -> tuple:
        """``(order, keys as S12 in sorted order)``, built on first use."""
        if self._sorted is None:
            order = np.argsort(self._keys.view("S12").ravel(), kind="stable")
            self._sorted = (order, self._keys[order].view("S12").ravel())
        return self._sorted

    def _positions(self, keys: list) -> np.ndarray:
        """Positions of ``keys`` in the arrays, -1 where absent (deleted
        ones included), in one vectorized search."""
        out = np.full(len(keys), -1, np.int64)
        raws = [oid_bytes(k) for k in keys]
        valid = [i for i, r in enumerate(raws) if r is not None]
        if not valid or not len(self._kinds):
            return out
        query = np.frombuffer(b"".join(raws[i] for i in valid), np.uint8)
        query = query.reshape(-1, 12)
        order, sorted_keys = self._sorted_keys()
        at = np.searchsorted(sorted_keys, query.view("S12").ravel())
        at = np.minimum(at, len(order) - 1)
        found = order[at]
        hit = (self._keys[found] == query).all(axis=1)
        out[np.array(valid)[hit]] = found[hit]
        return out

    def _find(self, key) -> Optional[int]:
        """Position of ``key`` in the arrays (deleted ones included)."""
        pos = int(self._positions([key])[0])
        return None if pos < 0 else pos

    def _values_at(self, positions: np.ndarray) -> list:
        """The decoded values at ``positions`` (one hex conversion for all
        their ids)."""
        kinds = self._kinds[positions].tolist()
        counts = self._counts[positions].astype(np.int64)
        total = int(counts.sum())
        text = ""
        if total:
            rows = gather_rows(self._starts[positions], counts)
            text = self._ids[rows].tobytes().hex()
        out, at = [], 0
        for kind, count in zip(kinds, counts.tolist()):
            if kind == KIND_NONE:
                out.append(None)
            elif kind == KIND_TRUE:
                out.append(True)
            elif kind == KIND_ONE:
                out.append(text[at : at + 24])
            else:
                out.append(
                    [text[i : i + 24] for i in range(at, at + 24 * count, 24)]
                )
            at += 24 * count
        return out

    def _value(self, pos: int):
        return self._values_at(np.array([pos]))[0]

    def subset(self, keys: Iterable) -> dict:
        """A plain dict of the entries of ``keys`` that the map has."""
        out, rest = {}, []
        for key in keys:
            if key in self._over:
                out[key] = self._over[key]
            elif key not in self._gone:
                rest.append(key)
        positions = self._positions(rest)
        found = positions >= 0
        hits = [k for k, f in zip(rest, found.tolist()) if f]
        out.update(zip(hits, self._values_at(positions[found])))
        return out

    def _iter_items(self, chunk: int = 4096) -> Iterator[tuple]:
        over, gone = self._over, self._gone
        for begin in range(0, len(self._kinds), chunk):
            positions = np.arange(begin, min(begin + chunk, len(self._kinds)))
            keys = hex_ids(self._keys[positions])
            values = self._values_at(positions)
            for key, value in zip(keys, values):
                if key in over:
                    yield key, over[key]
                elif key not in gone:
                    yield key, value
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
        limit = max(_MIN_OVERLAY, len(self._kinds) // _OVERLAY_SHARE)
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

    def copy(self) -> "PackedIds":
        """An independent map (the arrays are shared, and from then on
        neither map changes them in place)."""
        self._shared = True
        other = PackedIds.__new__(PackedIds)
        other.__dict__.update(self.__dict__)
        other._over = dict(self._over)
        other._gone = set(self._gone)
        return other

    def _writable_ids(self) -> bool:
        """Whether ids may be rewritten in place (the arrays are this
        map's own; read-only ones are copied once)."""
        if self._shared:
            return False
        if not self._ids.flags.writeable:
            self._ids = self._ids.copy()
        return True

    def update_changed(self, values: Mapping) -> None:
        """Assigns only the values that differ from the current ones (a
        batch's narrowed map holds every sample it saw); compared as
        bytes, without decoding."""
        items = [(k, v) for k, v in values.items() if k not in self._over]
        for key, value in values.items():
            if key in self._over and self._over[key] != value:
                self[key] = value
        arrays = encode_values(items)
        if not len(self._kinds):
            for key, value in items:
                self[key] = value
            return
        if arrays is None:  # a value that cannot be packed: assigned
            current = self.subset(k for k, _ in items)
            for key, value in items:
                if key not in current or current[key] != value:
                    self[key] = value
            return
        _, kinds, counts, ids = arrays
        positions = self._positions([k for k, _ in items])
        found = positions >= 0
        at = np.where(found, positions, 0)
        same = (
            found & (self._kinds[at] == kinds) & (self._counts[at] == counts)
        )
        same &= np.array([k not in self._gone for k, _ in items], bool)
        counts = counts.astype(np.int64)
        if counts.sum():
            # per sample: ids equal where kind and count are
            shaped = np.where(same, counts, 0)
            mine = gather_rows(self._starts[at], shaped)
            theirs = gather_rows(np.cumsum(counts) - counts, shaped)
            equal = (self._ids[mine] == ids[theirs]).all(axis=1)
            owner = np.repeat(np.arange(len(items)), shaped)
            other = np.bincount(owner[~equal], minlength=len(items)) > 0
            if other.any() and self._writable_ids():
                # same kind and count, other ids (a batch that edited
                # labels): rewritten where they are, so that the
                # assignments aside (Python lists, folded by copying the
                # whole arrays) do not grow with the run
                rows = other[owner]
                self._ids[mine[rows]] = ids[theirs[rows]]
            else:
                same &= ~other
        for (key, value), unchanged in zip(items, same.tolist()):
            if not unchanged:
                self[key] = value


def pack_id_map(id_map: Optional[dict]) -> dict:
    """``id_map`` with every field that can be packed packed (the others,
    and the top-level dict, stay as they are)."""
    if id_map is None:
        return {}
    out = {}
    for field, by_sample in id_map.items():
        packed = None
        # not _clips / _frames (FiftyOne's), nor frame fields (FiftyOne's
        # merge changes their per-sample dicts in place), nor empty maps
        # (nothing to gain; packed once filled, when the run is saved)
        if by_sample and not field.startswith(("_", "frames.")):
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
