"""The gate to FiftyOne's internals: checked once, and when they do not
match, the fast paths take FiftyOne's public ones with one warning and
give the same results."""

import logging

import fiftyone as fo
import fiftyone.utils.annotations as foua
import pytest

import fiftyone_labelstudio as fols
from fiftyone_labelstudio.backend import fiftyone_internals as fi
from test_backend_common import (
    add_images,
    annotate_task,
    by_id,
    creds,
    image_size,
    new_region,
    prediction_results,
    snapshot,
    tasks_by_sample,
)


@pytest.fixture
def fresh_gate():
    """The gate as a new process sees it; restored afterwards."""
    saved = dict(fi._state)
    fi._state.update(checked=False, problem=None, warned=False)
    yield fi
    fi.force_public_paths(None)
    fi._state.clear()
    fi._state.update(saved)


def test_internals_of_this_fiftyone_match(fresh_gate):
    assert fi.check() is None
    assert fi.fast_paths_ok("annotate")
    assert fi.internal("_merge_labels") is foua._merge_labels


def test_a_changed_signature_is_found_and_warned_once(
    fresh_gate, monkeypatch, caplog
):
    def _merge_labels(dataset, anno_dict, results, label_field):
        raise AssertionError("must not be called")

    monkeypatch.setattr(foua, "_merge_labels", _merge_labels)
    with caplog.at_level(logging.WARNING):
        assert not fi.fast_paths_ok("load_annotations")
        assert not fi.fast_paths_ok("annotate")
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "_merge_labels" in warnings[0] and "public path" in warnings[0]
    with pytest.raises(RuntimeError, match="public path"):
        fi.internal("_merge_labels")


def test_an_untested_release_takes_the_public_paths(fresh_gate, monkeypatch):
    monkeypatch.setattr(fo, "__version__", "1.30.0")
    assert "1.30.0" in fi.check()
    assert not fi.fast_paths_ok("annotate")


def _without_new_ids(rows, known):
    for row in rows:
        for det in (row.get("gt") or {}).get("detections", []):
            if str(det["_id"]) not in known:
                det["_id"] = "new"
    return rows


def _run(dataset, key, ls_server, ls_client, public):
    """annotate, the same edit in Label Studio, load; with the fast paths
    or FiftyOne's public ones."""
    fi.force_public_paths(public)
    s0 = dataset.first()
    fols.annotate(
        dataset,
        key,
        label_field="gt",
        classes=["cat", "dog", "bird"],
        **creds(ls_server),
    )
    results = dataset.load_annotation_results(key, **creds(ls_server))
    task = tasks_by_sample(ls_client, results.project_id)[s0.id]
    res = prediction_results(task)
    a, b = s0.gt.detections
    by_id(res, a.id)["value"]["rectanglelabels"] = ["bird"]
    by_id(res, b.id)["value"]["x"] = 55.0
    w, h = image_size(s0)
    res.append(
        new_region(
            "newbox0001",
            "gt",
            "rectanglelabels",
            {
                "x": 10,
                "y": 10,
                "width": 5,
                "height": 5,
                "rectanglelabels": ["dog"],
            },
            w,
            h,
        )
    )
    annotate_task(ls_client, task["id"], res)
    fols.load_annotations(dataset, key, **creds(ls_server))
    schema = dataset.get_annotation_info(key).config.label_schema
    return snapshot(dataset, ["gt"]), schema


def test_public_fallback_gives_the_same_results(
    fresh_gate,
    dataset,
    sample_images,
    ls_server,
    ls_client,
    ls_projects_guard,
    monkeypatch,
):
    s0, s1 = add_images(dataset, sample_images, 2)
    a = fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.3])
    a["occluded"] = True
    b = fo.Detection(label="dog", bounding_box=[0.5, 0.5, 0.2, 0.2])
    b["occluded"] = False
    s0["gt"] = fo.Detections(detections=[a, b])
    s0.save()
    original = dataset.values("gt")

    # the public paths must not touch the fast code at all
    calls = []
    real_internal = fi.internal

    def spy(name):
        calls.append(name)
        return real_internal(name)

    # where the fast paths look the name up (bound at their import)
    from fiftyone_labelstudio.backend import bulk_load, bulk_merge
    from fiftyone_labelstudio.backend import fast_annotate

    for module in (bulk_load, bulk_merge, fast_annotate):
        monkeypatch.setattr(module, "internal", spy)
    public, public_schema = _run(
        dataset, "public", ls_server, ls_client, public=True
    )
    assert calls == []

    dataset.set_values("gt", original)
    fast, fast_schema = _run(
        dataset, "fast", ls_server, ls_client, public=False
    )
    assert calls  # the fast paths ran

    assert fast_schema == public_schema
    assert fast_schema["gt"]["attributes"]["occluded"]
    # new regions get ids derived from their run's task: compare the rest
    known = {a.id, b.id}
    assert _without_new_ids(fast, known) == _without_new_ids(public, known)
    labels = {d.label for d in dataset.first().gt.detections}
    assert labels == {"bird", "dog"}
    assert len(dataset.first().gt.detections) == 3
