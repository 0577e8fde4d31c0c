"""The HTTP endpoint of ``serve``: ``/metrics``, ``/healthz`` and ``/readyz`` on one port.

``/healthz`` answers 200 while the process's serve loop turns (a liveness
probe restarts a process whose loop hangs); ``/readyz`` answers 200 when the
metric store answers and the scheduler runs, or when the process stands by
for the leader (the body says which), else 503. Both bodies are JSON.
``/metrics`` is the Prometheus text format of the service's own registry.

>>> from prometheus_client import CollectorRegistry
>>> server = HealthServer(CollectorRegistry(), live=lambda: Probe(True, {}),
...                       ready=lambda: Probe(False, {"store": "down"}), port=0,
...                       host="127.0.0.1")
>>> server.start()
>>> import urllib.request, urllib.error
>>> try:
...     urllib.request.urlopen(f"http://127.0.0.1:{server.port}/readyz")
... except urllib.error.HTTPError as error:
...     print(error.code, error.read().decode())
503 {"ready": false, "store": "down"}
>>> server.stop()
"""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Probe:
    """The answer of one probe: ok or not, and what it looked at."""

    ok: bool
    details: dict[str, Any] = field(default_factory=dict)


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


class HealthServer:
    """Serves a registry and two probes from a background thread."""

    def __init__(self, registry: CollectorRegistry, *, live: Callable[[], Probe],
                 ready: Callable[[], Probe], port: int, host: str = "0.0.0.0") -> None:  # noqa: S104
        self._metrics = make_wsgi_app(registry)
        self._live = live
        self._ready = ready
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port served (the one picked when asked for port 0)."""
        return self._server.server_port if self._server is not None else self._port

    def start(self) -> None:
        """Bind and serve (OSError when the port is taken)."""
        self._server = make_server(self._host, self._port, self._app, server_class=_Server,
                                   handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="dq-http",
                                        kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        log.info("metrics and probes on http://%s:%d/metrics (/healthz, /readyz)",
                 self._host, self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path in ("/healthz", "/readyz"):
            probe = self._probe(self._live if path == "/healthz" else self._ready)
            key = "alive" if path == "/healthz" else "ready"
            body = json.dumps({key: probe.ok, **probe.details}, default=str).encode()
            status = "200 OK" if probe.ok else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"),
                                    ("Content-Length", str(len(body)))])
            return [body]
        if path in ("/metrics", "/"):
            return self._metrics(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics, /healthz or /readyz\n"]

    @staticmethod
    def _probe(probe: Callable[[], Probe]) -> Probe:
        try:
            return probe()
        except Exception as error:  # noqa: BLE001  (a probe that raises answers "not ok")
            return Probe(False, {"error": f"{type(error).__name__}: {error}"})
