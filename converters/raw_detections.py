"""A loaded box as its database document, without a Detection object.

Building a ``fiftyone.core.labels.Detection`` (mongoengine) costs
100-200 us and its ``to_mongo()`` another ~30 us; a load of 100k tasks of
10 boxes builds a million of them (~60% of the client's time in a 10k
profile). Fields the bulk merge takes as raw documents get a
:class:`RawDetection` instead: it holds ``to_mongo()``'s document and
answers the few things the load asks of a label before the merge (its
id, class, index, a set attribute). Anything else gets the real label
(:meth:`RawDetection.as_label`), e.g. a box whose class goes to
``unexpected``.
"""

from bson import ObjectId

import fiftyone.core.labels as fol

# to_mongo()'s order of Detection's declared fields (dynamic ones follow)
_FIELD_ORDER = (
    "_id",
    "_cls",
    "attributes",
    "tags",
    "label",
    "bounding_box",
    "confidence",
    "index",
)


class RawDetection:
    """``Detection(_id=..., label=..., bounding_box=..., confidence=...)``
    held as its document (``to_mongo()`` gives the same dict)."""

    __slots__ = ("_doc",)

    def __init__(
        self, label_id: str, label, bounding_box: list, confidence=None
    ):
        doc = {
            "_id": ObjectId(label_id),
            "_cls": "Detection",
            "attributes": {},
            "tags": [],
        }
        if label is not None:
            doc["label"] = str(label)
        doc["bounding_box"] = [float(v) for v in bounding_box]
        if confidence is not None:
            doc["confidence"] = float(confidence)
        self._doc = doc

    @property
    def id(self) -> str:
        return str(self._doc["_id"])

    @id.setter
    def id(self, value: str) -> None:
        self._doc["_id"] = ObjectId(value)

    @property
    def label(self):
        return self._doc.get("label")

    @property
    def bounding_box(self) -> list:
        return self._doc["bounding_box"]

    @property
    def confidence(self):
        return self._doc.get("confidence")

    @property
    def index(self):
        return self._doc.get("index")

    @index.setter
    def index(self, value) -> None:
        self._set("index", None if value is None else int(value))

    def __setitem__(self, name: str, value) -> None:
        """A dynamic attribute (e.g. the box's rotation)."""
        if name in _FIELD_ORDER or name in ("id", "mask", "mask_path"):
            raise KeyError("%r is not a dynamic attribute" % name)
        self._set(name, value)

    def __getitem__(self, name: str):
        if name == "id":
            return self.id
        return self._doc.get(name)

    def _set(self, name, value) -> None:
        doc = {k: v for k, v in self._doc.items() if k != name}
        if value is not None:
            doc[name] = value
        declared = [k for k in _FIELD_ORDER if k in doc]
        self._doc = {
            **{k: doc[k] for k in declared},
            **{k: v for k, v in doc.items() if k not in _FIELD_ORDER},
        }

    def to_mongo(self) -> dict:
        return dict(self._doc)

    def as_label(self) -> fol.Detection:
        """The Detection this document is."""
        return fol.Detection.from_dict(self.to_mongo())

    def __repr__(self) -> str:
        return "RawDetection(%r)" % self._doc


def as_label(label):
    """A real Label for ``label`` (a :class:`RawDetection` or a Label)."""
    return label.as_label() if isinstance(label, RawDetection) else label
