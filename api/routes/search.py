"""Search, resolution and autocomplete: ``/search``, ``/resolve``, ``/suggest`` (the engine is ``qgraph.search``).

The query text is checked by the query layer (``qgraph.search.check_text``): empty or white space, longer than 500
characters, control characters or lone surrogates answer 422 naming ``q``. Lucene syntax in it is searched
literally on both stores."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qgraph.api.deps import QueriesDep
from qgraph.model import NodeKind
from qgraph.queries import MAX_LIMIT, MAX_OFFSET, MAX_SUGGEST
from qgraph.results import Resolution, SearchResult, SuggestResult

router = APIRouter(tags=["search"])
# No length bound here: the query layer answers 422 naming q past 500 characters, as for every other check.
QText = Annotated[str, Query(description="What a person typed: a name, alias or id, English or Japanese (産総研, "
                                         "Tohoku Univ, ＡＩＳＴ …); at most 500 characters.")]
KindQ = Annotated[list[NodeKind] | None, Query(description="Only these entity kinds.", max_length=7)]


def _kinds(kind: list[NodeKind] | None) -> tuple[str, ...]:
    return tuple(k.value for k in kind or ())


@router.get("/search", response_model=SearchResult)
def search(
    queries: QueriesDep,
    q: QText,
    kind: KindQ = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> SearchResult:
    """Entities by name, alias or description: words in any order, plurals and abbreviations, typos, Japanese with or
    without spaces. Each hit says which field matched and why it ranks there; no hit: ``did_you_mean``."""
    return queries.search(q, kinds=_kinds(kind), limit=limit, offset=offset)


@router.get("/resolve", response_model=Resolution)
def resolve(queries: QueriesDep, q: QText, kind: KindQ = None) -> Resolution:
    """What entity a text names: ``verdict`` match (``match`` set), ambiguous (the ``candidates`` as good as the
    best) or none (the closest names)."""
    return queries.resolve(q, _kinds(kind))


@router.get("/suggest", response_model=SuggestResult)
def suggest(
    queries: QueriesDep,
    q: QText,
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGEST)] = 10,
    kind: KindQ = None,
) -> SuggestResult:
    """Autocomplete for input fields: entities whose names or aliases (either language) begin the typed words, the
    last word as a prefix."""
    return queries.suggest(q, limit=limit, kinds=_kinds(kind))
