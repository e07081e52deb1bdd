"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) that work offline: their files come from the fastapi-offline wheel
(``qgraph.api.app`` builds the app with ``FastAPIOffline``, which serves Swagger UI under ``/static/docs``).

ReDoc's bundle draws a "Redocly" logo from the vendor's CDN in its sidebar, unconditionally; the copy served here
points that image at the packaged favicon instead, so opening ``/redoc`` makes no request beyond this server.
"""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def redoc_js() -> str:
    text = (resources.files("fastapi_offline") / "static" / "redoc.standalone.js").read_text(encoding="utf-8")
    if _LOGO not in text:
        raise RuntimeError("fastapi-offline's ReDoc no longer names its CDN logo: check /redoc offline again")
    return text.replace(_LOGO, "/static/docs/favicon.png")


@router.get("/static/redoc.standalone.js")
def redoc_script() -> Response:
    return Response(redoc_js(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_redoc_html(openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} - ReDoc",
                          redoc_js_url=f"{root}/static/redoc.standalone.js", with_google_fonts=False,
                          redoc_favicon_url=f"{root}/static/docs/favicon.png")
