"""Dependencies: the store opened in the app's lifespan, the query layer over it, and the shared query parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from qgraph.queries import Filters, Queries
from qgraph.store import Store


def get_store(request: Request) -> Store:
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]


def get_queries(store: StoreDep) -> Queries:
    return Queries(store)


QueriesDep = Annotated[Queries, Depends(get_queries)]

DATE_HELP = "A date at year, month or day precision: 2023, 2023-11 or 2023-11-03."


def get_filters(
    since: Annotated[str | None, Query(description=f"Only agreements dated on or after this. {DATE_HELP}",
                                       max_length=10, examples=["2023-11"])] = None,
    until: Annotated[str | None, Query(description=f"Only agreements dated on or before this. {DATE_HELP}",
                                       max_length=10)] = None,
    kind: Annotated[list[str] | None, Query(description="Agreement kinds (repeat for several): mou, moc, alliance, "
                                                        "joint-statement, cooperation-document, agreement, "
                                                        "letter-of-intent, other.", max_length=20)] = None,
    domain: Annotated[list[str] | None, Query(description="Domains (repeat for several): computing, "
                                                          "security-network, sensing-materials, education, industry.",
                                              max_length=20)] = None,
    framework: Annotated[str | None, Query(description="Framework id, e.g. jucip.", max_length=120)] = None,
    nation: Annotated[str | None, Query(description="ISO 3166-1 code (JP, US, KR, CA …; EU).", max_length=3)] = None,
) -> Filters:
    return Filters(since=since, until=until, kinds=tuple(kind or ()), domains=tuple(domain or ()),
                   framework=framework, nation=nation)


FiltersDep = Annotated[Filters, Depends(get_filters)]
