"""One version per answer: a read that saw a write commit under it is answered again, from the new version.

``Store.pinned()`` (the ``get_store`` dependency) keeps a request on one version: the memory store by its immutable
snapshot, Neo4j by one read transaction whose version is checked after each query, raising ``VersionChanged`` when a
write committed meanwhile. This middleware catches that (nothing has been sent yet: the route had not returned) and
runs the request again (after a short pause), up to ``ATTEMPTS`` times, replaying the body the first attempt received; then 503 with
Retry-After. Any method is retried (the explorer's canvas is a read sent as POST): a route that writes must write
through ``Store.commit`` and not read through its pinned view after writing (its own write would move the version).
Plain ASGI, like ``deadline``.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qgraph.store import VersionChanged

ATTEMPTS = 6
#: seconds to wait before attempt n + 1 (n × this): a moment for the writer to finish its next commit
BACKOFF = 0.02


class OneVersion:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received: list[Message] = []  # what the first attempt read, replayed to the next ones

        for attempt in range(ATTEMPTS):
            if attempt:
                await asyncio.sleep(BACKOFF * attempt)
            position = 0

            async def replay() -> Message:
                nonlocal position
                if position < len(received):
                    position += 1
                    return received[position - 1]
                message = await receive()
                received.append(message)
                position += 1
                return message

            try:
                await self.app(scope, replay, send)
                return
            except VersionChanged:
                continue
        response = JSONResponse(status_code=503, headers={"Retry-After": "1"},
                                content={"error": "busy", "detail": "The graph changed while this request was read "
                                                                    f"{ATTEMPTS} times in a row; try again."})
        await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(OneVersion)
