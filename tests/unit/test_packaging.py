"""The declared range is the same everywhere a user installs from."""

import os
import re
import tomllib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def _read(name):
    with open(os.path.join(REPO, name), encoding="utf-8") as f:
        return f.read()


def test_requirements_txt_equals_pyproject_dependencies():
    deps = tomllib.loads(_read("pyproject.toml"))["project"]["dependencies"]
    lines = [
        line.strip()
        for line in _read("requirements.txt").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == deps


def test_fiftyone_range_declared_for_the_plugin():
    deps = tomllib.loads(_read("pyproject.toml"))["project"]["dependencies"]
    (fiftyone,) = [d for d in deps if re.match(r"fiftyone\W", d)]
    spec = fiftyone[len("fiftyone") :]
    assert 'version: "%s"' % spec in _read("fiftyone.yml")


def test_lxml_only_for_tests():
    project = tomllib.loads(_read("pyproject.toml"))["project"]
    assert not any(d.startswith("lxml") for d in project["dependencies"])
    assert any(
        d.startswith("lxml") for d in project["optional-dependencies"]["test"]
    )
