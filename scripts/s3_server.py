#!/usr/bin/env python3
"""Starts and stops a local S3 API (moto's standalone server) for tests.

Standard library only; ``moto_server`` comes with the ``test`` extra
(``moto[server]``) and is looked up next to this Python, then on PATH.

    python scripts/s3_server.py start --state-dir D [--json]
    python scripts/s3_server.py stop --state-dir D

The server starts with request authentication off (moto's default);
``set_auth(endpoint, True)`` turns moto's IAM checks on, so wrong
credentials are refused as on AWS (presigned URLs only work with it off:
moto does not check query-string signatures).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

STATE_FILE = "s3_server.json"
START_TIMEOUT = 60
_PR_SET_PDEATHSIG = 1


def moto_binary() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "moto_server")
    if os.access(here, os.X_OK):
        return here
    found = shutil.which("moto_server")
    if not found:
        raise RuntimeError(
            "no moto_server: pip install 'moto[server]' (the test extra)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    # a bare TCP connect: an HTTP request would count as an S3 action
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _die_with_parent() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def start(state_dir: str, port: int = 0, die_with_parent=False) -> dict:
    """Starts the server; ``{endpoint, pid, port, log}`` once it listens."""
    state_dir = os.path.abspath(state_dir)
    stop(state_dir)
    os.makedirs(state_dir, exist_ok=True)
    port = port or _free_port()
    log_path = os.path.join(state_dir, "moto.log")
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="inf")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [moto_binary(), "-H", "127.0.0.1", "-p", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if die_with_parent else None,
        )
    info = {
        "endpoint": "http://127.0.0.1:%d" % port,
        "pid": proc.pid,
        "port": port,
        "log": log_path,
    }
    with open(os.path.join(state_dir, STATE_FILE), "w") as f:
        json.dump(info, f)
    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                "moto_server exited (code %s); see %s"
                % (proc.returncode, log_path)
            )
        if _listening(port):
            return info
        time.sleep(0.1)
    stop(state_dir)
    raise RuntimeError("moto_server did not listen within %d s" % 60)


def set_auth(endpoint: str, enabled: bool) -> None:
    """Turns moto's credential checks on (IAM users only) or off."""
    req = urllib.request.Request(
        endpoint + "/moto-api/reset-auth",
        data=b"0" if enabled else b"inf",
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def stop(state_dir: str, timeout: float = 10) -> bool:
    """Stops the server started in ``state_dir`` (by its PID)."""
    state = os.path.join(os.path.abspath(state_dir), STATE_FILE)
    try:
        with open(state) as f:
            pid = int(json.load(f)["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            ours = b"moto_server" in f.read()
    except OSError:
        ours = False
    if ours:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.time() + timeout
            while time.time() < deadline:
                try:
                    if os.waitpid(pid, os.WNOHANG)[0] == pid:
                        break
                except ChildProcessError:
                    pass
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                continue
            break
    os.remove(state)
    return ours


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start")
    p_start.add_argument("--state-dir", required=True)
    p_start.add_argument("--port", type=int, default=0)
    p_start.add_argument("--json", action="store_true")
    p_stop = sub.add_parser("stop")
    p_stop.add_argument("--state-dir", required=True)
    args = parser.parse_args(argv)
    if args.command == "start":
        info = start(args.state_dir, args.port)
        if args.json:
            print(json.dumps(info))
        else:
            print("export S3_ENDPOINT=%(endpoint)s S3_PID=%(pid)s" % info)
    else:
        stop(args.state_dir)


if __name__ == "__main__":
    main()
