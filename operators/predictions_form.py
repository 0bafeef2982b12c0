"""The request form's "Model predictions" section (issue 16): a label
field holding a model's predictions, the annotated field they belong to,
how many of its labels have confidences, and the model version.

Returns the ``annotate()`` kwargs (``predictions_field``,
``model_version``), ``{}`` when no predictions field is chosen, or None
when the choice is invalid (an error is in the form).
"""

from typing import Optional

import fiftyone.operators.types as types

from ..backend import predictions as bp
from . import forms

NONE = "-"


def compatible_fields(target, label_schema: dict) -> dict:
    """``{predictions field: [annotated fields it can pre-label]}`` of
    the target's label fields (the annotated ones excluded)."""
    out = {}
    schema = target.get_field_schema(embedded_doc_type=None)
    for name, field in sorted(schema.items()):
        doc_type = getattr(field, "document_type", None)
        if name in label_schema or doc_type is None:
            continue
        annotated = [
            f
            for f, info in label_schema.items()
            if issubclass(doc_type, bp.COMPATIBLE.get(info.get("type"), ()))
        ]
        if annotated:
            out[name] = annotated
    return out


def predictions_inputs(ctx, inputs, target, label_schema) -> Optional[dict]:
    if not label_schema:
        return {}
    choices = compatible_fields(target, label_schema)
    if not choices:
        return {}
    inputs.view(
        "predictions_header",
        types.Header(label="Model predictions", divider=True),
    )
    dropdown = types.DropdownView()
    dropdown.add_choice(NONE, label="none")
    for name in choices:
        dropdown.add_choice(name, label=name)
    inputs.enum(
        "predictions_field",
        dropdown.values(),
        default=NONE,
        required=False,
        label="Predictions field",
        description=(
            "Send this field's labels as Label Studio predictions, scored "
            "by their confidence, so annotators can sort and filter tasks "
            "by the model's uncertainty (the field itself never changes)"
        ),
        view=dropdown,
    )
    predicted = ctx.params.get("predictions_field") or NONE
    if predicted == NONE:
        return {}
    if predicted not in choices:
        forms.error(
            inputs,
            "predictions_error",
            "Field '%s' cannot hold predictions of the chosen fields"
            % predicted,
        )
        return None

    annotated = choices[predicted]
    if len(annotated) > 1:
        targets = types.DropdownView()
        for name in annotated:
            targets.add_choice(name, label=name)
        inputs.enum(
            "predictions_target",
            targets.values(),
            default=annotated[0],
            required=False,
            label="Predictions of",
            description="The annotated field whose control they pre-label",
            view=targets,
        )
    target_field = ctx.params.get("predictions_target") or annotated[0]
    if target_field not in annotated:
        target_field = annotated[0]

    total, scored = bp.count_confidences(target, predicted)
    notice = "%d of %d labels in '%s' have a confidence" % (
        scored,
        total,
        predicted,
    )
    inputs.view(
        "predictions_notice",
        types.Notice(
            label=notice,
            description=(
                "Each task's score is its least confident label (lowest "
                "first = most uncertain first); labels without a "
                "confidence carry no score"
            ),
        ),
    )
    inputs.str(
        "model_version",
        default="",
        required=False,
        label="Model version",
        description="Shown in Label Studio (default: %s)" % predicted,
    )
    out = {"predictions_field": {target_field: predicted}}
    version = (ctx.params.get("model_version") or "").strip()
    if version:
        out["model_version"] = version
    return out
