"""Serving an HTTP handler on a free port of 127.0.0.1 for the length of a test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], state: Any, attribute: str,
            release: threading.Event | None = None) -> Iterator[ThreadingHTTPServer]:
    """Serve ``handler`` in a thread; its requests reach ``state`` as ``server.<attribute>``.

    ``state.httpd`` is set to the server. On the way out ``release`` is set first
    (so requests told to hang return), then the server stops and its port closes.
    """
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    setattr(httpd, attribute, state)
    state.httpd = httpd
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        if release is not None:
            release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
