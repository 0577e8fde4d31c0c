"""Real HTTP receivers on 127.0.0.1: PagerDuty's Events API v2 and a generic webhook.

The PagerDuty stand-in speaks ``POST /v2/enqueue`` as documented: 202
``{"status": "success", "message": "Event processed", "dedup_key": ...}`` for a
valid event, 400 ``{"status": "invalid event", "errors": [...]}`` for one that
is not (unknown routing key, missing summary, bad severity or action), and it
keeps the alerts it holds by dedup key (triggered / resolved). Both can be told
to fail the next requests: ``429`` (with Retry-After), ``500``, ``hang``.

    with running_receiver() as receiver:
        receiver.fail("429", retry_after=2)
        ...
        assert receiver.alerts == {"dq-monitor/orders/1": "triggered"}
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.helpers.loopback import serving

ROUTING_KEY = "R7kq2ZpL9wXv4TnM8cYb3HfJ6dGs1AeQ"  # random, 32 characters as a real one
HOOK_PATH = "/hooks/Xq7ZjW2mRv9TcPfLb3"
FAILURES = ("429", "500", "hang")
_SEVERITIES = {"critical", "error", "warning", "info"}


@dataclass(frozen=True)
class Received:
    """A request and the status it was answered with (0 when it hung)."""

    path: str
    status: int
    body: Any
    headers: dict[str, str]


class Receiver:
    """State shared by the handler threads; start with ``running_receiver()``."""

    def __init__(self, hang_seconds: float = 10.0) -> None:
        self.requests: list[Received] = []
        self.alerts: dict[str, str] = {}  # dedup key -> triggered | resolved
        self.hang_seconds = hang_seconds
        self._failures: list[tuple[str, float | None]] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def hook_url(self) -> str:
        return self.base_url + HOOK_PATH

    def fail(self, kind: str, times: int = 1, *, retry_after: float | None = None) -> None:
        assert kind in FAILURES, kind
        with self._lock:
            self._failures.extend([(kind, retry_after)] * times)

    def accepted(self, path: str | None = None) -> list[Any]:
        """Bodies answered with 2xx (of one path)."""
        with self._lock:
            return [r.body for r in self.requests
                    if 200 <= r.status < 300 and (path is None or r.path == path)]

    def _next_failure(self) -> tuple[str, float | None] | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)


def event_errors(body: Any) -> list[str]:
    """What PagerDuty would reject in an Events API v2 body (empty: valid)."""
    if not isinstance(body, dict):
        return ["Event object is invalid"]
    errors = []
    if body.get("routing_key") != ROUTING_KEY:
        errors.append("'routing_key' is invalid")
    action = body.get("event_action")
    if action not in ("trigger", "acknowledge", "resolve"):
        errors.append("'event_action' is invalid")
    if action in ("acknowledge", "resolve") and not body.get("dedup_key"):
        errors.append("'dedup_key' is missing")
    if action == "trigger":
        payload = body.get("payload") or {}
        if not payload.get("summary") or len(str(payload["summary"])) > 1024:
            errors.append("'payload.summary' is missing or too long")
        if not payload.get("source"):
            errors.append("'payload.source' is missing")
        if payload.get("severity") not in _SEVERITIES:
            errors.append("'payload.severity' is invalid")
    if len(str(body.get("dedup_key") or "")) > 255:
        errors.append("'dedup_key' is too long")
    return errors


class _Handler(BaseHTTPRequestHandler):
    server_version = "LoopbackReceiver/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def receiver(self) -> Receiver:
        return self.server.receiver  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw or b"null")
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = dict(self.headers.items())

        def answer(status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
            self.receiver._record(Received(self.path, status, body, headers))
            self._json(status, payload, extra)

        if self.path not in ("/v2/enqueue", HOOK_PATH):
            return answer(404, {"status": "not found"})
        failure = self.receiver._next_failure()
        if failure is not None:
            kind, retry_after = failure
            if kind == "hang":
                self.receiver._record(Received(self.path, 0, body, headers))
                self.receiver._release.wait(self.receiver.hang_seconds)
                self.close_connection = True
                return None
            if kind == "429":
                return answer(429, {"status": "throttle event", "message": "Requests for "
                                    "this service are arriving too quickly."},
                              {"Retry-After": f"{retry_after or 1:g}"})
            return answer(500, {"status": "error"})
        if self.path == HOOK_PATH:
            return answer(200, {"ok": True})
        errors = event_errors(body)
        if errors:
            return answer(400, {"status": "invalid event", "message": "Event object is "
                                "invalid", "errors": errors})
        key = str(body.get("dedup_key") or uuid.uuid4().hex)
        with self.receiver._lock:
            state = {"trigger": "triggered", "acknowledge": "acknowledged",
                     "resolve": "resolved"}[body["event_action"]]
            if state == "triggered" or key in self.receiver.alerts:
                self.receiver.alerts[key] = state  # PagerDuty drops resolves of unknown keys
        return answer(202, {"status": "success", "message": "Event processed",
                            "dedup_key": key})


@contextmanager
def running_receiver(hang_seconds: float = 10.0) -> Iterator[Receiver]:
    """Start the receiver on a free port of 127.0.0.1; stop it after."""
    receiver = Receiver(hang_seconds)
    with serving(_Handler, receiver, "receiver", receiver._release):
        yield receiver
