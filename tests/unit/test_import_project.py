"""Pure parts of existing-project support: coverage of a labeling config,
schema inference, media names (no server)."""

from fiftyone_labelstudio.backend.existing_project import coverage_problems
from fiftyone_labelstudio.backend.import_project import (
    infer_schema,
    media_name,
)
from fiftyone_labelstudio.converters.label_config import build_label_config

SCHEMA = {
    "gt": {"type": "detections", "classes": ["cat", "dog"]},
    "tag": {"type": "classification", "classes": ["x", "y"]},
}

CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="gt" toName="image">
    <Label value="cat"/><Label value="dog"/><Label value="emu"/>
  </RectangleLabels>
  <Choices name="tag" toName="image" choice="multiple">
    <Choice value="x"/><Choice value="y"/>
  </Choices>
  <Choices name="occluded" toName="image" perRegion="true">
    <Choice value="yes"/>
  </Choices>
  <TextArea name="notes" toName="image"/>
  <Number name="count" toName="image"/>
  <BrushLabels name="paint" toName="image"><Label value="sky"/></BrushLabels>
  <Rating name="stars" toName="image"/>
</View>"""


def test_own_config_covers_itself():
    xml = build_label_config(SCHEMA)
    assert coverage_problems(xml, xml) == []
    assert coverage_problems(xml, CONFIG) == []  # more is fine


def test_coverage_names_everything_missing():
    want = build_label_config(
        {
            "gt": {"type": "detections", "classes": ["cat", "fish"]},
            "tag": {"type": "polygons", "classes": ["x"]},
            "new": {"type": "keypoints", "classes": ["nose"]},
        }
    )
    have = CONFIG.replace(
        'name="image" value="$image"', 'name="image" value="$img"'
    )
    problems = coverage_problems(want, have)
    assert problems == [
        'an <Image name="image" value="$image"> object tag (found '
        '<Image value="$img">)',
        "control 'gt' lacks the classes 'fish'",
        "control 'tag' must be a <PolygonLabels toName=\"image\"> (it is a "
        '<Choices toName="image">)',
        'a <KeyPointLabels name="new" toName="image"> control',
    ]


def test_infer_schema():
    schema, skipped = infer_schema(CONFIG)
    assert {k: v["type"] for k, v in schema.items()} == {
        "gt": "detections",
        "tag": "classifications",
        "notes": "scalar",
        "count": "scalar",
        "paint": "instances",
    }
    assert schema["gt"]["classes"] == ["cat", "dog", "emu"]
    assert schema["notes"]["scalar_type"] == "str"
    assert schema["count"]["scalar_type"] == "float"
    assert schema["gt"]["image_key"] == "image"
    assert set(skipped) == {"occluded", "stars"}

    schema, _ = infer_schema(CONFIG, label_types={"paint": "segmentation"})
    assert schema["paint"]["mask_targets"] == {1: "sky"}


def test_media_name():
    assert media_name("/data/upload/3/0a1b2c3d-cat.jpg") == "cat.jpg"
    # only Label Studio's upload prefix is stripped
    assert media_name("http://h/x/0a1b2c3d-cat.jpg") == "0a1b2c3d-cat.jpg"
    assert media_name("/data/local-files/?d=a/b/c%20d.png") == "c d.png"
    assert media_name("s3://bucket/k/e.webp") == "e.webp"
    assert media_name(None) == ""
