"""The request form's "Model predictions" section (issue 16): the
predictions fields it offers, the confidence count it shows, and a run
requested through it, with the real database and Label Studio server."""

import fiftyone as fo
import pytest

from test_operators_support import image_dataset, resolve, run

REQ = "request_annotations"


@pytest.fixture
def preds_ds(dataset, sample_images, ls_server):
    image_dataset(dataset, sample_images)
    for i, sample in enumerate(dataset.iter_samples(autosave=True)):
        sample["model"] = fo.Detections(
            detections=[
                fo.Detection(
                    label="cat",
                    bounding_box=[0.2, 0.2, 0.3, 0.3],
                    confidence=None if i == 0 else 0.1 * (i + 1),
                ),
            ]
        )
    return dataset


def test_form_offers_compatible_fields_and_counts_confidences(preds_ds):
    props, errors = resolve(
        preds_ds, REQ, {"existing_fields": ["ground_truth"]}
    )
    assert errors == {}
    offered = [c.value for c in props["predictions_field"].view.choices]
    # Detections fields only (not 'weather', a Classification field)
    assert offered == ["-", "model"]
    assert "predictions_notice" not in props

    props, errors = resolve(
        preds_ds,
        REQ,
        {"existing_fields": ["ground_truth"], "predictions_field": "model"},
    )
    assert errors == {}
    assert props["predictions_notice"].view.label == (
        "4 of 5 labels in 'model' have a confidence"
    )
    assert "model_version" in props


def test_request_with_predictions_field(
    preds_ds, ls_client, ls_projects_guard
):
    result, _ = run(
        REQ,
        preds_ds,
        {
            "anno_key": "p1",
            "existing_fields": ["ground_truth"],
            "media_mode": "upload",
            "predictions_field": "model",
            "model_version": "m-1",
        },
    )
    assert result["num_samples"] == 5
    tasks = list(ls_client.export_tasks(result["project_id"]))
    scores = sorted(
        (
            p.get("score")
            for t in tasks
            for p in t["predictions"]
            if p["model_version"] == "m-1"
        ),
        key=lambda s: -1 if s is None else s,
    )
    assert scores == [None, 0.2, pytest.approx(0.3), 0.4, 0.5]
    assert ls_client.get_project(result["project_id"])["model_version"] == (
        "fiftyone"
    )
