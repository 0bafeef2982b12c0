"""A field's class names: read from its schema entry and judged in one
place.

FiftyOne allows class groups (``{"classes": [...], "attributes": ...}``)
in a field's ``classes``; :func:`class_names` flattens them and
:func:`flat_classes` gives them as strings (what the converters use).
:func:`class_names_error` decides whether they can go to Label Studio
(the backend checks a run's schema with it, the label config every field
it writes); :func:`is_unknown_class` decides whether a loaded label's
class is one the field lists.
"""

# Label types whose schema entries must list classes
LABEL_TYPES_WITH_CLASSES = (
    "classification",
    "classifications",
    "detection",
    "detections",
    "instance",
    "instances",
    "polyline",
    "polylines",
    "polygon",
    "polygons",
    "keypoint",
    "keypoints",
)


def class_names(label_info: dict) -> list:
    """The flat class list of a schema entry, as given (FiftyOne allows
    ``{"classes": [...], "attributes": {...}}`` entries)."""
    names = []
    for item in label_info.get("classes") or []:
        if isinstance(item, dict):
            names.extend(item.get("classes") or [])
        else:
            names.append(item)
    return names


def flat_classes(label_info: dict) -> list[str]:
    """The flat class names of a schema entry, as strings."""
    return [str(c) for c in class_names(label_info)]


def class_names_error(field: str, classes: list, required: bool) -> str | None:
    """Why ``classes`` cannot be a field's Label Studio labels (names
    that are not strings, repeated names, none when ``required``), else
    None. The message names the field and the fix."""
    bad = [c for c in classes if not isinstance(c, str)]
    if bad:
        return (
            "Field '%s': class names must be strings, got %r (%s). Pass "
            "classes as strings, e.g. classes=%r"
            % (
                field,
                bad[0],
                type(bad[0]).__name__,
                [str(c) for c in classes[:3]],
            )
        )
    if len(set(classes)) != len(classes):
        dups = sorted({c for c in classes if classes.count(c) > 1})
        return (
            "Field '%s': class names must be unique, %r appear more than "
            "once. Remove the duplicates from classes" % (field, dups)
        )
    if required and not classes:
        return (
            "Field '%s' has no classes (it is new or has no labels to take "
            "them from). Pass classes=[...] or give 'classes' in its "
            "label_schema entry" % field
        )
    return None


def is_unknown_class(cls, classes) -> bool:
    """True when the field lists ``classes`` and ``cls`` (a label's class;
    None = no class) is not one of them."""
    return bool(classes) and cls is not None and cls not in classes
