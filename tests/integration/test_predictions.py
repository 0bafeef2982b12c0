"""Model predictions with scores (issue 16, part 1), through a real Label
Studio server: region and task scores, model_version, the Data Manager
sorted and filtered by prediction score, pre-labels of a new field, an
existing field's pre-annotation beside the model's prediction, accepted
predictions loaded into the annotated field, the predictions field
untouched, and bad input refused before anything is created."""

import copy

import fiftyone as fo
import pytest

from test_backend_common import (
    add_images,
    annotate_task,
    creds,
    project_ids,
    snapshot,
    tasks_by_sample,
)

CLASSES = ["cat", "dog"]
# per sample: the model's boxes (label, box, confidence)
MODEL = [
    [("cat", [0.1, 0.1, 0.2, 0.2], 0.9), ("dog", [0.5, 0.5, 0.3, 0.3], 0.4)],
    [("dog", [0.2, 0.3, 0.2, 0.2], 0.15)],
    [("cat", [0.3, 0.3, 0.4, 0.4], 0.7)],
    [("cat", [0.3, 0.3, 0.4, 0.4], None)],  # no confidence
]


def _dataset(dataset, sample_images, gt=False):
    samples = add_images(dataset, sample_images, len(MODEL))
    for sample, boxes in zip(samples, MODEL):
        sample["predictions"] = fo.Detections(
            detections=[
                fo.Detection(label=lab, bounding_box=box, confidence=conf)
                for lab, box, conf in boxes
            ]
        )
        if gt:
            sample["ground_truth"] = fo.Detections(
                detections=[
                    fo.Detection(label="cat", bounding_box=[0, 0, 0.1, 0.1])
                ]
            )
        sample.save()
    return samples


def _model_prediction(task, model_version="predictions"):
    preds = [
        p for p in task["predictions"] if p["model_version"] == model_version
    ]
    assert len(preds) == 1, task["predictions"]
    return preds[0]


def _fiftyone_results(task):
    preds = [
        p for p in task["predictions"] if p["model_version"] == "fiftyone"
    ]
    return preds[0]["result"] if preds else []


def test_new_field_prelabelled_scored_sorted_and_loaded(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    import fiftyone_labelstudio as fols

    samples = _dataset(dataset, sample_images)
    before = snapshot(dataset, ["predictions"])
    results = fols.annotate(
        dataset,
        "al",
        label_field="reviewed",
        label_type="detections",
        classes=CLASSES,
        predictions_field="predictions",
        **creds(ls_server),
    )
    project = ls_client.get_project(results.project_id)
    assert project["model_version"] == "fiftyone"
    tasks = tasks_by_sample(ls_client, results.project_id)

    for sample, boxes in zip(samples, MODEL):
        task = tasks[sample.id]
        pred = _model_prediction(task)
        confs = [c for _, _, c in boxes if c is not None]
        assert pred.get("score") == (min(confs) if confs else None)
        regions = pred["result"]
        assert len(regions) == len(boxes)
        assert {r.get("score") for r in regions} == {c for *_, c in boxes}
        assert all(r["from_name"] == "reviewed" for r in regions)
        # fresh ids: never the predictions field's label ids
        model_ids = {d.id for d in sample.predictions.detections}
        assert not {r["id"] for r in regions} & model_ids
        # the new field is pre-labelled with the same regions
        assert sorted(r["id"] for r in _fiftyone_results(task)) == sorted(
            r["id"] for r in regions
        )

    # the Data Manager: a tab sorted by prediction score, filtered < 0.8
    view = ls_client.create_view(
        results.project_id,
        "uncertain first",
        filters={
            "conjunction": "and",
            "items": [
                {
                    "filter": "filter:tasks:predictions_score",
                    "operator": "less",
                    "type": "Number",
                    "value": 0.8,
                }
            ],
        },
        ordering=["tasks:predictions_score"],
    )
    listed = ls_client.view_tasks(results.project_id, view["id"])
    by_task = {t["id"]: s for s, t in tasks.items()}
    assert [by_task[t["id"]] for t in listed] == [
        samples[1].id,
        samples[0].id,
        samples[2].id,
    ]
    assert [t["predictions_score"] for t in listed] == pytest.approx(
        [0.15, 0.4, 0.7]
    )

    # the annotator accepts sample 1's prediction as is; sample 0's with
    # the dog relabelled
    t1 = tasks[samples[1].id]
    annotate_task(ls_client, t1["id"], _model_prediction(t1)["result"])
    t0 = tasks[samples[0].id]
    edited = copy.deepcopy(_model_prediction(t0)["result"])
    dog = [r for r in edited if r["value"]["rectanglelabels"] == ["dog"]][0]
    dog["value"]["rectanglelabels"] = ["cat"]
    annotate_task(ls_client, t0["id"], edited)

    fols.load_annotations(dataset, "al")
    dataset.reload()
    assert snapshot(dataset, ["predictions"]) == before
    s0, s1, s2, _ = dataset.iter_samples()
    assert [d.label for d in s0.reviewed.detections] == ["cat", "cat"]
    assert s1.reviewed.detections[0].label == "dog"
    assert s1.reviewed.detections[0].bounding_box == pytest.approx(
        MODEL[1][0][1]
    )
    assert s1.reviewed.detections[0].id != s1.predictions.detections[0].id
    assert s2.reviewed is None  # nobody annotated it


def test_existing_field_keeps_its_pre_annotation(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    samples = _dataset(dataset, sample_images, gt=True)
    before = snapshot(dataset, ["predictions"])
    results = dataset.annotate(
        "al2",
        backend="labelstudio",
        label_field="ground_truth",
        classes=CLASSES,
        predictions_field={"ground_truth": "predictions"},
        model_version="yolo-v8n",
        **creds(ls_server),
    )
    tasks = tasks_by_sample(ls_client, results.project_id)
    task = tasks[samples[0].id]
    gt_ids = [r["id"] for r in _fiftyone_results(task)]
    assert gt_ids == [samples[0].ground_truth.detections[0].id]
    pred = _model_prediction(task, "yolo-v8n")
    assert pred["score"] == pytest.approx(0.4)
    pre = [p for p in task["predictions"] if p["model_version"] == "fiftyone"]
    assert pre[0]["score"] == pytest.approx(0.4)  # the project scores it

    # the annotator keeps the existing box and accepts the model's cat
    cat = [
        r for r in pred["result"] if r["value"]["rectanglelabels"] == ["cat"]
    ]
    annotate_task(ls_client, task["id"], _fiftyone_results(task) + cat)
    dataset.load_annotations("al2")
    dataset.reload()
    assert snapshot(dataset, ["predictions"]) == before
    s0 = dataset.first()
    labels = sorted(d.label for d in s0.ground_truth.detections)
    assert labels == ["cat", "cat"]
    assert gt_ids[0] in {d.id for d in s0.ground_truth.detections}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"predictions_field": "nope"}, "not a label field"),
        ({"predictions_field": "ground_truth"}, "also annotated"),
        ({"predictions_field": {"other": "predictions"}}, "does not"),
        ({"predictions_field": "labels_cls"}, "needs Detection"),
        ({"predictions_field": 3}, "must be a field name"),
    ],
)
def test_bad_predictions_field(
    dataset, sample_images, ls_server, ls_client, kwargs, message
):
    samples = _dataset(dataset, sample_images, gt=True)
    samples[0]["labels_cls"] = fo.Classification(label="cat")
    samples[0].save()
    before = project_ids(ls_client)
    with pytest.raises(ValueError, match=message):
        dataset.annotate(
            "bad",
            backend="labelstudio",
            label_field="ground_truth",
            **kwargs,
            **creds(ls_server),
        )
    assert project_ids(ls_client) == before
    assert dataset.list_annotation_runs() == []
