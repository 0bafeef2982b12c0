"""Form resolution of the operators, branch by branch, with the real
database and the real Label Studio server (credentials are checked)."""

import fiftyone as fo
import pytest

from fiftyone_labelstudio import constants
from fiftyone_labelstudio.operators.label_form import field_key

from test_operators_support import (
    assert_no_secret,
    image_dataset,
    make_ctx,
    operator,
    resolve,
)

REQ = "request_annotations"
GT = field_key("ground_truth")


@pytest.fixture
def images_ds(dataset, sample_images, ls_server):
    return image_dataset(dataset, sample_images)


def _request(ds, **params):
    return resolve(ds, REQ, params)


# credentials


def test_missing_key_is_a_form_error_naming_the_secret(images_ds, monkeypatch):
    monkeypatch.delenv(constants.SECRET_API_KEY, raising=False)
    props, errors = _request(images_ds, existing_fields=["ground_truth"])
    assert "credentials_error" in errors
    assert constants.SECRET_API_KEY in errors["credentials_error"]
    assert props["credentials_error"].view.__class__.__name__ == "Error"


def test_rejected_key_is_a_form_error_naming_the_secret(
    images_ds, monkeypatch
):
    bad = "not-a-valid-token-0123456789"
    monkeypatch.setenv(constants.SECRET_API_KEY, bad)
    props, errors = _request(images_ds, existing_fields=["ground_truth"])
    assert constants.SECRET_API_KEY in errors["credentials_error"]
    assert bad not in errors["credentials_error"]
    assert_no_secret(props["credentials_error"].view.to_json(), bad)


def test_unreachable_server_is_a_form_error_naming_the_url_secret(
    images_ds, monkeypatch
):
    monkeypatch.setenv(constants.SECRET_URL, "http://127.0.0.1:9")
    _, errors = _request(images_ds, existing_fields=["ground_truth"])
    assert constants.SECRET_URL in errors["credentials_error"]


def test_valid_credentials_give_no_credentials_error(images_ds, ls_server):
    props, errors = _request(images_ds, existing_fields=["ground_truth"])
    assert "credentials_error" not in props
    assert errors == {}
    form_json = {k: p.to_json() for k, p in props.items()}
    assert_no_secret(form_json, ls_server.api_key)


# target, key, count


def test_counts_the_samples_of_the_target(images_ds):
    props, _ = _request(images_ds, existing_fields=["ground_truth"])
    assert props["num_samples_notice"].view.label.startswith("5 samples")

    ids = images_ds.values("id")[:2]
    props, _ = resolve(
        images_ds,
        REQ,
        {
            "existing_fields": ["ground_truth"],
            "view_target": "SELECTED_SAMPLES",
        },
        selected=ids,
    )
    assert props["num_samples_notice"].view.label.startswith("2 samples")

    props, _ = resolve(
        images_ds,
        REQ,
        {"existing_fields": ["ground_truth"], "view_target": "CURRENT_VIEW"},
        view=images_ds.limit(3),
    )
    assert props["num_samples_notice"].view.label.startswith("3 samples")


def test_empty_target_is_an_error(images_ds):
    _, errors = resolve(
        images_ds,
        REQ,
        {"existing_fields": ["ground_truth"], "view_target": "CURRENT_VIEW"},
        view=images_ds.match({"filepath": "nothing"}),
    )
    assert "target_error" in errors


def test_unsupported_media_is_refused(dataset, ls_server):
    dataset.add_sample(fo.Sample(filepath="/tmp/fols-none.pcd"))
    _, errors = _request(dataset, new_fields=["x"])
    assert "annotate image and video" in errors["target_error"]


def _video_ds(dataset):
    sample = fo.Sample(filepath="/tmp/fols-none.mp4")
    sample["scene"] = fo.Classification(label="day")
    sample.frames[1] = fo.Frame(
        cars=fo.Detections(
            detections=[fo.Detection(label="car", bounding_box=[0, 0, 1, 1])]
        )
    )
    dataset.add_sample(sample)
    return dataset


def test_video_fields_frame_and_sample_level(dataset, ls_server):
    ds = _video_ds(dataset)
    props, errors = _request(ds, existing_fields=["frames.cars"])
    choices = {c.value for c in props["existing_fields"].view.choices}
    assert choices == {"scene", "frames.cars"}
    key = field_key("frames.cars")
    assert props[key + "__type_notice"].view.label.startswith("Type: Det")
    assert "1 classes: car" in props[key + "__classes_preview"].view.label
    assert errors == {}

    new_frame, new_sample = field_key("frames.signs"), field_key("mood")
    props, errors = _request(ds, new_fields=["frames.signs", "mood"])
    frame_types = [c.value for c in props[new_frame + "__type"].view.choices]
    sample_types = [c.value for c in props[new_sample + "__type"].view.choices]
    assert "detections" in frame_types and "scalar" not in frame_types
    assert "scalar" in sample_types and "detections" not in sample_types

    _, errors = _request(ds, new_fields=["frames.9x"])
    assert "frames.<name>" in errors[field_key("frames.9x") + "__error"]
    _, errors = _request(ds, new_fields=["frames.cars"])
    assert "already has" in errors[field_key("frames.cars") + "__error"]


def test_anno_key_default_and_validation(images_ds):
    props, _ = _request(images_ds, existing_fields=["ground_truth"])
    assert props["anno_key"].default == "labelstudio_1"

    _, errors = _request(
        images_ds, existing_fields=["ground_truth"], anno_key="1bad key"
    )
    assert "letters" in errors["anno_key"]

    images_ds.register_run(
        "taken", images_ds.init_run(), overwrite=True
    )  # a custom run does not block an annotation key
    _, errors = _request(
        images_ds, existing_fields=["ground_truth"], anno_key="ok_key"
    )
    assert "anno_key" not in errors


# label fields


def test_no_field_chosen_is_an_error(images_ds):
    _, errors = _request(images_ds)
    assert "fields_required" in errors


def test_existing_fields_offered_from_the_schema(images_ds):
    images_ds.add_sample_field("score", fo.FloatField)
    images_ds.add_sample_field(
        "mask", fo.EmbeddedDocumentField, embedded_doc_type=fo.Segmentation
    )
    props, _ = _request(images_ds)
    choices = {c.value for c in props["existing_fields"].view.choices}
    assert {"ground_truth", "weather", "score", "mask"} <= choices
    assert "filepath" not in choices and "metadata" not in choices


def test_existing_detections_choose_boxes_or_instances(images_ds):
    props, errors = _request(images_ds, existing_fields=["ground_truth"])
    values = [c.value for c in props[GT + "__type"].view.choices]
    assert values == ["detections", "instances"]
    assert props[GT + "__type"].default == "detections"
    # classes come from the field's values when the dataset has none
    assert props[GT + "__classes_source"].default == "values"
    assert "2 classes: cat, dog" in props[GT + "__classes_preview"].view.label
    assert errors == {}


def test_dataset_classes_are_the_default_source(images_ds):
    images_ds.default_classes = ["cat", "dog", "bird"]
    images_ds.save()
    props, _ = _request(images_ds, existing_fields=["ground_truth"])
    assert props[GT + "__classes_source"].default == "dataset"
    assert "3 classes" in props[GT + "__classes_preview"].view.label


def test_typed_classes_validation(images_ds):
    base = {
        "existing_fields": ["ground_truth"],
        GT + "__classes_source": "typed",
    }
    _, errors = _request(images_ds, **base)
    assert "at least one class" in errors[GT + "__classes"]
    _, errors = _request(images_ds, **base, **{GT + "__classes": ["a", "a"]})
    assert "Duplicate" in errors[GT + "__classes"]
    _, errors = _request(images_ds, **base, **{GT + "__classes": ["a", "b"]})
    assert errors == {}


def test_new_field_needs_a_type_and_classes(images_ds):
    key = field_key("animal")
    props, errors = _request(images_ds, new_fields=["animal"])
    assert key + "__type" in errors  # required, no default
    types_offered = [c.value for c in props[key + "__type"].view.choices]
    assert (
        "classification" in types_offered and "segmentation" in types_offered
    )

    params = {"new_fields": ["animal"], key + "__type": "classification"}
    props, errors = _request(images_ds, **params)
    assert props[key + "__classes_source"].default == "typed"
    assert "at least one class" in errors[key + "__classes"]

    params[key + "__classes"] = ["cat", "dog"]
    _, errors = _request(images_ds, **params)
    assert errors == {}


def test_new_field_name_problems(images_ds):
    for name, expected in [
        ("ground_truth", "already has a field"),
        ("9lives", "letters"),
        ("has space", "letters"),
    ]:
        _, errors = _request(images_ds, new_fields=[name])
        assert expected in errors[field_key(name) + "__error"], name


def test_scalar_classes_are_optional(images_ds):
    key = field_key("notes")
    _, errors = _request(
        images_ds, new_fields=["notes"], **{key + "__type": "scalar"}
    )
    assert errors == {}


def test_segmentation_mask_targets(images_ds):
    key = field_key("seg")
    base = {"new_fields": ["seg"], key + "__type": "segmentation"}
    props, errors = _request(images_ds, **base)
    assert key + "__classes_source" not in props
    assert "at least one mask target" in errors[key + "__mask_targets"]

    bad = [{"value": 0, "label": "bg"}]
    _, errors = _request(images_ds, **base, **{key + "__mask_targets": bad})
    assert "1 to 255" in errors[key + "__mask_targets"]

    dup = [{"value": 1, "label": "road"}, {"value": 1, "label": "car"}]
    _, errors = _request(images_ds, **base, **{key + "__mask_targets": dup})
    assert "twice" in errors[key + "__mask_targets"]

    ok = [{"value": 1, "label": "road"}, {"value": 2, "label": "car"}]
    _, errors = _request(images_ds, **base, **{key + "__mask_targets": ok})
    assert errors == {}

    images_ds.default_mask_targets = {1: "road", 2: "car"}
    images_ds.save()
    props, errors = _request(images_ds, **base)
    assert props[key + "__mask_targets_source"].default == "dataset"
    assert errors == {}


def test_field_removed_after_choice_is_an_error(images_ds):
    _, errors = _request(images_ds, existing_fields=["gone"])
    assert "not a label field" in errors[field_key("gone") + "__error"]


# options


def test_media_field_only_with_several_media_fields(images_ds):
    props, _ = _request(images_ds, existing_fields=["ground_truth"])
    assert "media_field" not in props

    images_ds.add_sample_field("thumb", fo.StringField)
    images_ds.app_config.media_fields = ["filepath", "thumb"]
    images_ds.save()
    props, errors = _request(images_ds, existing_fields=["ground_truth"])
    assert [c.value for c in props["media_field"].view.choices] == [
        "filepath",
        "thumb",
    ]
    assert "thumb" not in {
        c.value for c in props["existing_fields"].view.choices
    }
    assert errors == {}


def test_media_modes_and_send_existing(images_ds):
    props, _ = _request(images_ds, existing_fields=["ground_truth"])
    assert [c.value for c in props["media_mode"].view.choices] == [
        "auto",
        "upload",
        "local",
        "url",
    ]
    assert "send_existing" in props
    key = field_key("animal")
    props, _ = _request(
        images_ds,
        new_fields=["animal"],
        **{key + "__type": "classification", key + "__classes": ["a"]},
    )
    assert "send_existing" not in props


def test_large_targets_default_to_delegated(dataset, ls_server):
    dataset.add_samples(
        [fo.Sample(filepath="/tmp/fols-none-%d.jpg" % i) for i in range(501)]
    )
    op = operator(REQ)
    options = op.resolve_execution_options(make_ctx(dataset, REQ, {}))
    assert options.default_choice_to_delegated
    assert options.allow_immediate_execution
    small = dataset.limit(10)
    ctx = make_ctx(dataset, REQ, {"view_target": "CURRENT_VIEW"}, view=small)
    assert not op.resolve_execution_options(ctx).default_choice_to_delegated


# run pickers (no runs yet)


@pytest.mark.parametrize(
    "name",
    [
        "load_annotations",
        "get_annotation_status",
        "load_annotation_view",
        "rename_annotation_run",
        "delete_annotation_run",
        "open_in_labelstudio",
    ],
)
def test_run_forms_without_runs_explain_how_to_start(images_ds, name):
    props, errors = resolve(images_ds, name, {})
    assert "no_runs" in errors
    assert "Request annotations" in props["no_runs"].view.description
