from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qgraph.api.deps import ID_PATTERN, FiltersDep, QueriesDep
from qgraph.model import NodeKind
from qgraph.queries import MAX_LIMIT, MAX_OFFSET
from qgraph.results import EntityDetail, PartnersResult, SearchResult

router = APIRouter(tags=["entities"])
IdPath = Annotated[str, Path(description="Entity id, e.g. aist.", max_length=120, pattern=ID_PATTERN)]


@router.get("/search", response_model=SearchResult)
def search(
    queries: QueriesDep,
    q: Annotated[str, Query(description="Name or alias, English or Japanese (産総研, aist, ＡＩＳＴ …).",
                            min_length=1, max_length=200)],
    kind: Annotated[list[NodeKind] | None, Query(description="Only these entity kinds.", max_length=7)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> SearchResult:
    """Entities by name or alias (normalised: Unicode width, case, spacing); exact matches first."""
    return queries.search(q, kinds=tuple(k.value for k in kind or ()), limit=limit, offset=offset)


@router.get("/entities/{entity_id}", response_model=EntityDetail, responses={404: {"description": "Unknown id"}})
def entity(queries: QueriesDep, entity_id: IdPath) -> EntityDetail:
    """An entity's properties, names, aliases, citations, degree and relations."""
    return queries.entity(entity_id)


@router.get("/entities/{entity_id}/partners", response_model=PartnersResult,
            responses={404: {"description": "Unknown id"}})
def partners(queries: QueriesDep, entity_id: IdPath, filters: FiltersDep) -> PartnersResult:
    """Counterparts of the entity in agreements, with the agreements that link them. ``nation`` narrows the
    counterparts; the other filters narrow the agreements."""
    return queries.partners(entity_id, filters)
