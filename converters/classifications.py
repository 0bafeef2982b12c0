"""Classification(s) <-> Label Studio ``Choices`` results.

Upload: one result per label, result id = label id, so ids survive when
nobody touches them. Load: Label Studio merges the choices of one control
into ONE result when a person edits them, so a result may carry several
choices; each choice becomes one Classification. Ids come back from

1. the result id, when it is a label id and the result has one choice;
2. the ``class_ids`` hint (``{class: label id or [label ids]}``, carried in
   the task data) by class name;
3. a new ObjectId otherwise.

``confidence`` travels as the per-region ``score`` of a result. A result
with several choices has no per-choice score, so those come back with
``confidence=None`` (FiftyOne's merge never overwrites the confidence of an
existing label, so nothing is lost on load).
"""

import fiftyone.core.labels as fol

from .results import (
    ResultError,
    is_label_id,
    labels_of,
    new_label_id,
    region_result,
    report,
    result_id,
    result_score,
    result_value,
)

RESULT_TYPE = "choices"


def to_ls_classification(
    label, control: str, width: int, height: int
) -> list[dict]:
    """One ``choices`` result for a Classification (none for None)."""
    if label is None or label.label is None:
        return []
    return [
        region_result(
            label.id,
            control,
            RESULT_TYPE,
            {"choices": [str(label.label)]},
            width,
            height,
            score=label.confidence,
        )
    ]


def to_ls_classifications(
    labels, control: str, width: int, height: int
) -> list[dict]:
    """One result per label of a Classifications (or list, or None)."""
    results = []
    for label in labels_of(labels, fol.Classification, fol.Classifications):
        results.extend(to_ls_classification(label, control, width, height))
    return results


def class_ids(labels) -> dict:
    """The ``{class: label id}`` hint for the task data.

    A class used by several labels maps to the list of their ids.
    """
    out = {}
    for label in labels_of(labels, fol.Classification, fol.Classifications):
        if label is None or label.label is None:
            continue
        prev = out.get(label.label)
        if prev is None:
            out[label.label] = label.id
        elif isinstance(prev, list):
            prev.append(label.id)
        else:
            out[label.label] = [prev, label.id]
    return out


def from_ls_classifications(
    results: list[dict],
    class_ids: dict | None = None,
    single: bool = False,
    problems: list | None = None,
) -> list[fol.Classification]:
    """Classifications from ``choices`` results (one per choice).

    With ``single=True`` (a ``classification`` field) only the first choice
    is kept; the others are reported.
    """
    entries = []  # [choice, label id or None, score]
    used = set()
    for result in results:
        try:
            value = result_value(result, RESULT_TYPE)
            choices = value.get("choices")
            if not isinstance(choices, list) or not all(
                isinstance(c, str) for c in choices
            ):
                raise ResultError("'choices' is not a list of strings")
            if not choices:
                raise ResultError("no choice selected")
            region_id = result_id(result)
            score = result_score(result)
        except ResultError as e:
            report(problems, result, str(e))
            continue
        if len(choices) == 1:
            keep = is_label_id(region_id) and region_id not in used
            if keep:
                used.add(region_id)
            entries.append([choices[0], region_id if keep else None, score])
        else:
            entries.extend([c, None, None] for c in choices)

    if single and len(entries) > 1:
        for choice, _, _ in entries[1:]:
            report(
                problems,
                {"from_name": _from_name(results), "id": None},
                "field holds one classification; dropped extra choice %r"
                % choice,
            )
        entries = entries[:1]

    hint_ids = _hint_ids(class_ids)
    for entry in entries:
        if entry[1] is None:
            entry[1] = _take_hint(hint_ids, entry[0], used)
    if single and entries and entries[0][1] is None:
        # one label edited in place: its id is the only one we sent
        all_ids = [i for ids in hint_ids.values() for i in ids]
        if len(all_ids) == 1 and all_ids[0] not in used:
            entries[0][1] = all_ids[0]

    labels = []
    for choice, label_id, score in entries:
        label = fol.Classification(label=choice, confidence=score)
        label.id = label_id or new_label_id()
        labels.append(label)
    return labels


def from_ls_classification(
    results: list[dict],
    class_ids: dict | None = None,
    problems: list | None = None,
):
    """The single Classification of a ``classification`` field, or None."""
    labels = from_ls_classifications(
        results, class_ids=class_ids, single=True, problems=problems
    )
    return labels[0] if labels else None


def _hint_ids(class_ids) -> dict:
    out = {}
    if not isinstance(class_ids, dict):
        return out  # task data can be edited: trust no shape in it
    for cls, ids in class_ids.items():
        ids = ids if isinstance(ids, list) else [ids]
        out[cls] = [i for i in ids if is_label_id(i)]
    return out


def _take_hint(hint_ids: dict, choice: str, used: set):
    for label_id in hint_ids.get(choice, []):
        if label_id not in used:
            used.add(label_id)
            return label_id
    return None


def _from_name(results):
    for result in results:
        if isinstance(result, dict) and result.get("from_name"):
            return result["from_name"]
    return None
