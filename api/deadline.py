"""A deadline for every request: past ``QGRAPH_REQUEST_TIMEOUT`` the client gets a 503 instead of waiting.

The Neo4j driver already times out queries and connections, and notices a hung server when the server sends its
keep-alive hint; this is the backstop for servers that do not. The work already started keeps its worker thread
until the database answers or the connection dies: the deadline bounds what a client waits, not what the server does.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse


def install(app: FastAPI, seconds: float) -> None:
    @app.middleware("http")
    async def deadline(request: Request, call_next) -> Response:  # type: ignore[no-untyped-def]
        try:
            return await asyncio.wait_for(call_next(request), timeout=seconds)
        except TimeoutError:
            return JSONResponse(status_code=503, headers={"Retry-After": "5"},
                                content={"error": "timeout",
                                         "detail": f"No answer within {seconds:g} s; the graph database may be "
                                                   "overloaded or unreachable. Try again shortly."})
