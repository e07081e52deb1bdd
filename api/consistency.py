"""One version per answer: a read that saw a write commit under it is answered again, from the new version.

``Store.pinned()`` (the ``get_store`` dependency) keeps a request on one version: the memory store by its immutable
snapshot, Neo4j by one read transaction whose version is checked after each query, raising ``VersionChanged`` when a
write committed meanwhile. This middleware catches that (nothing has been sent yet: the route had not returned) and
runs the request again, up to ``ATTEMPTS`` times; then 503 with Retry-After. Only GET and HEAD requests, which have
no body to replay and no effect, are retried. Plain ASGI, like ``deadline``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from qgraph.store import VersionChanged

ATTEMPTS = 4


class OneVersion:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        for _ in range(ATTEMPTS):
            try:
                await self.app(scope, receive, send)
                return
            except VersionChanged:
                continue
        response = JSONResponse(status_code=503, headers={"Retry-After": "1"},
                                content={"error": "busy", "detail": "The graph changed while this request was read "
                                                                    f"{ATTEMPTS} times in a row; try again."})
        await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(OneVersion)
