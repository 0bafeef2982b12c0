"""``annotate()`` without FiftyOne's full label scan for attributes.

With ``attributes=True`` and an existing label field, FiftyOne's
``annotate()`` builds every label of the field as a Label object to find
the attribute names (``utils.annotations._get_label_attributes``): most of
the time and memory of a large request. :func:`annotate` finds the same
names, first values and order with one MongoDB aggregation per field,
builds only the few labels that hold a first value, and hands FiftyOne the
attributes explicitly, so FiftyOne builds the label schema it would have
built without scanning. A field whose raw documents cannot be mapped
exactly onto FiftyOne's objects is left to FiftyOne's own scan.
"""

import contextlib
import copy
import inspect
import logging
import threading

import fiftyone.core.fields as fof
import fiftyone.core.labels as fol
import fiftyone.utils.annotations as foua
from fiftyone import ViewField as F

from .. import constants
from .fiftyone_internals import fast_paths_ok, internal
from .groups import checked_slices, is_grouped

logger = logging.getLogger(__name__)

_PARAMS = inspect.signature(foua.annotate).parameters
_DEFAULTS = {
    name: p.default
    for name, p in _PARAMS.items()
    if p.default is not inspect.Parameter.empty
}
_NO_ATTRIBUTE_TYPES = ("scalar", "segmentation")


class _NotExact(Exception):
    """Raw label documents the fast scan cannot map onto Label objects."""


def annotate(samples, anno_key: str, **kwargs):
    """Same arguments and result as ``samples.annotate(anno_key,
    **kwargs)``, ``backend`` defaulting to "labelstudio" (with this
    package's backend class), without FiftyOne's full label scan for
    attribute discovery."""
    kwargs.setdefault("backend", constants.BACKEND_NAME)
    if kwargs["backend"] == constants.BACKEND_NAME:
        kwargs.setdefault("config_cls", constants.CONFIG_CLS)
    if is_grouped(samples):
        # before FiftyOne's schema checks, which refuse a video slice with
        # a message about frame fields
        checked_slices(samples)
    # foua.annotate is what samples.annotate(anno_key, **kwargs) calls,
    # with the same defaults
    if not fast_paths_ok("annotate"):
        # FiftyOne's own attribute scan: slower, the same run
        return foua.annotate(samples, anno_key, **kwargs)
    try:
        schema = explicit_label_schema(samples, **kwargs)
    except Exception:  # FiftyOne raises the same error, or scans itself
        logger.debug("fast attribute scan skipped", exc_info=True)
        schema = None
    if schema is not None:
        kwargs["label_schema"] = schema
    return foua.annotate(samples, anno_key, **kwargs)


def explicit_label_schema(samples, **kwargs):
    """The ``label_schema`` to pass to ``annotate(**kwargs)`` instead,
    with explicit attributes wherever FiftyOne would scan the labels; None
    when FiftyOne scans nothing."""
    args = dict(_DEFAULTS, **kwargs)
    if args["label_schema"] is None and args["label_field"] is None:
        return None
    if not samples:
        return None
    samples = _regular_view(samples)
    config_kwargs = {k: v for k, v in kwargs.items() if k not in _PARAMS}
    backend = internal("_parse_config")(
        args["backend"], None, media_field=args["media_field"], **config_kwargs
    ).build()
    if samples.media_type not in backend.supported_media_types:
        return None
    if not backend.supported_attr_types:
        return None

    schema = _normalized_schema(args)
    changed = False
    with _quiet_type_warnings():
        for field, info in schema.items():
            label_type, _, existing, multiple = internal("_get_label_type")(
                samples, backend, args["label_type"], field, info
            )
            if multiple:  # FiftyOne narrows the view for later fields too
                samples = internal("_select_labels_with_type")(
                    samples, field, label_type
                )
            if not existing or label_type in _NO_ATTRIBUTE_TYPES:
                continue
            attrs = info.get("attributes", args["attributes"])
            if _would_scan(attrs):
                found = _scan(samples, backend, field, label_type)
                if found is not None:
                    info["attributes"] = found
                    changed = True
            classes = info.get("classes", args["classes"])
            new_classes = _class_groups(
                samples, backend, field, label_type, classes
            )
            if new_classes is not None:
                info["classes"] = new_classes
                changed = True
    return schema if changed else None


def _regular_view(samples):
    if is_grouped(samples):
        # the attributes of every slice's labels (FiftyOne's own scan
        # sees the active slice only); the slices are images (checked)
        return samples.select_group_slices(_allow_mixed=True)
    # what FiftyOne's annotate() does with patches views first
    if samples._dataset._is_patches:
        ids = internal("_get_patches_view_label_ids")(samples)
        return samples._root_dataset.select_labels(
            ids=ids, fields=samples._label_fields
        )
    return samples


def _normalized_schema(args) -> dict:
    """FiftyOne's per-field schema dicts (copies; the caller's stay)."""
    label_schema = args["label_schema"]
    if label_schema is None:
        names = inspect.signature(internal("_init_label_schema")).parameters
        label_schema = internal("_init_label_schema")(
            **{n: args[n] for n in names}
        )
    elif isinstance(label_schema, list):
        label_schema = {field: {} for field in label_schema}
    return {field: dict(info) for field, info in label_schema.items()}


def _would_scan(attributes) -> bool:
    # FiftyOne's own test (utils.annotations._get_attributes)
    return attributes in [True, False, None] and attributes == True


def _class_groups(samples, backend, field, label_type, classes):
    """``classes`` with scanned attributes in its ``{"classes",
    "attributes": True}`` groups, or None when no group scans."""
    if not classes or not isinstance(classes, (list, tuple)):
        return None
    out, changed = [], False
    for group in classes:
        if (
            isinstance(group, dict)
            and "classes" in group
            and "attributes" in group
            and _would_scan(group["attributes"])
        ):
            names = group["classes"]
            names = [names] if isinstance(names, str) else list(names)
            found = _scan(samples, backend, field, label_type, names)
            if found is not None:
                group = dict(group, attributes=found)
                changed = True
        out.append(group)
    return out if changed else None


def _scan(samples, backend, field, label_type, classes=None):
    """What ``_get_label_attributes`` returns, or None to let it run."""
    if classes is not None:
        samples = samples.filter_labels(field, F("label").is_in(classes))
    try:
        found = first_attribute_values(samples, field)
    except _NotExact as e:
        logger.debug("field '%s': FiftyOne scans it (%s)", field, e)
        return None
    attributes = {
        name: backend.recommend_attr_tool(name, value) for name, value in found
    }
    if internal("_is_trackable_field")(samples, field, label_type):
        attributes.pop("keyframe", None)
    return attributes


def first_attribute_values(samples, field: str) -> list:
    """``[(name, value)]``: each custom attribute of the field's labels
    with a non-None value, its first such value, in the order in which
    iterating the labels' ``iter_attributes()`` first meets them.

    Raises:
        _NotExact: when raw keys do not map exactly onto the attributes
    """
    label_cls, path = samples._get_label_field_path(field)
    leaf_cls = internal("_LABEL_LIST_TO_SINGLE_MAP").get(label_cls, label_cls)
    leaf_field = samples.get_field(path)
    if isinstance(leaf_field, fof.ListField):
        leaf_field = leaf_field.field
    is_frame = samples._is_frame_field(field)
    pipeline = _first_labels_pipeline(
        path,
        is_frame,
        issubclass(label_cls, internal("_HasLabelList")),
        sorted(
            set(leaf_cls._fields)
            | {f.db_field for f in leaf_cls._fields.values()}
        ),
        issubclass(leaf_cls, internal("_HasAttributesDict")),
    )
    groups = list(
        samples._aggregate(pipeline=pipeline, attach_frames=is_frame)
    )

    labels, places = {}, {}  # position -> (label, attrs); name -> [pos]
    for group in groups:
        at = group["at"]
        pos = (at["_id"], at.get("fi", 0), at.get("li", 0))
        if pos not in labels:
            label = leaf_field.to_python(copy.deepcopy(at["l"]))
            labels[pos] = (label, dict(label.iter_attributes()))
        label, values = labels[pos]
        key, legacy = group["_id"]["k"], group["_id"]["s"] == 1
        # FiftyOne stores ObjectId attributes under "_<name>"
        strip = key.startswith("_") and key not in values
        name = key[1:] if strip else key
        if (
            values.get(name) is None
            or hasattr(type(label), name)  # legacy keys shadowed by fields
            or (legacy and group["dup"])
        ):
            raise _NotExact("raw key %r" % key)
        places.setdefault(name, []).append(pos)
    for _, values in labels.values():
        if any(v is not None and n not in places for n, v in values.items()):
            raise _NotExact("an attribute without a raw key")

    rank = _sample_ranks(samples, {p[0] for ps in places.values() for p in ps})
    first = {
        name: min(ps, key=lambda p: (rank[p[0]], p[1], p[2]))
        for name, ps in places.items()
    }

    def order(name):
        # the label's own iteration order breaks ties, as in FiftyOne
        pos = first[name]
        return (rank[pos[0]], pos[1], pos[2], list(labels[pos][1]).index(name))

    return [
        (name, labels[first[name]][1][name])
        for name in sorted(first, key=order)
    ]


def _first_labels_pipeline(path, is_frame, is_list, defaults, legacy):
    """Per raw attribute key ``k`` (``s`` = 1: a key of the legacy
    ``attributes`` dict) the first label ``l`` with a non-null value and
    its place (sample id, frame index, label index); ``dup``: a label has
    the legacy key at its top level too."""
    stages, project = [], {"l": "$" + path}
    if is_frame:
        stages.append(
            {"$unwind": {"path": "$frames", "includeArrayIndex": "fi"}}
        )
        project["fi"] = 1
    stages.append({"$project": project})
    if is_list:
        stages.append({"$unwind": {"path": "$l", "includeArrayIndex": "li"}})
    top = {"$objectToArray": "$l"}
    custom = {"$not": [{"$in": ["$$this.k", defaults]}]}
    pairs = _pairs(top, {"$and": [custom, _not_null("$$this.v")]}, 0, False)
    if legacy:  # a null value would drop the label's other keys
        attrs = {"$objectToArray": {"$ifNull": ["$l.attributes", {}]}}
        dup = {"$in": ["$$this.k", {"$map": {"input": top, "in": "$$this.k"}}]}
        more = _pairs(attrs, _not_null("$$this.v.value"), 1, dup)
        pairs = {"$concatArrays": [pairs, more]}
    return stages + [
        {"$match": {"l": {"$type": "object"}}},
        {"$project": {"fi": 1, "li": 1, "l": 1, "kv": pairs}},
        {"$unwind": "$kv"},
        {
            "$group": {
                "_id": {"k": "$kv.k", "s": "$kv.s"},
                "at": {"$first": "$$ROOT"},
                "dup": {"$max": "$kv.d"},
            }
        },
    ]


def _pairs(entries, cond, source, dup) -> dict:
    keep = {"$filter": {"input": entries, "cond": cond}}
    return {
        "$map": {"input": keep, "in": {"k": "$$this.k", "s": source, "d": dup}}
    }


def _not_null(expr) -> dict:
    return {"$not": [{"$in": [{"$type": expr}, ["null", "missing"]]}]}


@contextlib.contextmanager
def _quiet_type_warnings():
    """Drops, in this thread, the "multiple types" warning of
    ``_get_label_type``: FiftyOne logs it again when it runs."""
    ident = threading.get_ident()
    log = logging.getLogger(foua.__name__)

    def other_threads(record):
        return record.thread != ident

    log.addFilter(other_threads)
    try:
        yield
    finally:
        log.removeFilter(other_threads)


def _sample_ranks(samples, ids) -> dict:
    """The position of each sample id in the view's order."""
    if len(ids) <= 1:
        return {i: 0 for i in ids}
    cursor = samples._aggregate(
        pipeline=[
            {"$match": {"_id": {"$in": list(ids)}}},
            {"$project": {"_id": 1}},
        ]
    )
    return {d["_id"]: i for i, d in enumerate(cursor)}
