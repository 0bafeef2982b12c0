"""Cheap read-only views of labels as stored in MongoDB.

``samples.values(field)`` builds a mongoengine document per label (and
every attribute read on it dereferences lists): ~70% of the upload time
of a box dataset. ``samples.values(field, _raw=True)`` is ~70x faster;
:func:`raw_values` wraps those raw dicts in :class:`RawLabel` views that
answer what the converters read (``id``, fields with their defaults,
dynamic attributes, ``get_attribute_value``, ``isinstance`` against the
label class) without building documents. Values the views do not cover
(masks, legacy ``attributes`` dicts, label classes not listed below, raw
values that are not plain JSON-like data) fall back to real labels.
"""

import fiftyone.core.labels as fol

# Label classes the views stand in for (the converters of these families
# only read; masks are read from files and set on the labels)
_VIEW_CLASSES = {
    cls.__name__: cls
    for cls in (
        fol.Classification,
        fol.Classifications,
        fol.Detection,
        fol.Detections,
        fol.Polyline,
        fol.Polylines,
        fol.Keypoint,
        fol.Keypoints,
    )
}
_PLAIN = (str, int, float, bool, type(None))
_NO_DEFAULT = object()


class RawLabel:
    """A read-only label over its raw dict (``_id`` -> ``id``)."""

    __slots__ = ("_doc", "_label_cls")

    def __init__(self, doc: dict, label_cls):
        self._doc = doc
        self._label_cls = label_cls

    # isinstance(view, fol.Detection) is True, as for the real label
    @property
    def __class__(self):
        return self._label_cls

    def __getattr__(self, name):
        doc = self._doc
        if name == "id":
            _id = doc.get("_id")
            return str(_id) if _id is not None else None
        if name in doc:
            return _view(doc[name])
        field = self._label_cls._fields.get(name)
        if field is not None:
            default = field.default
            return default() if callable(default) else default
        value = getattr(self._label_cls, name)  # class constants
        if callable(value):
            raise AttributeError(name)
        return value

    def __getitem__(self, name):
        try:
            return self.__getattr__(name)
        except AttributeError:
            raise KeyError(name) from None

    def get_attribute_value(self, name, default=_NO_DEFAULT):
        try:
            return self.__getattr__(name)
        except AttributeError:
            if default is _NO_DEFAULT:
                raise
            return default


def _view(value):
    if isinstance(value, dict) and "_cls" in value:
        return RawLabel(value, _VIEW_CLASSES[value["_cls"]])
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_view(v) for v in value]
    return value


def raw_values(samples, field: str) -> list:
    """``samples.values(field)``, as :class:`RawLabel` views when every
    value can be one, else as real labels."""
    docs = samples.values(field, _raw=True)
    if not all(_viewable(doc) for doc in docs):
        return samples.values(field)
    return [_view(doc) for doc in docs]


def _viewable(doc) -> bool:
    """True for None or a label dict of a covered class whose contents
    are plain data (nested labels of covered classes included)."""
    if doc is None:
        return True
    if not isinstance(doc, dict) or doc.get("_cls") not in _VIEW_CLASSES:
        return False
    if doc.get("attributes"):
        return False  # legacy attributes dict: read through the real label
    for key, value in doc.items():
        if key in ("_id", "attributes"):
            continue
        if not _plain(value):
            return False
    return True


def _plain(value) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return "_cls" in value and _viewable(value)
    return False
