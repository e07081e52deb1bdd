from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qgraph.api.deps import FiltersDep, QueriesDep
from qgraph.queries import MAX_HOPS, MAX_K
from qgraph.results import PathsResult

router = APIRouter(tags=["paths"])


@router.get("/paths", response_model=PathsResult, responses={404: {"description": "Unknown id or name"}, 409: {"description": "Ambiguous name"}})
def paths(
    queries: QueriesDep,
    filters: FiltersDep,
    source: Annotated[str, Query(description="Entity id or name where the path starts (kriss, Tohoku Univ …).",
                                 max_length=500)],
    target: Annotated[str, Query(description="Entity id or name where the path ends.", max_length=500)],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="At most this many paths.")] = 3,
    max_hops: Annotated[int, Query(ge=1, le=MAX_HOPS, description="At most this many agreements per path.")] = 6,
) -> PathsResult:
    """Shortest partnership paths: each step is entity → agreement → entity, with dates and citations, and a
    plain-English summary of each path. ``nation`` is ignored here."""
    return queries.paths(source, target, k=k, max_hops=max_hops, filters=filters)
