#!/usr/bin/env python3
"""A private PostgreSQL cluster for Label Studio (tests, bench, demo).

Standard library only. Uses Debian's ``postgresql`` package (installed by
``bash scripts/setup.sh --postgres``); each cluster has its own data dir
under the system temp dir, listens on 127.0.0.1 at a free port and keeps
its Unix socket in its own directory. PostgreSQL refuses to run as root, so
as root every server command runs as the ``postgres`` user the package
creates (``runuser -u postgres --``); as any other user it runs as that
user.

    python scripts/pg_server.py start --json      # {"dir", "port", ...}
    python scripts/pg_server.py stop --dir DIR

``initdb`` takes ~2 s; Label Studio's migrations on an empty database take
~60 s. ``scripts/ls_server.py --db postgresql`` therefore builds a
*template cluster* once (``initdb`` + migrations + admin user, stopped) and
starts every server on a copy of it (``cp -a``, ~1 s).
"""

import argparse
import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time

DB_NAME = "labelstudio"
DB_USER = "labelstudio"
_PG_OWNER = "postgres"


class PostgresError(RuntimeError):
    pass


def log(msg):
    print("[pg_server] %s" % msg, file=sys.stderr, flush=True)


def bindir() -> str:
    """The newest installed PostgreSQL's bin dir (Debian layout)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(p.split("/")[4]),
    )
    if found:
        return os.path.dirname(found[-1])
    exe = shutil.which("initdb")
    if exe:
        return os.path.dirname(exe)
    raise PostgresError(
        "PostgreSQL is not installed (no initdb found): run "
        "`bash scripts/setup.sh --postgres` (Debian's postgresql package)"
    )


def major_version() -> str:
    out = subprocess.run(
        [os.path.join(bindir(), "initdb"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[-1].split(".")[0]


def _as_owner(cmd: list) -> list:
    if os.geteuid() == 0:
        return ["runuser", "-u", _PG_OWNER, "--"] + cmd
    return cmd


def _chown(path: str) -> None:
    if os.geteuid() == 0:
        subprocess.run(
            ["chown", "-R", "%s:%s" % (_PG_OWNER, _PG_OWNER), path],
            check=True,
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list, what: str, **kwargs) -> str:
    proc = subprocess.run(
        _as_owner(cmd), capture_output=True, text=True, **kwargs
    )
    if proc.returncode:
        raise PostgresError(
            "could not %s (exit %d): %s"
            % (what, proc.returncode, (proc.stderr or proc.stdout)[-2000:])
        )
    return proc.stdout


def new_dir() -> str:
    """An empty directory the cluster owner can use (the test temp dirs
    are 0700 root: ``postgres`` could not reach a cluster inside them)."""
    path = tempfile.mkdtemp(prefix="fols-pg-")
    os.chmod(path, 0o700)
    _chown(path)
    return path


def init(path: str) -> None:
    """``initdb`` in ``path/data``, then a database and role for LS."""
    data = os.path.join(path, "data")
    _run(
        [
            os.path.join(bindir(), "initdb"),
            "-D",
            data,
            "-U",
            _PG_OWNER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        "initialise a PostgreSQL cluster in %s" % data,
    )


def psql(path: str, port: int, sql: str, db: str = "postgres") -> str:
    """Runs SQL through the cluster's own socket (trusted, owner only)."""
    return _run(
        [
            os.path.join(bindir(), "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            path,
            "-p",
            str(port),
            "-U",
            _PG_OWNER,
            "-d",
            db,
            "-At",
            "-c",
            sql,
        ],
        "run SQL on the cluster in %s" % path,
    )


def _write_info(path: str, info: dict) -> None:
    with open(os.path.join(path, "cluster.json"), "w") as f:
        json.dump(info, f)


def start(path: str, port: int = 0) -> dict:
    """Starts the cluster in ``path`` (from ``init`` or a copy of a
    template) and returns connection facts; a new random password each
    start."""
    port = port or _free_port()
    data = os.path.join(path, "data")
    _run(
        [
            os.path.join(bindir(), "pg_ctl"),
            "-D",
            data,
            "-l",
            os.path.join(path, "postgres.log"),
            "-w",
            "-t",
            "60",
            "-o",
            "-c listen_addresses=127.0.0.1 -p %d "
            "-c unix_socket_directories=%s -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off" % (port, path),
            "start",
        ],
        "start PostgreSQL in %s (see %s/postgres.log)" % (path, path),
    )
    password = secrets.token_hex(16)
    exists = psql(
        path, port, "SELECT 1 FROM pg_roles WHERE rolname = '%s'" % DB_USER
    ).strip()
    verb = "ALTER" if exists else "CREATE"
    psql(
        path,
        port,
        "%s ROLE %s LOGIN PASSWORD '%s'" % (verb, DB_USER, password),
    )
    if not exists:
        psql(path, port, "CREATE DATABASE %s OWNER %s" % (DB_NAME, DB_USER))
    info = {
        "dir": path,
        "host": "127.0.0.1",
        "port": port,
        "user": DB_USER,
        "password": password,
        "name": DB_NAME,
    }
    _write_info(path, info)
    return info


def stop(path: str, remove: bool = False) -> bool:
    """Stops the cluster in ``path`` (fast shutdown); ``remove`` deletes
    its directory afterwards."""
    data = os.path.join(path, "data")
    if not os.path.isdir(data):
        return False
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        subprocess.run(
            _as_owner(
                [
                    os.path.join(bindir(), "pg_ctl"),
                    "-D",
                    data,
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    "60",
                    "stop",
                ]
            ),
            capture_output=True,
            check=False,
        )
    if remove:
        shutil.rmtree(path, ignore_errors=True)
    return True


def copy(template: str) -> str:
    """A new cluster directory holding a copy of a stopped template."""
    path = new_dir()
    subprocess.run(
        ["cp", "-a", os.path.join(template, "data"), path], check=True
    )
    _chown(path)
    return path


def ls_env(info: dict) -> dict:
    """The variables that point Label Studio at this cluster."""
    return {
        "DJANGO_DB": "default",
        "POSTGRE_NAME": info["name"],
        "POSTGRE_USER": info["user"],
        "POSTGRE_PASSWORD": info["password"],
        "POSTGRE_HOST": info["host"],
        "POSTGRE_PORT": str(info["port"]),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="init and start a new cluster")
    p_start.add_argument("--port", type=int, default=0)
    p_start.add_argument("--json", action="store_true")
    p_stop = sub.add_parser("stop", help="stop a cluster, delete its dir")
    p_stop.add_argument("--dir", required=True)
    p_stop.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "start":
        path = new_dir()
        t0 = time.time()
        init(path)
        info = start(path, args.port)
        log("started in %.1f s" % (time.time() - t0))
        print(json.dumps(info) if args.json else info["dir"])
    else:
        stop(args.dir, remove=not args.keep)


if __name__ == "__main__":
    main()
