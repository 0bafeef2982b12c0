"""Reads the labels a run sends, in chunks, while its tasks are built.

Both the existing labels (``image_tasks``) and a model's predictions
(``predictions``) are read here: through the view (so that stages such as
``filter_labels`` apply), in ``sample_ids`` order, through ``raw_labels``'
cheap views where the converters only read.
"""

from ..converters.classes import LABEL_TYPES_WITH_CLASSES
from .errors import LabelStudioBackendError
from .raw_labels import raw_values

# Samples per read while building tasks (first chunk: as small as the first
# import batch, so little is read before the first request)
READ_CHUNK = 250
READ_CHUNK_MAX = 5000
# Read through raw_labels' views (the converters of these types only read;
# instance masks may need their mask files read into the labels)
_VIEW_TYPES = tuple(
    t for t in LABEL_TYPES_WITH_CLASSES if t not in ("instance", "instances")
)


def chunked_values(samples, sample_ids, field: str, label_info: dict):
    """The field's values in ``sample_ids`` order, read READ_CHUNK samples
    at a time (growing 4x up to READ_CHUNK_MAX) through the view, so that
    view stages such as filter_labels apply."""
    if len(sample_ids) <= READ_CHUNK:
        yield from _read_values(samples, field, label_info)
        return
    start, size = 0, READ_CHUNK
    while start < len(sample_ids):
        chunk = sample_ids[start : start + size]
        view = samples.select(chunk, ordered=True)
        if view.values("id") != chunk:
            # e.g. samples deleted meanwhile: the run is rolled back
            raise LabelStudioBackendError(
                "The samples changed while the run was being created (%d "
                "of %d could be read). Nothing was kept; try again"
                % (len(view), len(chunk))
            )
        yield from _read_values(view, field, label_info)
        start += size
        size = min(size * 4, READ_CHUNK_MAX)


def _read_values(samples, field, label_info) -> list:
    """The field's values in sample order (cheap views where possible)."""
    if label_info.get("type") in _VIEW_TYPES:
        return raw_values(samples, field)
    return samples.values(field)


def labels_of(value) -> list:
    """The labels of a field value: a list label's items, else itself."""
    list_field = getattr(value, "_LABEL_LIST_FIELD", None)
    if list_field is not None:
        return list(value[list_field] or [])
    return [value]


def label_ids(value) -> list:
    """The ids of :func:`labels_of` ``value``, in order."""
    return [label.id for label in labels_of(value)]


def is_list_label(value) -> bool:
    return getattr(value, "_LABEL_LIST_FIELD", None) is not None


def read_mask_files(labels) -> None:
    """Reads masks stored on disk (``mask_path``) into the in-memory labels
    (the converters never read files; nothing is saved back)."""
    for label in labels:
        if getattr(label, "mask", None) is None and getattr(
            label, "mask_path", None
        ):
            label.mask = label.get_mask()
