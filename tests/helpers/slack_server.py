"""A real Slack stand-in on 127.0.0.1: the incoming-webhook endpoint and ``chat.postMessage``.

It records every message it accepted (``messages``) and every request it got
(``requests``), and can be told to fail the next requests: answer 429 with
Retry-After, answer 500, or hang without answering (the client's timeout
must fire). slack_sdk reaches it through ``base_url`` (bot token) or
``webhook_url``.

    with running_slack_server() as slack:
        slack.fail("429", retry_after=2)
        ...
        assert [m.text for m in slack.messages] == [...]
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.helpers.loopback import serving

TOKEN = "xoxb-1111-2222-Zq8vLw3nRt5k"  # random: fragments of it are masked too
WEBHOOK_PATH = "/services/T0LOOP/B0LOOP/Xq7ZjW2mRv9TcPfL"  # random, as a real one is
FAILURES = ("429", "500", "hang", "reset")


@dataclass(frozen=True)
class Posted:
    """A message the server accepted."""

    kind: str  # chat | webhook
    ts: str
    channel: str | None  # the channel id it landed in (chat only)
    text: str | None
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    reply_broadcast: bool = False
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """Any request the server got, and what it answered (``hang`` when it did not)."""

    path: str
    answer: str  # ok | 429 | 500 | hang | reset | error code
    authorization: str | None


def channel_id(name: str) -> str:
    """A stable fake channel id for a channel name (ids are returned unchanged)."""
    if name[:1] in "CDG" and name[1:].isalnum() and name.isupper():
        return name
    return "C" + hashlib.sha1(name.encode()).hexdigest()[:8].upper()


class SlackServer:
    """State shared by the handler threads; start with ``running_slack_server()``."""

    def __init__(self, hang_seconds: float = 10.0) -> None:
        self.messages: list[Posted] = []
        self.requests: list[Request] = []
        self.hang_seconds = hang_seconds
        self._failures: list[tuple[str, float | None]] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._ts = 0
        self.httpd: ThreadingHTTPServer | None = None

    # -- what tests use ----------------------------------------------------------
    @property
    def port(self) -> int:
        assert self.httpd is not None
        return int(self.httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    def fail(self, kind: str, times: int = 1, *, retry_after: float | None = None) -> None:
        """Fail the next ``times`` requests: ``429`` (with Retry-After), ``500``, ``hang``,
        or ``reset`` (close the connection without an answer)."""
        assert kind in FAILURES, kind
        with self._lock:
            self._failures.extend([(kind, retry_after)] * times)

    def pending_failures(self) -> int:
        with self._lock:
            return len(self._failures)

    def texts(self) -> list[str | None]:
        with self._lock:
            return [m.text for m in self.messages]

    # -- what the handler uses ------------------------------------------------------
    def _next_failure(self) -> tuple[str, float | None] | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _record(self, request: Request, posted: Posted | None = None) -> None:
        with self._lock:
            self.requests.append(request)
            if posted is not None:
                self.messages.append(posted)

    def _next_ts(self) -> str:
        with self._lock:
            self._ts += 1
            return f"1767600000.{self._ts:06d}"

    def known_ts(self, ts: str) -> bool:
        with self._lock:
            return any(m.ts == ts for m in self.messages)


class _Handler(BaseHTTPRequestHandler):
    server_version = "LoopbackSlack/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def slack(self) -> SlackServer:
        return self.server.slack  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read ``requests`` instead

    def _send(self, status: int, body: str, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload), "application/json; charset=utf-8", headers)

    def _body(self) -> dict[str, Any]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        if "json" in (self.headers.get("Content-Type") or ""):
            return json.loads(raw or "{}")
        return {k: v[0] for k, v in parse_qs(raw).items()}

    def do_POST(self) -> None:
        body = self._body()
        auth = self.headers.get("Authorization")
        chat = self.path.rstrip("/").endswith("/api/chat.postMessage")
        hook = self.path == WEBHOOK_PATH
        failure = self.slack._next_failure() if (chat or hook) else None
        if failure is not None:
            kind, retry_after = failure
            self.slack._record(Request(self.path, kind, auth))
            if kind == "hang":
                self.slack._release.wait(self.slack.hang_seconds)
                self.close_connection = True
                return
            if kind == "reset":
                self.close_connection = True
                return
            if kind == "429":
                headers = {"Retry-After": f"{retry_after or 1:g}"}
                if chat:
                    self._json(429, {"ok": False, "error": "ratelimited"}, headers)
                else:
                    self._send(429, "rate_limited", "text/plain", headers)
                return
            self._send(500, "Internal Server Error", "text/plain")
            return
        if chat:
            self._chat(body, auth)
        elif hook:
            self._hook(body, auth)
        else:
            self.slack._record(Request(self.path, "no_service", auth))
            self._send(404, "no_service", "text/plain")

    def _chat(self, body: dict[str, Any], auth: str | None) -> None:
        def error(code: str) -> None:
            self.slack._record(Request(self.path, code, auth))
            self._json(200, {"ok": False, "error": code})

        if auth != f"Bearer {TOKEN}":
            return error("invalid_auth")
        if not body.get("channel"):
            return error("channel_not_found")
        if not body.get("text") and not body.get("blocks"):
            return error("no_text")
        thread_ts = body.get("thread_ts")
        if thread_ts and not self.slack.known_ts(thread_ts):
            return error("thread_not_found")
        blocks = body.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        ts = self.slack._next_ts()
        channel = channel_id(str(body["channel"]))
        posted = Posted("chat", ts, channel, body.get("text"), blocks, thread_ts,
                        bool(body.get("reply_broadcast")), body)
        self.slack._record(Request(self.path, "ok", auth), posted)
        self._json(200, {"ok": True, "channel": channel, "ts": ts,
                         "message": {"text": body.get("text"), "ts": ts}})
        return None

    def _hook(self, body: dict[str, Any], auth: str | None) -> None:
        if not body.get("text") and not body.get("blocks"):
            self.slack._record(Request(self.path, "invalid_payload", auth))
            self._send(400, "invalid_payload", "text/plain")
            return
        posted = Posted("webhook", self.slack._next_ts(), None, body.get("text"),
                        body.get("blocks") or [], body=body)
        self.slack._record(Request(self.path, "ok", auth), posted)
        self._send(200, "ok", "text/html")


@contextmanager
def running_slack_server(hang_seconds: float = 10.0) -> Iterator[SlackServer]:
    """Start the server on a free port of 127.0.0.1; stop it (releasing hung requests) after."""
    slack = SlackServer(hang_seconds)
    with serving(_Handler, slack, "slack", slack._release):
        yield slack
