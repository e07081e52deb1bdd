"""The one shape of every error answer, ``{"error": code, "detail": …}`` (``errors.ErrorBody``), made in one place:
by the exception handlers (``qgraph.api.errors``), the routes that refuse a write, and the ASGI guards
(``qgraph.api.middleware``), which answer before a route runs. Its own module so that each of them can import it
(``errors`` imports the routes' exceptions)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


def error_response(status: int, error: str, detail: Any, *, headers: dict[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    """``extra``: further members of the body (``suggestions``, ``candidates``, ``later``)."""
    return JSONResponse(status_code=status, headers=headers, content={"error": error, "detail": detail, **extra})
