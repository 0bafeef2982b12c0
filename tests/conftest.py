"""Test harness: a real Label Studio server, FiftyOne's real database.

The environment is set before fiftyone is imported: a MongoDB of the
session's own (``scripts/mongo_server.py``: free localhost port, private
dbpath, named by ``FIFTYONE_DATABASE_URI``, which child processes such as
the App server inherit), this repository as the only plugin, and this
package's backend behind ``backend="labelstudio"``. A Label Studio server
is started once per session (``scripts/ls_server.py``) unless
``FIFTYONE_LABELSTUDIO_URL`` and ``FIFTYONE_LABELSTUDIO_API_KEY`` point at
an existing one. ``FIFTYONE_LABELSTUDIO_TEST_DB=postgresql`` runs the
session's server on a private PostgreSQL cluster instead of SQLite
(``scripts/pg_server.py``); ``start_label_studio(db=...)`` starts more.
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

import pytest

from support import load_script

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TMP = tempfile.mkdtemp(prefix="fols-tests-")
_PLUGINS_DIR = os.path.join(_TMP, "plugins")
os.makedirs(_PLUGINS_DIR)
os.symlink(REPO, os.path.join(_PLUGINS_DIR, "fiftyone-labelstudio"))


# FiftyOne attaches to ANY running FiftyOne database service of this user
# (e.g. a developer's open App), whatever FIFTYONE_DATABASE_DIR says: the
# tests get a mongod of their own, stopped at exit (also on failures) and
# by the kernel if this process is killed
_mongo_server = load_script("mongo_server")
_DB_DIR = os.path.join(_TMP, "fiftyone-db")
MONGO = _mongo_server.start(_DB_DIR, die_with_parent=True)


def _stop_mongod():
    if _mongo_server.stop(_DB_DIR):
        shutil.rmtree(_DB_DIR, ignore_errors=True)


atexit.register(_stop_mongod)

os.environ["FIFTYONE_DATABASE_URI"] = MONGO["uri"]
os.environ["FIFTYONE_DATABASE_DIR"] = _DB_DIR
# set by a FiftyOne process for its children; would point elsewhere
os.environ.pop("FIFTYONE_PRIVATE_DATABASE_PORT", None)
os.environ["FIFTYONE_PLUGINS_DIR"] = _PLUGINS_DIR
os.environ["FIFTYONE_DO_NOT_TRACK"] = "true"
os.environ["FIFTYONE_DATABASE_VALIDATION"] = "false"
os.environ["FIFTYONE_LABELSTUDIO_CONFIG_CLS"] = (
    "fiftyone_labelstudio.backend.LabelStudioBackendConfig"
)

# skimage's bundled photographs (they ship in its wheel)
PHOTO_FILES = {
    "astronaut": "astronaut.png",
    "coffee": "coffee.png",
    "chelsea": "chelsea.png",
    "rocket": "rocket.jpg",
    "motorcycle_left": "motorcycle_left.png",
}
PHOTOS = list(PHOTO_FILES)


def photo_path(name):
    """Path of one of skimage's bundled photographs."""
    import importlib.util

    spec = importlib.util.find_spec("skimage")
    root = spec.submodule_search_locations[0]
    return os.path.join(root, "data", PHOTO_FILES[name])


_SERVER_INFO = {}


class LabelStudioServer:
    """Connection facts of the server the tests use."""

    def __init__(self, url, api_key, files_root, version, data_dir=None):
        self.url = url
        self.api_key = api_key
        self.files_root = files_root
        self.version = version
        self.data_dir = data_dir
        self.username = "admin@example.com"
        self.password = "admin12345"


_SUITES = ("unit", "integration", "browser")


def _suite(item):
    parts = item.path.relative_to(REPO).parts
    return parts[1] if len(parts) > 1 and parts[1] in _SUITES else None


def pytest_collection_modifyitems(config, items):
    for item in items:
        suite = _suite(item)
        if suite:
            item.add_marker(getattr(pytest.mark, suite))
    # Fast pure tests first; browser tests last: Playwright's sync API
    # leaves an event loop behind that changes how FiftyOne runs operators
    order = {name: i for i, name in enumerate(_SUITES)}
    items.sort(key=lambda item: order.get(_suite(item), len(_SUITES)))


def pytest_terminal_summary(terminalreporter):
    if _SERVER_INFO:
        terminalreporter.write_line(
            "Label Studio server used: version %(version)s at %(url)s "
            "(database: %(db)s)" % _SERVER_INFO
        )


TEST_DB = os.environ.get("FIFTYONE_LABELSTUDIO_TEST_DB", "sqlite")


def _server_env(extra):
    # a server takes credentials only from a storage's own fields
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra or {})
    return env


def start_label_studio(
    data_dir, db="sqlite", env=None, files_root=None, version=None
):
    """Starts a Label Studio server (``scripts/ls_server.py``) and returns
    its facts (``url``, ``token``, ``files_root``, ``data_dir``, ``db``);
    ``stop_label_studio(data_dir)`` stops it (and its PostgreSQL)."""
    cmd = [
        sys.executable,
        os.path.join(REPO, "scripts", "ls_server.py"),
        "start",
        "--data-dir",
        data_dir,
        "--db",
        db,
        "--json",
    ]
    if files_root:
        cmd += ["--files-root", files_root]
    if version:
        cmd += ["--version", version]
    out = subprocess.run(
        cmd,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
        env=_server_env(env),
    )
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def mongo_server():
    """The session's own mongod: ``{uri, pid, port, dbpath, log}``."""
    return dict(MONGO)


@pytest.fixture(scope="session")
def ls_server():
    """A real Label Studio server (started here, or the one in the env)."""
    url = os.environ.get("FIFTYONE_LABELSTUDIO_URL")
    key = os.environ.get("FIFTYONE_LABELSTUDIO_API_KEY")
    started = None
    if url and key:
        files_root = os.environ.get("FIFTYONE_LABELSTUDIO_FILES_ROOT")
    else:
        started = _start_server()
        url, key = started["url"], started["token"]
        files_root = started["files_root"]
        os.environ["FIFTYONE_LABELSTUDIO_URL"] = url
        os.environ["FIFTYONE_LABELSTUDIO_API_KEY"] = key

    from fiftyone_labelstudio.client import LabelStudioClient

    version = LabelStudioClient(url, key).check().get("version")
    server = LabelStudioServer(
        url,
        key,
        files_root,
        version,
        data_dir=started and started["data_dir"],
    )
    _SERVER_INFO.update(
        url=url,
        version=version,
        db=started["db"] if started else "unknown",
    )
    yield server
    if started:
        stop_label_studio(started["data_dir"])


def stop_label_studio(data_dir):
    subprocess.run(
        [
            sys.executable,
            os.path.join(REPO, "scripts", "ls_server.py"),
            "stop",
            "--data-dir",
            data_dir,
        ],
        check=False,
    )


def _start_server(
    name="label-studio", env=None, files_root=None, version=None
):
    # other releases run on SQLite (PostgreSQL is set up for the default)
    return start_label_studio(
        os.path.join(_TMP, name),
        TEST_DB if version is None else "sqlite",
        env=env,
        files_root=files_root,
        version=version,
    )


@pytest.fixture(scope="session")
def ls_cloud_server():
    """A second Label Studio server for cloud-storage tests: storage
    endpoints on loopback allowed (USE_DEFAULT_BANNED_SUBNETS=false: the
    local S3 API listens on 127.0.0.1), and a local-files document root of
    its own that holds none of the test media (a server that cannot see
    the client's files)."""
    root = os.path.join(_TMP, "ls-cloud-root")
    started = _start_server(
        "label-studio-cloud",
        env={"USE_DEFAULT_BANNED_SUBNETS": "false"},
        files_root=root,
    )
    server = LabelStudioServer(
        started["url"],
        started["token"],
        started["files_root"],
        started["version"],
        data_dir=started["data_dir"],
    )
    yield server
    stop_label_studio(started["data_dir"])


class S3Server:
    """The local S3 API and an IAM user's key that may read it."""

    def __init__(self, info, module):
        self.endpoint = info["endpoint"]
        self.info = info
        self._module = module
        self.region = "us-east-1"
        self.access_key_id = None
        self.secret_access_key = None

    def client(self, **overrides):
        import boto3

        args = dict(
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )
        args.update(overrides)
        return boto3.client("s3", **args)

    def set_auth(self, enabled):
        self._module.set_auth(self.endpoint, enabled)

    def env(self):
        """The standard AWS environment for this store."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint,
        }


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 API on localhost (scripts/s3_server.py), with an IAM user
    whose key is accepted when moto's credential checks are on."""
    import json as jsonlib

    import boto3

    module = load_script("s3_server")
    state = os.path.join(_TMP, "s3")
    server = S3Server(module.start(state, die_with_parent=True), module)
    iam = boto3.client(
        "iam",
        endpoint_url=server.endpoint,
        region_name=server.region,
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )
    iam.create_user(UserName="fols")
    key = iam.create_access_key(UserName="fols")["AccessKey"]
    iam.put_user_policy(
        UserName="fols",
        PolicyName="s3",
        PolicyDocument=jsonlib.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
                ],
            }
        ),
    )
    server.access_key_id = key["AccessKeyId"]
    server.secret_access_key = key["SecretAccessKey"]
    yield server
    module.stop(state)


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """The standard AWS variables of the local store in this process."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return s3_server


# The oldest Label Studio release the plugin supports (its own venv,
# installed by scripts/setup.sh: ls_server.py install --version ...)
OLDEST_LS_VERSION = "1.20.0"


@pytest.fixture(scope="session")
def oldest_ls_server():
    """A second real server running the oldest supported release."""
    started = _start_server("label-studio-oldest", version=OLDEST_LS_VERSION)
    server = LabelStudioServer(
        started["url"],
        started["token"],
        started["files_root"],
        started["version"],
        data_dir=started["data_dir"],
    )
    yield server
    stop_label_studio(started["data_dir"])


@pytest.fixture(scope="session")
def ls_client(ls_server):
    from fiftyone_labelstudio.client import LabelStudioClient

    return LabelStudioClient(ls_server.url, ls_server.api_key)


@pytest.fixture
def ls_projects_guard(ls_client):
    """Deletes every Label Studio project a test created."""
    before = {p["id"] for p in ls_client.list_projects()}
    yield
    for project in ls_client.list_projects():
        if project["id"] not in before:
            try:
                ls_client.delete_project(project["id"])
            except Exception:
                pass


@pytest.fixture
def dataset():
    """A fresh, non-persistent FiftyOne dataset, deleted afterwards."""
    import fiftyone as fo

    ds = fo.Dataset("fols-test-" + uuid.uuid4().hex[:10])
    yield ds
    if fo.dataset_exists(ds.name):
        ds.delete()


def _write_photos(dirname, fmt_cycle=("jpg", "png")):
    import numpy as np
    from PIL import Image

    os.makedirs(dirname, exist_ok=True)
    paths = []
    for i, name in enumerate(PHOTOS):
        img = np.asarray(Image.open(photo_path(name)))
        ext = fmt_cycle[i % len(fmt_cycle)]
        path = os.path.join(dirname, "%s.%s" % (name, ext))
        Image.fromarray(img).save(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def sample_images():
    """Real photographs as image files outside the server's file root."""
    return _write_photos(os.path.join(_TMP, "images"))


@pytest.fixture(scope="session")
def local_images(ls_server):
    """The same photographs under the server's local-files document root."""
    if not ls_server.files_root:
        pytest.fail(
            "FIFTYONE_LABELSTUDIO_FILES_ROOT must name the server's "
            "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT for local-storage tests"
        )
    return _write_photos(os.path.join(ls_server.files_root, "fols-images"))


def pytest_sessionfinish(session, exitstatus):
    for name in (
        "images",
        "label-studio",
        "label-studio-cloud",
        "label-studio-oldest",
        "ls-cloud-root",
        "s3",
        "plugins",
    ):
        shutil.rmtree(os.path.join(_TMP, name), ignore_errors=True)


def pytest_unconfigure(config):
    fodb = sys.modules.get("fiftyone.core.odm.database")
    if fodb is not None:
        # FiftyOne's exit hook (non-persistent dataset cleanup) would
        # otherwise wait 30 s for the stopped server
        try:
            fodb._disconnect()
        except Exception:
            pass
    _stop_mongod()
    try:
        os.rmdir(_TMP)
    except OSError:
        pass


class StartedServer:
    """A Label Studio server a test module started (``info``: what
    ``ls_server.py start --json`` printed)."""

    def __init__(self, info):
        self.url = info["url"]
        self.api_key = info["token"]
        self.info = info


@pytest.fixture(scope="module")
def pg_ls():
    """A Label Studio server of its own on a private PostgreSQL cluster
    (``scripts/pg_server.py``), stopped and removed after the module."""
    data_dir = tempfile.mkdtemp(prefix="fols-ls-pg-")
    info = start_label_studio(data_dir, db="postgresql")
    try:
        assert info["db"] == "postgresql" and info["pg_port"]
        yield StartedServer(info)
    finally:
        stop_label_studio(data_dir)  # deletes the cluster's directory
        shutil.rmtree(data_dir, ignore_errors=True)
