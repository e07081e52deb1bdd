from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qgraph.api.deps import ID_PATTERN, FiltersDep, QueriesDep
from qgraph.queries import MAX_HOPS, MAX_K
from qgraph.results import PathsResult

router = APIRouter(tags=["paths"])


@router.get("/paths", response_model=PathsResult, responses={404: {"description": "Unknown id"}})
def paths(
    queries: QueriesDep,
    filters: FiltersDep,
    source: Annotated[str, Query(description="Entity id where the path starts.", max_length=120,
                                 pattern=ID_PATTERN)],
    target: Annotated[str, Query(description="Entity id where the path ends.", max_length=120, pattern=ID_PATTERN)],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="At most this many paths.")] = 3,
    max_hops: Annotated[int, Query(ge=1, le=MAX_HOPS, description="At most this many agreements per path.")] = 6,
) -> PathsResult:
    """Shortest partnership paths: each step is entity → agreement → entity, with dates and citations, and a
    plain-English summary of each path. ``nation`` is ignored here."""
    return queries.paths(source, target, k=k, max_hops=max_hops, filters=filters)
