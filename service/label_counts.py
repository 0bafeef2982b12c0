"""How many labels the fields of a dataset hold (before and after a
load)."""

import fiftyone.core.fields as fof
import fiftyone.core.labels as fol

# The list attribute of each list label class
LIST_ATTR = {
    fol.Classifications: "classifications",
    fol.Detections: "detections",
    fol.Polylines: "polylines",
    fol.Keypoints: "keypoints",
}


def label_counts(dataset, fields) -> dict:
    return {name: count_labels(dataset, name) for name in fields}


def count_labels(dataset, name) -> int:
    """Labels in a field (list fields count their items)."""
    if not dataset.has_field(name):
        return 0
    field = dataset.get_field(name)
    path = name
    if isinstance(field, fof.EmbeddedDocumentField):
        attr = LIST_ATTR.get(field.document_type)
        if attr:
            path = "%s.%s" % (name, attr)
    try:
        return int(dataset.count(path))
    except Exception:
        return 0


def fields_with_prefixes(dataset, schema) -> list:
    """Fields named ``<schema field>_...`` (earlier per-annotator loads)."""
    names = list(dataset.get_field_schema())
    if dataset._has_frame_fields():
        names += ["frames." + n for n in dataset.get_frame_field_schema()]
    prefixes = tuple("%s_" % f for f in schema or {})
    return [n for n in names if prefixes and n.startswith(prefixes)]
