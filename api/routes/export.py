"""Exports over HTTP: ``GET /export/map.html`` (the map, shown in the browser) and ``GET /export/{format}``
(a download), with the parameters of ``qgraph export``: focus/depth, source/target, nation, all, and the filters.

Read-only (GET only). Bounded by ``max_nodes`` (≤ ``MAX_NODES``). Every response names its type and a file name
(Content-Disposition); HTML and SVG responses carry a Content-Security-Policy that forbids any request, so the map
behaves the same served here as opened from disk.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from qgraph.api.deps import ID_PATTERN, FiltersDep, QueriesDep
from qgraph.queries import MAX_DEPTH, MAX_HOPS, MAX_K, MAX_NODES, TooExpensive
from qgraph.changes import new_since
from qgraph.results import NewSince, SubgraphResult
from qgraph.viz import FORMATS, MapOptions, export, filename
from qgraph.viz.html import assets
from qgraph.viz.views import DEFAULT_MAX_NODES, subgraph

router = APIRouter(prefix="/export", tags=["export"])

ExportFormat = StrEnum("ExportFormat", {name: name for name in FORMATS})  # type: ignore[misc]


def view_params(
    queries: QueriesDep,
    filters: FiltersDep,
    focus: Annotated[str | None, Query(description="Ego map of this entity (an id or a name).", max_length=500)] = None,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH, description="Ego depth (with focus).")] = 1,
    source: Annotated[str | None, Query(description="Path view: entity (id or name) where the paths start.", max_length=500)] = None,
    target: Annotated[str | None, Query(description="Path view: entity (id or name) where the paths end.", max_length=500)] = None,
    all: Annotated[bool, Query(description="The whole graph (up to max_nodes).")] = False,  # noqa: A002
    max_nodes: Annotated[int, Query(ge=1, le=MAX_NODES, description="At most this many nodes.")] = DEFAULT_MAX_NODES,
    k: Annotated[int, Query(ge=1, le=MAX_K, description="Path view: at most this many paths.")] = 3,
    max_hops: Annotated[int, Query(ge=1, le=MAX_HOPS, description="Path view: at most this many agreements.")] = 6,
    changes_since: Annotated[str | None, Query(description="Mark what is new since this point (changeset number, "
                                                           "data version or date): highlighted and listed in the "
                                                           "legend.", pattern=r"^[0-9A-Za-z:+\-]{1,25}$")] = None,
) -> SubgraphResult:
    """The subgraph the parameters ask for. ``nation`` selects a nation's partnerships (not a filter here); with no
    view parameter, the agreements passing the filters."""
    result = subgraph(queries, focus=focus, depth=depth, source=source, target=target, nation=filters.nation,
                      everything=all, filters=replace(filters, nation=None), max_nodes=max_nodes, k=k,
                      max_hops=max_hops)
    if changes_since is None:
        return result
    point, nodes, edges = new_since(queries.store, changes_since)
    shown = {n.id for n in result.nodes}
    keys = {(e.type, e.source, e.target) for e in result.edges}
    return result.model_copy(update={"new_since": NewSince(
        since=changes_since, data_version=point.data_version, nodes=sorted(nodes & shown),
        edges=[list(k) for k in sorted(edges & keys)])})


def map_options(
    lang: Annotated[Literal["en", "ja"], Query(description="Labels in English or Japanese.")] = "en",
    size_by: Annotated[Literal["degree", "brokerage"], Query(description="Node size by degree or brokerage.")] = "degree",
    aggregate: Annotated[Literal["auto", "nation", "kind", "none"],
                         Query(description="Group entities (auto: by nation past 2,500 nodes).")] = "auto",
) -> MapOptions:
    return MapOptions(lang=lang, size_by=size_by, aggregate=aggregate)


#: most entities and agreements a served map, PNG or SVG draws one by one (aggregate=none): past it, drawing takes
#: tens of seconds of CPU (a 20,000-node map: ~10 s on the benchmark machine) and the browser could not show it anyway
MAX_DRAWN = 5_000


def _bounded(result: SubgraphResult, fmt: str, opts: MapOptions) -> None:
    """Refuse before drawing a picture that would cost more than one request may spend."""
    if fmt in ("html", "png", "svg") and opts.aggregate == "none" and len(result.nodes) > MAX_DRAWN:
        raise TooExpensive(f"the view has {len(result.nodes):,} nodes, more than the {MAX_DRAWN:,} a map draws one by "
                           "one; use aggregate=auto, nation or kind, a smaller max_nodes, or a data format "
                           "(gexf, graphml, csv, json)")


ViewDep = Annotated[SubgraphResult, Depends(view_params)]
OptionsDep = Annotated[MapOptions, Depends(map_options)]


def _headers(result: SubgraphResult, fmt: str, disposition: str) -> dict[str, str]:
    headers = {"Content-Disposition": f'{disposition}; filename="{filename(result, fmt)}"',
               "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    if fmt == "html":
        headers["Content-Security-Policy"] = assets().header_csp()
        headers["X-Frame-Options"] = "SAMEORIGIN"  # frame-ancestors for browsers that predate it
    elif fmt == "svg":
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    return headers


@router.get("/map.html", response_class=Response,
            responses={200: {"content": {"text/html": {}}, "description": "A self-contained HTML map"}})
def map_html(result: ViewDep, opts: OptionsDep,
             download: Annotated[bool, Query(description="Send as an attachment instead of showing it.")] = False,
             ) -> Response:
    """The map of the view as one self-contained HTML page (no external resources; opens offline)."""
    _bounded(result, "html", opts)
    return Response(export(result, "html", opts), media_type=FORMATS["html"].media_type,
                    headers=_headers(result, "html", "attachment" if download else "inline"))


@router.get("/{format}", response_class=Response,
            responses={200: {"content": {f.media_type.split(";")[0]: {} for f in FORMATS.values()},
                             "description": "The view in the chosen format, as a download"}})
def export_file(format: ExportFormat, result: ViewDep, opts: OptionsDep) -> Response:  # noqa: A002
    """The view as html, gexf, graphml, csv (a zip of nodes.csv and edges.csv), json, png or svg."""
    fmt = format.value
    _bounded(result, fmt, opts)
    return Response(export(result, fmt, opts), media_type=FORMATS[fmt].media_type,
                    headers=_headers(result, fmt, "attachment"))


_Id = Annotated[str, Field(max_length=120, pattern=ID_PATTERN)]


class CanvasExport(BaseModel):
    """Exactly what the explorer's canvas shows: these entities and these agreements among them."""

    model_config = ConfigDict(extra="forbid")
    entities: Annotated[list[_Id], Field(min_length=1, max_length=MAX_NODES)]
    agreements: Annotated[list[_Id] | None, Field(max_length=MAX_NODES, description=(
        "The agreements shown (default: every agreement with two or more parties among the entities)."))] = None
    lang: Literal["en", "ja"] = "en"
    size_by: Literal["degree", "brokerage"] = "degree"


@router.post("/{format}", response_class=Response,
             responses={200: {"content": {f.media_type.split(";")[0]: {} for f in FORMATS.values()},
                              "description": "The canvas in the chosen format, as a download"}})
def export_canvas(format: ExportFormat, body: CanvasExport, queries: QueriesDep) -> Response:  # noqa: A002
    """The explorer's view — exactly the entities and agreements it lists — in any export format. A POST because a
    canvas of many ids does not fit in a URL; it writes nothing."""
    fmt = format.value
    result = queries.canvas_graph(body.entities, agreements=body.agreements, max_nodes=MAX_NODES)
    result = result.model_copy(update={"query": {"view": "canvas"}})
    opts = MapOptions(lang=body.lang, size_by=body.size_by, aggregate="none")
    _bounded(result, fmt, opts)
    return Response(export(result, fmt, opts), media_type=FORMATS[fmt].media_type,
                    headers=_headers(result, fmt, "attachment"))
