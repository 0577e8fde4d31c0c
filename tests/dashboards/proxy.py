"""A tiny real reverse proxy on the loopback, as a company puts in front of the dashboard:
``http://127.0.0.1:P/dq/...`` forwarded to the Streamlit server (HTTP and websockets),
which serves under the same base path (``server.baseUrlPath``). Starlette and uvicorn
come with Streamlit; websockets too."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

#: Hop-by-hop headers a proxy must not forward (RFC 9110 7.6.1), plus those it rewrites.
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailer", "transfer-encoding", "upgrade", "host", "content-length",
       "content-encoding"}


def _app(upstream: str) -> Any:
    import websockets
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket

    def fetch(method: str, url: str, headers: dict[str, str], body: bytes
              ) -> tuple[int, list[tuple[str, str]], bytes]:
        request = urllib.request.Request(url, data=body or None, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, list(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, list(error.headers.items()), error.read()

    async def http(request: Request) -> Response:
        target = f"http://{upstream}{request.url.path}"
        if request.url.query:
            target += f"?{request.url.query}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        headers["accept-encoding"] = "identity"
        status, found, body = await run_in_threadpool(
            fetch, request.method, target, headers, await request.body())
        kept = {k: v for k, v in found if k.lower() not in HOP}
        return Response(body, status_code=status, headers=kept)

    async def socket(client: WebSocket) -> None:
        target = f"ws://{upstream}{client.url.path}"
        if client.url.query:
            target += f"?{client.url.query}"
        asked = [p.strip() for p in client.headers.get("sec-websocket-protocol", "").split(",")
                 if p.strip()]
        async with websockets.connect(target, subprotocols=asked or None,
                                      max_size=None) as server:
            await client.accept(subprotocol=server.subprotocol)

            async def up() -> None:
                while True:
                    message = await client.receive()
                    if message["type"] == "websocket.disconnect":
                        await server.close()
                        return
                    await server.send(message.get("bytes") or message.get("text") or b"")

            async def down() -> None:
                async for message in server:
                    if isinstance(message, bytes):
                        await client.send_bytes(message)
                    else:
                        await client.send_text(message)

            _done, pending = await asyncio.wait(
                [asyncio.create_task(up()), asyncio.create_task(down())],
                return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()

    methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]
    return Starlette(routes=[WebSocketRoute("/{path:path}", socket),
                             Route("/{path:path}", http, methods=methods)])


@contextlib.contextmanager
def reverse_proxy(upstream: str, port: int) -> Iterator[str]:
    """Serve the proxy on 127.0.0.1:``port`` in a thread, forwarding to ``upstream``
    (``host:port``); yield its address."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(_app(upstream), host="127.0.0.1", port=port,
                                           log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the loopback proxy did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
