"""End to end, in a real browser (issue 4): request annotations from the
FiftyOne App, annotate in Label Studio's own web page as a person would,
load the annotations back from the App's ``Label Studio runs`` panel.
"""

import re
import time
import uuid

import pytest

from app_page import AppPage
from ls_page import LabelStudioPage

CLASSES = ["cat", "dog", "person"]
# existing boxes sit in the top-left quarter; the person draws elsewhere so
# that the mouse never lands on an existing region (that would move it)
GROUND_TRUTH = [
    [("cat", [0.05, 0.05, 0.2, 0.15])],
    [("person", [0.04, 0.06, 0.25, 0.3]), ("cat", [0.3, 0.05, 0.1, 0.1])],
    [("dog", [0.06, 0.08, 0.15, 0.2])],
]
DRAW_LABEL = "dog"
DRAW_BOX = (0.5, 0.45, 0.3, 0.35)  # x, y, width, height (fractions)
BOX_TOLERANCE = 0.01

REQUEST_LABEL = "Label Studio: request annotations"
LOAD_LABEL = "Label Studio: load annotations"


def _make_dataset(dataset, sample_images):
    import fiftyone as fo

    samples = []
    for path, boxes in zip(sample_images, GROUND_TRUTH):
        samples.append(
            fo.Sample(
                filepath=path,
                ground_truth=fo.Detections(
                    detections=[
                        fo.Detection(label=label, bounding_box=box)
                        for label, box in boxes
                    ]
                ),
            )
        )
    dataset.add_samples(samples)
    dataset.classes = {"ground_truth": CLASSES}
    dataset.save()
    dataset.compute_metadata()


def _snapshot(dataset):
    """``{sample id: {label id: (label, box)}}`` of ``ground_truth``."""
    out = {}
    for sample in dataset.select_fields("ground_truth"):
        dets = sample.ground_truth.detections if sample.ground_truth else []
        out[sample.id] = {d.id: (d.label, list(d.bounding_box)) for d in dets}
    return out


def _wait_for_new_label(dataset, before, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        dataset.reload()
        after = _snapshot(dataset)
        new = {
            (sid, lid): value
            for sid, labels in after.items()
            for lid, value in labels.items()
            if lid not in before.get(sid, {})
        }
        if new:
            return after, new
        time.sleep(1)
    raise AssertionError(
        "No new label in 'ground_truth' %ds after loading" % timeout
    )


def test_request_annotate_in_label_studio_and_load(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    app_server,
    browser_context,
    shooter,
):
    _make_dataset(dataset, sample_images[: len(GROUND_TRUTH)])
    before = _snapshot(dataset)
    project_title = "fols-e2e-%s" % uuid.uuid4().hex[:8]

    # 1. the App: request annotations through the operator's form
    page = browser_context.new_page()
    app = AppPage(
        page,
        app_server.url,
        lambda name: shooter(page, name),
        server_log=app_server.log_tail,
    )
    app.open_dataset(dataset.name)
    modal = app.open_operator("label studio", REQUEST_LABEL)
    shooter(page, "request_form")
    app.choose_options(
        modal, "Existing label fields", [re.compile("^ground_truth")]
    )
    app.fill_text(modal, "Project name", project_title)
    shooter(page, "request_form_filled")
    app.choose_immediate_execution(modal)
    output = app.execute(modal, "Samples sent")

    dataset.reload()  # the App server registered the run
    runs = dataset.list_annotation_runs()
    assert len(runs) == 1, runs
    anno_key = runs[0]
    project_url = app.link_href(output, "Open in Label Studio")
    project_id = int(re.search(r"/projects/(\d+)", project_url).group(1))
    project = ls_client.get_project(project_id)
    assert project["title"] == project_title
    app.close_modal(output)

    # 2. Label Studio's own page: log in, open the first task, draw a box
    ls_tab = browser_context.new_page()
    ls = LabelStudioPage(
        ls_tab, ls_server.url, lambda name: shooter(ls_tab, name)
    )
    ls.login(ls_server.username, ls_server.password)
    ls.open_project(project_id)
    ls.open_first_task()
    drawn = ls.draw_box(DRAW_LABEL, *DRAW_BOX)
    ls.submit()

    annotated = [
        t for t in ls_client.export_tasks(project_id) if t.get("annotations")
    ]
    assert len(annotated) == 1, "Label Studio stored %d annotated tasks" % (
        len(annotated)
    )
    sample_id = annotated[0]["data"]["fiftyone"]["sample_id"]

    # 3. back in the App: the runs panel's Load action on the run's row
    page.bring_to_front()
    app.open_panel("labelstudio_runs", "Label Studio runs of")
    modal = app.run_row_action(anno_key, "Load annotations")
    modal.get_by_text(LOAD_LABEL).first.wait_for()
    shooter(page, "load_form")
    app.choose_immediate_execution(modal)
    output = app.execute(modal, "Labels after")
    app.close_modal(output)

    # 4. the dataset: one new box where it was drawn, the rest unchanged
    after, new = _wait_for_new_label(dataset, before)
    assert len(new) == 1, new
    (new_sample_id, _), (label, box) = next(iter(new.items()))
    assert new_sample_id == sample_id
    assert label == DRAW_LABEL
    assert box == pytest.approx(drawn.as_bounding_box(), abs=BOX_TOLERANCE), (
        box,
        drawn,
    )
    assert set(after) == set(before)
    for sid, labels in before.items():
        for lid, (old_label, old_box) in labels.items():
            assert lid in after[sid], "label %s of %s is gone" % (lid, sid)
            new_label, new_box = after[sid][lid]
            assert new_label == old_label
            assert new_box == pytest.approx(old_box, abs=1e-6)
    shooter(page, "done")
