"""Model predictions with scores in Label Studio's own page (issue 16):
the Data Manager sorted by the prediction score through its ordering
menu, a tab filtered by it, and a task of the new field opened
pre-labelled with the model's boxes, submitted and loaded back.
Screenshots: ``artifacts/browser/test_sort_and_filter_by_prediction_score``.
"""

import re

import fiftyone as fo
import pytest

from ls_page import ROWS, LabelStudioPage

CLASSES = ["cat", "dog"]
MODEL = [
    [("cat", [0.1, 0.1, 0.2, 0.2], 0.9), ("dog", [0.5, 0.5, 0.3, 0.3], 0.4)],
    [("dog", [0.2, 0.3, 0.2, 0.2], 0.15)],
    [("cat", [0.3, 0.3, 0.4, 0.4], 0.7)],
]
SCORE = re.compile(r"\b(\d\.\d{3})\b")


def _scores(ls) -> list:
    out = []
    for text in ls.row_texts():
        found = SCORE.findall(text)
        out.append(float(found[0]) if found else None)
    return out


def test_sort_and_filter_by_prediction_score(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    browser_context,
    shooter,
):
    import fiftyone_labelstudio as fols

    samples = []
    for path, boxes in zip(sample_images, MODEL):
        samples.append(
            fo.Sample(
                filepath=path,
                predictions=fo.Detections(
                    detections=[
                        fo.Detection(label=lab, bounding_box=b, confidence=c)
                        for lab, b, c in boxes
                    ]
                ),
            )
        )
    dataset.add_samples(samples)
    dataset.compute_metadata()
    results = fols.annotate(
        dataset,
        "al",
        label_field="reviewed",
        label_type="detections",
        classes=CLASSES,
        predictions_field="predictions",
        url=ls_server.url,
        api_key=ls_server.api_key,
    )
    project_id = results.project_id

    page = browser_context.new_page()
    ls = LabelStudioPage(page, ls_server.url, lambda n: shooter(page, n))
    ls.login(ls_server.username, ls_server.password)
    ls.open_project(project_id)

    task_of = {
        t["data"]["fiftyone"]["sample_id"]: t["id"]
        for t in ls_client.export_tasks(project_id)
    }
    s0, s1, s2 = dataset.values("id")

    # 1. sorted by the task score (least confidence), lowest first
    ls.show_column("Prediction score")
    ls.order_by("Prediction score")
    shooter(page, "dm_sorted_by_prediction_score")
    assert ls.row_task_ids() == [task_of[s1], task_of[s0], task_of[s2]]
    assert _scores(ls) == pytest.approx([0.15, 0.4, 0.7])

    # 2. a tab that keeps only uncertain tasks (score < 0.5)
    tab = ls_client.create_view(
        project_id,
        "uncertain",
        filters={
            "conjunction": "and",
            "items": [
                {
                    "filter": "filter:tasks:predictions_score",
                    "operator": "less",
                    "type": "Number",
                    "value": 0.5,
                }
            ],
        },
        ordering=["tasks:predictions_score"],
    )
    ls.open_tab(project_id, tab["id"])
    shooter(page, "dm_filtered_by_prediction_score")
    assert ls.row_task_ids() == [task_of[s1], task_of[s0]]

    # 3. the most uncertain task opens pre-labelled with the model's box;
    # the annotator accepts it
    page.locator(ROWS).first.click()
    ls.wait_for_image()
    regions = page.locator(".lsf-outliner-item")
    regions.first.wait_for(timeout=10000)
    shooter(page, "task_prelabelled_by_model")
    assert regions.count() == 1
    ls.submit()

    fols.load_annotations(dataset, "al")
    dataset.reload()
    s1 = dataset.skip(1).first()
    assert [d.label for d in s1.reviewed.detections] == ["dog"]
    assert s1.reviewed.detections[0].bounding_box == pytest.approx(
        MODEL[1][0][1], abs=1e-6
    )
    assert s1.predictions.detections[0].confidence == 0.15  # untouched


def test_existing_field_opens_with_its_own_labels(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    browser_context,
    shooter,
):
    """The editable pre-annotation of an existing field stays its own
    labels (not the model's), so submitting keeps them."""
    import fiftyone_labelstudio as fols

    sample = fo.Sample(
        filepath=sample_images[0],
        ground_truth=fo.Detections(
            detections=[
                fo.Detection(label="cat", bounding_box=[0.05, 0.05, 0.2, 0.2])
            ]
        ),
        predictions=fo.Detections(
            detections=[
                fo.Detection(label=lab, bounding_box=b, confidence=c)
                for lab, b, c in MODEL[0]
            ]
        ),
    )
    dataset.add_sample(sample)
    dataset.compute_metadata()
    results = fols.annotate(
        dataset,
        "al",
        label_field="ground_truth",
        classes=CLASSES,
        predictions_field="predictions",
        url=ls_server.url,
        api_key=ls_server.api_key,
    )
    page = browser_context.new_page()
    ls = LabelStudioPage(page, ls_server.url, lambda n: shooter(page, n))
    ls.login(ls_server.username, ls_server.password)
    ls.open_project(results.project_id)
    ls.open_first_task()
    regions = page.locator(".lsf-outliner-item")
    regions.first.wait_for(timeout=10000)
    shooter(page, "task_existing_labels_beside_model")
    assert regions.count() == 1
    ls.submit()
    gt_id = sample.ground_truth.detections[0].id
    fols.load_annotations(dataset, "al")
    dataset.reload()
    assert [d.id for d in dataset.first().ground_truth.detections] == [gt_id]
