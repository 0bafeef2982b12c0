"""Every bad input fails with ONE clear error, before anything is
created: no run record, no new Label Studio project, dataset unchanged."""

import os
import shutil

import pytest

import fiftyone as fo

from test_backend_common import BACKEND, add_images, creds, project_ids


@pytest.fixture
def det_dataset(dataset, sample_images):
    samples = add_images(dataset, sample_images, 2)
    for sample in samples:
        sample["gt"] = fo.Detections(
            detections=[
                fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.3, 0.3])
            ]
        )
        sample["count"] = 3
        sample.save()
    return dataset


def _state(dataset, ls_client):
    return (
        dataset.list_annotation_runs(),
        project_ids(ls_client),
        sorted(dataset.get_field_schema().keys()),
        [s.to_dict() for s in dataset.iter_samples()],
    )


def _assert_rejected(dataset, ls_client, match, **kwargs):
    before = _state(dataset, ls_client)
    with pytest.raises(Exception, match=match) as info:
        dataset.annotate("bad", backend=BACKEND, **kwargs)
    assert _state(dataset, ls_client) == before
    return str(info.value)


def test_unknown_label_type(det_dataset, ls_server, ls_client):
    msg = _assert_rejected(
        det_dataset,
        ls_client,
        "unsupported label type 'boxes'",
        label_field="new_field",
        label_type="boxes",
        classes=["a"],
        **creds(ls_server),
    )
    assert "supports" in msg


def test_field_of_wrong_type(det_dataset, ls_server, ls_client):
    _assert_rejected(
        det_dataset,
        ls_client,
        "does not match its actual type",
        label_field="gt",
        label_type="classification",
        **creds(ls_server),
    )


def test_new_field_without_classes(det_dataset, ls_server, ls_client):
    _assert_rejected(
        det_dataset,
        ls_client,
        "class list for new label field 'fresh'",
        label_field="fresh",
        label_type="detections",
        **creds(ls_server),
    )


def test_non_string_classes(det_dataset, ls_server, ls_client):
    _assert_rejected(
        det_dataset,
        ls_client,
        "class names must be strings",
        label_field="fresh",
        label_type="detections",
        classes=[1, 2],
        **creds(ls_server),
    )


def test_segmentation_without_usable_mask_targets(
    det_dataset, ls_server, ls_client
):
    _assert_rejected(
        det_dataset,
        ls_client,
        "mask target",
        label_field="seg",
        label_type="segmentation",
        mask_targets={"#ff0000": "red"},
        **creds(ls_server),
    )


def test_unreadable_video(dataset, ls_server, ls_client, tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00" * 16)
    dataset.add_sample(fo.Sample(filepath=str(path)))
    _assert_rejected(
        dataset,
        ls_client,
        "Could not read the frame rate and frame count",
        label_field="gt",
        label_type="classification",
        classes=["a"],
        **creds(ls_server),
    )


def test_media_field_with_other_files(
    det_dataset, ls_server, ls_client, tmp_path
):
    doc = tmp_path / "notes.txt"
    doc.write_text("not an image")
    for sample in det_dataset:
        sample["alt"] = str(doc)
        sample.save()
    _assert_rejected(
        det_dataset,
        ls_client,
        "not images Label Studio can show",
        label_field="gt",
        media_field="alt",
        **creds(ls_server),
    )


def test_missing_media_files(det_dataset, ls_server, ls_client, tmp_path):
    sample = det_dataset.first()
    moved = str(tmp_path / os.path.basename(sample.filepath))
    shutil.copy(sample.filepath, moved)
    sample.filepath = moved
    sample.save()
    os.remove(moved)
    msg = _assert_rejected(
        det_dataset,
        ls_client,
        "1 media file\\(s\\) in field 'filepath' do not exist",
        label_field="gt",
        **creds(ls_server),
    )
    assert moved in msg


def test_duplicate_anno_key(
    det_dataset, ls_server, ls_client, ls_projects_guard
):
    det_dataset.annotate(
        "bad", backend=BACKEND, label_field="gt", **creds(ls_server)
    )
    before = _state(det_dataset, ls_client)
    with pytest.raises(ValueError, match="already has an annotation run"):
        det_dataset.annotate(
            "bad", backend=BACKEND, label_field="gt", **creds(ls_server)
        )
    assert _state(det_dataset, ls_client) == before
    det_dataset.load_annotation_results("bad").cleanup()


def test_unreachable_server(det_dataset, ls_client):
    msg = _assert_rejected(
        det_dataset,
        ls_client,
        "Cannot reach Label Studio at http://127.0.0.1:9",
        label_field="gt",
        url="http://127.0.0.1:9",
        api_key="whatever-key-123",
    )
    assert "whatever-key-123" not in msg


def test_bad_token(det_dataset, ls_server, ls_client):
    msg = _assert_rejected(
        det_dataset,
        ls_client,
        "API key was rejected",
        label_field="gt",
        url=ls_server.url,
        api_key="wrong-token-0123456789",
    )
    assert "wrong-token-0123456789" not in msg


def test_no_key_anywhere(det_dataset, ls_server, ls_client, monkeypatch):
    monkeypatch.delenv("FIFTYONE_LABELSTUDIO_API_KEY", raising=False)
    monkeypatch.setitem(
        fo.annotation_config.backends,
        BACKEND,
        {
            k: v
            for k, v in fo.annotation_config.backends[BACKEND].items()
            if k != "api_key"
        },
    )
    _assert_rejected(
        det_dataset,
        ls_client,
        "No Label Studio API key was given",
        label_field="gt",
        url=ls_server.url,
    )


def test_project_deleted_in_label_studio(
    det_dataset, ls_server, ls_client, ls_projects_guard
):
    results = det_dataset.annotate(
        "gone", backend=BACKEND, label_field="gt", **creds(ls_server)
    )
    ls_client.delete_project(results.project_id)
    before = [s.to_dict() for s in det_dataset.iter_samples()]
    for action in (
        lambda: det_dataset.load_annotations("gone", unexpected="ignore"),
        results.get_status,
        results.cleanup,
    ):
        with pytest.raises(ValueError, match="no longer exists") as info:
            action()
        assert "delete_annotation_run('gone')" in str(info.value)
    assert [s.to_dict() for s in det_dataset.iter_samples()] == before
    assert det_dataset.list_annotation_runs() == ["gone"]


def test_failed_upload_leaves_nothing(
    det_dataset, ls_server, ls_client, monkeypatch
):
    """A failure after the project exists removes project and run."""
    from fiftyone_labelstudio.client import LabelStudioClient

    def broken_import(self, *args, **kwargs):
        raise RuntimeError("import exploded")

    monkeypatch.setattr(LabelStudioClient, "import_tasks", broken_import)
    msg = _assert_rejected(
        det_dataset,
        ls_client,
        "could not be created: import exploded. Nothing was left behind",
        label_field="gt",
        **creds(ls_server),
    )
    assert ls_server.api_key not in msg
