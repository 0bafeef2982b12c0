"""The gate to label-studio-sdk's private client layout."""

from types import SimpleNamespace

import pytest

from fiftyone_labelstudio.client import sdk_internals
from fiftyone_labelstudio.client.errors import LabelStudioError


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(
        sdk_internals, "_checked", {"problem": None, "done": False}
    )


def test_installed_sdk_matches(fresh):
    from label_studio_sdk.base_client import LabelStudioBase

    sdk = LabelStudioBase(base_url="http://127.0.0.1:9/", api_key="abcdefgh")
    assert sdk_internals._find_problem(sdk) is None
    assert sdk_internals.auth_headers(sdk)["Authorization"] == (
        "Token abcdefgh"
    )
    assert not sdk_internals.uses_personal_access_token(sdk)


def test_changed_layout_fails_with_the_fix(fresh):
    with pytest.raises(LabelStudioError) as e:
        sdk_internals.http_client(SimpleNamespace())
    assert "_client_wrapper" in str(e.value)
    assert "label-studio-sdk>=2.1,<3" in str(e.value)
