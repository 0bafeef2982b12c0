"""``import_project`` of a project whose annotations use classes its
config does not list (issue 11 part 2), through a real Label Studio.

Label Studio stores and exports any label value: its own example exports
hold rotated boxes labelled ``Butterfly`` in a project whose config says
``butterfly``. Such a project is built here through the API and imported
from the server's own export.
"""

import pytest

from test_backend_common import (
    add_images,
    annotate_task,
    creds,
    new_region,
    snapshot,
)

CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="gt" toName="image">
    <Label value="butterfly"/>
  </RectangleLabels>
</View>"""


def _box(region_id, label, x, rotation, size):
    value = {"x": x, "y": 20, "width": 10, "height": 8, "rotation": rotation}
    value["rectanglelabels"] = [label]
    return new_region(region_id, "gt", "rectanglelabels", value, *size)


@pytest.fixture
def butterflies(dataset, sample_images, ls_client, ls_projects_guard):
    s0, s1 = add_images(dataset, sample_images, 2)
    pid = int(ls_client.create_project("butterflies", CONFIG)["id"])
    urls = ls_client.upload_files(pid, [s0.filepath, s1.filepath])
    t0, t1 = ls_client.import_tasks(
        pid, [{"data": {"image": u}} for u in urls]
    )
    size0 = (s0.metadata.width, s0.metadata.height)
    size1 = (s1.metadata.width, s1.metadata.height)
    annotate_task(
        ls_client,
        t0,
        [
            _box("bfly000001", "butterfly", 10, 0, size0),
            _box("bfly000002", "Butterfly", 30, 25, size0),
            _box("bfly000003", "Butterfly", 50, 0, size0),
        ],
    )
    annotate_task(
        ls_client, t1, [_box("bfly000004", "Butterfly", 5, 10, size1)]
    )
    # the server's own export holds all four, whatever the config says
    exported = ls_client.export_tasks(pid)
    labels = [
        r["value"]["rectanglelabels"][0]
        for t in exported
        for a in t["annotations"]
        for r in a["result"]
    ]
    assert sorted(labels) == ["Butterfly"] * 3 + ["butterfly"]
    return {"id": pid, "samples": (s0, s1)}


def _labels(sample, field):
    sample.reload()
    value = sample[field]
    return sorted(d.label for d in value.detections) if value else []


def test_import_keeps_unknown_classes_by_default(
    dataset, ls_server, butterflies
):
    from fiftyone_labelstudio.backend.import_project import import_project

    s0, s1 = butterflies["samples"]
    report = import_project(
        dataset, butterflies["id"], anno_key="imp", **creds(ls_server)
    )
    assert _labels(s0, "gt") == ["Butterfly", "Butterfly", "butterfly"]
    assert _labels(s1, "gt") == ["Butterfly"]
    assert report["labels"] == {"gt": 4}
    assert report["unknown_classes"] == {
        "gt": {"action": "keep", "classes": {"Butterfly": 3}}
    }
    # the class joins the field's classes of the registered run...
    results = dataset.load_annotation_results("imp")
    assert results.config.label_schema["gt"]["classes"] == [
        "butterfly",
        "Butterfly",
    ]
    # ...so a load right after the import changes nothing (same ids)
    before = snapshot(dataset, ["gt"])
    dataset.load_annotations("imp", unexpected="ignore")
    assert snapshot(dataset, ["gt"]) == before


def test_import_ignore_and_return_unknown_classes(
    dataset, ls_server, butterflies
):
    from fiftyone_labelstudio.backend.import_project import import_project

    s0, s1 = butterflies["samples"]
    report = import_project(
        dataset,
        butterflies["id"],
        label_field="strict",
        unexpected="ignore",
        **creds(ls_server),
    )
    assert _labels(s0, "strict") == ["butterfly"]
    assert _labels(s1, "strict") == []
    assert report["unknown_classes"] == {
        "strict": {"action": "ignore", "classes": {"Butterfly": 3}}
    }

    report = import_project(
        dataset,
        butterflies["id"],
        label_field="returned",
        unexpected="return",
        **creds(ls_server),
    )
    assert _labels(s0, "returned") == ["butterfly"]
    entry = report["unknown_classes"]["returned"]
    assert entry["action"] == "return"
    assert sorted(entry["labels"]) == sorted([s0.id, s1.id])
    rotated = [
        d
        for per_sample in entry["labels"].values()
        for d in per_sample.values()
    ]
    assert sorted(d.label for d in rotated) == ["Butterfly"] * 3
    rotations = [d.get_attribute_value("rotation", 0) for d in rotated]
    assert sorted(rotations) == [0, 10, 25]
