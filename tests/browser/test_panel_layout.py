"""The runs panel in a real browser (issue 7): in a half-width panel at
1600 px the table's row actions stay in sight (with many runs), the Status
row action shows the run's status under the table, and the "Import a Label
Studio project" button imports a hand-made project through its form.
"""

from app_page import AppPage

NUM_RUNS = 8  # more than the panel's project links
HAND_CONFIG = (
    '<View><Image name="image" value="$image"/>'
    '<RectangleLabels name="ground_truth" toName="image">'
    '<Label value="cat"/></RectangleLabels></View>'
)


def _make_runs(dataset, sample_images, ls_server):
    import fiftyone as fo

    dataset.add_samples(
        [
            fo.Sample(
                filepath=path,
                ground_truth=fo.Detections(
                    detections=[
                        fo.Detection(
                            label="cat", bounding_box=[0, 0, 0.5, 0.5]
                        )
                    ]
                ),
            )
            for path in sample_images[:2]
        ]
    )
    dataset.compute_metadata()
    for i in range(NUM_RUNS):
        dataset.annotate(
            "labelstudio_%d" % (i + 1),
            backend="labelstudio",
            label_field="ground_truth",
            media_mode="upload",
            url=ls_server.url,
            api_key=ls_server.api_key,
        )
        dataset._annotation_cache.clear()


def _hand_made_project(dataset, ls_client):
    """Two tasks with the dataset's images, one annotated box."""
    project = ls_client.create_project("fols hand made (browser)", HAND_CONFIG)
    urls = ls_client.upload_files(project["id"], dataset.values("filepath"))
    task_ids = ls_client.import_tasks(
        project["id"], [{"data": {"image": u}} for u in urls]
    )
    first = dataset.first()
    ls_client.sdk.annotations.create(
        id=task_ids[0],
        result=[
            {
                "id": "browser001",
                "from_name": "ground_truth",
                "to_name": "image",
                "type": "rectanglelabels",
                "original_width": first.metadata.width,
                "original_height": first.metadata.height,
                "value": {
                    "x": 10,
                    "y": 10,
                    "width": 30,
                    "height": 30,
                    "rotation": 0,
                    "rectanglelabels": ["cat"],
                },
            }
        ],
    )
    return project


def test_panel_fits_shows_status_and_imports(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    app_server,
    browser_context,
    shooter,
):
    _make_runs(dataset, sample_images, ls_server)
    page = browser_context.new_page()
    app = AppPage(
        page,
        app_server.url,
        lambda name: shooter(page, name),
        server_log=app_server.log_tail,
    )
    app.open_dataset(dataset.name)
    app.open_panel("labelstudio_runs", "Label Studio runs of")

    # 1. every row's actions are inside the window
    width = page.viewport_size["width"]
    header = page.get_by_text("Actions", exact=True).first
    box = header.bounding_box()
    assert box["x"] + box["width"] <= width + 1, box
    for i in range(NUM_RUNS):
        row = page.locator(
            "tr", has=page.get_by_text("labelstudio_%d" % (i + 1), exact=True)
        ).first
        more = row.locator("button").last.bounding_box()
        assert more["x"] + more["width"] <= width + 1, (i, more)

    # 2. Status: the run's counts appear under the table
    row = page.locator(
        "tr", has=page.get_by_text("labelstudio_1", exact=True)
    ).first
    row.locator("button").last.click()
    page.get_by_role("menuitem", name="Status").first.click()
    page.get_by_text("2 tasks: 0 annotated").first.wait_for(timeout=30000)
    shooter(page, "status")

    # 3. Import a Label Studio project, from the panel
    project = _hand_made_project(dataset, ls_client)
    page.get_by_role("button", name="Import a Label Studio project").click()
    modal = page.locator("[data-cy=operators-prompt-modal]")
    modal.wait_for()
    modal.get_by_text("Label Studio: import a project").first.wait_for()
    app.settle()
    app.field(modal, "Label Studio project").locator(
        "[role=combobox]"
    ).first.click()
    page.get_by_role(
        "option", name="fols hand made (browser) (#%d)" % project["id"]
    ).click()
    app.settle(3)
    app.fill_text(modal, "Field for control 'ground_truth'", "hand_boxes")
    shooter(page, "import_form")
    app.choose_immediate_execution(modal)
    output = app.execute(modal, "Matched to samples")
    text = " ".join(output.inner_text().split())
    assert "Matched to samples: 2" in text, text
    assert "Annotated tasks loaded: 1" in text, text
    app.close_modal(output)

    dataset.reload()
    labels = dataset.values("hand_boxes.detections.label")
    assert sorted(len(x or []) for x in labels) == [0, 1]
