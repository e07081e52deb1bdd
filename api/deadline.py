"""A deadline for every request: past ``QGRAPH_REQUEST_TIMEOUT`` the client gets a 503 instead of waiting.

The Neo4j driver already times out queries and connections, and notices a hung server when the server sends its
keep-alive hint; this is the backstop for servers that do not. The deadline is also set for the work itself
(``qgraph.cancel``): expensive loops check it and stop, and Neo4j queries get the time left as their timeout, so the
CPU work ends with the request instead of running on after the 503.

It is plain ASGI middleware (``asyncio.timeout`` around the app) rather than Starlette's ``BaseHTTPMiddleware``,
which costs about a millisecond per request on this project's benchmark machine (``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from qgraph import cancel
from qgraph.api.middleware import HttpGuard, NotedSend
from qgraph.api.responses import error_response


class Deadline(HttpGuard):
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        super().__init__(app)
        self.seconds = seconds

    async def guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        noted = NotedSend(send)
        try:
            with cancel.deadline(self.seconds):  # copied into the thread that runs the route
                async with asyncio.timeout(self.seconds):
                    await self.app(scope, receive, noted)
        except (TimeoutError, cancel.Cancelled):
            if noted.started:  # half a response is out: nothing better to do than drop the connection
                raise
            response = error_response(503, "timeout", f"No answer within {self.seconds:g} s; the graph database may "
                                                      "be overloaded or unreachable. Try again shortly.",
                                      headers={"Retry-After": "5"})
            await response(scope, receive, send)


def install(app: FastAPI, seconds: float) -> None:
    app.add_middleware(Deadline, seconds=seconds)
