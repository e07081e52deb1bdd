"""A real uvicorn server on a free loopback port, in a thread of the test process, configured as ``qgraph serve``
configures it (``qgraph.api.server.config``): for the tests that need real sockets (keep-alive, header limits)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from qgraph.api import server as api_server
from qgraph.config import Settings


@contextmanager
def live_server(app: Any, settings: Settings, **overrides: Any) -> Iterator[tuple[str, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(api_server.config(settings, app, port=port, **overrides))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield "127.0.0.1", port
    finally:
        srv.should_exit = True
        thread.join(10)


def raw_request(sock: socket.socket, path: str, *, method: str = "GET", headers: dict[str, str] | None = None,
                host: str = "127.0.0.1") -> tuple[int, dict[str, str], bytes]:
    """Send one HTTP/1.1 request on an open (keep-alive) socket and read one response: status, headers, body."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return read_response(sock, head_only=method == "HEAD")


def read_response(sock: socket.socket, *, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before a response head; got {data[:200]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    length = 0 if head_only else int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed inside a response body")
        body += chunk
    return int(status_line.split()[1]), headers, body[:length]
