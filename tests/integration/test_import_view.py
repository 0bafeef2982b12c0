"""``import_project(..., view=...)`` (issue 16, part 4): only the tasks of
one Data Manager tab, by id or name, in its order, through a real Label
Studio server; an unknown tab is refused before anything is written."""

import fiftyone as fo
import pytest

from test_backend_common import (
    add_images,
    annotate_task,
    creds,
    tasks_by_sample,
)

CONFIDENCES = [0.9, 0.15, 0.4, 0.7]
UNCERTAIN = {
    "conjunction": "and",
    "items": [
        {
            "filter": "filter:tasks:predictions_score",
            "operator": "less",
            "type": "Number",
            "value": 0.5,
        }
    ],
}


@pytest.fixture
def scored_project(dataset, sample_images, ls_server, ls_client):
    """A run with scored predictions; every task annotated (its model box
    accepted)."""
    import fiftyone_labelstudio as fols

    samples = add_images(dataset, sample_images, len(CONFIDENCES))
    for sample, conf in zip(samples, CONFIDENCES):
        sample["model"] = fo.Detections(
            detections=[
                fo.Detection(
                    label="cat",
                    bounding_box=[0.1, 0.1, 0.5, 0.5],
                    confidence=conf,
                )
            ]
        )
        sample.save()
    results = fols.annotate(
        dataset,
        "scored",
        label_field="reviewed",
        label_type="detections",
        classes=["cat", "dog"],
        predictions_field="model",
        **creds(ls_server),
    )
    tasks = tasks_by_sample(ls_client, results.project_id)
    for task in tasks.values():
        pre = [p for p in task["predictions"] if p["model_version"] == "model"]
        annotate_task(ls_client, task["id"], pre[0]["result"])
    return results.project_id, samples, tasks


def test_import_a_tab_by_name_and_by_id(
    dataset, ls_server, ls_client, ls_projects_guard, scored_project
):
    import fiftyone_labelstudio as fols

    project_id, samples, tasks = scored_project
    tab = ls_client.create_view(
        project_id,
        "uncertain",
        filters=UNCERTAIN,
        ordering=["tasks:predictions_score"],
    )
    report = fols.import_project(
        dataset,
        project_id,
        view="uncertain",
        label_field="imported",
        match="sample_id",
        **creds(ls_server),
    )
    assert report["view"] == {"id": tab["id"], "title": "uncertain"}
    assert report["tasks"] == 2 and report["loaded"] == 2
    dataset.reload()
    got = {
        s.id: s.imported is not None for s in dataset.select_fields("imported")
    }
    assert got == {
        samples[0].id: False,
        samples[1].id: True,
        samples[2].id: True,
        samples[3].id: False,
    }

    # by id, registered as a run: the run holds only the tab's tasks
    report = fols.import_project(
        dataset,
        project_id,
        view=tab["id"],
        label_field="reviewed",
        match="sample_id",
        anno_key="tab_import",
        **creds(ls_server),
    )
    assert report["tasks"] == 2
    results = dataset.load_annotation_results("tab_import")
    assert sorted(results.task_map) == sorted(
        [tasks[samples[1].id]["id"], tasks[samples[2].id]["id"]]
    )


def test_unknown_tab_is_refused_before_anything_is_written(
    dataset, ls_server, ls_client, ls_projects_guard, scored_project
):
    import fiftyone_labelstudio as fols

    project_id, _, _ = scored_project
    ls_client.create_view(project_id, "uncertain", filters=UNCERTAIN)
    with pytest.raises(
        ValueError, match="no Data Manager tab 'nope'.*uncertain"
    ):
        fols.import_project(
            dataset,
            project_id,
            view="nope",
            label_field="imported",
            match="sample_id",
            **creds(ls_server),
        )
    assert dataset.get_field("imported") is None
