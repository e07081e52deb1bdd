"""Partnership maps and exports (installed as ``qgraph.viz``).

A query result (``qgraph.results.SubgraphResult``: an ego network, paths, an agreement set, a nation's partners or
the whole graph) becomes a self-contained HTML map, a picture (PNG/SVG) or a data file (GEXF, GraphML, CSV, JSON).

- ``drawing``: what a map shows (lines for agreements, sizes, layout, aggregation), decided once for HTML and picture;
- ``html``: the page, rendered from our own autoescaping template with vis-network (from pyvis's wheel) inlined;
- ``exports``: every format as bytes, with its media type and a file name.

Invariants: nothing produced here makes a network request when opened; every user string is escaped where it
reaches HTML; output is UTF-8 whatever the locale; the same subgraph gives the same map (seeded layout).
"""

from qgraph.viz.drawing import MapOptions, build
from qgraph.viz.exports import FORMATS, export, filename
from qgraph.viz.html import render_html

__all__ = ["FORMATS", "MapOptions", "build", "export", "filename", "render_html"]
