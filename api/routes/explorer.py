"""``GET /``: a small explorer page for people who do not write requests.

Server-rendered from one autoescaping template (``qgraph.viz`` templates/explorer.html.j2), plain HTML forms, no
script and no external resource (its Content-Security-Policy forbids both). It searches by name or alias in either
language, opens an ego map, finds the paths between two entities (typed as ids or names), narrows by date and
agreement kind, and links the current view in every export format. Errors (unknown id, bad date) show on the page.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from qgraph.api.deps import QueriesDep
from qgraph.model import AgreementKind
from qgraph.queries import MAX_DEPTH, BadParameter, Filters, NotFound, Queries
from qgraph.results import EntityRef
from qgraph.viz import FORMATS, style
from qgraph.viz.html import env

router = APIRouter(tags=["explorer"])

_LABELS = {"gexf": "GEXF (Gephi)", "graphml": "GraphML", "csv": "CSV (zip)", "json": "JSON", "png": "PNG",
           "svg": "SVG"}
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'self'")


def _resolve(queries: Queries, text: str | None, param: str) -> EntityRef | None:
    """An entity from an id or a name/alias (the best search hit)."""
    if not text or not text.strip():
        return None
    ref = queries.store.entity_refs([text.strip()]).get(text.strip())
    if ref:
        return ref
    hits = queries.search(text, limit=1).hits
    if not hits:
        raise BadParameter(param, f"nothing found for {text!r}")
    return hits[0].entity


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def explorer(
    queries: QueriesDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    focus: Annotated[str | None, Query(max_length=200)] = None,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 1,
    source: Annotated[str | None, Query(max_length=200)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    kind: Annotated[list[str] | None, Query(max_length=20)] = None,
    lang: Annotated[str, Query(pattern="^(en|ja)$")] = "en",
    action: Annotated[str | None, Query(pattern="^(search|map|path)$")] = None,
) -> HTMLResponse:
    """One form, three buttons: ``action`` says which view to open (search, or none: a path if an end is given, else
    the ego map of ``focus`` if given)."""
    errors: list[str] = []
    hits: list[Any] = []
    notes: list[str] = []
    view: dict[str, Any] | None = None
    filters = {"since": since or None, "until": until or None, "kind": kind or []}
    try:
        Filters(since=filters["since"], until=filters["until"], kinds=tuple(filters["kind"])).agreement_filter()
    except BadParameter as exc:
        errors.append(str(exc))
        filters = {"since": None, "until": None, "kind": []}
    if q and q.strip():
        try:
            hits = queries.search(q, limit=20).hits
        except BadParameter as exc:
            errors.append(str(exc))
    try:
        mode = action if action in ("map", "path") else "path" if (source or target) else "map" if focus else None
        if mode == "path":
            a, b = _resolve(queries, source, "source"), _resolve(queries, target, "target")
            if a is None or b is None:
                raise BadParameter("target" if a else "source", "give both ends of the path")
            view = {"source": a.id, "target": b.id}
            notes.append(f"Paths from {a.name} ({a.id}) to {b.name} ({b.id}).")
            found = queries.paths(a.id, b.id, filters=Filters(since=filters["since"], until=filters["until"],
                                                              kinds=tuple(filters["kind"])))
            if not found.paths:
                notes.append("No partnership path within 6 agreements for these filters.")
            for p in found.paths:
                notes.append(p.summary)
        elif mode == "map":
            ref = _resolve(queries, focus, "focus")
            if ref is None:
                raise BadParameter("focus", "type a name, alias or id to open its map")
            view = {"focus": ref.id, "depth": depth}
            notes.append(f"Ego map of {ref.name} ({ref.id}), depth {depth}.")
    except (BadParameter, NotFound) as exc:
        errors.append(str(exc))
        view = None
    params: dict[str, Any] = {}
    if view:
        params = {**view, **{k: v for k, v in filters.items() if v}, "lang": lang}
    qs = urlencode(params, doseq=True)
    page = env.get_template("explorer.html.j2").render(
        q=q or "", focus=(view or {}).get("focus", focus or ""), depth=depth, source=source or "",
        target=target or "", filters=filters, lang=lang, hits=hits, errors=errors, notes=notes, view=view,
        map_url=f"/export/map.html?{qs}" if view else None,
        downloads=[("HTML map", f"/export/map.html?{qs}&download=true")] +
                  [(_LABELS[name], f"/export/{name}?{qs}") for name in FORMATS if name != "html"] if view else [],
        kinds=[(k.value, style.AGREEMENT_LABEL[k]) for k in AgreementKind], max_depth=MAX_DEPTH,
        link=lambda **kw: "/?" + urlencode({k: v for k, v in {**{kk: vv for kk, vv in filters.items() if vv},
                                                               "lang": lang, "depth": depth, **kw}.items()
                                            if v not in (None, "", [])}, doseq=True))
    return HTMLResponse(page, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})
