"""Test harness: a real Label Studio server, FiftyOne's real database.

The environment is set before fiftyone is imported: a MongoDB of the
session's own (``scripts/mongo_server.py``: free localhost port, private
dbpath, named by ``FIFTYONE_DATABASE_URI``, which child processes such as
the App server inherit), this repository as the only plugin, and this
package's backend behind ``backend="labelstudio"``. A Label Studio server
is started once per session (``scripts/ls_server.py``) unless
``FIFTYONE_LABELSTUDIO_URL`` and ``FIFTYONE_LABELSTUDIO_API_KEY`` point at
an existing one.
"""

import atexit
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TMP = tempfile.mkdtemp(prefix="fols-tests-")
_PLUGINS_DIR = os.path.join(_TMP, "plugins")
os.makedirs(_PLUGINS_DIR)
os.symlink(REPO, os.path.join(_PLUGINS_DIR, "fiftyone-labelstudio"))


def _load_mongo_server():
    path = os.path.join(REPO, "scripts", "mongo_server.py")
    spec = importlib.util.spec_from_file_location("mongo_server", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# FiftyOne attaches to ANY running FiftyOne database service of this user
# (e.g. a developer's open App), whatever FIFTYONE_DATABASE_DIR says: the
# tests get a mongod of their own, stopped at exit (also on failures) and
# by the kernel if this process is killed
_mongo_server = _load_mongo_server()
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
            "Label Studio server used: version %(version)s at %(url)s"
            % _SERVER_INFO
        )


def _start_server(version=None, name="label-studio"):
    data_dir = os.path.join(_TMP, name)
    extra = ["--version", version] if version else []
    out = subprocess.run(
        [
            sys.executable,
            os.path.join(REPO, "scripts", "ls_server.py"),
            "start",
            "--data-dir",
            data_dir,
            "--json",
            *extra,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
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
    _SERVER_INFO.update(url=url, version=version)
    yield server
    if started:
        subprocess.run(
            [
                sys.executable,
                os.path.join(REPO, "scripts", "ls_server.py"),
                "stop",
                "--data-dir",
                started["data_dir"],
            ],
            check=False,
        )


# The oldest Label Studio release the plugin supports (its own venv,
# installed by scripts/setup.sh: ls_server.py install --version ...)
OLDEST_LS_VERSION = "1.20.0"


def _stop_server(data_dir):
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


@pytest.fixture(scope="session")
def oldest_ls_server():
    """A second real server running the oldest supported release."""
    started = _start_server(OLDEST_LS_VERSION, name="label-studio-oldest")
    server = LabelStudioServer(
        started["url"],
        started["token"],
        started["files_root"],
        started["version"],
        data_dir=started["data_dir"],
    )
    yield server
    _stop_server(started["data_dir"])


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
    for name in ("images", "label-studio", "label-studio-oldest", "plugins"):
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
