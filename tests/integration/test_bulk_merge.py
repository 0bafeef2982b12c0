"""The bulk merge gives exactly FiftyOne's merge: for random label fields,
id maps, annotation edits (moved, relabeled, re-indexed, attributes set and
cleared, deleted, added, duplicated ids) and allow_* flags, the raw sample
documents and the run's id_map after ``bulk_merge.merge_labels`` equal
those after ``fiftyone.utils.annotations._merge_labels`` (FiftyOne's real
MongoDB; no Label Studio needed)."""

import copy
import uuid

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fiftyone as fo
import fiftyone.core.labels as fol
import fiftyone.utils.annotations as foua

from fiftyone_labelstudio.backend import bulk_merge
from fiftyone_labelstudio.backend.packed_ids import PackedIds

pytestmark = pytest.mark.integration

FIELD = "gt"
CLASSES = ["cat", "dog", "bird"]
NUM_SAMPLES = 4
LIST_TYPES = {
    "detections": (fol.Detections, fol.Detection),
    "polylines": (fol.Polylines, fol.Polyline),
    "keypoints": (fol.Keypoints, fol.Keypoint),
    "classifications": (fol.Classifications, fol.Classification),
}
SINGLE_TYPES = {
    "detection": fol.Detection,
    "classification": fol.Classification,
    "polyline": fol.Polyline,
}

coords = st.floats(0, 1, allow_nan=False, width=32)
attr_values = st.one_of(st.none(), st.booleans(), st.integers(0, 9))


@st.composite
def labels(draw, cls):
    kwargs = {"label": draw(st.sampled_from(CLASSES))}
    if cls is fol.Detection:
        kwargs["bounding_box"] = [draw(coords) for _ in range(4)]
    elif cls is fol.Polyline:
        kwargs["points"] = [[(draw(coords), draw(coords))]]
        kwargs["closed"] = draw(st.booleans())
    elif cls is fol.Keypoint:
        kwargs["points"] = [(draw(coords), draw(coords))]
    if cls is not fol.Classification and draw(st.booleans()):
        kwargs["index"] = draw(st.integers(0, 5))
    for name in ("occluded", "size"):
        if draw(st.booleans()):
            kwargs[name] = draw(attr_values)
    return cls(**kwargs)


@st.composite
def edited(draw, label, cls):
    """The annotation of an existing label: same id, some changes."""
    new = draw(labels(cls))
    anno = _clone(label)
    for name in ("label", "bounding_box", "points", "closed", "index"):
        if name in cls._fields and draw(st.booleans()):
            anno[name] = new[name] if name in new._fields_ordered else None
    for name in ("occluded", "size"):
        if draw(st.booleans()):
            anno[name] = draw(attr_values)
    return anno


@st.composite
def scenarios(draw, label_type):
    """(field values, id_map, anno_dict, label_info); samples are
    addressed by position until a dataset holds them."""
    is_list = label_type in LIST_TYPES
    container, cls = (
        LIST_TYPES[label_type] if is_list else (None, SINGLE_TYPES[label_type])
    )
    values, id_map, anno_dict = [], {}, {}
    shared_new_id = str(ObjectId())
    for pos in range(NUM_SAMPLES):
        if draw(st.booleans()) and draw(st.booleans()):
            current = []  # field is None
        else:
            count = draw(st.integers(0, 3)) if is_list else 1
            current = [draw(labels(cls)) for _ in range(count)]
        # labels sent to Label Studio (others were added after annotate())
        sent = [lab for lab in current if draw(st.integers(0, 4)) > 0]
        if sent or draw(st.booleans()):
            ids = [lab.id for lab in sent]
            id_map[pos] = ids if is_list else (ids[0] if ids else None)
        if current and not is_list:
            values.append(current[0])
        elif current:
            values.append(container(**{container._LABEL_LIST_FIELD: current}))
        else:
            values.append(None)
        if not draw(st.booleans()) and draw(st.booleans()):
            continue  # no annotation entry for this sample
        annos = {}
        for label in sent:
            if draw(st.integers(0, 3)) > 0:  # else deleted
                annos[label.id] = draw(edited(label, cls))
        for _ in range(draw(st.integers(0, 2))):
            new = draw(labels(cls))
            if draw(st.integers(0, 4)) == 0:
                new.id = shared_new_id  # the same new id in several samples
            annos[new.id] = new
        anno_dict[pos] = annos
    info = {
        name: draw(st.booleans())
        for name in (
            "allow_additions",
            "allow_deletions",
            "allow_label_edits",
            "allow_index_edits",
            "allow_spatial_edits",
        )
    }
    if draw(st.booleans()):
        info["attributes"] = {"occluded": {"type": "checkbox"}}
        if draw(st.booleans()):
            info["attributes"]["size"] = {
                "type": "text",
                "classes": [draw(st.sampled_from(CLASSES))],
            }
    return values, id_map, anno_dict, info


def _run(
    merge,
    values,
    id_map,
    anno_dict,
    info,
    label_type,
    raw=False,
    packed=False,
):
    """Raw field documents and id_map after ``merge``; sample ids by
    position, fresh ids given to duplicated new labels as "new". With
    ``packed``, the run's id_map field is a :class:`PackedIds` (as our
    results hold it)."""
    dataset = fo.Dataset("bulk-merge-%s" % uuid.uuid4().hex)
    try:
        dataset.add_sample_field(
            FIELD,
            fo.EmbeddedDocumentField,
            embedded_doc_type=foua._LABEL_TYPES_MAP[label_type],
        )
        sample_ids = dataset.add_samples(
            [
                fo.Sample(
                    filepath="/tmp/%d.jpg" % pos,
                    **{FIELD: _clone(value)},
                )
                for pos, value in enumerate(values)
            ]
        )
        by_pos = dict(enumerate(sample_ids))
        by_sample = {by_pos[p]: copy.deepcopy(v) for p, v in id_map.items()}
        if packed:
            by_sample = PackedIds.pack(by_sample)
            assert by_sample is not None
        results = foua.AnnotationResults(
            dataset, None, "k", {FIELD: by_sample}
        )
        as_anno = _raw_doc if raw else _clone
        annos = {
            by_pos[p]: {lid: as_anno(lab) for lid, lab in a.items()}
            for p, a in anno_dict.items()
        }
        global_attrs, class_attrs = foua._parse_attributes(info)
        merge(
            dataset,
            annos,
            results,
            FIELD,
            label_type,
            label_info=info,
            global_attrs=global_attrs,
            class_attrs=class_attrs,
            progress=False,
        )
        docs = [
            d.get(FIELD)
            for d in dataset._sample_collection.find({}, {FIELD: 1}).sort(
                "_id", 1
            )
        ]
        positions = {v: p for p, v in by_pos.items()}
        known = _label_ids(values) | {
            lid for labels in anno_dict.values() for lid in labels
        }
        id_map_after = {
            positions[s]: v for s, v in results.id_map[FIELD].items()
        }
        return _hide_fresh_ids(docs, known), _hide_fresh_ids(
            id_map_after, known
        )
    finally:
        dataset.delete()


def _raw_doc(label) -> dict:
    """What download() gives the bulk merge: the label's raw document."""
    return copy.deepcopy(dict(label.to_mongo()))


def _clone(label):
    """A copy with the same ids (``copy.deepcopy`` gives labels new ids)."""
    if label is None:
        return None
    return type(label)._from_son(copy.deepcopy(label.to_mongo()))


def _label_ids(values) -> set:
    ids = set()
    for value in values:
        if value is not None:
            name = getattr(value, "_LABEL_LIST_FIELD", None)
            ids.update(lab.id for lab in (value[name] if name else [value]))
    return ids


def _hide_fresh_ids(value, known):
    """Also drops None-valued keys: an attribute set to None is stored as
    None or not at all depending on how mongoengine's delta saves the
    sample (whole list vs per field); both read back as None."""
    if isinstance(value, dict):
        return {
            k: _hide_fresh_ids(v, known)
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list):
        return [_hide_fresh_ids(v, known) for v in value]
    if isinstance(value, ObjectId) and str(value) not in known:
        return "fresh id"
    if isinstance(value, str) and ObjectId.is_valid(value):
        return value if value in known else "fresh id"
    return value


@pytest.mark.parametrize("anno_form", ["labels", "raw documents"])
@pytest.mark.parametrize("label_type", list(LIST_TYPES) + list(SINGLE_TYPES))
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_bulk_merge_equals_fiftyone_merge(label_type, anno_form, data):
    args = data.draw(scenarios(label_type)) + (label_type,)
    expected = _run(foua._merge_labels, *args)
    actual = _run(_bulk_merge, *args, raw=anno_form == "raw documents")
    assert actual == expected


@pytest.mark.parametrize("label_type", list(LIST_TYPES) + list(SINGLE_TYPES))
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_merges_of_a_packed_id_map_equal_plain_ones(label_type, data):
    """FiftyOne's merge and ours read and update the packed id_map of
    our results exactly as a plain dict."""
    args = data.draw(scenarios(label_type)) + (label_type,)
    expected = _run(foua._merge_labels, *args)
    assert _run(foua._merge_labels, *args, packed=True) == expected
    assert _run(_bulk_merge, *args, packed=True) == expected


def _bulk_merge(*args, **kwargs):
    assert bulk_merge.merge_labels(*args, **kwargs) is True


def test_unsupported_fields_are_left_to_fiftyone():
    dataset = fo.Dataset("bulk-merge-%s" % uuid.uuid4().hex)
    try:
        results = foua.AnnotationResults(dataset, None, "k", {"_clips": {}})
        assert not bulk_merge.merge_labels(
            dataset, {}, results, FIELD, "detections"
        )
        plain = foua.AnnotationResults(dataset, None, "k", {})
        assert not bulk_merge.merge_labels(
            dataset, {}, plain, "a.b", "detections"
        )
        assert not bulk_merge.merge_labels(dataset, {}, plain, FIELD, "scalar")
        assert not dataset.has_field(FIELD)
    finally:
        dataset.delete()
