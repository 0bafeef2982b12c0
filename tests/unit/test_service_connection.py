"""The service's connection: one client per execution, closed when done,
and the connection check cached per credentials fingerprint."""

import fiftyone.operators.types as types
import pytest

from fiftyone_labelstudio import constants
from fiftyone_labelstudio.operators import forms
from fiftyone_labelstudio.service import connection, projects

KEY = "secret-key-0123456789"


class FakeClient:
    """Counts what the service does with its clients."""

    made = []

    def __init__(self, url, api_key, timeout=600):
        self.url, self.timeout = url, timeout
        self.checks = 0
        self.closed = False
        FakeClient.made.append(self)

    def check(self):
        self.checks += 1
        return {"url": self.url, "version": "1.23.0", "user": {"id": 1}}

    def list_projects(self):
        return [{"id": 3, "title": "b"}, {"id": 7, "title": "a"}]

    def close(self):
        self.closed = True


class FakeCtx:
    def __init__(self, secrets):
        self._secrets = secrets

    def secret(self, name):
        return self._secrets.get(name)


@pytest.fixture(autouse=True)
def fake_client(monkeypatch):
    FakeClient.made = []
    monkeypatch.setattr(connection, "LabelStudioClient", FakeClient)
    connection.forget_checks()
    yield FakeClient
    connection.forget_checks()


def _ctx(key=KEY, url="http://ls.example:8080"):
    return FakeCtx({constants.SECRET_URL: url, constants.SECRET_API_KEY: key})


def _checks():
    return sum(c.checks for c in FakeClient.made)


def test_checked_once_per_credentials():
    for _ in range(3):  # three renders of a form, then its execute
        with forms.connection(_ctx(), types.Object()) as conn:
            assert conn is not None
    assert _checks() == 1


def test_a_changed_key_checks_again():
    with forms.connection(_ctx(), types.Object()):
        pass
    with forms.connection(_ctx(key="another-key-987"), types.Object()):
        pass
    with forms.connection(_ctx(), types.Object()):
        pass
    assert _checks() == 2


def test_fresh_check_asks_the_server():
    creds, _ = connection.get_credentials(_ctx())
    for _ in range(2):
        with connection.Connection(creds) as conn:
            connection.check_connection(conn, fresh=True)
    assert _checks() == 2


def test_failed_checks_are_not_kept(monkeypatch):
    def refuse(self):
        self.checks += 1
        raise connection.ls_errors.LabelStudioAuthError("rejected")

    monkeypatch.setattr(FakeClient, "check", refuse)
    inputs = types.Object()
    with forms.connection(_ctx(), inputs) as conn:
        assert conn is None
    assert constants.SECRET_API_KEY in str(inputs.to_json())
    with forms.connection(_ctx(), types.Object()):
        pass
    assert _checks() == 2


def test_the_cache_holds_no_key():
    with forms.connection(_ctx(), types.Object()):
        pass
    assert connection._CHECKED
    assert KEY not in repr(connection._CHECKED)
    creds, _ = connection.get_credentials(_ctx())
    assert KEY not in creds.fingerprint()
    assert KEY not in repr(creds)
    assert KEY not in repr(connection.Connection(creds))


def test_the_client_is_closed_after_the_execution():
    with forms.connection(_ctx(), types.Object()) as conn:
        assert projects.list_projects(conn) == [(7, "a"), (3, "b")]
        assert projects.list_projects(conn) is not None
    assert len(FakeClient.made) == 1  # one client for the execution
    assert FakeClient.made[0].closed
    assert FakeClient.made[0].timeout == connection.TIMEOUT


def test_the_client_is_closed_when_the_form_fails():
    with pytest.raises(RuntimeError):
        with forms.connection(_ctx(), types.Object()) as conn:
            projects.list_projects(conn)
            raise RuntimeError("the form broke")
    assert FakeClient.made and all(c.closed for c in FakeClient.made)


def test_missing_key_makes_no_client():
    inputs = types.Object()
    with forms.connection(_ctx(key=""), inputs) as conn:
        assert conn is None
    assert FakeClient.made == []
    assert constants.SECRET_API_KEY in str(inputs.to_json())
