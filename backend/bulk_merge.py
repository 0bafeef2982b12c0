"""Merges downloaded labels into a sample-level label field in bulk.

FiftyOne's ``_merge_labels`` loads every annotated sample as a ``Sample``
(``iter_samples(autosave=True)``), merges label objects one by one and
saves each sample: ~60% of a load's time. This does the same merge on the
raw field documents instead: read the field of 1,000 samples at a time
(one query), merge label dicts, write them back with one bulk write.

The semantics are FiftyOne's, case by case (see ``merge_labels``): the
same labels are deleted, merged, added and recorded in the run's id_map,
and a merged label gets the same fields as ``foua._merge_label`` gives it.
Labels with legacy ``attributes`` dicts are merged by FiftyOne's own
``_merge_label`` on label objects. Clips and frames views and video frame
fields are not handled here (``merge_labels`` returns False and the caller
uses FiftyOne's merge).
"""

import functools
import logging
from collections import defaultdict
from datetime import datetime
from typing import Optional

from bson import ObjectId
from pymongo import UpdateOne

import fiftyone.core.labels as fol
import fiftyone.core.utils as fou

from .fiftyone_internals import internal

logger = logging.getLogger(__name__)

# Samples read, merged and written per round trip
BATCH_SIZE = 1000
# Keys of a raw label document that are not fields of the label class
_RAW_KEYS = ("_id", "_cls")


class _Rules:
    """The merge flags of one field (FiftyOne's defaults when absent)."""

    def __init__(self, label_info, global_attrs, class_attrs):
        info = label_info or {}
        self.allow_additions = info.get("allow_additions", True)
        self.allow_deletions = info.get("allow_deletions", True)
        self.allow_label_edits = info.get("allow_label_edits", True)
        self.allow_index_edits = info.get("allow_index_edits", True)
        self.allow_spatial_edits = info.get("allow_spatial_edits", True)
        self.global_attrs = global_attrs
        self.class_attrs = class_attrs or {}


def supports(dataset, results, label_field: str, label_type: str) -> bool:
    """Whether :func:`merge_labels` handles this field."""
    return (
        label_type in internal("_LABEL_TYPES_MAP")
        and "." not in label_field
        and not results._is_clips
        and not results._is_frames
        and not dataset._is_frame_field(label_field)
    )


def merge_labels(
    dataset,
    anno_dict: dict,
    results,
    label_field: str,
    label_type: str,
    label_info: Optional[dict] = None,
    global_attrs: Optional[list] = None,
    class_attrs: Optional[dict] = None,
    progress=None,
) -> bool:
    """Merges ``{sample id: {label id: Label}}`` into ``label_field``
    like ``fiftyone.utils.annotations._merge_labels``.

    Returns False (and changes nothing) when the field is not one that
    :func:`supports` covers.
    """
    if not supports(dataset, results, label_field, label_type):
        return False
    rules = _Rules(label_info, global_attrs, class_attrs)
    label_cls = internal("_LABEL_TYPES_MAP")[label_type]
    internal("_ensure_label_field")(dataset, label_field, label_cls)

    existing_ids = _existing_ids(results.id_map.get(label_field, {}))
    anno_ids = _regenerate_duplicate_ids(anno_dict, existing_ids)
    delete_ids = existing_ids - anno_ids
    new_ids = anno_ids - existing_ids

    logger.info("Loading labels for field '%s'...", label_field)
    if delete_ids and rules.allow_deletions:
        # deleted labels of samples that have no annotation entry
        elsewhere = [lid for sid, lid in delete_ids if sid not in anno_dict]
        if elsewhere:
            dataset.delete_labels(ids=elsewhere, fields=label_field)

    merger = _FieldMerger(label_cls, rules, new_ids, delete_ids)
    _merge_in_batches(dataset, label_field, anno_dict, merger, progress)

    if new_ids and not rules.allow_additions:
        logger.warning(
            "Ignored %d added labels in field '%s' because "
            "`allow_additions=False`",
            len(new_ids),
            label_field,
        )
    if delete_ids and not rules.allow_deletions:
        logger.warning(
            "Ignored %d deleted labels in field '%s' because "
            "`allow_deletions=False`",
            len(delete_ids),
            label_field,
        )
    results._update_id_map(label_field, merger.added_id_map)
    return True


def _existing_ids(id_map: dict) -> set:
    return {
        (sample_id, label_id)
        for sample_id, label_ids in id_map.items()
        for label_id in internal("_to_list")(label_ids)
    }


def _regenerate_duplicate_ids(anno_dict: dict, existing_ids: set) -> set:
    """The ``(sample id, label id)`` pairs of the annotations; a NEW label
    whose id occurs in several samples gets a fresh id (as FiftyOne
    does: label ids must stay unique)."""
    counts = defaultdict(int)
    for sample_labels in anno_dict.values():
        for label_id in sample_labels:
            counts[label_id] += 1
    anno_ids = set()
    for sample_id, sample_labels in anno_dict.items():
        for label_id in list(sample_labels):
            key = (sample_id, label_id)
            if counts[label_id] > 1 and key not in existing_ids:
                label = sample_labels.pop(label_id)
                new_id = ObjectId()
                if isinstance(label, dict):
                    label["_id"] = new_id
                else:
                    label.id = str(new_id)
                sample_labels[str(new_id)] = label
                key = (sample_id, str(new_id))
            anno_ids.add(key)
    return anno_ids


def _merge_in_batches(dataset, field, anno_dict, merger, progress) -> None:
    coll = dataset._sample_collection
    sample_ids = list(anno_dict)
    with fou.ProgressBar(total=len(sample_ids), progress=progress) as pb:
        for start in range(0, len(sample_ids), BATCH_SIZE):
            batch = sample_ids[start : start + BATCH_SIZE]
            oids = [ObjectId(s) for s in batch]
            changed = {}
            for doc in coll.find({"_id": {"$in": oids}}, {field: 1}):
                sample_id = str(doc["_id"])
                old = doc.get(field)
                new = merger.merge(sample_id, old, anno_dict[sample_id])
                if new != old:
                    changed[doc["_id"]] = new
            write_field_docs(dataset, field, changed)
            pb.update(len(batch))


def write_field_docs(dataset, field: str, docs: dict) -> None:
    """Sets ``field`` of the samples ``{sample ObjectId: raw document}``
    in one bulk write (what ``set_values`` does, without building and
    validating Label objects); in-memory samples are reloaded."""
    if not docs:
        return
    now = datetime.utcnow()
    ops = [
        UpdateOne(
            {"_id": _id}, {"$set": {field: doc, "last_modified_at": now}}
        )
        for _id, doc in docs.items()
    ]
    dataset._bulk_write(ops, ids=list(docs))


class _FieldMerger:
    """Merges one sample's annotations into its raw field document."""

    def __init__(self, label_cls, rules: _Rules, new_ids, delete_ids):
        self.label_cls = label_cls
        self.rules = rules
        self.new_ids = new_ids
        self.delete_ids = delete_ids if rules.allow_deletions else set()
        self.is_list = issubclass(label_cls, internal("_HasLabelList"))
        self.list_field = label_cls._LABEL_LIST_FIELD if self.is_list else None
        self.item_cls = (
            label_cls._fields[self.list_field].field.document_type
            if self.is_list
            else label_cls
        )
        self.added_id_map = defaultdict(list)

    def merge(self, sample_id: str, doc, annos: dict):
        if self.is_list:
            return self._merge_list(sample_id, doc, annos)
        return self._merge_single(sample_id, doc, annos)

    def _merge_list(self, sample_id, doc, annos):
        if doc is None:
            if not self.rules.allow_additions:
                return None
            self.added_id_map[sample_id].extend(annos)
            return {
                "_cls": self.label_cls.__name__,
                self.list_field: [_son(a) for a in annos.values()],
            }
        items = []
        for item in doc.get(self.list_field) or []:
            key = (sample_id, str(item.get("_id")))
            if key in self.delete_ids:
                continue
            anno = annos.get(key[1])
            if anno is not None and key not in self.new_ids:
                item = self._merge_item(item, anno)
            items.append(item)
        if self.rules.allow_additions:
            for label_id, anno in annos.items():
                if (sample_id, label_id) in self.new_ids:
                    items.append(_son(anno))
                    self.added_id_map[sample_id].append(label_id)
        return dict(doc, **{self.list_field: items})

    def _merge_single(self, sample_id, doc, annos):
        if doc is not None:
            key = (sample_id, str(doc.get("_id")))
            if key in self.delete_ids:
                doc = None
        if doc is None:
            if not (self.rules.allow_additions and annos):
                return None
            label_id, anno = next(iter(annos.items()))
            self.added_id_map[sample_id] = label_id
            return _son(anno)
        anno = annos.get(key[1])
        if anno is None or key in self.new_ids:
            return doc
        return self._merge_item(doc, anno)

    def _merge_item(self, item: dict, anno) -> dict:
        """``foua._merge_label`` on a raw label dict (``anno``: a Label or
        its raw document)."""
        raw = isinstance(anno, dict)
        cls = getattr(fol, anno.get("_cls"), None) if raw else type(anno)
        if cls is None:
            cls = self.item_cls
        legacy = (anno if raw else anno._data).get("attributes")
        if item.get("attributes") or legacy:
            # legacy attribute dicts: FiftyOne's merge on label objects
            label = self.item_cls._from_son(item)
            if raw:
                anno = cls._from_son(dict(anno))
            _merge_objects(label, anno, self.rules)
            return dict(label.to_mongo())
        value = anno.get if raw else functools.partial(_mongo_value, anno)
        rules = self.rules
        merged = dict(item)
        for name in internal("_DEFAULT_LABEL_FIELDS_MAP").get(cls, []):
            if name == "label" and not rules.allow_label_edits:
                continue
            if name == "index" and not rules.allow_index_edits:
                continue
            _put(merged, name, value(name), cls)
        if rules.allow_spatial_edits:
            for name in internal("_SPATIAL_LABEL_FIELDS_MAP").get(cls, []):
                _put(merged, name, value(name), cls)
        if rules.global_attrs is None:
            names = _attribute_names(anno, cls)
        else:
            names = rules.global_attrs + rules.class_attrs.get(
                merged.get("label"), []
            )
        for name in names:
            _put(merged, name, value(name), cls)
        return merged


def _son(label) -> dict:
    """The raw document of a Label (raw documents are used as they are)."""
    return label if isinstance(label, dict) else dict(label.to_mongo())


def _attribute_names(anno, cls) -> set:
    """The custom attributes of a Label or raw label document."""
    if isinstance(anno, dict):
        return {k for k in anno if k not in _RAW_KEYS and k not in cls._fields}
    return set(anno._fields_ordered) - set(anno._fields)


def _mongo_value(label, name: str):
    """One field of ``label.to_mongo()`` without serializing the others
    (a merge copies 3-4 fields of each label)."""
    value = label._data.get(name)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    field = label._fields.get(name) or label._dynamic_fields.get(name)
    return value if field is None else field.to_mongo(value)


def _put(doc: dict, name: str, value, cls) -> None:
    """Sets a field as assigning it on the label object would: a declared
    field set to None leaves the document; an attribute set to None stays
    as None if the label had it, else is not added (mongoengine's dynamic
    fields)."""
    if value is not None:
        doc[name] = value
    elif name in cls._fields:
        doc.pop(name, None)
    elif name in doc:
        doc[name] = None


def _merge_objects(label, anno, rules: _Rules) -> None:
    internal("_merge_label")(
        label,
        anno,
        global_attrs=rules.global_attrs,
        class_attrs=rules.class_attrs,
        allow_label_edits=rules.allow_label_edits,
        allow_index_edits=rules.allow_index_edits,
        allow_spatial_edits=rules.allow_spatial_edits,
    )
