"""fiftyone_labelstudio.annotate: the same run as FiftyOne's
``dataset.annotate(..., backend="labelstudio")`` without FiftyOne's label
scan for attributes.

Each case annotates the same samples twice against a real Label Studio
server, once through FiftyOne's path and once through the fast path, and
compares the stored label schemas (values and order), the projects'
labeling configs and the tasks (data and uploaded predictions). A spy on
FiftyOne's ``_get_label_attributes`` shows that FiftyOne's path scans and
the fast path does not.
"""

import datetime
import json
import os
from unittest import mock

import pytest

import fiftyone as fo
import fiftyone.utils.annotations as foua
from bson import ObjectId

import fiftyone_labelstudio
from fiftyone_labelstudio.backend import fast_annotate

from test_backend_common import (
    BACKEND,
    add_images,
    creds,
    tasks_by_sample,
)

BOX = [0.1, 0.2, 0.3, 0.4]


def _det(label, **attrs):
    return fo.Detection(label=label, bounding_box=list(BOX), **attrs)


def _image_dataset(dataset, paths):
    s0, s1, s2 = add_images(dataset, paths, 3)
    s0["gt"] = fo.Detections(
        detections=[
            _det("cat", flag=True, n=3, score=0.25, note="a", tags2=["x"]),
            _det("dog"),
            _det("bird", note=None, weight=2),
        ]
    )
    s0["plain"] = fo.Detections(detections=[_det("cat"), _det("dog")])
    s1["gt"] = fo.Detections(
        detections=[_det("dog", flag=False, extra="z"), _det("cat", n=4.5)]
    )
    s1["cls"] = fo.Classification(label="day", mood="calm", level=1)
    s1["clss"] = fo.Classifications(
        classifications=[
            fo.Classification(label="sunny", strength=0.5),
            fo.Classification(label="windy", gusty=True),
        ]
    )
    s1["lines"] = fo.Polylines(
        polylines=[
            fo.Polyline(
                label="road",
                points=[[(0.1, 0.1), (0.4, 0.5)]],
                closed=False,
                filled=False,
                kind="edge",
                lanes=2,
            )
        ]
    )
    s1["kps"] = fo.Keypoints(
        keypoints=[
            fo.Keypoint(
                label="person",
                points=[(0.2, 0.3), (0.4, 0.5)],
                pose="standing",
                visible_all=True,
            )
        ]
    )
    s2["gt"] = fo.Detections(detections=[])
    for sample in (s0, s1, s2):
        sample.save()


IMAGE_CASES = {
    "detections": dict(label_field="gt"),
    "classes_filter": dict(
        label_field="gt",
        attributes=False,
        classes=["cat", "bird", {"classes": ["dog"], "attributes": True}],
    ),
    "classes_and_field": dict(
        label_schema={
            "gt": {"classes": ["cat", {"classes": "dog", "attributes": True}]}
        }
    ),
    "other_types": dict(
        label_schema=["cls", "clss", "lines", "kps"],
    ),
    "without_attributes": dict(label_field="plain"),
    "some_explicit": dict(
        label_schema={
            "gt": {"attributes": ["note"]},
            "cls": {},
            "new": {"type": "detections", "classes": ["x"]},
        }
    ),
}


def _both(dataset, key, ls_server, **kwargs):
    """(FiftyOne's results, its scan calls, fast results, its calls)."""
    kwargs = dict(
        kwargs, project_name="fast-annotate-" + key, **creds(ls_server)
    )
    scan = foua._get_label_attributes
    with mock.patch.object(foua, "_get_label_attributes", wraps=scan) as spy:
        slow = dataset.annotate("slow_" + key, backend=BACKEND, **kwargs)
        slow_calls = spy.call_count
        spy.reset_mock()
        fast = fiftyone_labelstudio.annotate(dataset, "fast_" + key, **kwargs)
        fast_calls = spy.call_count
    return slow, slow_calls, fast, fast_calls


def _stored_schema(dataset, key) -> dict:
    return dataset.get_annotation_info(key).config.label_schema


def _comparable_tasks(ls_client, project_id, media_key):
    out = {}
    for sample_id, task in tasks_by_sample(ls_client, project_id).items():
        data = dict(task["data"])
        assert data.pop(media_key)  # the media URL differs per project
        preds = [
            (p["model_version"], p["result"]) for p in task["predictions"]
        ]
        out[sample_id] = (data, preds)
    return out


def _assert_same_runs(dataset, key, slow, fast, ls_client, media_key):
    want, got = _stored_schema(dataset, "slow_" + key), _stored_schema(
        dataset, "fast_" + key
    )
    assert got == want
    assert json.dumps(got) == json.dumps(want)  # the same order too
    assert fast.config.label_schema == slow.config.label_schema
    assert fast.id_map == slow.id_map
    slow_project = ls_client.get_project(slow.project_id)
    fast_project = ls_client.get_project(fast.project_id)
    assert fast_project["label_config"] == slow_project["label_config"]
    assert _comparable_tasks(
        ls_client, fast.project_id, media_key
    ) == _comparable_tasks(ls_client, slow.project_id, media_key)


@pytest.mark.parametrize("case", sorted(IMAGE_CASES))
def test_same_run_as_fiftyone_without_its_scan(
    case, dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    _image_dataset(dataset, sample_images)
    kwargs = IMAGE_CASES[case]
    slow, slow_calls, fast, fast_calls = _both(
        dataset, case, ls_server, **kwargs
    )
    assert slow_calls > 0  # FiftyOne's path does scan these schemas
    assert fast_calls == 0
    _assert_same_runs(dataset, case, slow, fast, ls_client, "image")


def test_attribute_specs_follow_the_first_values(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """bool/int/float/str/list attributes become the tools FiftyOne's scan
    recommends (a float after an int is still an integer number)."""
    _image_dataset(dataset, sample_images)
    _, _, fast, _ = _both(dataset, "specs", ls_server, label_field="gt")
    assert fast.config.label_schema["gt"]["attributes"] == {
        "flag": {"type": "checkbox"},
        "n": {"type": "number", "integer": True},
        "score": {"type": "number"},
        "note": {"type": "text"},
        "tags2": {"type": "text", "read_only": True},
        "weight": {"type": "number", "integer": True},
        "extra": {"type": "text"},
    }


def test_values_that_differ_raw_keep_fiftyones_specs(dataset):
    """ObjectId (stored as "_<name>"), datetime, nested labels and legacy
    ``attributes`` entries give the specs FiftyOne's scan gives."""
    dataset.add_sample(fo.Sample(filepath="/tmp/fast-annotate-1.jpg"))
    sample = dataset.first()
    det = _det(
        "cat",
        ref=ObjectId(),
        when=datetime.datetime(2020, 1, 2),
        inner=fo.Classification(label="x"),
        opts={"a": 1},
    )
    det.attributes["legacy"] = fo.NumericAttribute(value=3)
    sample["gt"] = fo.Detections(detections=[det, _det("dog", ok=True)])
    sample.save()
    backend = foua._parse_config(BACKEND, None).build()
    want = foua._get_label_attributes(dataset, backend, "gt", "detections")
    with mock.patch.object(
        foua, "_get_label_attributes", side_effect=AssertionError("scanned")
    ):
        got = fast_annotate.explicit_label_schema(
            dataset, backend=BACKEND, label_field="gt"
        )["gt"]["attributes"]
    assert list(got.items()) == list(want.items())
    assert want["legacy"] == {"type": "number"}  # 3 is stored as 3.0


def test_legacy_attribute_shadowing_a_field_falls_back_to_fiftyone(dataset):
    """A legacy ``attributes`` entry named like a label field reads that
    field in FiftyOne: the fast scan leaves such a field to FiftyOne."""
    dataset.add_sample(fo.Sample(filepath="/tmp/fast-annotate-2.jpg"))
    sample = dataset.first()
    det = _det("cat")
    det.attributes["label"] = fo.CategoricalAttribute(value="x")
    sample["gt"] = fo.Detections(detections=[det])
    sample.save()
    assert (
        fast_annotate.explicit_label_schema(
            dataset, backend=BACKEND, label_field="gt"
        )
        is None
    )


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    from test_backend_video import _write_video

    dirname = str(tmp_path_factory.mktemp("fast-annotate-videos"))
    return [
        _write_video(os.path.join(dirname, "a.mp4"), "astronaut", 4),
        _write_video(os.path.join(dirname, "b.mp4"), "coffee", 2),
    ]


def test_video_frame_field_drops_keyframe_like_fiftyone(
    dataset, videos, ls_server, ls_client, ls_projects_guard
):
    dataset.add_samples([fo.Sample(filepath=p) for p in videos])
    s0, s1 = list(dataset.iter_samples())
    for f in range(1, 7):
        det = _det("car", index=1, keyframe=f in (1, 4))
        if f == 3:
            det["color"] = "red"
        s0.frames[f]["gt"] = fo.Detections(detections=[det])
    s1.frames[2]["gt"] = fo.Detections(
        detections=[_det("car", index=1, speed=2.5)]
    )
    s0.save()
    s1.save()

    slow, slow_calls, fast, fast_calls = _both(
        dataset, "video", ls_server, label_field="frames.gt"
    )
    assert slow_calls > 0
    assert fast_calls == 0
    # what FiftyOne hands the backend (which sets video attributes aside)
    backend = foua._parse_config(BACKEND, None).build()
    want = foua._get_label_attributes(
        dataset, backend, "frames.gt", "detections"
    )
    explicit = fast_annotate.explicit_label_schema(
        dataset, backend=BACKEND, label_field="frames.gt"
    )
    assert list(explicit["frames.gt"]["attributes"].items()) == list(
        want.items()
    )
    assert list(want) == ["color", "speed"]  # no "keyframe"
    _assert_same_runs(dataset, "video", slow, fast, ls_client, "video")
