"""History: what changed between two versions (for a briefing), the changesets, and each entity's history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qgraph.api.deps import ID_PATTERN, StoreDep
from qgraph.changes import ChangesBriefing, EntityHistory, HistoryPage, MAX_PAGE, briefing, changeset_detail
from qgraph.changes import entity_history as entity_history_of
from qgraph.changes import history_page
from qgraph.history import Changeset

router = APIRouter(tags=["history"])
POINT_HELP = ("A changeset number (the graph after it; 0: before the first), a data version (16 hex digits) or a "
              "UTC date/time: 2026-11, 2026-11-01, 2026-11-01T09:00:00.")
POINT_PATTERN = r"^[0-9A-Za-z:+\-]{1,25}$"


@router.get("/changes", response_model=ChangesBriefing)
def changes(
    store: StoreDep,
    since: Annotated[str, Query(description=f"From this point. {POINT_HELP}", pattern=POINT_PATTERN,
                                examples=["2026-11-01"])],
    until: Annotated[str | None, Query(description=f"Up to this point (default: now). {POINT_HELP}",
                                       pattern=POINT_PATTERN)] = None,
) -> ChangesBriefing:
    """What changed in the graph between two versions, folded (a fact added then removed does not appear) and grouped
    for a briefing: agreements and entities added, removed and changed (old and new values), partnerships connected
    and disconnected, other relations; each with its citations."""
    return briefing(store, since, until)


@router.get("/history", response_model=HistoryPage)
def history(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="At most this many changesets.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10**12, description="Skip this many (newest first).")] = 0,
) -> HistoryPage:
    """The recorded changesets, newest first: number, time, actor, message, documents, counts, data versions."""
    return history_page(store, limit, offset)


@router.get("/history/{number}", response_model=Changeset)
def changeset(store: StoreDep, number: Annotated[int, Path(ge=0, le=10**12)]) -> Changeset:
    """One changeset with its whole diff (each node and edge before and after)."""
    return changeset_detail(store, number)


@router.get("/entities/{entity_id}/history", response_model=EntityHistory)
def entity_history(
    store: StoreDep,
    entity_id: Annotated[str, Path(max_length=120, pattern=ID_PATTERN)],
) -> EntityHistory:
    """Every changeset that touched the entity or its agreements, with the old and new values."""
    return entity_history_of(store, entity_id)
