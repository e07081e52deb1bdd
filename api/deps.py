"""Dependencies: the store opened in the app's lifespan, the query layer over it, and the shared query parameters.

They are ``async def`` because none of them blocks: FastAPI runs a plain ``def`` dependency in its thread pool, a
thread hop per dependency per request. The route functions stay ``def`` (the store's calls block) and run there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from qgraph import auth
from qgraph.model import SLUG_PATTERN, AgreementKind, Domain
from qgraph.queries import Filters, Queries
from qgraph.store import Store


async def get_store(request: Request, response: Response) -> AsyncIterator[Store]:
    """The store pinned to one version of the graph for the whole request (``Store.pinned``); the answer carries that
    version in the ``X-Data-Version`` header. Opening a Neo4j view does I/O, so it runs in the thread pool."""
    store: Store = request.app.state.store
    view_cm = store.pinned()
    blocking = store.kind != "memory"
    view = await run_in_threadpool(view_cm.__enter__) if blocking else view_cm.__enter__()
    try:
        version = view.meta().get("data_version")
        if version:
            response.headers["X-Data-Version"] = version
        yield view
    finally:
        if blocking:
            await run_in_threadpool(view_cm.__exit__, None, None, None)
        else:
            view_cm.__exit__(None, None, None)


StoreDep = Annotated[Store, Depends(get_store)]


async def get_live_store(request: Request) -> Store:
    """The store itself, not pinned (``/health``: it must answer even when no read transaction can be opened)."""
    return request.app.state.store


LiveStoreDep = Annotated[Store, Depends(get_live_store)]


async def get_queries(store: StoreDep) -> Queries:
    return Queries(store)


QueriesDep = Annotated[Queries, Depends(get_queries)]


async def get_authenticated(request: Request) -> bool:
    """Whether the request carries a configured named token (``qgraph.auth``) as a bearer token. Reads need none;
    this only decides how much an answer says about the deployment (``/health`` names the server to them alone)."""
    entries = request.app.state.tokens
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if not entries or scheme.lower() != "bearer" or not given.strip():
        return False
    return auth.identify(entries, given.strip()) is not None


AuthenticatedDep = Annotated[bool, Depends(get_authenticated)]

DATE_HELP = "A date at year, month or day precision: 2023, 2023-11 or 2023-11-03."
#: the shape of a date; whether the day exists (2023-02-30) is checked after, and answered 422 naming the parameter
DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
NATION_PATTERN = r"^([A-Za-z]{2,3})$"
ID_PATTERN = SLUG_PATTERN


async def get_filters(
    since: Annotated[str | None, Query(description=f"Only agreements dated on or after this. {DATE_HELP}",
                                       pattern=DATE_PATTERN, examples=["2023-11"])] = None,
    until: Annotated[str | None, Query(description=f"Only agreements dated on or before this. {DATE_HELP}",
                                       pattern=DATE_PATTERN)] = None,
    kind: Annotated[list[AgreementKind] | None, Query(description="Agreement kinds (repeat for several).",
                                                      max_length=8)] = None,
    domain: Annotated[list[Domain] | None, Query(description="Domains (repeat for several).", max_length=5)] = None,
    framework: Annotated[str | None, Query(description="Framework id, e.g. jucip.", max_length=120,
                                           pattern=ID_PATTERN)] = None,
    nation: Annotated[str | None, Query(description="ISO 3166-1 code (JP, JPN, US, KR, CA …; EU).",
                                        pattern=NATION_PATTERN)] = None,
) -> Filters:
    return Filters(since=since, until=until, kinds=tuple(k.value for k in kind or ()),
                   domains=tuple(d.value for d in domain or ()),
                   framework=framework, nation=nation)


FiltersDep = Annotated[Filters, Depends(get_filters)]
