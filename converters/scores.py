"""Model predictions with scores (pure).

A model's labels go to Label Studio as one prediction per task::

    {"model_version": "<predictions field>", "score": <task score>,
     "result": [... {"id": ..., "score": <label confidence>, ...}]}

The task score is the **minimum** confidence of the task's labels: in
active learning a task is as uncertain as its least certain label
("least confidence" sampling), so sorting the Data Manager by prediction
score, lowest first, puts every task with one doubtful region at the top.
A mean would hide one doubtful box among many confident ones.
"""

import math
from typing import Optional

from .results import parse_multi_region_id


def confidence_of(label) -> Optional[float]:
    """The label's ``confidence`` as a float, or None (missing, NaN)."""
    value = getattr(label, "confidence", None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def add_scores(results: list, confidences: dict) -> list:
    """Sets ``score`` on every region of a label that has a confidence.

    Args:
        results: Label Studio results converted from the labels (region
            ids are the label ids, or ``"<label id>_<suffix>"``)
        confidences: ``{label id: confidence or None}``

    Returns:
        the scores that were set, one per region
    """
    scores = []
    for result in results:
        region_id = result.get("id")
        if not isinstance(region_id, str):
            continue
        multi = parse_multi_region_id(region_id)
        label_id = multi[0] if multi is not None else region_id
        score = confidences.get(label_id)
        if score is not None:
            result["score"] = score
            scores.append(score)
    return scores


def task_score(confidences) -> Optional[float]:
    """The task-level score: the least confidence, None without any."""
    values = [c for c in confidences if c is not None]
    return min(values) if values else None


def model_prediction(results: list, model_version: str, score) -> dict:
    """One prediction of the model for a task."""
    prediction = {"model_version": model_version, "result": results}
    if score is not None:
        prediction["score"] = score
    return prediction
