"""Byte codec of the packed run maps (``packed_ids``, ``packed_tasks``):
ObjectId strings <-> 12-byte numpy rows, and arrays <-> the record's
zlib + base64 text."""

import base64
import zlib
from typing import Iterable, Optional

import numpy as np

MARK = "_packed"  # the key that tells a packed map from an old plain one
# per-sample kinds of value of a packed id_map
KIND_NONE, KIND_TRUE, KIND_ONE, KIND_LIST = 0, 1, 2, 3


def is_packed(value) -> bool:
    """Whether a record entry is a packed map (else an old plain dict)."""
    return isinstance(value, dict) and MARK in value


def format_error(what: str, found, reads: str) -> ValueError:
    return ValueError(
        "The run's %s was written in format %r, which this version of "
        "fiftyone-labelstudio cannot read (it reads %r); upgrade "
        "fiftyone-labelstudio" % (what, found, reads)
    )


def oid_bytes(text) -> Optional[bytes]:
    """The 12 bytes of a lowercase hex ObjectId string, else None."""
    if type(text) is not str or len(text) != 24:
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return raw if raw.hex() == text else None


def oid_rows(texts: list) -> Optional[np.ndarray]:
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


def hex_ids(rows: np.ndarray) -> list:
    text = rows.tobytes().hex()
    return [text[i : i + 24] for i in range(0, len(text), 24)]


def pack_column(array: np.ndarray) -> str:
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


def unpack_column(text: str, dtype, rows: int, width: int = 0):
    """The array :func:`pack_column` wrote; 2-D ones are filled one
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


def encode_values(items: Iterable) -> Optional[tuple]:
    """``(keys, kinds, counts, ids)`` arrays of ``(sample id, value)``
    pairs, or None when one of them cannot be packed."""
    keys, kinds, counts, ids = [], [], [], []
    for key, value in items:
        keys.append(key)
        if value is None:
            kinds.append(KIND_NONE)
            counts.append(0)
        elif value is True:
            kinds.append(KIND_TRUE)
            counts.append(0)
        elif type(value) is str:
            kinds.append(KIND_ONE)
            counts.append(1)
            ids.append(value)
        elif type(value) is list:
            kinds.append(KIND_LIST)
            counts.append(len(value))
            ids.extend(value)
        else:
            return None
    key_rows, id_rows = oid_rows(keys), oid_rows(ids)
    if key_rows is None or id_rows is None:
        return None
    return (
        key_rows,
        np.array(kinds, np.uint8),
        np.array(counts, np.uint32),
        id_rows,
    )


def gather_rows(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Row indexes of the runs ``[start, start + count)``, in order."""
    counts = counts.astype(np.int64)
    first = np.cumsum(counts) - counts  # where each run lands
    return np.repeat(starts - first, counts) + np.arange(int(counts.sum()))
