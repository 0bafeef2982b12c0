"""A grouped dataset's task in Label Studio's own editor (issue 16, part 3).

One task per group shows one image per slice with the regions of each
slice on its own image; submitted unchanged, it saves every region as
sent (ids and values), and loading it -- through FiftyOne's
``load_annotations`` and the plugin's -- changes nothing on any slice.
Run it on the default server and once with
``FIFTYONE_LABELSTUDIO_LS_VERSION=1.20.0`` (the oldest supported).
"""

import fiftyone as fo

import fiftyone_labelstudio as fols
from ls_page import LabelStudioPage

SLICES = ("left", "right")
SCHEMA = {
    "gt": {
        "type": "detections",
        "classes": ["car", "person"],
        "attributes": {"occluded": {"type": "checkbox"}},
    },
    "weather": {"type": "classification", "classes": ["sun", "rain"]},
}


def _snapshot(dataset) -> list:
    view = dataset.select_group_slices(_allow_mixed=True)
    return [
        (
            s.id,
            [
                (d.id, d.label, list(d.bounding_box), d["occluded"])
                for d in s.gt.detections
            ],
            (s.weather.id, s.weather.label),
        )
        for s in view.select_fields(["gt", "weather"])
    ]


def test_group_task_in_the_editor_saves_every_slice_unchanged(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    browser_context,
    shooter,
):
    dataset.add_group_field("group", default="left")
    samples = []
    for i in range(2):
        group = fo.Group()
        for j, slice_ in enumerate(SLICES):
            samples.append(
                fo.Sample(
                    filepath=sample_images[i + j],
                    group=group.element(slice_),
                    gt=fo.Detections(
                        detections=[
                            fo.Detection(
                                label=["car", "person"][j],
                                bounding_box=[0.1, 0.2 + 0.1 * j, 0.3, 0.25],
                                occluded=bool(j),
                            ),
                            fo.Detection(
                                label="person",
                                bounding_box=[0.55, 0.5, 0.2, 0.3],
                                occluded=False,
                            ),
                        ]
                    ),
                    weather=fo.Classification(label=["sun", "rain"][j]),
                )
            )
    dataset.add_samples(samples)
    dataset.select_group_slices().compute_metadata()
    before = _snapshot(dataset)

    results = fols.annotate(
        dataset,
        "groups",
        label_schema=SCHEMA,
        url=ls_server.url,
        api_key=ls_server.api_key,
    )
    assert len(results.task_map) == 2
    task_id = sorted(results.task_map)[0]

    page = browser_context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    ls = LabelStudioPage(page, ls_server.url, shoot=lambda n: shooter(page, n))
    ls.login(ls_server.username, ls_server.password)
    page.goto(
        "%s/projects/%d/data?task=%d"
        % (ls_server.url, results.project_id, task_id),
        wait_until="domcontentloaded",
    )
    page.locator(".lsf-outliner-item").nth(3).wait_for()
    # the editor's images (alt "image" whatever the tag's name): one per
    # slice, both decoded
    page.wait_for_function(
        "() => { const i = [...document.querySelectorAll("
        "\"img[alt='image']\")]; return i.length === 2 && "
        "i.every(e => e.complete && e.naturalWidth > 0); }",
        timeout=30000,
    )
    shooter(page, "group_task")
    # two boxes on each image (the classifications are not regions)
    assert page.locator(".lsf-outliner-item").count() == 4
    ls.submit()
    assert errors == []

    task = ls_client.export_tasks(results.project_id, ids=[task_id])[0]
    (prediction,) = task["predictions"]
    (annotation,) = task["annotations"]
    sent = {(r["id"], r["from_name"]): r for r in prediction["result"]}
    saved = {(r["id"], r["from_name"]): r for r in annotation["result"]}
    assert set(saved) == set(sent)
    for key, result in saved.items():
        assert result["to_name"] == sent[key]["to_name"], key
        assert result["value"] == sent[key]["value"], key

    dataset.load_annotations("groups")
    assert _snapshot(dataset) == before
    fols.load_annotations(dataset, "groups")
    assert _snapshot(dataset) == before
