"""The demo prints what FiftyOne's Label Studio recipe needs in Python."""

import shlex

from support import load_script


def test_demo_prints_the_export_lines():
    text = load_script("demo").python_recipe(
        "http://127.0.0.1:8080", "tok123456"
    )
    exports = dict(
        shlex.split(line.strip())[1].split("=", 1)
        for line in text.splitlines()
        if line.strip().startswith("export ")
    )
    assert exports == {
        "FIFTYONE_LABELSTUDIO_URL": "http://127.0.0.1:8080",
        "FIFTYONE_LABELSTUDIO_API_KEY": "tok123456",
        "FIFTYONE_LABELSTUDIO_CONFIG_CLS": (
            "fiftyone_labelstudio.backend.LabelStudioBackendConfig"
        ),
    }
    assert 'backend="labelstudio"' in text
