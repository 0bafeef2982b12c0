"""A run's id_map and task_map packed: exactly the plain maps."""

import json

import pytest
from bson import ObjectId, json_util
from hypothesis import given, settings
from hypothesis import strategies as st

from fiftyone_labelstudio.backend import packed_ids, packed_tasks
from fiftyone_labelstudio.backend.packed_ids import PackedIds
from fiftyone_labelstudio.backend.packed_tasks import PackedTaskMap
from fiftyone_labelstudio.backend.results_store import json_pieces

_OIDS = st.binary(min_size=12, max_size=12).map(lambda b: b.hex())
# what a run records per sample: one id, a list (maybe empty), True
# (a sent scalar) or None
_VALUES = st.one_of(
    _OIDS,
    st.lists(_OIDS, max_size=12),
    st.just(True),
    st.none(),
)
_FIELDS = st.dictionaries(_OIDS, _VALUES, max_size=40)


def _through_record(packed):
    """What a save and a load make of it (JSON text in between)."""
    text = b"".join(json_pieces({"m": packed})).decode()
    return json_util.loads(text)["m"]


@settings(max_examples=300, deadline=None)
@given(by_sample=_FIELDS, missing=_OIDS)
def test_encode_decode_is_exact(by_sample, missing):
    packed = PackedIds.pack(by_sample)
    assert packed is not None
    back = PackedIds.from_serial(_through_record(packed.serialize()))
    for m in (packed, back):
        assert dict(m.items()) == by_sample
        assert list(m) == list(by_sample)  # the order too
        assert len(m) == len(by_sample)
        for key, value in by_sample.items():
            assert key in m
            assert m[key] == value
            assert type(m.get(key)) is type(value)
        if missing not in by_sample:
            assert missing not in m
            assert m.get(missing, "nothing") == "nothing"
            with pytest.raises(KeyError):
                m[missing]
    assert "not an id" not in back and back.get(None) is None


@settings(max_examples=200, deadline=None)
@given(
    by_sample=_FIELDS,
    changes=st.lists(st.tuples(st.booleans(), _OIDS, _VALUES), max_size=30),
    reuse=st.lists(st.integers(0, 10**6), max_size=10),
)
def test_assignments_and_deletions_match_a_dict(by_sample, changes, reuse):
    plain = dict(by_sample)
    packed = PackedIds.pack(by_sample)
    keys = list(by_sample)
    # changes of existing samples as well as new ones
    changes += [
        (False, keys[i % len(keys)], ["%024x" % i]) for i in reuse if keys
    ]
    for delete, key, value in changes:
        if delete and key in plain:
            del plain[key]
            del packed[key]
        elif delete:
            with pytest.raises(KeyError):
                del packed[key]
        else:
            plain[key] = value
            packed[key] = value
        assert len(packed) == len(plain)
    assert dict(packed.items()) == plain
    assert packed.compact()
    assert packed == plain and len(packed) == len(plain)
    back = PackedIds.from_serial(_through_record(packed.serialize()))
    assert back == plain


def test_many_assignments_are_folded_into_the_arrays():
    plain = {str(ObjectId()): [str(ObjectId())] for _ in range(5000)}
    packed = PackedIds.pack(plain)
    for i, key in enumerate(list(plain)):
        plain[key] = [str(ObjectId()), str(ObjectId())]
        packed[key] = plain[key]
        assert len(packed._over) <= max(4096, 5000 // 64) + 1
    assert packed == plain


def test_maps_that_cannot_be_packed_stay_plain():
    frames = {str(ObjectId()): {str(ObjectId()): str(ObjectId())}}
    other = {"sample-1": "label-1"}
    upper = {str(ObjectId()).upper(): str(ObjectId())}
    clips = {str(ObjectId()): str(ObjectId())}
    frame_field = {str(ObjectId()): str(ObjectId())}
    id_map = {
        "f": frames,
        "o": other,
        "u": upper,
        "_clips": clips,
        "frames.gt": frame_field,
        "empty": {},
    }
    out = packed_ids.pack_id_map(id_map)
    assert all(out[k] is id_map[k] for k in id_map)
    # an assigned value that cannot be packed is serialized plainly
    packed = PackedIds.pack({str(ObjectId()): str(ObjectId())})
    packed["x"] = "not an id"
    assert not packed.compact()
    assert packed.serialize() == dict(packed.items())


def test_small_record_for_a_large_run():
    labels = {
        str(ObjectId()): [str(ObjectId()) for _ in range(10)]
        for _ in range(10000)
    }
    packed = PackedIds.pack(labels).serialize()
    plain_size = len(json.dumps(labels))
    packed_size = len(json.dumps(packed))
    assert packed_size < plain_size / 20


def test_unknown_format_is_named():
    with pytest.raises(ValueError, match="upgrade fiftyone-labelstudio"):
        PackedIds.from_serial({"_packed": "packed-ids-99"})
    with pytest.raises(ValueError, match="upgrade fiftyone-labelstudio"):
        PackedTaskMap.from_serial({"_packed": "packed-tasks-99"})


@settings(max_examples=200, deadline=None)
@given(
    task_map=st.dictionaries(
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        _OIDS,
        max_size=40,
    ),
    probe=st.integers(),
)
def test_task_map_is_exact(task_map, probe):
    packed = packed_tasks.pack_task_map(task_map)
    record = _through_record(packed.serialize() if task_map else {})
    back = packed_tasks.task_map_from_record(record)
    for m in (packed, back):
        assert dict(m.items()) == task_map
        assert list(m) == list(task_map)
        assert sorted(m) == sorted(task_map)
        assert list(m.values()) == list(task_map.values())
        assert len(m) == len(task_map)
        assert (probe in m) == (probe in task_map)
        assert m.get(probe) == task_map.get(probe)
        assert "1" not in m


def test_old_records_still_read():
    sample, label = str(ObjectId()), str(ObjectId())
    # as FiftyOne wrote them: plain dicts, task ids as JSON strings
    record = json_util.loads(
        json_util.dumps(
            {"id_map": {"gt": {sample: [label]}}, "task_map": {7: sample}}
        )
    )
    assert packed_ids.unpack_record(record["id_map"]) == {
        "gt": {sample: [label]}
    }
    assert packed_tasks.task_map_from_record(record["task_map"]) == {7: sample}


@settings(max_examples=200, deadline=None)
@given(
    by_sample=_FIELDS,
    changes=st.dictionaries(_OIDS, _VALUES, max_size=10),
    kept=st.lists(st.integers(0, 100), max_size=10),
    deleted=st.lists(st.integers(0, 100), max_size=3),
)
def test_update_changed_sets_exactly_what_differs(
    by_sample, changes, kept, deleted
):
    """A batch's narrowed map (unchanged samples and changed ones) put
    back: the result is ``dict.update``'s and only changes are set."""
    packed = PackedIds.pack(by_sample)
    keys = list(by_sample)
    plain = dict(by_sample)
    for i in deleted:
        if keys and keys[i % len(keys)] in plain:
            del plain[keys[i % len(keys)]]
            del packed[keys[i % len(keys)]]
    narrowed = {
        keys[i % len(keys)]: by_sample[keys[i % len(keys)]]
        for i in kept
        if keys
    }
    narrowed.update(changes)
    before, gone = dict(packed._over), set(packed._gone)
    packed.update_changed(narrowed)
    plain.update(narrowed)
    assert packed == plain
    differs = {k for k, v in narrowed.items() if by_sample.get(k, 0) != v}
    differs |= {k for k in narrowed if k not in by_sample}
    assert set(packed._over) - set(before) <= differs | gone


@settings(max_examples=200, deadline=None)
@given(by_sample=_FIELDS, data=st.data())
def test_edited_ids_are_rewritten_in_place_and_copies_keep_theirs(
    by_sample, data
):
    """Every sample given other ids of the same shape (a batch of edited
    labels): the map equals ``dict.update``'s without holding anything
    aside, through its saved record too; a copy taken before keeps what
    it had, and so does the map it was copied from."""
    edited = {
        key: (
            data.draw(_OIDS)
            if type(value) is str
            else (
                [data.draw(_OIDS) for _ in value]
                if type(value) is list
                else value
            )
        )
        for key, value in by_sample.items()
    }
    packed = PackedIds.pack(by_sample)
    packed.update_changed(edited)
    assert packed == edited
    assert packed._over == {}
    assert PackedIds.from_serial(_through_record(packed.serialize())) == (
        edited
    )

    original = PackedIds.pack(by_sample)
    copied = original.copy()
    copied.update_changed(edited)
    assert copied == edited
    assert original == by_sample
