"""The self-contained HTML map: pyvis builds the vis-network data, our own template renders the page.

pyvis (0.3.2, unmaintained since 2023) is used for what it does well — the node and edge records vis-network
expects, and the vis-network build it ships in its wheel — and for nothing else. Its page template and writers are
never called, because each has a trap: ``cdn_resources="in_line"`` still links Bootstrap from a CDN, ``"local"``
writes a ``lib/`` folder beside the file and even loads vis-network from a CDN, a title containing "href" switches to
a popup that inserts raw HTML, the heading goes in unescaped, ``write_html`` opens the file in the locale's encoding,
and ``add_edge`` scans every edge so far (quadratic on large graphs).

Invariants of the page this module writes:
- one file, no request: vis-network's JS and CSS, our script and style are inlined; the source-map comment is
  dropped; a Content-Security-Policy meta tag (``default-src 'none'``, scripts allowed only by their SHA-256) makes
  the browser refuse any fetch, and any script that is not ours, even if escaping ever failed;
- every string from the data is escaped (autoescaping Jinja2 for markup, ``|tojson`` for the data island, and
  ``textContent`` in map.js);
- the result is ``str``; writers encode it as UTF-8 themselves, whatever the locale.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass
from importlib import metadata, resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from qgraph import __version__, cancel
from qgraph.results import SubgraphResult
from qgraph.viz import style
from qgraph.viz.drawing import Drawing, MapOptions, build
from qgraph.viz.i18n import script_words, words

VIS_VERSION = "9.1.2"
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)

env = Environment(loader=PackageLoader("qgraph.viz", "templates"), autoescape=select_autoescape(default=True),
                  trim_blocks=False, lstrip_blocks=False)
# Japanese stays readable in the file (|tojson still escapes <, >, & and ' for the HTML context).
env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}


@dataclass(frozen=True)
class Assets:
    vis_js: str
    vis_css: str
    map_js: str
    map_css: str

    def csp(self) -> str:
        hashes = " ".join(f"'sha256-{_sha256(s)}'" for s in (self.vis_js, self.map_js))
        return (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
                "font-src data:; base-uri 'none'; form-action 'none'")

    def header_csp(self) -> str:
        """The policy for the HTTP header of a served map: the page's own plus ``frame-ancestors 'self'`` (only this
        site may frame it: no clickjacking). Browsers ignore ``frame-ancestors`` in a meta element, and Chromium
        warns about it there, so the file opened from disk carries ``csp()`` alone."""
        return self.csp() + "; frame-ancestors 'self'"


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _inline_safe(text: str, what: str) -> str:
    if "</script" in text.lower() or "<!--" in text:
        raise RuntimeError(f"{what} cannot be inlined: it contains '</script' or '<!--'")
    return _SOURCE_MAP.sub("", text)


@functools.cache
def assets() -> Assets:
    """The inlined files: vis-network from pyvis's wheel (version checked), our map.js and map.css."""
    lib = resources.files("pyvis") / "lib" / f"vis-{VIS_VERSION}"
    vis_js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    if f"@version {VIS_VERSION}" not in vis_js[:2000]:
        raise RuntimeError(f"pyvis does not ship vis-network {VIS_VERSION} where expected")
    static = resources.files("qgraph.viz") / "static"
    return Assets(vis_js=_inline_safe(vis_js, "vis-network.min.js"),
                  vis_css=_inline_safe((lib / "vis-network.css").read_text(encoding="utf-8"), "vis-network.css"),
                  map_js=_inline_safe((static / "map.js").read_text(encoding="utf-8"), "map.js"),
                  map_css=_inline_safe((static / "map.css").read_text(encoding="utf-8"), "map.css"))


def _darker(colour: str, factor: float = 0.7) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * factor) for c in (r, g, b)))


def _rgba(colour: str) -> str:
    """A line's colour as vis-network draws it: it turns a "#rrggbb" colour into "rgba(…)" with a regular expression
    for every line on every frame (overrideOpacity), and passes an rgba() string through, which on a canvas of 10,000
    lines is about 15 ms a frame saved."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},1)"


def vis_options(d: Drawing) -> dict[str, Any]:
    large = len(d.nodes) > 1_000
    font = {"face": style.FONT_STACK, "color": "#1d2733", "strokeWidth": 3, "strokeColor": "#ffffff"}
    nodes: dict[str, Any] = {"font": {**font, "size": 13}, "borderWidth": 1.2, "borderWidthSelected": 3}
    if not d.physics:
        # a large drawing: no label below about 8 px on screen (vis draws it when size × scale ≥ drawThreshold − 1).
        # A 2,000-entity canvas fitted to the window is at scale ~0.3, where every label is an unreadable 4 px smudge
        # that still costs a fillText per node per frame (a sixth of a frame's script time); zooming in shows them.
        nodes["scaling"] = {"label": {"drawThreshold": 9}}
        # and no border stroke: a second anti-aliased path per node per frame, which the colour and the shape do not
        # need (a selected or hovered node still gets its 3 px border: borderWidthSelected)
        nodes["borderWidth"] = 0
    return {
        "autoResize": True,
        "nodes": nodes,
        "edges": {"font": {**font, "size": 10, "color": "#4a5560", "align": "horizontal",
                           "background": "rgba(255,255,255,0.85)"},
                  "smooth": {"enabled": True, "type": "continuous", "roundness": 0.3} if d.physics else False,
                  "selectionWidth": 2, "hoverWidth": 1},
        "physics": {"enabled": d.physics, "solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -70, "centralGravity": 0.008, "springLength": 150,
                                         "springConstant": 0.06, "damping": 0.7, "avoidOverlap": 0.4},
                    # the nodes start from the precomputed layout: a short settling is enough
                    "stabilization": {"enabled": True, "iterations": 150, "updateInterval": 50, "fit": True},
                    "minVelocity": 2.0},
        "interaction": {"hover": True, "tooltipDelay": 120, "multiselect": True, "navigationButtons": False,
                        "keyboard": False, "hideEdgesOnDrag": large, "hideEdgesOnZoom": large},
        # we give every node a position: vis's own "improved layout" (Kamada–Kawai) would only cost time
        "layout": {"improvedLayout": False, "randomSeed": 42},
    }


def to_pyvis(d: Drawing) -> Any:
    """The drawing as a pyvis Network (nodes and edges as vis-network records, our options)."""
    from pyvis.edge import Edge  # here, not at module level: pyvis imports IPython
    from pyvis.network import Network

    net = Network(height="100%", width="100%", directed=False, cdn_resources="in_line")
    for i, n in enumerate(d.nodes):
        if i % 500 == 0:
            cancel.check()  # pyvis's add_node is quadratic: on a big map this loop is most of the time
        net.add_node(n.id, label=n.label, shape=n.shape, size=n.size, x=n.x, y=n.y, kind=n.kind,
                     color={"background": n.colour, "border": _darker(n.colour),
                            "highlight": {"background": n.colour, "border": "#111111"},
                            "hover": {"background": n.colour, "border": "#111111"}},
                     search=n.search, agreement_kind=n.agreement_kind, date_from=n.date_from, date_to=n.date_to,
                     tip=n.tip)
    for e in d.edges:
        # pyvis's add_edge checks every earlier edge for a duplicate; ours are unique by construction
        net.edges.append(Edge(e.source, e.target, False, id=e.id, rel=e.rel, width=e.width, dashes=e.dashes,
                              label=e.label if d.edge_labels and e.label else None, items=e.items, tip=e.tip,
                              color={"color": _rgba(e.colour), "highlight": _rgba("#111111"),
                                     "hover": _rgba(_darker(e.colour))}).options)
    net.options = vis_options(d)
    return net


def network_data(d: Drawing) -> dict[str, Any]:
    """The vis-network records (nodes with ``nation`` for clustering, edges, options) and the legend of a drawing:
    what the map page inlines and what the explorer's canvas receives as JSON."""
    net = to_pyvis(d)
    cancel.check()
    nodes, edges, _heading, _h, _w, _options = net.get_network_data()
    nation = {n.id: n.nation for n in d.nodes}
    data = {"nodes": [{**{k: v for k, v in n.items() if v is not None}, "nation": nation.get(n["id"])}
                      for n in nodes],
            "edges": [{k: v for k, v in e.items() if v is not None} for e in edges],
            "options": net.options}
    kind_counts: dict[str, int] = {}
    for n in d.nodes:
        kind_counts[n.kind] = kind_counts.get(n.kind, 0) + 1
    akind_counts: dict[str, int] = {}
    for e in d.edges:
        if e.rel in ("agreement", "group"):
            for it in e.items:
                akind_counts[it["kind"]] = akind_counts.get(it["kind"], 0) + 1
    for n in d.nodes:
        if n.agreement_kind:
            akind_counts[n.agreement_kind] = akind_counts.get(n.agreement_kind, 0) + 1
    legend = {
        "entities": [{"kind": k, "label": style.entity_label(k, d.lang, legend=True),
                      "colour": style.GROUP_COLOUR if k == "Group" else style.ENTITY_COLOUR.get(k, style.GROUP_COLOUR),
                      "shape": style.SHAPE.get(k, "dot"), "count": kind_counts.get(k, 0)} for k in d.entity_kinds],
        "agreements": [{"kind": k, "label": style.member_label("AgreementKind", k, d.lang),
                        "colour": style.AGREEMENT_COLOUR[k],
                        "count": akind_counts.get(k, 0)} for k in d.agreement_kinds],
        "mixed": style.MIXED_COLOUR if any(e.colour == style.MIXED_COLOUR for e in d.edges) else None,
        "context": style.CONTEXT_COLOUR if any(e.rel == "context" for e in d.edges) else None,
        "new": {"since": d.new_since, "colour": style.NEW_COLOUR, "items": d.new_items} if d.new_since else None,
    }
    return {"data": data, "legend": legend}


def render_drawing(d: Drawing) -> str:
    a = assets()
    built = network_data(d)
    generator = (f"qgraph {__version__} (pyvis {metadata.version('pyvis')}, vis-network {VIS_VERSION})")
    return env.get_template("map.html.j2").render(
        d=d, data={**built["data"], "ui": script_words(d.lang)}, legend=built["legend"], csp=a.csp(),
        generator=generator, t=functools.partial(words, d.lang),
        font_stack=style.FONT_STACK, vis_js=a.vis_js, vis_css=a.vis_css, map_js=a.map_js, map_css=a.map_css)


def render_html(result: SubgraphResult, opts: MapOptions = MapOptions()) -> str:
    """The map of a subgraph as one self-contained HTML page."""
    return render_drawing(build(result, opts))
