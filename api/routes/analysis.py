from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qgraph.api.deps import FiltersDep, QueriesDep
from qgraph.queries import MAX_LIMIT
from qgraph.results import BrokersResult, CommunitiesResult

router = APIRouter(prefix="/analysis", tags=["analysis"])


@router.get("/brokers", response_model=BrokersResult)
def brokers(queries: QueriesDep, filters: FiltersDep,
            limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20) -> BrokersResult:
    """Who bridges otherwise separate groups: betweenness centrality over the party–agreement graph."""
    return queries.brokers(filters, limit=limit)


@router.get("/communities", response_model=CommunitiesResult)
def communities(queries: QueriesDep, filters: FiltersDep,
                min_size: Annotated[int, Query(ge=1, le=1000)] = 2) -> CommunitiesResult:
    """Groups of parties tied by shared agreements (Louvain on the weighted party projection)."""
    return queries.communities(filters, min_size=min_size)
