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
from starlette.types import Message, Receive, Scope, Send

from qgraph.api.middleware import HttpGuard
from qgraph.api.responses import error_response
from qgraph.store import VersionChanged

ATTEMPTS = 6
#: seconds to wait before attempt n + 1 (n × this): a moment for the writer to finish its next commit
BACKOFF = 0.02


class OneVersion(HttpGuard):
    async def guard(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        response = error_response(503, "busy", f"The graph changed while this request was read {ATTEMPTS} times in a "
                                               "row; try again.", headers={"Retry-After": "1"})
        await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(OneVersion)
