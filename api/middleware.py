"""ASGI middleware that guards every request, outermost first:

1. ``CatchAll``: an unexpected exception becomes the fixed 500 JSON answer *inside* the app, so the server sees a
   finished response and keeps the keep-alive connection usable (Starlette's own last-resort handler re-raises after
   answering, and uvicorn then drops the connection without ``Connection: close``: the client's next request on it
   failed with ECONNRESET).
2. ``TrustedHostMiddleware`` (Starlette): only the ``Host`` names of ``QGRAPH_ALLOWED_HOSTS`` are answered (400
   otherwise), which stops DNS rebinding against a server bound to loopback.
3. ``BodyLimit``: a body longer than ``QGRAPH_MAX_BODY_BYTES`` answers 413, by its Content-Length before any byte
   is read, or as soon as a chunked body passes the limit.
4. ``Head``: ``HEAD`` on a GET endpoint answers as GET does, without the body (FastAPI routes list GET only).
5. the deadline (``qgraph.api.deadline``), then ``Expensive``: a limit on expensive requests at once (429 past it).

Header size and count, request-line length and the header timeout are the HTTP server's (``qgraph.api.server``):
they must be enforced before the request exists, which no ASGI middleware can do.

All of it is plain ASGI rather than Starlette's ``BaseHTTPMiddleware`` (a millisecond per request each on this
project's benchmark machine), on one base (``HttpGuard``: what is not an HTTP request passes through), and answers in
the one error shape (``qgraph.api.responses``). None of it keeps state between requests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qgraph import cancel
from qgraph.api.responses import error_response

log = logging.getLogger("qgraph.api")

INTERNAL_ERROR = {"error": "internal_error", "detail": "Something went wrong on the server; the error has been logged."}
#: what a server bound to loopback answers to, by default (``[::1]`` keeps its brackets in a Host header)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class NotedSend:
    """A ``send`` that notes whether the response has started: once it has, no other answer can be sent, and a
    middleware that meets an error can only let the server drop the connection."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send, self.started = send, False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)


class HttpGuard:
    """The base of the guards: ``guard`` sees the HTTP requests ``applies`` selects; anything else (lifespan events,
    websockets, the requests it does not select) goes to the app untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def applies(self, scope: Scope) -> bool:
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.applies(scope):
            await self.guard(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class CatchAll(HttpGuard):
    async def guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        noted = NotedSend(send)
        try:
            await self.app(scope, receive, noted)
        except Exception:
            if noted.started:  # half a response is out: the server must drop the connection, nothing else is honest
                raise
            log.exception("unexpected error")
            await error_response(500, **INTERNAL_ERROR)(scope, receive, send)


class PayloadTooLarge(Exception):
    pass


class BodyLimit(HttpGuard):
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    def _refuse(self) -> JSONResponse:
        return error_response(413, "payload_too_large", f"The request body is larger than {self.max_bytes} bytes.",
                              headers={"Connection": "close"})

    async def guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse()(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise PayloadTooLarge
            return message

        noted = NotedSend(send)
        try:
            await self.app(scope, counted, noted)
        except PayloadTooLarge:
            if noted.started:
                raise
            await self._refuse()(scope, receive, send)


class Head(HttpGuard):
    """HEAD as GET without the body; the headers (Content-Length included) are GET's."""

    def applies(self, scope: Scope) -> bool:
        return scope["method"] == "HEAD"

    async def guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


#: the routes whose work grows with the graph (analyses, drawings and exports, path searches): limited in number
EXPENSIVE_PREFIXES = ("/analysis/", "/export/", "/paths")


class Expensive(HttpGuard):
    """At most ``concurrency`` expensive requests run at once in this process, ``queue`` more wait for a place, and
    any further one answers 429 with Retry-After at once: cheap requests (/health, /search, /entities) keep threads
    and CPU while expensive ones run. Per process, by design: it protects this process (each replica or worker has
    its own), and the API keeps no shared state. It sits inside the deadline, so time spent waiting counts."""

    def __init__(self, app: ASGIApp, *, concurrency: int, queue: int,
                 prefixes: tuple[str, ...] = EXPENSIVE_PREFIXES) -> None:
        super().__init__(app)
        self.concurrency, self.queue, self.prefixes = concurrency, queue, prefixes
        self.admitted = 0  # running + waiting
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop, on first use
        self._loop: asyncio.AbstractEventLoop | None = None

    def applies(self, scope: Scope) -> bool:
        return scope["path"].startswith(self.prefixes)

    async def guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.admitted >= self.concurrency + self.queue:
            response = error_response(
                429, "too_many_requests", f"{self.admitted} expensive requests (analyses, exports, paths) are "
                                          "running or waiting on this server; try again in a few seconds.",
                headers={"Retry-After": "5"})
            await response(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:  # one loop per server process; tests may start several
            self._slots, self._loop = asyncio.Semaphore(self.concurrency), loop
        self.admitted += 1
        watch = _Disconnect(receive, cancel.current())
        try:
            async with self._slots:
                if not watch.gone:  # a client that left while waiting gets no work done (and no answer: none is read)
                    await self.app(scope, watch.receive, send)
        finally:
            self.admitted -= 1
            watch.stop()


class _Disconnect:
    """Reads the request's messages ahead of the app, so that a client that goes away while its expensive request
    waits or runs is noticed at once: the request's budget is abandoned (``qgraph.cancel``) and the work stops at its
    next check instead of running to the deadline. The app reads the same messages through ``receive``, in order; a
    body is never more than the body limit (``BodyLimit`` sits outside)."""

    def __init__(self, receive: Receive, budget: cancel.Budget | None) -> None:
        self.budget, self.gone = budget, False
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        self.task = asyncio.ensure_future(self._pump(receive))

    async def _pump(self, receive: Receive) -> None:
        while True:
            message = await receive()
            self.messages.put_nowait(message)
            if message["type"] == "http.disconnect":
                self.gone = True
                if self.budget is not None:
                    self.budget.abandon()
                return

    async def receive(self) -> Message:
        if self.gone and self.messages.empty():
            return {"type": "http.disconnect"}
        return await self.messages.get()

    def stop(self) -> None:
        self.task.cancel()


def install(app: ASGIApp, *, allowed_hosts: Sequence[str] | None, max_body_bytes: int) -> None:
    """Add the guards (Starlette puts the last added outermost)."""
    app.add_middleware(Head)  # type: ignore[attr-defined]
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)  # type: ignore[attr-defined]
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts or ["*"]),  # type: ignore[attr-defined]
                       www_redirect=False)
    app.add_middleware(CatchAll)  # type: ignore[attr-defined]
