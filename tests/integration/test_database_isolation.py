"""The tests use a MongoDB of their own (tests/conftest.py): FiftyOne in
this process and in the processes it starts talks to that mongod, and a
FiftyOne process with default settings does not see the tests' data."""

import json
import os
import subprocess
import sys
import time
import uuid

import fiftyone as fo
import fiftyone.core.odm.database as fodb
import pytest

pytestmark = pytest.mark.integration

_CHILD = (
    "import json, os, sys\n"
    "import fiftyone as fo\n"
    "import fiftyone.core.odm.database as d\n"
    "exists = fo.dataset_exists(sys.argv[1])\n"
    "print(json.dumps({'exists': exists,"
    " 'address': list(d.get_db_client().address)}), flush=True)\n"
    # no exit hooks: FiftyOne's would delete non-persistent datasets
    "os._exit(0)\n"
)


def _run_child(name, env):
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, name],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def persistent_dataset():
    ds = fo.Dataset("fols-isolation-" + uuid.uuid4().hex[:10])
    ds.persistent = True
    yield ds
    ds.delete()


def test_fiftyone_talks_to_the_sessions_own_mongod(mongo_server):
    fo.list_datasets()  # connects
    client = fodb.get_db_client()
    assert client.address == ("127.0.0.1", mongo_server["port"])
    assert os.environ["FIFTYONE_DATABASE_URI"] == mongo_server["uri"]
    # the server at that port is the very process the session started,
    # on the session's private dbpath (not a FiftyOne database service)
    assert client.admin.command("serverStatus")["pid"] == mongo_server["pid"]
    opts = client.admin.command("getCmdLineOpts")
    assert opts["parsed"]["storage"]["dbPath"] == mongo_server["dbpath"]
    assert "--51-service" not in opts["argv"]


def test_child_processes_share_the_database(persistent_dataset, mongo_server):
    # as the App server and other children get it: the test's environment
    seen = _run_child(persistent_dataset.name, dict(os.environ))
    assert seen == {
        "exists": True,
        "address": ["127.0.0.1", mongo_server["port"]],
    }


def _processes_using(path):
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                args = f.read().decode(errors="replace").split("\x00")
        except OSError:
            continue
        if any(path in arg for arg in args):
            pids.append(int(pid))
    return pids


def test_default_fiftyone_database_does_not_see_test_data(
    persistent_dataset, mongo_server, tmp_path
):
    """What FiftyOne does without the tests' URI: start (or attach to) a
    FiftyOne database service. The tests' dataset must not be there."""
    other_dir = str(tmp_path / "default-fiftyone-db")
    env = dict(os.environ, FIFTYONE_DATABASE_DIR=other_dir)
    env.pop("FIFTYONE_DATABASE_URI")
    try:
        seen = _run_child(persistent_dataset.name, env)
        assert seen["exists"] is False
        assert seen["address"][1] != mongo_server["port"]
    finally:
        # the service it started stops once its last client is gone
        deadline = time.time() + 60
        while _processes_using(other_dir) and time.time() < deadline:
            time.sleep(0.5)
        left = _processes_using(other_dir)
    assert not left, "FiftyOne's database service did not stop: %s" % left
