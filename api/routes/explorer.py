"""``GET /``: the explorer, one page that works on one canvas, and the JSON the canvas is drawn from.

The page is plain HTML (``qgraph.viz`` templates/explorer.html.j2), plain JavaScript modules and CSS from the
package (``qgraph.viz`` static/explorer/, served under ``/static/explorer/``) and vis-network from pyvis's wheel (the
same build the maps inline, served as ``/static/vis-network.min.js``): no build step, no CDN. Its
Content-Security-Policy allows scripts, styles, images and requests from the page's own origin only, so an injected
name can neither run nor fetch anything; the scripts put every string from the data into the page with
``textContent``. The labels of node kinds and enum members (both languages), their colours and shapes are the schema
declaration's, embedded in the page as a JSON data block (``Schema.client_view``): the scripts name none of their own.

``POST /explorer/graph`` draws a canvas: the entities it names (and, for ``expand``, their partners under the given
filters) as the maps draw them (``qgraph.viz.drawing``: colours and shapes per kind, a line per pair of parties,
precomputed layout and physics off past a size), with every agreement's kind, dates, domains, framework and
citations so that the page filters without asking again. Bounded: at most ``MAX_CANVAS`` entities, ``MAX_EXPAND``
expansions per request. A POST because a canvas of a thousand ids does not fit in a URL; it writes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from qgraph import __version__
from qgraph.api.deps import DATE_PATTERN, ID_PATTERN, QueriesDep
from qgraph.model import AgreementKind, Domain, NodeKind
from qgraph.queries import Filters
from qgraph.schema import SCHEMA
from qgraph.store import AgreementFilter
from qgraph.viz import MapOptions, build
from qgraph.viz.drawing import agreement_kind
from qgraph.viz.html import VIS_VERSION, assets, env, network_data

router = APIRouter(tags=["explorer"])

MAX_CANVAS = 2_000
MAX_EXPAND = 20
#: the page's own origin only; vis-network draws on a canvas and positions its tooltip through the CSSOM, which
#: style-src does not govern, so no 'unsafe-inline' is needed
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
#: what the page shows of the declaration (read once: the declaration does not change while the process runs)
_SCHEMA_VIEW = SCHEMA.client_view()
_STATIC_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=3600"}

Id = Annotated[str, Field(max_length=120, pattern=ID_PATTERN)]


class CanvasFilters(BaseModel):
    """The filters ``expand`` follows (the page applies them to what is drawn itself)."""

    model_config = ConfigDict(extra="forbid")
    since: Annotated[str | None, Field(pattern=DATE_PATTERN)] = None
    until: Annotated[str | None, Field(pattern=DATE_PATTERN)] = None
    kind: Annotated[list[AgreementKind], Field(max_length=8)] = []
    domain: Annotated[list[Domain], Field(max_length=5)] = []
    framework: Annotated[str | None, Field(max_length=120, pattern=ID_PATTERN)] = None

    def filters(self) -> Filters:
        return Filters(since=self.since, until=self.until, kinds=tuple(k.value for k in self.kind),
                       domains=tuple(d.value for d in self.domain), framework=self.framework)


class CanvasRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entities: Annotated[list[Id], Field(max_length=MAX_CANVAS, description="Entity ids on the canvas.")] = []
    expand: Annotated[list[Id], Field(max_length=MAX_EXPAND,
                                      description="Add these entities' partners (under the filters).")] = []
    lang: Literal["en", "ja"] = "en"
    filters: CanvasFilters = CanvasFilters()


def agreement_facts(queries: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """What the page filters and shows an agreement by: kind, dates, domains, framework, parties, citations."""
    if not ids:
        return {}
    _, rows = queries.store.agreements(AgreementFilter(ids=tuple(sorted(ids))), len(ids), 0)
    out = {}
    for row in rows:
        p = row.node.properties
        out[row.node.id] = {
            "id": row.node.id, "name": p.get("name"), "name_ja": p.get("name_ja"), "kind": agreement_kind(row.node),
            "date": p.get("date"), "from": p.get("date_from"), "to": p.get("date_to"), "status": p.get("status"),
            "domains": list(p.get("domains", [])), "external": bool(p.get("external")),
            "external_note": p.get("external_note"),
            "framework": row.framework.model_dump() if row.framework else None,
            "parties": [r.id for r in row.parties],
            "sources": [c.model_dump(mode="json", exclude_none=True) for c in row.node.sources]}
    return out


@router.post("/explorer/graph")
def canvas(queries: QueriesDep, body: CanvasRequest) -> dict[str, Any]:
    """The explorer's canvas: these entities (plus the partners of ``expand`` under the filters) drawn as the maps
    draw them, as vis-network records, with the legend and every agreement's facts and citations."""
    result = queries.canvas_graph(body.entities, expand=body.expand, filters=body.filters.filters(),
                                  max_nodes=MAX_CANVAS)
    drawing = build(result, replace(MapOptions(lang=body.lang), aggregate="none"))
    built = network_data(drawing)
    # the canvas's hover tip is short (the panel has the rest): names, kind line and a few agreements, no quotes
    for record in (*built["data"]["nodes"], *built["data"]["edges"]):
        record.pop("search", None)  # the page searches through the API
        tip = record.get("tip") or {}
        record["tip"] = {"title": tip.get("title"), "alt": tip.get("alt"), "sub": tip.get("sub"),
                         "agreements": [{"name": a.get("name"), "kind": a.get("kind"), "date": a.get("date")}
                                        for a in (tip.get("agreements") or [])[:4]]}
    agreements = [n.id for n in result.nodes if n.kind == NodeKind.AGREEMENT]
    return {"title": result.title, "truncated": result.truncated, "data_version": result.data_version,
            "notices": drawing.notices, "entities": [n.id for n in result.nodes if n.kind != NodeKind.AGREEMENT],
            "physics": drawing.physics, **built, "agreements": agreement_facts(queries, agreements),
            "names": {n.id: [n.name, n.name_ja] for n in result.nodes if n.kind != NodeKind.AGREEMENT}}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def explorer(request: Request) -> HTMLResponse:
    """The explorer page; its state (entities, filters, language, selection) is read from the URL by the script."""
    # the page asks /suggest and /resolve only where this server has them (else /search): no probing 404s
    paths = request.app.openapi()["paths"]  # built once, then cached by FastAPI (routes of included routers too)
    page = env.get_template("explorer.html.j2").render(version=__version__, vis_version=VIS_VERSION,
                                                        suggest="/suggest" in paths, resolve="/resolve" in paths,
                                                        schema=_SCHEMA_VIEW)
    return HTMLResponse(page, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                                       "Referrer-Policy": "no-referrer"})


@router.get("/static/vis-network.min.js", include_in_schema=False)
def vis_js() -> Response:
    """vis-network from pyvis's wheel (version checked, source-map comment dropped), as the maps inline it."""
    return Response(assets().vis_js, media_type="text/javascript; charset=utf-8", headers=_STATIC_HEADERS)


@router.get("/static/vis-network.css", include_in_schema=False)
def vis_css() -> Response:
    return Response(assets().vis_css, media_type="text/css; charset=utf-8", headers=_STATIC_HEADERS)
