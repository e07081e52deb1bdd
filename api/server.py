"""Running the API under uvicorn with limits on what a client may send before its request exists.

uvicorn's httptools protocol (the fast one this project uses) bounds none of: header size, header count, request
line length, or the time a client takes to send its headers. A client could then send a 100 MB header (or an endless
one, a byte a second) and hold the worker's memory and event loop; another client's ``/health`` took 14 s behind
one such header. ``GuardedHttpTools`` is uvicorn's protocol with those four limits, from the settings:

- ``QGRAPH_MAX_REQUEST_LINE``: longer request line (method, URL, version) → 414;
- ``QGRAPH_MAX_HEADER_BYTES``: request line plus headers, counted as they arrive (before the parser buffers a
  header whole) → 431;
- ``QGRAPH_MAX_HEADERS``: more header lines → 431;
- ``QGRAPH_MAX_BODY_BYTES``: a longer body → 413 (also checked by the app, for other servers);
- ``QGRAPH_HEADER_TIMEOUT``: seconds from a connection's first byte of a request (or from the connection itself)
  to the end of its headers → 408.

Each answer carries ``Connection: close`` and the connection is closed. The app checks the body limit as well
(``qgraph.api.middleware.BodyLimit``), so that it holds under any server. Under h11 (``--http h11``) h11's own
``h11_max_incomplete_event_size`` is set to the header limit.

``qgraph serve`` runs ``run()``; running ``uvicorn qgraph.api.app:create_app --factory`` directly gets the app's own
guards but not these.
"""

from __future__ import annotations

import ipaddress
import json
import os
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from qgraph.api.middleware import LOOPBACK_HOSTS
from qgraph.config import Settings, get_settings

_REASONS = {408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long", 431: "Request Header Fields Too Large"}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with header, request-line and header-time limits (see the module docstring)."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        limits: Settings = getattr(config, "qgraph_settings", None) or get_settings()
        self.max_line, self.max_head = limits.max_request_line, limits.max_header_bytes
        self.max_headers, self.header_timeout = limits.max_headers, limits.header_timeout
        self.max_body = limits.body_limit
        self._body_bytes = 0
        self._awaiting_head = True  # between requests, or before the first: the next bytes are a request head
        self._head_bytes = 0
        self._header_count = 0
        self._head_timer: Any = None
        self._pending: _Refused | None = None

    # -------------------------------------------------------------- the head timer

    def _start_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._awaiting_head and not self.transport.is_closing():
            self._refuse(408, f"The request headers did not arrive within {self.header_timeout:g} s.")

    def _refuse(self, status: int, message: str) -> None:
        self._cancel_head_timer()
        if self.cycle is not None and not self.cycle.response_complete:
            if self.cycle.response_started:  # the app is answering: a second status line would be a lie
                self.transport.close()
                return
            self.cycle.disconnected = True  # whatever the app still sends goes nowhere
        body = message.encode("ascii")
        head = [f"HTTP/1.1 {status} {_REASONS[status]}\r\n".encode("ascii")]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [b"content-type: text/plain; charset=utf-8\r\n", b"content-length: %d\r\n" % len(body),
                 b"connection: close\r\n\r\n", body]
        self.transport.write(b"".join(head))
        self.transport.close()
        self.logger.warning("refused a request: %d %s", status, message)

    # -------------------------------------------------------------- protocol

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_head:
            self._head_bytes += len(data)
        super().data_received(data)  # a limit passed in a callback answers through send_400_response below
        if self.transport.is_closing():
            return
        # Counted before parsing: a chunk that also holds the body may pass the limit, so refuse only while the head
        # is still incomplete after this chunk (the callbacks bound a head that completes within one chunk).
        if self._awaiting_head and self._head_bytes > self.max_head:
            self._refuse(431, f"The request head is larger than {self.max_head} bytes.")

    def send_400_response(self, msg: str) -> None:
        refused = self._pending
        if refused is not None:  # our callback raised inside the parser, which reports any callback error as 400
            self._pending = None
            self._refuse(refused.status, refused.message)
            return
        self._cancel_head_timer()
        super().send_400_response(msg)

    def _fail(self, status: int, message: str) -> None:
        self._pending = _Refused(status, message)
        raise httptools.HttpParserError(message)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_head = True
        self._header_count = 0
        self._body_bytes = 0
        self._pending = None
        self._start_head_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.max_line:
            self._fail(414, f"The request line is longer than {self.max_line} bytes.")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.max_headers:
            self._fail(431, f"More than {self.max_headers} request headers.")
        if len(name) + len(value) + len(self.url) > self.max_head:
            self._fail(431, f"The request head is larger than {self.max_head} bytes.")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._head_bytes = 0
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        # Counted here too (the app's BodyLimit only sees what it reads): a body nobody reads is still refused.
        self._body_bytes += len(body)
        if self._body_bytes > self.max_body:
            self._fail(413, f"The request body is larger than {self.max_body} bytes.")
        super().on_body(body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._awaiting_head = True
        self._head_bytes = 0  # the keep-alive timeout (uvicorn's) covers the idle time until the next request


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _options(settings: Settings) -> dict[str, Any]:
    # Idle connections are kept longer than uvicorn's 5 s default: a pooled client connection the server closes just
    # as the client reuses it fails with "server disconnected" (seen once in 4,712 requests of the soak).
    return {"http": GuardedHttpTools, "h11_max_incomplete_event_size": settings.max_header_bytes,
            "timeout_keep_alive": 75}


def config(settings: Settings, app: Any, *, host: str = "127.0.0.1", port: int = 0, **overrides: Any) -> uvicorn.Config:
    """A uvicorn configuration as ``qgraph serve``'s, for an app object (tests run a real server from it)."""
    cfg = uvicorn.Config(app, host=host, port=port, **{**_options(settings), "log_level": "warning", **overrides})
    cfg.qgraph_settings = settings  # type: ignore[attr-defined]
    return cfg


def run(*, host: str, port: int, workers: int = 1) -> None:
    """Serve the API. Bound to a loopback address with no ``QGRAPH_ALLOWED_HOSTS``, only loopback names are
    answered; the environment carries that to every worker process, where the app and the protocol read it."""
    if get_settings().allowed_hosts is None and is_loopback(host):
        os.environ["QGRAPH_ALLOWED_HOSTS"] = json.dumps(list(LOOPBACK_HOSTS))
        get_settings.cache_clear()
    uvicorn.run("qgraph.api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info",
                **_options(get_settings()))
