"""Write endpoints, behind named bearer tokens with a role (``qgraph.auth``). Without any token configured the
service is read-only (403 ``read_only``); a missing or unknown token answers 401 and a token whose role is too low
403, and neither says whether some other token exists. What a reload loads comes from the server's settings
(``QGRAPH_RELOAD_PATHS``), never from the request.

``require_role("editor")`` is the dependency other write endpoints use: it returns the token's name, which is the
actor of the changeset the request writes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from qgraph import auth
from qgraph.api.responses import error_response
from qgraph.loaders import DatasetError, default_data_dir, read_graph
from qgraph.store import DEFAULT_DATASET, RevertConflict, Write

router = APIRouter(prefix="/admin", tags=["admin"])
bearer = HTTPBearer(auto_error=False)


class ReloadResult(BaseModel):
    data_version: str
    before: dict[str, Any]
    after: dict[str, Any]
    changeset: int | None = None
    recorded: bool = True


class RevertResult(BaseModel):
    reverted: int
    changeset: int | None
    data_version: str


class AdminRefused(Exception):
    def __init__(self, status: int, error: str, detail: str) -> None:
        self.status, self.error, self.detail = status, error, detail


def require_role(role: auth.Role) -> Callable[..., Awaitable[str]]:
    """A dependency that admits a bearer token of ``role`` (or higher) and returns the token's name."""

    async def check(request: Request,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
        entries = request.app.state.tokens
        if not entries:
            raise AdminRefused(403, "read_only", "This service is read-only: no write token is configured.")
        entry = auth.identify(entries, credentials.credentials if credentials else "")
        if entry is None:
            raise AdminRefused(401, "unauthorized", "A valid bearer token is required.")
        if not auth.allows(entry.role, role):
            raise AdminRefused(403, "forbidden", f"This needs a token with the role {role}.")
        return entry.name

    return check


EditorDep = Annotated[str, Depends(require_role("editor"))]
AdminDep = Annotated[str, Depends(require_role("admin"))]
REFUSALS: dict[int | str, dict[str, Any]] = {401: {"description": "Missing or unknown token"},
                                             403: {"description": "Read-only service, or the token's role is too low"}}


@router.post("/reload", response_model=ReloadResult,
             responses={**REFUSALS, 422: {"description": "The configured data has problems; nothing was written"}})
def reload(request: Request, actor: AdminDep) -> Any:
    """Make the graph's curated facts equal to the configured data files (removals included), as one changeset,
    all-or-nothing; facts of other datasets (ingest) stay. An unchanged reload records nothing."""
    settings = request.app.state.settings
    paths = settings.reload_paths or [default_data_dir()]
    with request.app.state.open_writer() as store:
        try:
            graph = read_graph(paths, store)
        except DatasetError as exc:
            return error_response(422, "bad_data", [str(p) for p in exc.problems])
        try:
            result = store.commit(Write(graph=graph, replace=True, dataset=DEFAULT_DATASET), actor=actor,
                                  message="reload")
        except ValueError as exc:
            return error_response(422, "bad_data", [str(exc)])
    report, cs = result.report, result.changeset
    return ReloadResult(data_version=report.data_version, before=report.before.as_dict(),
                        after=report.after.as_dict(), changeset=cs.number if cs else None, recorded=cs is not None)


@router.post("/revert/{number}", response_model=RevertResult,
             responses={**REFUSALS, 404: {"description": "No such changeset"},
                        409: {"description": "Later changesets touched the same facts (named); force to revert"},
                        422: {"description": "A summary changeset cannot be reverted"}})
def revert(request: Request, actor: AdminDep, number: Annotated[int, Path(ge=1, le=10**12)],
           force: Annotated[bool, Query(description="Revert even when later changesets touched the same facts.")]
           = False) -> Any:
    """A new changeset that undoes changeset ``number``."""
    with request.app.state.open_writer() as store:
        try:
            result = store.revert(number, actor=actor, force=force)
        except RevertConflict as exc:
            return error_response(409, "conflict", str(exc), later=exc.later)
        except LookupError as exc:
            return error_response(404, "not_found", str(exc))
        except ValueError as exc:
            return error_response(422, "not_revertable", str(exc))
    cs = result.changeset
    return RevertResult(reverted=number, changeset=cs.number if cs else None, data_version=result.report.data_version)


#: the admin check as a plain dependency (``Depends(require_admin)``), for routes written before named tokens
require_admin = require_role("admin")
