from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from qgraph import __version__
from qgraph.api.deps import AuthenticatedDep, LiveStoreDep
from qgraph.store import StoreError

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    store: str
    reachable: bool
    server: str | None = None
    data_version: str | None = None
    loaded_at: str | None = None
    counts: dict[str, Any] | None = None
    detail: str | None = None


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(store: LiveStoreDep, authenticated: AuthenticatedDep) -> Any:
    """Store kind, whether it answers, what it holds and which data version; 503 when the store is unreachable.
    ``server`` (the store's file or the database's version) only for a caller with a token: it tells an attacker
    where to look. The store is not pinned to a version here: it must answer when no read transaction opens."""
    try:
        server = store.ping()
        counts = store.counts().as_dict()
        meta = store.meta()
    except StoreError:
        body = Health(status="unavailable", version=__version__, store=store.kind, reachable=False,
                      detail="The graph database cannot be reached.")
        return JSONResponse(status_code=503, content=body.model_dump())
    return Health(status="ok", version=__version__, store=store.kind, reachable=True, server=server if authenticated else None,
                  data_version=meta.get("data_version"), loaded_at=meta.get("loaded_at"), counts=counts)
