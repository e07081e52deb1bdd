"""Error responses: a JSON body ``{"error": …, "detail": …}`` and the right status; never a stack trace.

404 names the unknown id, 422 names the bad parameter, 503 says the store cannot be reached (retry later).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from qgraph.api.responses import error_response
from qgraph.api.routes.admin import AdminRefused
from qgraph.queries import Ambiguous, BadParameter, NotFound, TooExpensive
from qgraph.results import Suggestion
from qgraph.store import StoreError, StoreUnavailable

log = logging.getLogger("qgraph.api")


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str


class ErrorBody(BaseModel):
    """Every error response: a short code and a detail (a message, or one item per bad parameter); a 404 for a name
    adds up to five ``suggestions``, a 409 (ambiguous name) the ``candidates``."""

    error: str
    detail: str | list[ErrorItem]
    suggestions: list[Suggestion] | None = None
    candidates: list[Suggestion] | None = None


#: documented on every operation (FastAPI's own 422 schema is replaced: our 422 has this shape)
RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody, "description": "Unknown id or name (named in the detail, with suggestions)"},
    409: {"model": ErrorBody, "description": "A name that several entities answer to (the candidates listed)"},
    422: {"model": ErrorBody, "description": "Bad parameter (named in each item's loc), or a request that would need "
                                            "more work than one request may do (too_expensive: narrow it)"},
    429: {"model": ErrorBody, "description": "Too many expensive requests at once in this process; retry after "
                                             "Retry-After seconds"},
    500: {"model": ErrorBody, "description": "Unexpected error (logged on the server)"},
    503: {"model": ErrorBody, "description": "The graph database cannot be reached or did not answer in time"},
}


def install(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, "not_found", str(exc),
                              suggestions=[s.model_dump(mode="json") for s in exc.suggestions])

    @app.exception_handler(Ambiguous)
    async def ambiguous(_: Request, exc: Ambiguous) -> JSONResponse:
        return error_response(409, "ambiguous", str(exc),
                              candidates=[c.model_dump(mode="json") for c in exc.candidates])

    @app.exception_handler(AdminRefused)
    async def refused(_: Request, exc: AdminRefused) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.error, exc.detail, headers=headers)

    @app.exception_handler(BadParameter)
    async def bad_parameter(_: Request, exc: BadParameter) -> JSONResponse:
        return error_response(422, "bad_parameter", [{"loc": ["query", exc.param], "msg": str(exc)}])

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "bad_parameter", [{"loc": list(e["loc"]), "msg": f"{e['loc'][-1]}: {e['msg']}"}
                                                     for e in exc.errors()])

    @app.exception_handler(TooExpensive)
    async def too_expensive(_: Request, exc: TooExpensive) -> JSONResponse:
        return error_response(422, "too_expensive", str(exc))

    @app.exception_handler(StoreUnavailable)
    async def unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        log.warning("store unavailable: %s", exc)
        return error_response(503, "store_unavailable",
                              "The graph database cannot be reached right now; try again shortly.",
                              headers={"Retry-After": "5"})

    @app.exception_handler(StoreError)
    async def store_error(_: Request, exc: StoreError) -> JSONResponse:
        log.error("store error: %s", exc)
        return error_response(503, "store_error", "The graph database could not answer this query.")

    # Anything else: the 500 of ``qgraph.api.middleware.CatchAll`` (a handler here would run in Starlette's
    # ServerErrorMiddleware, which re-raises after answering, and the server would then drop the connection).
