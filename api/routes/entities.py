from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qgraph.api.deps import FiltersDep, QueriesDep
from qgraph.results import EntityDetail, PartnersResult

router = APIRouter(tags=["entities"])
IdPath = Annotated[str, Path(description="Entity id (aist) or a name that resolves to one entity (Tohoku Univ, 東北大); "
                                         "404 with suggestions when nothing matches, 409 with the candidates when "
                                         "ambiguous.", max_length=500)]


@router.get("/entities/{entity_id}", response_model=EntityDetail, responses={404: {"description": "Unknown id or name"}, 409: {"description": "Ambiguous name"}})
def entity(queries: QueriesDep, entity_id: IdPath) -> EntityDetail:
    """An entity's properties, names, aliases, citations, degree and relations."""
    return queries.entity(entity_id)


@router.get("/entities/{entity_id}/partners", response_model=PartnersResult,
            responses={404: {"description": "Unknown id or name"}, 409: {"description": "Ambiguous name"}})
def partners(queries: QueriesDep, entity_id: IdPath, filters: FiltersDep) -> PartnersResult:
    """Counterparts of the entity in agreements, with the agreements that link them. ``nation`` narrows the
    counterparts; the other filters narrow the agreements."""
    return queries.partners(entity_id, filters)
