"""The "label fields" part of the request form, generated from the dataset
schema: existing fields of supported types, new fields with a type, their
classes (typed in, the dataset's classes, or the field's values) and mask
targets. Returns FiftyOne's ``label_schema`` or None with errors shown in
the form.

Per-field inputs use flat parameter names ``<field key>__<what>`` so that
any field name works in the App (no dots in parameter paths).
"""

import fiftyone.operators.types as types

from ..backend.app_schemas import app_label_schema
from .label_fields import (  # noqa: F401 (re-exported for the operators)
    FRAMES_PREFIX,
    LIST_ATTR,
    NAME_RE,
    SCALAR_FIELD_TYPES,
    SOURCE_DATASET,
    SOURCE_TYPED,
    SOURCE_VALUES,
    TYPE_LABELS,
    CLASSES_OPTIONAL,
    RESERVED_FIELDS,
    backend_supports_attributes,
    dataset_classes,
    dataset_mask_targets,
    existing_label_fields,
    field_key,
    field_values,
    is_frame_field,
    params_for_fields,
    parse_mask_targets,
    supported_media_types,
    supported_types,
    valid_field_name,
)


def _preview(values, limit=8) -> str:
    values = list(values)
    shown = ", ".join(str(v) for v in values[:limit])
    if len(values) > limit:
        shown += ", ... (%d more)" % (len(values) - limit)
    return shown


def _field_names_input(inputs, ctx, existing):
    choices = types.DropdownView(
        label="Existing label fields",
        description=(
            "Fields of supported types; their current labels are sent "
            "along (see 'Send existing labels')"
        ),
    )
    for name, type_strs in sorted(existing.items()):
        choices.add_choice(name, label="%s (%s)" % (name, "/".join(type_strs)))
    if existing:
        inputs.list(
            "existing_fields",
            types.String(),
            default=[],
            label="Existing label fields",
            description="Annotate these fields of the dataset",
            view=choices,
        )
    else:
        inputs.view(
            "no_existing_fields",
            types.Notice(
                label="The dataset has no label fields of a supported "
                "type yet: add new fields below"
            ),
        )
    inputs.list(
        "new_fields",
        types.String(),
        default=[],
        label="New label fields",
        description="Names of new fields to create when loading",
    )
    chosen_existing = [
        f for f in (ctx.params.get("existing_fields") or []) if f
    ]
    chosen_new = [f for f in (ctx.params.get("new_fields") or []) if f]
    return chosen_existing, chosen_new


def label_schema_inputs(ctx, inputs, samples):
    """Adds the label field inputs; returns the ``label_schema`` or None."""
    dataset = ctx.dataset
    existing = existing_label_fields(dataset)
    inputs.view(
        "fields_header",
        types.Header(label="Label fields", divider=True),
    )
    chosen_existing, chosen_new = _field_names_input(inputs, ctx, existing)

    ok = True
    schema = {}
    seen = set()
    for name in chosen_existing:
        key = field_key(name)
        if name not in existing:
            ok = False
            _invalid_view(
                inputs,
                key + "__error",
                "'%s' is not a label field of a supported type in this "
                "dataset (new fields go under 'New label fields')" % name,
            )
            continue
        seen.add(name)
        entry = _field_inputs(ctx, inputs, samples, name, existing[name])
        if entry is None:
            ok = False
        else:
            schema[name] = entry

    for name in chosen_new:
        key = field_key(name)
        problem = None
        if not valid_field_name(name, dataset.media_type):
            problem = (
                "'%s': field names use letters, digits and underscores "
                "and start with a letter%s"
                % (
                    name,
                    (
                        " (frames.<name> for frame labels)"
                        if dataset.media_type == "video"
                        else ""
                    ),
                )
            )
        elif name in seen:
            problem = "'%s' is listed twice" % name
        elif dataset.has_field(name) or name in RESERVED_FIELDS:
            problem = (
                "The dataset already has a field '%s': choose it under "
                "'Existing label fields' or pick another name" % name
            )
        if problem:
            ok = False
            _invalid_view(inputs, key + "__error", problem)
            continue
        seen.add(name)
        entry = _field_inputs(ctx, inputs, samples, name, None)
        if entry is None:
            ok = False
        else:
            schema[name] = entry

    if not chosen_existing and not chosen_new:
        _invalid_view(
            inputs,
            "fields_required",
            "Choose at least one existing label field or add a new one",
            severity=types.Notice,
        )
        ok = False

    return schema if ok else None


def _invalid_view(inputs, name, message, severity=types.Error):
    prop = inputs.view(name, severity(label=message))
    prop.invalid = True
    prop.error_message = message
    return prop


def _field_inputs(ctx, inputs, samples, name, existing_types):
    """Inputs of one field; returns its schema entry or None if invalid."""
    key = field_key(name)
    is_new = existing_types is None
    inputs.view(
        key + "__header",
        types.Header(
            label="%s field '%s'" % ("New" if is_new else "Existing", name),
            divider=True,
        ),
    )

    type_choices = (
        supported_types(ctx.dataset.media_type, name)
        if is_new
        else existing_types
    )
    if len(type_choices) > 1:
        dropdown = types.DropdownView()
        for t in type_choices:
            dropdown.add_choice(t, label=TYPE_LABELS.get(t, t))
        inputs.enum(
            key + "__type",
            dropdown.values(),
            required=is_new,
            default=None if is_new else type_choices[0],
            label="Label type of '%s'" % name,
            view=dropdown,
        )
        label_type = ctx.params.get(
            key + "__type", None if is_new else type_choices[0]
        )
    else:
        label_type = type_choices[0]
        inputs.view(
            key + "__type_notice",
            types.Notice(label="Type: %s" % TYPE_LABELS.get(label_type)),
        )
    if label_type not in type_choices:
        return None

    entry = {"type": label_type}
    if label_type == "segmentation":
        mask_targets = _mask_targets_inputs(ctx, inputs, name)
        if mask_targets is None:
            return None
        entry["mask_targets"] = mask_targets
    else:
        classes = _classes_inputs(ctx, inputs, samples, name, label_type)
        if classes is None:
            return None
        if classes:
            entry["classes"] = classes

    attributes = _attribute_inputs(ctx, inputs, name, label_type)
    if attributes:
        entry["attributes"] = attributes
    return entry


def _attribute_inputs(ctx, inputs, name, label_type):
    """Per-label attributes (issue 7): those of the field's App label
    schema (FiftyOne >= 1.22), shown as a notice; None lets FiftyOne take
    the attributes found on the existing labels."""
    if not backend_supports_attributes():
        return None
    try:
        app = app_label_schema(ctx.dataset, [name]).get(name) or {}
    except Exception:  # an odd stored schema must not break the form
        return None
    attributes = app.get("attributes") or {}
    if attributes:
        inputs.view(
            field_key(name) + "__attributes_notice",
            types.Notice(
                label="Attributes from the dataset's label schema: %s"
                % _preview(
                    "%s (%s)" % (n, a["type"]) for n, a in attributes.items()
                )
            ),
        )
    return attributes or None


def _classes_inputs(ctx, inputs, samples, name, label_type):
    """Classes of a field; [] allowed for scalars; None when invalid."""
    key = field_key(name)
    dataset = ctx.dataset
    from_dataset = dataset_classes(dataset, name)
    values = field_values(dataset, name) if dataset.has_field(name) else []

    sources = types.RadioGroup(orientation="horizontal")
    if from_dataset:
        sources.add_choice(
            SOURCE_DATASET,
            label="Dataset classes (%d)" % len(from_dataset),
            description=_preview(from_dataset),
        )
    if values:
        sources.add_choice(
            SOURCE_VALUES,
            label="Values in the field (%d)" % len(values),
            description=_preview(values),
        )
    sources.add_choice(SOURCE_TYPED, label="Type them in")
    default = (
        SOURCE_DATASET
        if from_dataset
        else SOURCE_VALUES if values else SOURCE_TYPED
    )
    inputs.enum(
        key + "__classes_source",
        sources.values(),
        default=default,
        required=False,
        label="Classes of '%s'" % name,
        view=sources,
    )
    source = ctx.params.get(key + "__classes_source") or default

    if source == SOURCE_DATASET and from_dataset:
        classes = from_dataset
    elif source == SOURCE_VALUES and values:
        classes = values
    else:
        prop = inputs.list(
            key + "__classes",
            types.String(),
            default=[],
            label="Classes of '%s'" % name,
            description=(
                "One class per item"
                + (
                    "; leave empty for free text or numbers"
                    if label_type in CLASSES_OPTIONAL
                    else ""
                )
            ),
        )
        classes = [
            c.strip()
            for c in (ctx.params.get(key + "__classes") or [])
            if isinstance(c, str) and c.strip()
        ]
        dups = sorted({c for c in classes if classes.count(c) > 1})
        if dups:
            prop.invalid = True
            prop.error_message = "Duplicate classes: %s" % ", ".join(dups)
            return None
        if not classes and label_type not in CLASSES_OPTIONAL:
            prop.invalid = True
            prop.error_message = "Enter at least one class for '%s'" % name
            return None
        return classes

    # extra classes can still be added to a dataset-provided list
    inputs.view(
        key + "__classes_preview",
        types.Notice(
            label="%d classes: %s" % (len(classes), _preview(classes))
        ),
    )
    return list(classes)


def _mask_targets_inputs(ctx, inputs, name):
    """Mask targets ``{pixel value: class}``; None when invalid."""
    key = field_key(name)
    from_dataset = dataset_mask_targets(ctx.dataset, name)
    sources = types.RadioGroup(orientation="horizontal")
    if from_dataset:
        sources.add_choice(
            SOURCE_DATASET,
            label="Dataset mask targets (%d)" % len(from_dataset),
            description=_preview(
                "%s=%s" % (k, v) for k, v in sorted(from_dataset.items())
            ),
        )
    sources.add_choice(SOURCE_TYPED, label="Type them in")
    default = SOURCE_DATASET if from_dataset else SOURCE_TYPED
    inputs.enum(
        key + "__mask_targets_source",
        sources.values(),
        default=default,
        required=False,
        label="Mask targets of '%s'" % name,
        view=sources,
    )
    source = ctx.params.get(key + "__mask_targets_source") or default
    if source == SOURCE_DATASET and from_dataset:
        return {int(k): str(v) for k, v in from_dataset.items()}

    item = types.Object()
    item.int("value", label="Pixel value", min=1, max=255, required=False)
    item.str("label", label="Class", required=False)
    prop = inputs.list(
        key + "__mask_targets",
        item,
        default=[],
        label="Mask targets of '%s'" % name,
        description="Pixel value (1-255) and class name; 0 is background",
    )
    targets, problem = parse_mask_targets(
        ctx.params.get(key + "__mask_targets") or []
    )
    if problem:
        prop.invalid = True
        prop.error_message = problem
        return None
    return targets
