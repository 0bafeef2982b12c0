"""Browser fixtures: the FiftyOne App server, headless Chromium, pages.

The App server runs as ``python -m fiftyone.server.main`` in its own
process group (it inherits the test process's database dir, plugins dir and
the Label Studio secrets) and is stopped by signalling that group. Chromium
is Debian's ``/usr/bin/chromium``, driven by Playwright's sync API.

Screenshots of every step go to ``<repo>/artifacts/browser/<test name>/``.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

REPO = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
ARTIFACTS = os.path.join(REPO, "artifacts", "browser")
CHROMIUM = os.environ.get("FIFTYONE_LABELSTUDIO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1600, "height": 1000}
APP_START_TIMEOUT = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                "The FiftyOne App server exited with code %s (see %s)"
                % (proc.returncode, os.path.join(ARTIFACTS, "app_server.log"))
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError("The FiftyOne App server did not answer at %s" % url)


def _stop_group(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to the server's process group, SIGKILL if it lingers (a
    worker child can outlive its parent)."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; make sure no child of the group is left
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(1)


class AppServer:
    """A running FiftyOne App server."""

    def __init__(self, url: str, log_path: str):
        self.url = url
        self.log_path = log_path

    def log_tail(self, num_lines: int = 25) -> str:
        """The end of the server's output (tracebacks of failed
        operators end up there)."""
        try:
            with open(self.log_path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-num_lines:])


@pytest.fixture(scope="session")
def app_server(ls_server):
    """The FiftyOne App with this plugin, its secrets set to the test's
    Label Studio server. Yields an :class:`AppServer`."""
    import fiftyone as fo

    # start the database here first: two processes starting it at once on
    # a fresh database dir race for its port
    fo.list_datasets()

    os.makedirs(ARTIFACTS, exist_ok=True)
    port = _free_port()
    env = dict(os.environ)
    env.update(
        FIFTYONE_LABELSTUDIO_URL=ls_server.url,
        FIFTYONE_LABELSTUDIO_API_KEY=ls_server.api_key,
        FIFTYONE_ALLOW_LEGACY_ORCHESTRATORS="true",
        FIFTYONE_DO_NOT_TRACK="true",
    )
    log_path = os.path.join(ARTIFACTS, "app_server.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fiftyone.server.main",
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = "http://127.0.0.1:%d" % port
    try:
        _wait_http(url + "/", proc, APP_START_TIMEOUT)
        yield AppServer(url, log_path)
    finally:
        _stop_group(proc)
        log.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (never a Playwright-downloaded one)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(
            "Chromium is missing at %s: apt-get install chromium" % CHROMIUM
        )
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield b
        b.close()


class Shooter:
    """Numbered screenshots of one test, kept as artifacts."""

    def __init__(self, dirname: str):
        self.dirname = dirname
        self.count = 0
        os.makedirs(dirname, exist_ok=True)
        for name in os.listdir(dirname):
            if name.endswith(".png"):
                os.remove(os.path.join(dirname, name))

    def __call__(self, page, name: str) -> str:
        self.count += 1
        path = os.path.join(self.dirname, "%02d_%s.png" % (self.count, name))
        try:
            page.screenshot(path=path)
        except Exception as e:  # a screenshot must never hide the error
            print("screenshot %s failed: %s" % (name, e))
        return path


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def shooter(request):
    return Shooter(os.path.join(ARTIFACTS, request.node.name))


@pytest.fixture
def browser_context(browser, request, shooter):
    """A fresh browser context (cookies, storage) for one test; every page
    it opened is photographed when the test fails."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30000)
    yield context
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for i, page in enumerate(context.pages):
            shooter(page, "failure_page%d" % i)
    context.close()
