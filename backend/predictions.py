"""``annotate(..., predictions_field=...)``: a model's labels as scored
Label Studio predictions of the annotated field's control.

- :func:`resolve` (in ``prepare``, before anything is created) checks the
  mapping ``{annotated field: predictions field}`` and returns it.
- :class:`ModelPredictions` reads the predictions fields in chunks while
  the tasks are built and adds one prediction per task
  (``model_version`` = the predictions field's name unless given; region
  ``score`` = label confidence; task ``score`` = least confidence, see
  ``converters.scores``).
- The editable pre-annotation (the ``fiftyone`` prediction, created empty
  when the task has none) carries the same task score, and
  :func:`set_project_model_version` makes the project score tasks by it:
  Label Studio's Data Manager can then sort and filter by the model's
  uncertainty while new annotations still start from the FiftyOne labels.

The model's labels get fresh label ids: an accepted prediction becomes a
NEW label of the annotated field, and the predictions field never shares
a label id with it (nor changes: it is never in the label schema, and
loading reads annotations only).
"""

import copy
import logging
from typing import Optional

import fiftyone.core.aggregations as foag
import fiftyone.core.labels as fol
from bson import ObjectId

from ..converters import scores
from ..converters.results import is_label_id
from ..converters.task_build import MODEL_VERSION, sample_to_task
from .errors import LabelStudioBackendError
from .label_reads import chunked_values, labels_of, read_mask_files

logger = logging.getLogger(__name__)

_DETECTIONS = (fol.Detection, fol.Detections)
_CLASSIFICATIONS = (fol.Classification, fol.Classifications)
_POLYLINES = (fol.Polyline, fol.Polylines)
_KEYPOINTS = (fol.Keypoint, fol.Keypoints)
# annotated field's schema type -> label classes its predictions may have
COMPATIBLE = {
    "detection": _DETECTIONS,
    "detections": _DETECTIONS,
    "instance": _DETECTIONS,
    "instances": _DETECTIONS,
    "classification": _CLASSIFICATIONS,
    "classifications": _CLASSIFICATIONS,
    "polyline": _POLYLINES,
    "polylines": _POLYLINES,
    "polygon": _POLYLINES,
    "polygons": _POLYLINES,
    "keypoint": _KEYPOINTS,
    "keypoints": _KEYPOINTS,
}


def normalize(predictions_field, label_schema: dict) -> dict:
    """``{annotated field: predictions field}`` of ``predictions_field``
    (a field name when the schema has one label field, or a dict)."""
    if predictions_field is None:
        return {}
    if isinstance(predictions_field, str):
        fields = [f for f, i in label_schema.items() if i["type"] != "scalar"]
        if len(fields) != 1:
            raise LabelStudioBackendError(
                "predictions_field=%r is ambiguous: the run annotates %d "
                "label fields (%s). Pass a dict {annotated field: "
                "predictions field} instead"
                % (predictions_field, len(fields), ", ".join(sorted(fields)))
            )
        return {fields[0]: predictions_field}
    if isinstance(predictions_field, dict) and all(
        isinstance(k, str) and isinstance(v, str)
        for k, v in predictions_field.items()
    ):
        return dict(predictions_field)
    raise LabelStudioBackendError(
        "predictions_field must be a field name or a dict {annotated "
        "field: predictions field}, not %r" % (predictions_field,)
    )


def resolve(samples, label_schema: dict, predictions_field) -> dict:
    """Checks the mapping; raises one clear error before anything is
    created."""
    mapping = normalize(predictions_field, label_schema)
    for annotated, predicted in mapping.items():
        if annotated not in label_schema:
            raise LabelStudioBackendError(
                "predictions_field maps %r, which the run does not "
                "annotate. Annotated fields: %s"
                % (annotated, ", ".join(sorted(label_schema)))
            )
        if predicted in label_schema:
            raise LabelStudioBackendError(
                "Predictions field %r is also annotated by the run; a "
                "model's predictions are never edited. Annotate another "
                "field (new or existing) with predictions_field=%r"
                % (predicted, predicted)
            )
        label_type = label_schema[annotated]["type"]
        allowed = COMPATIBLE.get(label_type)
        if allowed is None:
            raise LabelStudioBackendError(
                "Field %r is annotated as %r, which cannot take model "
                "predictions (supported: %s)"
                % (annotated, label_type, ", ".join(sorted(COMPATIBLE)))
            )
        field = samples.get_field(predicted)
        doc_type = getattr(field, "document_type", None)
        if field is None or doc_type is None:
            raise LabelStudioBackendError(
                "Predictions field %r is not a label field of dataset "
                "%r. Pass the name of the field holding the model's "
                "labels" % (predicted, samples._root_dataset.name)
            )
        if not issubclass(doc_type, allowed):
            raise LabelStudioBackendError(
                "Predictions field %r holds %s labels, but %r is annotated "
                "as %r (needs %s)"
                % (
                    predicted,
                    doc_type.__name__,
                    annotated,
                    label_type,
                    " or ".join(c.__name__ for c in allowed),
                )
            )
    return mapping


def model_version_of(mapping: dict, model_version: Optional[str]) -> str:
    """The predictions' ``model_version``: the one given, else the
    predictions field names joined by "+"."""
    if model_version:
        return str(model_version)
    return "+".join(mapping[f] for f in sorted(mapping))


def count_confidences(samples, field: str) -> tuple:
    """``(labels, labels with a confidence)`` of a label field (the App's
    request form shows them)."""
    _, path = samples._get_label_field_path(field)
    total, scored = samples.aggregate(
        [foag.Count(path + "._id"), foag.Count(path + ".confidence")]
    )
    return total or 0, scored or 0


class ModelPredictions:
    """Adds the model's prediction to each task as it is built."""

    def __init__(self, samples, sample_ids, config):
        self.mapping = config.predictions_map
        self.model_version = model_version_of(
            self.mapping, config.model_version
        )
        self.schema = config.label_schema
        self.prelabel = {
            f
            for f in self.mapping
            if not (
                self.schema[f].get("existing_field")
                and config.send_existing_labels
            )
        }
        # cheap raw views where the converters allow (as for the
        # existing labels); the labels are never modified
        self._values = {
            f: chunked_values(samples, sample_ids, p, self.schema[f])
            for f, p in self.mapping.items()
        }
        self.num_tasks = 0
        self.num_scored = 0

    def add(self, task: dict, sample_id: str, width, height) -> None:
        """Adds the model prediction (and, for fields that send no labels
        of their own, the same regions to the editable pre-annotation)."""
        results, confidences = [], []
        for field in sorted(self.mapping):
            value = next(self._values[field])
            if value is None:
                continue
            labels = labels_of(value)
            if self.schema[field]["type"] in ("instance", "instances"):
                read_mask_files(labels)
            conf = {lab.id: scores.confidence_of(lab) for lab in labels}
            model_task = sample_to_task(
                sample_id,
                "",
                "",
                {field: value},
                {field: self.schema[field]},
                width,
                height,
            )
            regions = (model_task.get("predictions") or [{}])[0].get(
                "result"
            ) or []
            scores.add_scores(regions, conf)
            _fresh_ids(regions)
            confidences.extend(conf.values())
            results.extend(regions)
            if field in self.prelabel and regions:
                _prelabel(task, regions, MODEL_VERSION)
        if not results:
            return
        score = scores.task_score(confidences)
        task.setdefault("predictions", []).append(
            scores.model_prediction(results, self.model_version, score)
        )
        # the editable pre-annotation carries the same task score: it is
        # the prediction the project scores and pre-fills annotations
        # from (see set_project_model_version)
        pre = _pre_annotation(task, MODEL_VERSION)
        if score is not None:
            pre["score"] = score
        self.num_tasks += 1
        self.num_scored += score is not None


def _pre_annotation(task, model_version) -> dict:
    """The task's ``fiftyone`` prediction (created empty if missing, so
    that a new annotation starts from it, never from the model's)."""
    predictions = task.setdefault("predictions", [])
    for prediction in predictions:
        if prediction.get("model_version") == model_version:
            return prediction
    prediction = {"model_version": model_version, "result": []}
    predictions.insert(0, prediction)
    return prediction


def _prelabel(task, regions, model_version) -> None:
    """Adds copies of the regions to the task's editable pre-annotation
    (the ``fiftyone`` prediction, which Label Studio copies into a new
    annotation)."""
    prediction = _pre_annotation(task, model_version)
    prediction["result"].extend(copy.deepcopy(regions))


def _fresh_ids(regions) -> None:
    """Gives the model's labels new label ids in their regions (region
    ids are ``<label id>`` or ``<label id>_<suffix>``): an accepted
    prediction becomes a new label that shares no id with the predictions
    field."""
    new = {}
    for region in regions:
        region_id = region.get("id")
        if not isinstance(region_id, str) or not is_label_id(region_id[:24]):
            continue
        old = region_id[:24]
        if old not in new:
            new[old] = str(ObjectId())
        region["id"] = new[old] + region_id[24:]


def set_project_model_version(client, project_id: int, config) -> None:
    """Makes the project score its tasks by the ``fiftyone`` prediction
    (which carries the model's task score).

    Label Studio 1.23 uses the project's ``model_version`` twice: the Data
    Manager's "Prediction score" averages the scores of the predictions
    of that version (the default, empty, matches none: no scores), and
    the editor pre-fills a new annotation from the prediction of that
    version. Pointing it at the model's version would start annotations
    from the model's labels and drop an existing field's own labels (its
    load would then delete them), so it points at ``fiftyone``.
    """
    if not config.predictions_map:
        return
    client.update_project(project_id, model_version=MODEL_VERSION)
