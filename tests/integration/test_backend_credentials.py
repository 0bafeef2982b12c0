"""Where URL and key come from, how the backend is selected, and that the
key never leaves ``config._api_key``. Real FiftyOne config; no server."""

import json
import os
import subprocess
import sys

import pytest

import fiftyone as fo
import fiftyone.utils.annotations as foua

from fiftyone_labelstudio import constants
from fiftyone_labelstudio.backend import credentials

URL_ENV, KEY_ENV = constants.SECRET_URL, constants.SECRET_API_KEY


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.delenv(KEY_ENV, raising=False)
    params = {
        k: v
        for k, v in fo.annotation_config.backends["labelstudio"].items()
        if k not in ("url", "api_key")
    }
    monkeypatch.setitem(fo.annotation_config.backends, "labelstudio", params)
    return params


def test_url_precedence(clean_env, monkeypatch):
    assert credentials.resolve_url(None) == constants.DEFAULT_URL
    # FiftyOne's built-in placeholder means "not set"
    assert (
        credentials.resolve_url("https://labelstud.io")
        == "http://localhost:8080"
    )
    clean_env["url"] = "http://from-config:1"
    assert credentials.resolve_url(None) == "http://from-config:1"
    monkeypatch.setenv(URL_ENV, "http://from-env:2/")
    assert credentials.resolve_url(None) == "http://from-env:2"
    assert (
        credentials.resolve_url("https://labelstud.io") == "http://from-env:2"
    )
    assert credentials.resolve_url("http://kwarg:3") == "http://kwarg:3"


def test_key_precedence(clean_env, monkeypatch):
    assert credentials.find_api_key(None) is None
    clean_env["api_key"] = "config-key"
    assert credentials.resolve_api_key(None) == "config-key"
    monkeypatch.setenv(KEY_ENV, "env-key")
    assert credentials.resolve_api_key(None) == "env-key"
    assert credentials.resolve_api_key("kwarg-key") == "kwarg-key"


def test_prompt_only_with_a_tty(clean_env, monkeypatch):
    import getpass

    asked = []

    def fake_getpass(prompt=""):
        asked.append(prompt)
        return "typed-key"

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    monkeypatch.setattr(credentials, "_stdin_is_tty", lambda: False)
    with pytest.raises(ValueError, match="No Label Studio API key"):
        credentials.resolve_api_key(None)
    assert asked == []

    monkeypatch.setattr(credentials, "_stdin_is_tty", lambda: True)
    assert credentials.resolve_api_key(None) == "typed-key"
    assert len(asked) == 1
    with pytest.raises(ValueError):
        credentials.resolve_api_key(None, prompt=False)


def test_config_keeps_key_private(clean_env):
    config = foua._parse_config(
        "labelstudio",
        {"gt": {"type": "detections", "classes": ["a"]}},
        config_cls=constants.CONFIG_CLS,
        url="http://example:8080",
        api_key="secret-key-123",
        project_name="p",
    )
    assert type(config).__name__ == "LabelStudioBackendConfig"
    assert (
        config.cls == "fiftyone_labelstudio.backend.LabelStudioBackendConfig"
    )
    assert config.api_key == config._api_key == "secret-key-123"
    text = json.dumps(config.serialize(), default=str)
    assert "secret-key-123" not in text
    assert '"url": "http://example:8080"' in text
    # round trip as FiftyOne reloads run configs
    d = config.serialize()
    again = type(config).from_dict(d)
    assert again.url == "http://example:8080" and again._api_key is None
    assert type(again.build()).__name__ == "LabelStudioBackend"


def test_placeholder_url_from_fiftyone_params_means_default(clean_env):
    clean_env["url"] = constants.FIFTYONE_PLACEHOLDER_URL
    config = foua._parse_config(
        "labelstudio", None, config_cls=constants.CONFIG_CLS
    )
    assert config.url == constants.DEFAULT_URL


def _run(code, env):
    full_env = dict(os.environ, **env)
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_is_cheap_and_use_backend():
    code = (
        "import sys, fiftyone_labelstudio.backend as b\n"
        "print('fiftyone' in sys.modules)\n"
        "import fiftyone as fo\n"
        "b.use_backend()\n"
        "print(fo.annotation_config.backends['labelstudio']['config_cls'])\n"
    )
    env = {"FIFTYONE_LABELSTUDIO_CONFIG_CLS": ""}
    lines = _run(code, env).splitlines()
    assert lines[0] == "False"
    assert lines[-1] == constants.CONFIG_CLS


def test_annotation_config_file_selects_backend(tmp_path):
    path = tmp_path / "annotation_config.json"
    path.write_text(
        json.dumps(
            {
                "backends": {
                    "labelstudio": {
                        "config_cls": constants.CONFIG_CLS,
                        "url": "http://from-file:9",
                    }
                }
            }
        )
    )
    code = (
        "import fiftyone.utils.annotations as foua\n"
        "c = foua._parse_config('labelstudio', None)\n"
        "print(type(c).__module__, c.url)\n"
    )
    env = {
        "FIFTYONE_ANNOTATION_CONFIG_PATH": str(path),
        "FIFTYONE_LABELSTUDIO_CONFIG_CLS": constants.CONFIG_CLS,
        URL_ENV: "",
        KEY_ENV: "",
    }
    # an empty env var is ignored by FiftyOne only when unset: drop them
    code = (
        "import os\n"
        "[os.environ.pop(k) for k in (%r, %r)]\n" % (URL_ENV, KEY_ENV)
        + "os.environ.pop('FIFTYONE_LABELSTUDIO_CONFIG_CLS')\n"
        + "os.environ.pop('FIFTYONE_LABELSTUDIO_FILES_ROOT', None)\n"
        + code
    )
    out = _run(code, env)
    assert out == "fiftyone_labelstudio.backend.core http://from-file:9"
