from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path

from qgraph.api.deps import NATION_PATTERN, FiltersDep, QueriesDep
from qgraph.results import NationPartnersResult

router = APIRouter(tags=["nations"])


@router.get("/nations/{code}/partners", response_model=NationPartnersResult,
            responses={404: {"description": "Nation not in the graph"}})
def nation_partners(
    queries: QueriesDep,
    filters: FiltersDep,
    code: Annotated[str, Path(description="ISO 3166-1 code: JP, JPN, US, KR, CA …, or EU.", pattern=NATION_PATTERN)],
) -> NationPartnersResult:
    """Counterpart nations with agreement counts and the agreements behind them (a party of this nation on one
    side, a party of the other on the other; institutions count for the nation they sit in)."""
    return queries.nation_partners(code, replace(filters, nation=None))
