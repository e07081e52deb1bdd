"""Write endpoints. The service is read-only unless ``QGRAPH_ADMIN_TOKEN`` is set; then these require it as a
bearer token. What a reload loads comes from the server's settings (``QGRAPH_RELOAD_PATHS``), never from the request.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from qgraph.loaders import DatasetError, default_data_dir, read_graph

router = APIRouter(prefix="/admin", tags=["admin"])
bearer = HTTPBearer(auto_error=False)


class ReloadResult(BaseModel):
    data_version: str
    before: dict[str, Any]
    after: dict[str, Any]


class AdminRefused(Exception):
    def __init__(self, status: int, error: str, detail: str) -> None:
        self.status, self.error, self.detail = status, error, detail


def require_admin(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    token = request.app.state.settings.admin_token
    if token is None:
        raise AdminRefused(403, "read_only", "This service is read-only: no QGRAPH_ADMIN_TOKEN is configured.")
    given = credentials.credentials if credentials else ""
    # compare_digest: the time taken does not tell how much of a guess was right.
    if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise AdminRefused(401, "unauthorized", "A valid admin bearer token is required.")


@router.post("/reload", response_model=ReloadResult, dependencies=[Depends(require_admin)],
             responses={401: {"description": "Missing or wrong token"}, 403: {"description": "Read-only service"},
                        422: {"description": "The configured data has problems; nothing was written"}})
def reload(request: Request) -> Any:
    """Validate and load the configured data files into the store (all-or-nothing, idempotent)."""
    settings = request.app.state.settings
    paths = settings.reload_paths or [default_data_dir()]
    with request.app.state.open_writer() as store:
        try:
            graph = read_graph(paths, store)
        except DatasetError as exc:
            return JSONResponse(status_code=422, content={"error": "bad_data",
                                                          "detail": [str(p) for p in exc.problems]})
        report = store.load(graph)
    return ReloadResult(data_version=report.data_version, before=report.before.as_dict(),
                        after=report.after.as_dict())
