"""Labels of classes the run does not list, beside labels of its classes,
through a real Label Studio server (issue 11 part 1).

Label Studio accepts any label value in a result. Per label type and
``unexpected=`` mode, three samples: one task with a known and an unknown
class, one with only a known class, one with only an unknown class. Labels
of the run's classes always load; unknown classes are kept in the field
(``"keep"``), skipped (``"ignore"``) or returned and not merged
(``"return"``). Every test runs through ``dataset.load_annotations`` and
``fiftyone_labelstudio.load_annotations``.
"""

import builtins
import sys

import numpy as np
import pytest

from test_backend_common import (
    add_images,
    annotate_run,
    annotate_task,
    image_size,
    load_with,
    new_region,
    snapshot,
    tasks_by_sample,
)

KNOWN, UNKNOWN = "cat", "zebra"


def _rle(sample, x0, y0):
    from fiftyone_labelstudio.converters.rle import encode_rle

    w, h = image_size(sample)
    mask = np.zeros((h, w), dtype=np.uint8)
    mask[y0 : y0 + 12, x0 : x0 + 20] = 255
    return encode_rle(mask)


def _region(kind, control, cls, n, sample):
    """One region drawn in the editor, of class ``cls``."""
    w, h = image_size(sample)
    rid = "%s%s%02d" % (kind[:4], cls[:3], n)
    x = 10 + 20 * n
    if kind == "detections":
        value = {"x": x, "y": 10, "width": 8, "height": 8, "rotation": 0}
        return new_region(
            rid,
            control,
            "rectanglelabels",
            dict(value, rectanglelabels=[cls]),
            w,
            h,
        )
    if kind == "polygons":
        value = {"points": [[x, 10], [x + 5, 10], [x + 2, 20]]}
        return new_region(
            rid,
            control,
            "polygonlabels",
            dict(value, polygonlabels=[cls]),
            w,
            h,
        )
    if kind == "keypoints":
        value = {"x": x, "y": 30, "width": 0.5, "keypointlabels": [cls]}
        return new_region(rid, control, "keypointlabels", value, w, h)
    if kind == "instances":
        value = {
            "format": "rle",
            "rle": _rle(sample, 10 + 40 * n, 10),
            "brushlabels": [cls],
        }
        return new_region(rid, control, "brushlabels", value, w, h)
    raise AssertionError(kind)


def _results(kind, classes, sample):
    if kind == "classifications":
        w, h = image_size(sample)
        return [
            new_region(
                "choice%02d" % len(classes),
                "f",
                "choices",
                {"choices": list(classes)},
                w,
                h,
            )
        ]
    return [_region(kind, "f", c, n, sample) for n, c in enumerate(classes)]


def _classes(value):
    if value is None:
        return []
    items = getattr(value, value._LABEL_LIST_FIELD)
    return sorted(x.label for x in items or [])


KINDS = ["detections", "polygons", "keypoints", "classifications", "instances"]
# what each sample's annotation holds
PLAN = [[KNOWN, UNKNOWN], [KNOWN], [UNKNOWN]]


@pytest.mark.parametrize("kind", KINDS)
def test_known_classes_always_load_unknown_follow_unexpected(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    kind,
    caplog,
):
    samples = add_images(dataset, sample_images, 3)
    results = annotate_run(
        dataset,
        "unk",
        ls_server,
        label_field="f",
        label_type=kind,
        classes=[KNOWN, "dog"],
    )
    tasks = tasks_by_sample(ls_client, results.project_id)
    for sample, classes in zip(samples, PLAN):
        annotate_task(
            ls_client, tasks[sample.id]["id"], _results(kind, classes, sample)
        )

    def field_classes():
        dataset.reload()
        return [_classes(s["f"]) for s in dataset.iter_samples()]

    # ignore: only the run's classes, the unknown ones counted
    assert load_with(dataset, "unk", unexpected="ignore") is None
    assert field_classes() == [[KNOWN], [KNOWN], []]
    assert "'zebra' x2" in caplog.text and "skipped" in caplog.text

    # return: not merged, returned per sample
    returned = load_with(dataset, "unk", unexpected="return")
    assert field_classes() == [[KNOWN], [KNOWN], []]
    per_sample = returned["f"]["unknown_classes"]
    assert sorted(per_sample) == sorted([samples[0].id, samples[2].id])
    for sample_id, labels in per_sample.items():
        assert [x.label for x in labels.values()] == [UNKNOWN]

    # keep: in the field beside the run's classes; reported
    caplog.clear()
    load_with(dataset, "unk", unexpected="keep")
    assert field_classes() == [[KNOWN, UNKNOWN], [KNOWN], [UNKNOWN]]
    assert "kept in the field" in caplog.text
    before = snapshot(dataset, ["f"])
    load_with(dataset, "unk", unexpected="keep")
    assert snapshot(dataset, ["f"]) == before  # ids stable

    # and ignore afterwards removes them again (they are new labels)
    load_with(dataset, "unk", unexpected="ignore")
    assert field_classes() == [[KNOWN], [KNOWN], []]


def test_prompt_without_terminal_keeps_with_terminal_asks(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
    monkeypatch,
    caplog,
):
    (s0,) = add_images(dataset, sample_images, 1)
    results = annotate_run(
        dataset,
        "prm",
        ls_server,
        label_field="f",
        label_type="detections",
        classes=[KNOWN],
    )
    task = tasks_by_sample(ls_client, results.project_id)[s0.id]
    annotate_task(
        ls_client, task["id"], _results("detections", [KNOWN, UNKNOWN], s0)
    )
    # pytest's stdin is not a terminal: nothing is asked, they are kept
    monkeypatch.setattr(
        builtins, "input", lambda *a: pytest.fail("asked without a tty")
    )
    load_with(dataset, "prm", unexpected="prompt")
    dataset.reload()
    assert _classes(dataset.first()["f"]) == [KNOWN, UNKNOWN]
    assert "without a terminal" in caplog.text

    # a terminal: asked once per field; "n" skips them
    asked = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(
        builtins, "input", lambda prompt="": asked.append(prompt) or "n"
    )
    # (nothing changed in Label Studio: only a full re-read reads the task)
    load_with(dataset, "prm", unexpected="prompt", full=True)
    dataset.reload()
    assert _classes(dataset.first()["f"]) == [KNOWN]
    assert len(asked) == 1 and "'zebra' x1" in asked[0]


def test_segmentation_unknown_classes(
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    load_with,
):
    """A brush of a class that is not a mask target: skipped, returned
    as its own 0/255 mask, or kept with the next free mask value (added
    to the dataset's mask targets)."""
    samples = add_images(dataset, sample_images, 3)
    results = annotate_run(
        dataset,
        "seg",
        ls_server,
        label_field="seg",
        label_type="segmentation",
        mask_targets={1: KNOWN, 2: "dog"},
    )
    tasks = tasks_by_sample(ls_client, results.project_id)
    for sample, classes in zip(samples, PLAN):
        w, h = image_size(sample)
        regions = [
            new_region(
                "brush%s%d" % (cls[:3], n),
                "seg",
                "brushlabels",
                {
                    "format": "rle",
                    "rle": _rle(sample, 10 + 40 * n, 10),
                    "brushlabels": [cls],
                },
                w,
                h,
            )
            for n, cls in enumerate(classes)
        ]
        annotate_task(ls_client, tasks[sample.id]["id"], regions)

    def values():
        dataset.reload()
        return [
            sorted(np.unique(s.seg.mask).tolist()) if s.seg else None
            for s in dataset.iter_samples()
        ]

    load_with(dataset, "seg", unexpected="ignore")
    assert values() == [[0, 1], [0, 1], None]
    returned = load_with(dataset, "seg", unexpected="return")
    assert values() == [[0, 1], [0, 1], None]
    per_sample = returned["seg"]["unknown_classes"]
    assert sorted(per_sample) == sorted([samples[0].id, samples[2].id])
    for labels in per_sample.values():
        (label,) = labels.values()
        assert label.label == UNKNOWN
        assert sorted(np.unique(label.mask).tolist()) == [0, 255]

    load_with(dataset, "seg", unexpected="keep")
    assert values() == [[0, 1, 3], [0, 1], [0, 3]]
    assert dataset.mask_targets["seg"] == {1: KNOWN, 2: "dog", 3: UNKNOWN}
    # the zebra pixels are exactly the painted ones
    s0 = dataset[samples[0].id]
    w, h = image_size(s0)
    assert (s0.seg.mask == 3).sum() == 20 * 12
    assert (s0.seg.mask[10:22, 50:70] == 3).all()
    before = snapshot(dataset, ["seg"])
    load_with(dataset, "seg", unexpected="keep")
    assert snapshot(dataset, ["seg"]) == before
