"""Dependencies: the store opened in the app's lifespan, the query layer over it, and the shared query parameters.

They are ``async def`` because none of them blocks: FastAPI runs a plain ``def`` dependency in its thread pool, a
thread hop per dependency per request. The route functions stay ``def`` (the store's calls block) and run there."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Query, Request

from qgraph.model import SLUG_PATTERN, AgreementKind, Domain
from qgraph.queries import Filters, Queries
from qgraph.store import Store


async def get_store(request: Request) -> Store:
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]


async def get_queries(store: StoreDep) -> Queries:
    return Queries(store)


QueriesDep = Annotated[Queries, Depends(get_queries)]


async def get_authenticated(request: Request) -> bool:
    """Whether the request carries a configured token (``QGRAPH_ADMIN_TOKEN``) as a bearer token. Reads need none;
    this only decides how much an answer says about the deployment (``/health`` names the server to them alone)."""
    token = request.app.state.settings.admin_token
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if token is None or scheme.lower() != "bearer" or not given:
        return False
    return secrets.compare_digest(given.strip().encode(), token.get_secret_value().encode())


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
