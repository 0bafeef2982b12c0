"""The dataset's App label schemas as the default Label Studio schema.

``dataset.annotate(anno_key, backend="labelstudio")`` without
``label_field``/``label_schema`` annotates the fields of the dataset's
label schemas (FiftyOne >= 1.22, ``dataset.label_schemas``): the active
ones (``dataset.active_label_schemas``) when any are active, else every
label field. Classes, attributes and value ranges come from them
(:mod:`..converters.app_schemas`).

:func:`app_label_schema` gives the same schema to pass explicitly, e.g.
``dataset.annotate(key, backend="labelstudio",
label_schema=app_label_schema(dataset))``, or to prefill a form.
"""

import logging

from ..converters.app_schemas import to_label_schema

from .errors import LabelStudioBackendError
from .fiftyone_internals import fast_paths_ok, internal

logger = logging.getLogger(__name__)


def app_label_schema(samples, fields=None) -> dict:
    """``annotate()``'s ``label_schema`` from the App label schemas of the
    collection's dataset ({} when it has none).

    Args:
        samples: a dataset or view
        fields (None): the fields to take; default: the active label
            schemas, else every label field
    """
    stored = stored_app_schemas(samples)
    if not stored:
        return {}
    if fields is None:
        dataset = samples._root_dataset
        fields = list(getattr(dataset, "active_label_schemas", None) or [])
        fields = fields or None
    return to_label_schema(stored, fields)


def stored_app_schemas(samples) -> dict:
    """The dataset's App label schemas, ontologies applied ({} on
    FiftyOne versions without them)."""
    dataset = samples._root_dataset
    try:
        stored = dataset.label_schemas or {}
    except AttributeError:
        return {}
    try:
        # deferred: only FiftyOne versions with App label schemas have it
        from fiftyone.core.annotation import hydrate_applied_ontology
    except ImportError:
        return stored
    out = {}
    for field, schema in stored.items():
        try:
            out[field] = hydrate_applied_ontology(schema)
        except Exception as e:  # a broken ontology must not block a run
            logger.warning("Ignoring the ontology of field '%s': %s", field, e)
            out[field] = schema
    return out


def resolve_default_schema(backend, samples) -> None:
    """Replaces the placeholder schema ``{None: {}}`` (``annotate()``
    without ``label_field``/``label_schema``) with the App label schemas,
    normalized by FiftyOne like a ``label_schema`` argument.

    Raises:
        LabelStudioBackendError: when the dataset has no usable label
            schemas
    """

    config = backend.config
    if list(config.label_schema or {}) != [None]:
        return
    schema = app_label_schema(samples)
    if not schema:
        raise LabelStudioBackendError(
            "Label Studio needs to know what to annotate: pass "
            "label_field=... (with label_type/classes for a new field) or "
            "label_schema={...}, or give the dataset label schemas for the "
            "App's annotation (dataset.set_label_schemas("
            "dataset.generate_label_schemas()))"
        )
    if not fast_paths_ok("label schemas from the App"):
        raise LabelStudioBackendError(
            "This FiftyOne release's internals do not match what the "
            "dataset's App label schemas are read with; pass "
            "label_field=... or label_schema={...} explicitly"
        )
    normalized, _ = internal("_build_label_schema")(
        samples,
        backend,
        schema,
        None,  # label_field
        None,  # label_type
        None,  # classes
        True,  # attributes
        None,  # mask_targets
        True,  # allow_additions
        True,  # allow_deletions
        True,  # allow_label_edits
        True,  # allow_index_edits
        True,  # allow_spatial_edits
    )
    config.label_schema = normalized
    logger.info(
        "Annotating the fields of the dataset's label schemas: %s",
        ", ".join(normalized),
    )


def add_scalar_ranges(samples, label_schema: dict) -> None:
    """Copies the ``range`` of number fields from the App label schemas
    into scalar entries as ``min``/``max`` (FiftyOne's schema
    normalization drops unknown keys)."""
    scalars = [f for f, i in label_schema.items() if i.get("type") == "scalar"]
    if not scalars:
        return
    stored = stored_app_schemas(samples)
    for field in scalars:
        bounds = (stored.get(field) or {}).get("range")
        if isinstance(bounds, (list, tuple)) and len(bounds) == 2:
            info = label_schema[field]
            info.setdefault("min", bounds[0])
            info.setdefault("max", bounds[1])
