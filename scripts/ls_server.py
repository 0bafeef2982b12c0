#!/usr/bin/env python3
"""Installs, starts and stops a local Label Studio server, headless.

Standard library only, so it runs with any Python 3. Label Studio lives in
its own virtualenv (its pins conflict with fiftyone's).

    python scripts/ls_server.py install [--version 1.20.0]
    eval "$(python scripts/ls_server.py start --port 18080 --data-dir D)"
    python scripts/ls_server.py stop --data-dir D
    # Label Studio on a private PostgreSQL cluster (scripts/pg_server.py)
    eval "$(python scripts/ls_server.py start --db postgresql --data-dir D)"

``--version`` (or ``FIFTYONE_LABELSTUDIO_LS_VERSION``) picks another Label
Studio release: it gets a virtualenv (``ls-venv-<version>``) and a
pre-migrated template of its own, so several versions live side by side
(``scripts/compat.sh``). The default release keeps ``ls-venv``.

``start`` copies a pre-migrated data dir (built once by ``label-studio
init``, ~30 s) so that a fresh server answers in ~4 s, sets a known admin
login and legacy API token, waits until an authenticated API call succeeds,
and prints shell exports (or JSON with ``--json``). With ``--db
postgresql`` it copies a pre-migrated PostgreSQL cluster instead (built
once, ~70 s), starts it on a free port and points Label Studio at it;
``stop`` stops both and deletes the cluster.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_server  # noqa: E402  (a sibling script, standard library only)

LS_VERSION = "1.23.2"
HOME = os.environ.get(
    "FIFTYONE_LABELSTUDIO_HOME",
    os.path.expanduser("~/.local/share/fiftyone-labelstudio"),
)
# the release the tests and the demo use unless told otherwise
DEFAULT_VERSION = os.environ.get("FIFTYONE_LABELSTUDIO_LS_VERSION") or (
    LS_VERSION
)


def venv_for(version=None):
    """The virtualenv of one Label Studio release."""
    version = version or DEFAULT_VERSION
    if version == LS_VERSION:
        return os.path.join(HOME, "ls-venv")
    return os.path.join(HOME, "ls-venv-%s" % version)


def template_for(version=None):
    return os.path.join(HOME, "ls-template-%s" % (version or DEFAULT_VERSION))


DEFAULT_VENV = venv_for()
USERNAME = "admin@example.com"
PASSWORD = "admin12345"
DATABASES = ("sqlite", "postgresql")
DEFAULT_TOKEN = "fols0123456789abcdef0123456789abcdef0123"

# Label Studio reads these unprefixed variables too (HOST ends up in URLs)
_UNSET_VARS = ("USERNAME", "PASSWORD", "HOST", "PORT", "DEBUG")


def log(msg):
    print("[ls_server] %s" % msg, file=sys.stderr, flush=True)


def _bin(venv, name):
    return os.path.join(venv, "bin", name)


def _extra_pins(version):
    """Pins an older release needs with today's packages.

    Label Studio 1.20-1.22 do not pin PyJWT; with PyJWT >= 2.14 (what pip
    picks today) they cannot list or revoke personal access tokens
    ("Invalid crypto padding" on their dummy-signed truncated tokens), so
    a user could never replace a token. 1.23 pins a PyJWT that works.
    """
    parts = tuple(int(p) for p in version.split(".")[:2])
    return ["PyJWT<2.14"] if parts < (1, 23) else []


def install(venv=None, version=None):
    """Creates the Label Studio virtualenv unless it already works."""
    version = version or DEFAULT_VERSION
    venv = venv or venv_for(version)
    exe = _bin(venv, "label-studio")
    if os.path.exists(exe):
        return exe
    log("installing label-studio %s into %s (a few minutes)" % (version, venv))
    os.makedirs(os.path.dirname(venv), exist_ok=True)
    subprocess.check_call([sys.executable, "-m", "venv", venv])
    pip = [_bin(venv, "python"), "-m", "pip", "install", "-q"]
    subprocess.check_call(pip + ["--upgrade", "pip"])
    subprocess.check_call(
        pip + ["label-studio==%s" % version] + _extra_pins(version)
    )
    return exe


def _server_env(data_dir, files_root):
    env = {k: v for k, v in os.environ.items() if k not in _UNSET_VARS}
    env.update(
        LABEL_STUDIO_BASE_DATA_DIR=data_dir,
        LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED="true",
        LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=files_root,
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
        LATEST_VERSION_CHECK="false",
        COLLECT_ANALYTICS="false",
        SENTRY_DSN="",
        FRONTEND_SENTRY_DSN="",
        LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="false",
    )
    return env


def _build_template(venv, version=None):
    """Runs the ~30 s migrations once; later servers copy the result."""
    template = template_for(version)
    if os.path.exists(os.path.join(template, "label_studio.sqlite3")):
        return template
    log("building a pre-migrated data dir (once, ~30 s)")
    tmp = template + ".tmp%d" % os.getpid()
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    files_root = os.path.join(tmp, "files")
    os.makedirs(files_root)
    cmd = [
        _bin(venv, "label-studio"),
        "init",
        "--data-dir",
        tmp,
        "--username",
        USERNAME,
        "--password",
        PASSWORD,
        "--user-token",
        DEFAULT_TOKEN,
        "--enable-legacy-api-token",
        "--no-browser",
    ]
    subprocess.run(
        cmd,
        env=_server_env(tmp, files_root),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp,
        check=True,
        timeout=600,
    )
    shutil.rmtree(files_root, ignore_errors=True)
    try:
        os.rename(tmp, template)
    except OSError:  # built concurrently by another process
        shutil.rmtree(tmp, ignore_errors=True)
    return template


def _pg_template_dir():
    return os.path.join(
        HOME,
        "ls-pg-template-%s-pg%s" % (LS_VERSION, pg_server.major_version()),
    )


def _build_pg_template(venv):
    """A stopped PostgreSQL cluster with Label Studio's migrations applied
    and the admin user created (once, ~70 s); servers start on copies."""
    template = _pg_template_dir()
    if os.path.isdir(os.path.join(template, "data")):
        return template
    log("building a pre-migrated PostgreSQL cluster (once, ~70 s)")
    path = pg_server.new_dir()
    ls_dir = tempfile.mkdtemp(prefix="fols-ls-init-")
    try:
        pg_server.init(path)
        info = pg_server.start(path)
        files_root = os.path.join(ls_dir, "files")
        os.makedirs(files_root)
        env = _server_env(ls_dir, files_root)
        env.update(pg_server.ls_env(info))
        subprocess.run(
            [
                _bin(venv, "label-studio"),
                "init",
                "--data-dir",
                ls_dir,
                "--username",
                USERNAME,
                "--password",
                PASSWORD,
                "--user-token",
                DEFAULT_TOKEN,
                "--enable-legacy-api-token",
                "--no-browser",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ls_dir,
            check=True,
            timeout=900,
        )
        pg_server.stop(path)
        os.makedirs(os.path.dirname(template), exist_ok=True)
        tmp = template + ".tmp%d" % os.getpid()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(path, tmp, symlinks=True)
        try:
            os.rename(tmp, template)
        except OSError:  # built concurrently by another process
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        pg_server.stop(path, remove=True)
        shutil.rmtree(ls_dir, ignore_errors=True)
    return template


def _start_pg(venv, data_dir, token):
    """Starts a copy of the PostgreSQL template for the server in
    ``data_dir`` (recorded in ``data_dir/pg.json`` for ``stop``)."""
    template = _build_pg_template(venv)
    path = pg_server.copy(template)
    with open(os.path.join(data_dir, "pg.json"), "w") as f:
        json.dump({"dir": path}, f)
    info = pg_server.start(path)
    pg_server.psql(
        path,
        info["port"],
        "UPDATE authtoken_token SET key = '%s'" % token.replace("'", "''"),
        db=pg_server.DB_NAME,
    )
    return info


def _set_token(data_dir, token):
    db = sqlite3.connect(os.path.join(data_dir, "label_studio.sqlite3"))
    with db:
        db.execute("UPDATE authtoken_token SET key = ?", (token,))
    db.close()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_busy(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _whoami(url, token):
    req = urllib.request.Request(
        url + "/api/current-user/whoami",
        headers={"Authorization": "Token %s" % token},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None


def _version(url):
    try:
        with urllib.request.urlopen(url + "/api/version", timeout=5) as r:
            return json.load(r).get("release")
    except Exception:
        return None


def start(
    port,
    data_dir,
    files_root=None,
    token=DEFAULT_TOKEN,
    venv=None,
    db="sqlite",
    version=None,
):
    """Starts a server and returns its connection info once it answers.

    ``db``: ``"sqlite"`` (a file in the data dir) or ``"postgresql"`` (a
    private cluster started here, see ``scripts/pg_server.py``; only for
    the default Label Studio release)."""
    if db not in DATABASES:
        raise SystemExit(
            "unknown database %r: use one of %s" % (db, ", ".join(DATABASES))
        )
    version = version or DEFAULT_VERSION
    if db == "postgresql" and version != LS_VERSION:
        raise SystemExit("--db postgresql needs Label Studio %s" % LS_VERSION)
    venv = venv or venv_for(version)
    install(venv, version)
    if not 6 <= len(token) <= 40:
        raise SystemExit("token must be 6 to 40 characters")
    port = port or _free_port()
    if _port_busy(port):
        # Label Studio would silently move to another port
        raise SystemExit("port %d is busy" % port)

    data_dir = os.path.abspath(data_dir)
    files_root = os.path.abspath(files_root or os.path.join(data_dir, "files"))
    env = _server_env(data_dir, files_root)
    pg = None
    if db == "postgresql":
        os.makedirs(data_dir, exist_ok=True)
        pg = _start_pg(venv, data_dir, token)
        env.update(pg_server.ls_env(pg))
    else:
        if not os.path.exists(os.path.join(data_dir, "label_studio.sqlite3")):
            template = _build_template(venv, version)
            os.makedirs(os.path.dirname(data_dir) or ".", exist_ok=True)
            shutil.copytree(template, data_dir, dirs_exist_ok=True)
        _set_token(data_dir, token)
    os.makedirs(files_root, exist_ok=True)

    cmd = [
        _bin(venv, "label-studio"),
        "start",
        "--no-browser",
        "--data-dir",
        data_dir,
        "--internal-host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "WARNING",
    ]
    logf = open(os.path.join(data_dir, "ls.log"), "ab")
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=logf,
        stderr=subprocess.STDOUT,
        cwd=data_dir,
        start_new_session=True,
    )
    logf.close()
    with open(os.path.join(data_dir, "ls.pid"), "w") as f:
        f.write(str(proc.pid))

    url = "http://127.0.0.1:%d" % port
    deadline = time.time() + 180
    status = None
    while time.time() < deadline:
        if proc.poll() is not None:
            stop(data_dir)
            raise SystemExit(
                "Label Studio exited (code %s); see %s/ls.log"
                % (proc.returncode, data_dir)
            )
        status = _whoami(url, token)
        if status == 200:
            break
        time.sleep(0.5)
    else:
        stop(data_dir)
        raise SystemExit(
            "Label Studio did not answer an authenticated call within "
            "180 s (last status %s); see %s/ls.log" % (status, data_dir)
        )
    return {
        "url": url,
        "token": token,
        "pid": proc.pid,
        "port": port,
        "data_dir": data_dir,
        "files_root": files_root,
        "username": USERNAME,
        "password": PASSWORD,
        "version": _version(url),
        "db": db,
        "pg_port": pg and pg["port"],
    }


def _stop_pg(data_dir):
    pg_file = os.path.join(os.path.abspath(data_dir), "pg.json")
    try:
        with open(pg_file) as f:
            path = json.load(f)["dir"]
    except (OSError, ValueError, KeyError):
        return
    pg_server.stop(path, remove=True)
    try:
        os.remove(pg_file)
    except FileNotFoundError:  # stopped concurrently
        pass


def stop(data_dir, timeout=15):
    """Stops the server started in ``data_dir`` (by its PID), and its
    PostgreSQL cluster if it has one."""
    pid_file = os.path.join(os.path.abspath(data_dir), "ls.pid")
    try:
        with open(pid_file) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        _stop_pg(data_dir)
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            try:  # reap when we are the parent
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.2)
        else:
            continue
        break
    os.remove(pid_file)
    _stop_pg(data_dir)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_install = sub.add_parser("install", help="create the Label Studio venv")
    p_install.add_argument("--version", default=None)
    p_install.add_argument("--venv", default=None)
    p_install.add_argument(
        "--postgres",
        action="store_true",
        help="also build the pre-migrated PostgreSQL template",
    )
    p_start = sub.add_parser("start", help="start a server")
    p_start.add_argument("--port", type=int, default=0)
    p_start.add_argument("--data-dir", required=True)
    p_start.add_argument("--files-root", default=None)
    p_start.add_argument("--token", default=DEFAULT_TOKEN)
    p_start.add_argument("--version", default=None)
    p_start.add_argument("--venv", default=None)
    p_start.add_argument("--json", action="store_true")
    p_start.add_argument("--db", choices=DATABASES, default="sqlite")
    p_stop = sub.add_parser("stop", help="stop a server")
    p_stop.add_argument("--data-dir", required=True)
    args = parser.parse_args(argv)

    if args.command == "install":
        venv = args.venv or venv_for(args.version)
        install(venv, args.version)
        _build_template(venv, args.version)
        if args.postgres:
            _build_pg_template(venv)
    elif args.command == "start":
        info = start(
            args.port,
            args.data_dir,
            args.files_root,
            args.token,
            args.venv,
            db=args.db,
            version=args.version,
        )
        if args.json:
            print(json.dumps(info))
        else:
            print(
                "export LS_URL=%s LS_TOKEN=%s LS_PID=%s LS_FILES_ROOT=%s"
                % (info["url"], info["token"], info["pid"], info["files_root"])
            )
    else:
        stop(args.data_dir)


if __name__ == "__main__":
    main()
