from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from qgraph.api.deps import DATE_PATTERN, FiltersDep, QueriesDep
from qgraph.queries import MAX_LIMIT, MAX_OFFSET
from qgraph.results import AgreementsResult, TimelineResult

router = APIRouter(tags=["agreements"])


@router.get("/agreements", response_model=AgreementsResult)
def agreements(
    queries: QueriesDep,
    filters: FiltersDep,
    party: Annotated[str | None, Query(description="Only agreements this entity (an id or a name) is a party to.",
                                       max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AgreementsResult:
    """Agreements, sorted by date (undated last), filtered by party, kind, domain, framework, nation and dates."""
    return queries.agreements(replace(filters, party=party), limit=limit, offset=offset)


@router.get("/timeline", response_model=TimelineResult)
def timeline(
    queries: QueriesDep,
    filters: FiltersDep,
    granularity: Annotated[Literal["year", "month"], Query()] = "year",
) -> TimelineResult:
    """Agreements and strategies per year or month."""
    return queries.timeline(filters, granularity=granularity)
