"""Fault injection against a REAL Label Studio server (no mocks).

- :class:`LabelStudioProcess`: a private server of one test module that
  tests may kill and restart (``scripts/ls_server.py`` on its own data dir).
- :class:`FaultProxy`: a localhost HTTP proxy that forwards every request
  to the real server and, on chosen requests, answers an error (after the
  server committed the request, or instead of forwarding it), hangs past
  the client's timeout, drops the connection, or runs a callback.
- :class:`MediaServer`: serves image files over http and records the
  headers of every request (to prove the API key never reaches it).
"""

import http.client
import json
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional
from urllib.parse import urlsplit

from support import load_script


def new_token() -> str:
    """A distinctive legacy token (40 chars) to grep for."""
    return "rel" + secrets.token_hex(18)[:37]


class LabelStudioProcess:
    """One Label Studio server on its own data dir: start, kill, restart.

    A warm restart on the same data dir keeps every project and task and
    takes ~3 s.
    """

    def __init__(self, data_dir: str, token: Optional[str] = None):
        self._script = load_script("ls_server")
        self.data_dir = data_dir
        self.token = token or new_token()
        self.port = 0
        self.info = None

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    @property
    def running(self) -> bool:
        return os.path.exists(os.path.join(self.data_dir, "ls.pid"))

    def start(self) -> dict:
        self.info = self._script.start(
            self.port, self.data_dir, token=self.token
        )
        self.port = self.info["port"]
        return self.info

    def kill(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL) by its PID."""
        self._script.stop(self.data_dir, timeout=5)

    def restart(self) -> dict:
        self.kill()
        return self.start()

    def ensure_running(self) -> None:
        if not self.running:
            self.start()

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.data_dir, ignore_errors=True)


# -- the proxy ----------------------------------------------------------

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}


@dataclass
class Fault:
    """What the proxy does to a matching request.

    ``forward``: send it to the server first (the server commits it) and
    then misbehave; ``status``: answer this HTTP status instead of the
    server's; ``delay``: seconds to wait before answering; ``drop``: close
    the connection without an answer; ``before``: a callback run before
    anything else (e.g. kill the server).
    """

    status: Optional[int] = None
    forward: bool = True
    delay: float = 0.0
    drop: bool = False
    before: Optional[Callable[[], None]] = None
    detail: str = "injected fault"


@dataclass
class Rule:
    method: Optional[str]
    path: str
    fault: Fault
    skip: int = 0
    times: int = 1
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return re.search(self.path, path) is not None


@dataclass
class Exchange:
    """One request that went through the proxy."""

    method: str
    path: str
    status: Optional[int]
    fault: Optional[Fault] = None
    upstream_status: Optional[int] = None
    headers: dict = field(default_factory=dict)


class FaultProxy:
    """Forwards to ``upstream`` (a real Label Studio) on a free port."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.rules: list = []
        self.log: list = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    def inject(
        self,
        method: Optional[str],
        path: str,
        fault: Fault,
        skip: int = 0,
        times: int = 1,
    ) -> Rule:
        """Applies ``fault`` to matching requests after ``skip`` of them,
        ``times`` times. ``path`` is a regex searched in path+query."""
        rule = Rule(method, path, fault, skip=skip, times=times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.log.clear()

    def requests(self, method=None, path=None) -> list:
        return [
            e
            for e in list(self.log)
            if (method is None or e.method == method)
            and (path is None or re.search(path, e.path))
        ]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _fault_for(self, method, path):
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, path):
                    continue
                rule.seen += 1
                if rule.seen > rule.skip and rule.fired < rule.times:
                    rule.fired += 1
                    return rule.fault
        return None


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: FaultProxy = None
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):  # keep test output clean
        pass

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _forward(self, body):
        conn = http.client.HTTPConnection(
            self.owner.upstream_host, self.owner.upstream_port, timeout=600
        )
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in _HOP_BY_HOP
        }
        headers["Connection"] = "close"
        headers["Content-Length"] = str(len(body))
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def _answer(self, status, headers, payload):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in _HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self):
        body = self._body()
        fault = self.owner._fault_for(self.command, self.path)
        exchange = Exchange(
            self.command, self.path, None, fault, headers=dict(self.headers)
        )
        self.owner.log.append(exchange)
        if fault is not None and fault.before is not None:
            fault.before()
        upstream = None
        if fault is None or fault.forward:
            try:
                upstream = self._forward(body)
            except OSError:
                self.close_connection = True
                return  # the server is gone: so is the answer
            exchange.upstream_status = upstream[0]
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            self.close_connection = True
            return
        if fault is not None and fault.status is not None:
            payload = json.dumps(
                {"status_code": fault.status, "detail": fault.detail}
            ).encode()
            exchange.status = fault.status
            try:
                self._answer(
                    fault.status,
                    [("Content-Type", "application/json")],
                    payload,
                )
            except OSError:
                pass  # the client gave up (timeout)
            return
        status, headers, payload = upstream
        exchange.status = status
        try:
            self._answer(status, headers, payload)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


# -- media served over http ---------------------------------------------


class MediaServer:
    """Serves the files of ``root`` at ``/<name>``; records every
    request's headers in :attr:`seen` as ``(path, {header: value})``."""

    def __init__(self, root: str):
        self.root = root
        self.seen: list = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.seen.append((self.path, dict(self.headers)))
                name = os.path.basename(urlsplit(self.path).path)
                path = os.path.join(server.root, name)
                if not os.path.isfile(path):
                    self.send_error(404)
                    return
                with open(path, "rb") as f:
                    payload = f.read()
                self.send_response(200)
                ctype = "image/png" if name.endswith(".png") else "image/jpeg"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_HEAD = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, daemon=True
        ).start()

    def url(self, name: str) -> str:
        return "http://127.0.0.1:%d/%s" % (
            self._server.server_address[1],
            name,
        )

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- what a run left behind ---------------------------------------------


def project_tasks(client) -> dict:
    """``{project id: task count}`` of every project on the server."""
    return {
        p["id"]: client.task_count(p["id"]) for p in client.list_projects()
    }


def dataset_state(dataset, stamps: bool = True) -> tuple:
    """Run keys and every sample as a dict with its id (what a failure
    must not change). ``stamps=False`` leaves out ``last_modified_at``,
    which FiftyOne's merge touches even when no value changes."""
    dataset.reload()
    samples = []
    for sample in dataset.iter_samples():
        d = sample.to_dict()
        d["id"] = sample.id
        if not stamps:
            d.pop("last_modified_at", None)
        samples.append(d)
    return sorted(dataset.list_annotation_runs()), samples
