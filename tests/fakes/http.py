"""A threaded HTTP server base for the fake providers: latency, injected failures, control API.

Each fake listens on 127.0.0.1 (an ephemeral port by default) and speaks HTTP/1.1 with keep-alive.
Subclasses implement `handle(request)` for the provider's own endpoints and may extend
`stats()`, `reset()`, `configure()` and `control()`. Every path under `/_fake/` is the control API:

- `GET /_fake/stats` -> JSON counters (`requests`, `accepted`, `duplicates`, `distinct`, ...);
- `POST /_fake/config` with JSON such as `{"latency": 0.05}`;
- `POST /_fake/reset` forgets everything recorded and every queued failure;
- other `POST /_fake/<name>` requests go to the subclass's `control(name, payload)`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

COMMON_FAILURES = ("http429", "http500", "http503", "timeout")


@dataclass
class FakeRequest:
    """One HTTP request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        """Return a header value, matched case-insensitively."""
        return self.headers.get(name.lower(), default)

    def json(self):
        """Return the body parsed as JSON."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class FakeResponse:
    """What the fake answers: a status, headers and a body (None means: answer nothing)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = b""

    @classmethod
    def json(cls, payload, status: int = 200, headers: dict[str, str] | None = None):
        """Build a JSON response."""
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return cls(status, {"Content-Type": "application/json", **(headers or {})}, body)


@dataclass
class Failure:
    """A queued failure that the next provider request gets instead of a normal answer."""

    kind: str
    retry_after: float | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 512
    fake: FakeServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections are closed after a minute
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, add=False)

    def log_message(self, format, *args) -> None:
        """Stay quiet."""

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        request = FakeRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
        )
        response = self.server.fake._respond(request)
        if response.body is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class FakeServer:
    """Base of the fake providers: a background HTTP server that records what it receives."""

    failure_kinds: tuple[str, ...] = COMMON_FAILURES
    trailing_slash = False

    def __init__(self, *, latency: float = 0.0, port: int = 0, timeout_seconds: float = 5.0):
        self.latency = latency
        self.timeout_seconds = timeout_seconds
        self.lock = threading.RLock()
        self.failures: deque[Failure] = deque()
        self.requests = 0
        self.failures_served = 0
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.fake = self

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The base URL a client is configured with."""
        return f"http://127.0.0.1:{self.port}" + ("/" if self.trailing_slash else "")

    def start(self):
        """Serve in a daemon thread; return self."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=type(self).__name__, daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and release the port."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        with self.lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def fail_next(self, kind: str, times: int = 1, retry_after: float | None = None) -> None:
        """Make the next `times` provider requests fail as `kind` (see `failure_kinds`)."""
        if kind not in self.failure_kinds and not self._is_extra_failure(kind):
            raise ValueError(f"unknown failure kind {kind!r}")
        with self.lock:
            self.failures.extend(Failure(kind, retry_after) for _ in range(times))

    def reset(self) -> None:
        """Forget every recorded request and queued failure (the configuration stays)."""
        with self.lock:
            self.failures.clear()
            self.requests = 0
            self.failures_served = 0

    def stats(self) -> dict:
        """Counters for the control API; subclasses add `accepted`, `duplicates`, `distinct`."""
        with self.lock:
            return {"requests": self.requests, "failures": self.failures_served,
                    "queued_failures": len(self.failures)}

    def configure(self, settings: dict) -> None:
        """Apply settings from `POST /_fake/config`."""
        if "latency" in settings:
            self.latency = float(settings["latency"])
        if "timeout_seconds" in settings:
            self.timeout_seconds = float(settings["timeout_seconds"])
        fail = settings.get("fail")
        if fail:
            self.fail_next(fail["kind"], int(fail.get("times", 1)), fail.get("retry_after"))

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer a provider request (latency applied, no failure queued for it)."""
        raise NotImplementedError

    def failure_response(self, failure: Failure) -> FakeResponse:
        """Build the answer to an injected HTTP failure."""
        status = int(failure.kind.removeprefix("http"))
        headers = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = seconds_header(failure.retry_after)
        return FakeResponse.json({"error": status, "message": "injected failure"}, status, headers)

    def control(self, name: str, payload: dict) -> FakeResponse | None:
        """Handle `POST /_fake/<name>` beyond stats, config and reset; None means unknown."""
        return None

    def is_provider_path(self, path: str) -> bool:
        """Whether a path is one of the provider's endpoints (latency and failures apply)."""
        raise NotImplementedError

    def _is_extra_failure(self, kind: str) -> bool:
        return False

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self.lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _respond(self, request: FakeRequest) -> FakeResponse:
        if request.path.startswith("/_fake/"):
            return self._control(request)
        if not self.is_provider_path(request.path):
            return FakeResponse.json({"error": 404, "message": "Not found"}, 404)
        with self.lock:
            self.requests += 1
            failure = self.failures.popleft() if self.failures else None
            if failure is not None:
                self.failures_served += 1
        if self.latency:
            time.sleep(self.latency)
        if failure is None:
            return self.handle(request)
        if failure.kind == "timeout":
            self._stopping.wait(self.timeout_seconds)
            return FakeResponse(body=None)
        return self.failure_response(failure)

    def _control(self, request: FakeRequest) -> FakeResponse:
        name = request.path.removeprefix("/_fake/").strip("/")
        if name == "stats":
            return FakeResponse.json(self.stats())
        if request.method != "POST":
            return FakeResponse.json({"error": "use POST"}, 405)
        try:
            payload = request.json() if request.body else {}
        except ValueError:
            return FakeResponse.json({"error": "body is not JSON"}, 400)
        if name == "reset":
            self.reset()
            return FakeResponse.json({"ok": True})
        if name == "config":
            try:
                self.configure(payload)
            except (TypeError, ValueError, KeyError) as exc:
                return FakeResponse.json({"error": str(exc)}, 400)
            return FakeResponse.json({"ok": True})
        response = self.control(name, payload)
        return response or FakeResponse.json({"error": f"unknown control {name!r}"}, 404)


def seconds_header(value: float) -> str:
    """Format seconds for a Retry-After header: whole seconds when whole, else as given."""
    return str(int(value)) if float(value).is_integer() else str(value)


def callback(request: urllib.request.Request, timeout: float = 10.0) -> tuple[int, str]:
    """Make an outgoing request (a provider's callback); return (status, body text) always."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
