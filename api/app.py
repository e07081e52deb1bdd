"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

try:
    from fastapi_offline import FastAPIOffline
except ImportError:  # a .venv from before the dependency was added (scripts/bootstrap installs it): /docs via CDN
    FastAPIOffline = None

from qgraph import __version__
from qgraph.api import consistency, deadline, errors, middleware
from qgraph.api.routes import admin, agreements, analysis, entities, health, history, nations, paths, search
from qgraph.api.routes import docs, explorer, export  # viz: maps, exports, the explorer page; offline docs
from qgraph.api.routes import ingest  # document ingest and the review page (issue #14)
from qgraph.api.routes import edits  # edits in place from the explorer (issue #15)
from qgraph.config import Settings, get_settings
from qgraph.store import Store, open_store

DESCRIPTION = """Read-only queries over the quantum-technology stakeholder graph: search, partners, paths,
agreements, nation-level partners, timeline, network analysis, and the history of the graph (what changed since a
version or date, changesets, each entity's history). Every fact carries its citation; every answer comes from one
version of the graph (header `X-Data-Version`). Writes need a named bearer token."""


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The app for these settings (default: the environment), or over an already opened store (tests)."""

    config = settings or get_settings()
    tokens = config.token_entries()  # a bad token entry stops the start, naming it

    @contextmanager
    def open_writer() -> Iterator[Store]:
        # A given store (tests) is written directly; otherwise a store with the write credentials, for this call.
        with nullcontext(store) if store is not None else open_store(config, write=True) as writer:
            yield writer

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store or open_store(config)
        app.state.store = opened
        app.state.settings = config
        app.state.open_writer = open_writer
        app.state.tokens = tokens
        try:
            yield
        finally:
            if store is None:
                opened.close()

    # /docs and /redoc from Swagger UI and ReDoc files packaged in fastapi-offline: no CDN, they work offline
    if FastAPIOffline is not None:
        app = FastAPIOffline(title="qgraph", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                             responses=errors.RESPONSES, static_url="/static/docs", redoc_url=None)
    else:
        app = FastAPI(title="qgraph", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                      responses=errors.RESPONSES)
    app.state.tokens = tokens
    errors.install(app)
    # Starlette runs the last added middleware outermost: hosts/body limits, then the deadline, then the expensive-work
    # queue, then the one-version check (its retries count against the deadline and hold their queue place).
    consistency.install(app)
    app.add_middleware(middleware.Expensive, concurrency=config.expensive_concurrency, queue=config.expensive_queue)
    deadline.install(app, config.request_timeout)
    middleware.install(app, allowed_hosts=config.allowed_hosts, max_body_bytes=config.body_limit)
    for module in (health, search, entities, paths, agreements, nations, analysis, history, admin, export, explorer,
                   ingest, edits):
        app.include_router(module.router)
    if FastAPIOffline is not None:
        app.include_router(docs.router)
    # the explorer's own modules and style, from the installed package (no bundler, no CDN)
    app.mount("/static/explorer", StaticFiles(packages=[("qgraph.viz", "static/explorer")]), name="explorer-static")
    return app
