"""The run record is encoded in pieces, byte for byte as FiftyOne does."""

import datetime as dt
import math

import pytest

from bson import ObjectId, json_util
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.backend.results_store import json_pieces

_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)
_RECORDS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.text(max_size=8), inner, max_size=5),
        st.dictionaries(st.integers(), inner, max_size=5),
    ),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(record=_RECORDS, size=st.integers(min_value=1, max_value=64))
def test_pieces_join_to_what_json_util_dumps_writes(record, size):
    text = json_util.dumps(record)
    if "$numberDouble" in text:
        # non-finite floats: the caller writes json_util's text instead
        with pytest.raises(ValueError):
            list(json_pieces(record, size=size))
        return
    pieces = list(json_pieces(record, size=size))
    assert b"".join(pieces) == text.encode()


def test_bson_types_and_a_large_record():
    record = {
        "id_map": {
            "ground_truth": {
                str(ObjectId()): [str(ObjectId()) for _ in range(10)]
                for _ in range(2000)
            }
        },
        "task_map": {i: str(ObjectId()) for i in range(2000)},
        "stamp": dt.datetime(2026, 12, 3, 12, 0, 0, 123000),
        "oid": ObjectId(),
        "half": 0.5,
        "text": "na\u00efve \U0001f600",
    }
    pieces = list(json_pieces(record, size=4096))
    assert len(pieces) > 10
    assert all(len(p) < 4096 + 1024 for p in pieces[:-1])
    assert b"".join(pieces) == json_util.dumps(record).encode()
    with pytest.raises(ValueError):
        list(json_pieces({"nan": math.nan}))
