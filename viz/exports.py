"""Every export of a subgraph, as bytes: html, gexf, graphml, csv (a zip of nodes.csv and edges.csv), json, png, svg.

Invariants:
- the data exports (gexf, graphml, csv, json) hold the subgraph itself — every node and edge of the query result with
  its properties and citations — not the drawing (which merges lines and may aggregate); html, png and svg hold the
  drawing (``qgraph.viz.drawing``);
- graph attributes are flat and typed for GEXF and GraphML (a list becomes ``"a|b"``, citations become one text
  field and a JSON field), so Gephi, networkx and igraph read them back;
- every text is UTF-8 whatever the locale; CSV files carry a byte-order mark so that Excel reads Japanese right;
- every CSV cell a spreadsheet would evaluate as a formula is prefixed with ``'`` (``spreadsheet_safe``); every
  character XML 1.0 forbids (and the bidi and zero-width characters the loader refuses) is replaced by U+FFFD before
  any format is written (``printable``), so GEXF, GraphML and SVG are well-formed whatever the store holds;
- ``export`` returns bytes and writes nothing: callers choose the file, stream or HTTP response.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import threading
import zipfile
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx

from qgraph.loaders.text_checks import FORBIDDEN
from qgraph.model import Citation, NodeKind
from qgraph.results import SubgraphResult
from qgraph.schema import SCHEMA
from qgraph.viz import style
from qgraph.viz.drawing import Drawing, MapOptions, build
from qgraph.viz.html import render_drawing

Format = Literal["html", "gexf", "graphml", "csv", "json", "png", "svg"]


@dataclass(frozen=True)
class FormatInfo:
    media_type: str
    extension: str
    binary: bool


FORMATS: dict[str, FormatInfo] = {
    "html": FormatInfo("text/html; charset=utf-8", "html", False),
    "gexf": FormatInfo("application/gexf+xml", "gexf", False),
    "graphml": FormatInfo("application/graphml+xml", "graphml", False),
    "csv": FormatInfo("application/zip", "zip", True),
    "json": FormatInfo("application/json", "json", False),
    "png": FormatInfo("image/png", "png", True),
    "svg": FormatInfo("image/svg+xml", "svg", False),
}

NODE_COLUMNS = ["id", "kind", "name", "name_ja", "nation", "aliases", "type", "agreement_kind", "date", "status",
                "domains", "description", "degree", "citations", "sources_json", "external", "external_note"]
EDGE_COLUMNS = ["source", "target", "type", "source_name", "target_name", "citations", "sources_json"]


def _cite_text(sources: list[Citation]) -> str:
    return " | ".join(c.place
                      + f": {c.quote}" for c in sources)


def _sources_json(sources: list[Citation]) -> str:
    return json.dumps([c.model_dump(mode="json", exclude_none=True) for c in sources], ensure_ascii=False)


def _flat(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return "|".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False, default=str)


def node_rows(result: SubgraphResult) -> list[dict[str, Any]]:
    degree: Counter[str] = Counter()
    for e in result.edges:
        degree[e.source] += 1
        degree[e.target] += 1
    rows = []
    for n in result.nodes:
        p = n.properties
        # the declared sub-type (an institution's type, a facility's facility_type …); an agreement's has its column
        sub = SCHEMA.subtype(n.kind, p) or ""
        rows.append({"id": n.id, "kind": n.kind, "name": n.name, "name_ja": n.name_ja or "", "nation": n.nation or "",
                     "aliases": "|".join(p.get("aliases", [])),
                     "type": sub if n.kind != NodeKind.AGREEMENT else "",
                     "agreement_kind": sub if n.kind == NodeKind.AGREEMENT else "",
                     "date": p.get("date") or "", "status": p.get("status") or "",
                     "domains": "|".join(p.get("domains", [])), "description": p.get("description") or "",
                     "degree": degree[n.id], "citations": _cite_text(n.sources), "sources_json": _sources_json(n.sources),
                     # a record resting on general knowledge says so in every export, not only in the data file
                     "external": bool(p.get("external")), "external_note": p.get("external_note") or ""})
    return rows


def edge_rows(result: SubgraphResult) -> list[dict[str, Any]]:
    names = {n.id: n.name for n in result.nodes}
    return [{"source": e.source, "target": e.target, "type": e.type, "source_name": names.get(e.source, ""),
             "target_name": names.get(e.target, ""), "citations": _cite_text(e.sources),
             "sources_json": _sources_json(e.sources)} for e in result.edges]


def to_networkx(result: SubgraphResult, *, viz: bool = False) -> nx.MultiDiGraph:
    """The subgraph with flat, typed attributes; ``viz`` adds GEXF colours and sizes (Gephi shows them)."""
    g = nx.MultiDiGraph(name=result.title)
    for key in ("title", "data_version"):
        if getattr(result, key):
            g.graph[key] = getattr(result, key)
    g.graph["query"] = json.dumps(result.query, ensure_ascii=False)
    g.graph["filters"] = json.dumps(result.filters, ensure_ascii=False)
    for row in node_rows(result):
        attrs = {k: v for k, v in ((k, _flat(v)) for k, v in row.items() if k != "id") if v not in (None, "")}
        attrs["label"] = row["name"]
        if viz:
            colour = style.AGREEMENT_COLOUR.get(row["agreement_kind"]) if row["agreement_kind"] else \
                style.ENTITY_COLOUR.get(row["kind"], style.GROUP_COLOUR)
            r, gr, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
            attrs["viz"] = {"color": {"r": r, "g": gr, "b": b, "a": 1.0}, "size": 8.0 + 2.0 * math.sqrt(row["degree"])}
        g.add_node(row["id"], **attrs)
    for i, row in enumerate(edge_rows(result)):
        attrs = {k: v for k, v in row.items() if k not in ("source", "target") and v not in (None, "")}
        g.add_edge(row["source"], row["target"], key=f"e{i}", label=row["type"], **attrs)
    return g


def _xml(write: Any, g: nx.MultiDiGraph) -> bytes:
    buf = io.BytesIO()
    write(g, buf, encoding="utf-8")
    return buf.getvalue()


def csv_zip(result: SubgraphResult) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, columns, rows in (("nodes.csv", NODE_COLUMNS, node_rows(result)),
                                    ("edges.csv", EDGE_COLUMNS, edge_rows(result))):
            z.writestr(name, csv_text(columns, rows).encode("utf-8-sig"))
    return buf.getvalue()


#: first characters that make a spreadsheet read a cell as a formula (OWASP's list, and their full-width forms, which
#: Japanese Excel also accepts as the start of a formula)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def spreadsheet_safe(value: Any) -> Any:
    """A cell no spreadsheet will evaluate: text starting with a formula character gets a leading ``'`` (the OWASP
    rule; the quote shows, and nothing runs). Numbers stay numbers: an ``int`` or ``float``, or text that is one
    number and nothing else (``-3``, ``+1.5e3``), is data a spreadsheet reads as that number, so it is left as it is;
    ``-2+3+cmd`` or ``-1+1`` is not a number and is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """CSV text of ``rows`` (CRLF line ends), every cell made safe to open in a spreadsheet (``spreadsheet_safe``)."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(columns)
    w.writerows([spreadsheet_safe(row.get(c, "")) for c in columns] for row in rows)
    return out.getvalue()


def csv_files(result: SubgraphResult) -> dict[str, bytes]:
    """nodes.csv and edges.csv, for writing into a folder."""
    result = printable(result)
    return {"nodes.csv": csv_text(NODE_COLUMNS, node_rows(result)).encode("utf-8-sig"),
            "edges.csv": csv_text(EDGE_COLUMNS, edge_rows(result)).encode("utf-8-sig")}


_PICTURE_LOCK = threading.Lock()


def register_cjk_fonts() -> list[str]:
    """Add the Japanese font files of ``style.CJK_FONT_FILES`` that exist to matplotlib's font list (by path, not
    through its cache, which may predate them); return the files now known. Idempotent."""
    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in style.CJK_FONT_FILES:
        if path not in known and os.path.isfile(path):
            font_manager.fontManager.addfont(path)
            known.add(path)
    return [p for p in style.CJK_FONT_FILES if p in known]


def picture(d: Drawing, fmt: Literal["png", "svg"]) -> bytes:
    """A still picture of the drawing for slides (matplotlib, same layout, colours and shapes as the map).

    Uses a bare ``Figure`` (no pyplot state) under a lock: matplotlib's rcParams are process-wide and the API renders
    in a thread pool."""
    from matplotlib import font_manager, rc_context
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    with _PICTURE_LOCK:
        register_cjk_fonts()
    available = {f.name for f in font_manager.fontManager.ttflist}
    fonts = [f for f in style.MPL_FONTS if f in available] or ["DejaVu Sans"]
    n = len(d.nodes)
    side = min(16.0, 9.0 + n / 60)
    with _PICTURE_LOCK, rc_context({"font.family": fonts, "svg.fonttype": "path", "svg.hashsalt": "qgraph"}):
        fig = Figure(figsize=(side * 1.25, side), dpi=110 if n < 1500 else 90)
        ax = fig.subplots()
        pos = {nd.id: (nd.x, -nd.y) for nd in d.nodes}
        for e in d.edges:
            (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
            ax.plot([x1, x2], [y1, y2], color=e.colour, linewidth=0.6 + e.width * 0.45 if e.rel != "context" else 0.7,
                    linestyle=(0, (3, 2)) if e.dashes else "-", alpha=0.85 if e.rel != "context" else 0.6, zorder=1)
            if d.edge_labels and e.label and e.rel in ("agreement", "group") and n <= 150:
                ax.text((x1 + x2) / 2, (y1 + y2) / 2, e.label, fontsize=6.5, color="#4a5560", ha="center",
                        va="center", zorder=2, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                                     "alpha": 0.8})
        for shape in sorted({nd.shape for nd in d.nodes}):
            group = [nd for nd in d.nodes if nd.shape == shape]
            ax.scatter([pos[nd.id][0] for nd in group], [pos[nd.id][1] for nd in group],
                       s=[(nd.size * 1.1) ** 2 / (2.2 if n > 300 else 1.0) for nd in group],
                       c=[nd.colour for nd in group], marker=style.MARKER.get(shape, "o"), edgecolors="#333333",
                       linewidths=0.6, zorder=3)
        if n <= 400:
            for nd in d.nodes:
                x, y = pos[nd.id]
                ax.annotate(nd.label, (x, y), xytext=(0, -(nd.size * 0.55 + 7)), textcoords="offset points",
                            ha="center", va="top", fontsize=7.5 if n < 120 else 6, color="#1d2733", zorder=4,
                            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})
        handles = [Line2D([], [], marker=style.MARKER.get(style.SHAPE.get(k, "dot"), "o"), linestyle="",
                          markerfacecolor=style.ENTITY_COLOUR.get(k, style.GROUP_COLOUR), markeredgecolor="#333333",
                          markersize=8, label=style.entity_label(k, d.lang, legend=True)) for k in d.entity_kinds]
        handles += [Line2D([], [], color=style.AGREEMENT_COLOUR[k], linewidth=2.5,
                           label=style.member_label("AgreementKind", k, d.lang)) for k in d.agreement_kinds]
        if any(e.rel == "context" for e in d.edges):
            handles.append(Line2D([], [], color=style.CONTEXT_COLOUR, linestyle=(0, (3, 2)), label="context"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        ax.set_axis_off()
        ax.margins(0.06)
        header = 0.9 / side  # the title block, as a fraction of the figure height
        fig.text(0.012, 0.99, d.title, fontsize=13, fontweight="bold", va="top", color="#1d2733")
        fig.text(0.012, 0.99 - 0.32 / side, "\n".join(d.subtitle[:2]) + ("\n" + d.notices[0] if d.notices else ""),
                 fontsize=7.5, color="#5b6670", va="top", linespacing=1.4)
        fig.tight_layout(rect=(0, 0, 1, 1 - header - (0.12 / side if d.notices else 0)))
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, facecolor="white",
                    metadata={"Software": "qgraph"} if fmt == "png" else {"Date": None})
    return buf.getvalue()


def _cleaned(value: Any, changed: list[bool]) -> Any:
    if isinstance(value, str):
        if FORBIDDEN.search(value) is None:
            return value
        changed.append(True)
        return FORBIDDEN.sub("\ufffd", value)
    if isinstance(value, list):
        return [_cleaned(v, changed) for v in value]
    if isinstance(value, dict):
        return {_cleaned(k, changed): _cleaned(v, changed) for k, v in value.items()}
    return value


def printable(result: SubgraphResult) -> SubgraphResult:
    """The result with every character the loader refuses (``qgraph.loaders.text_checks.FORBIDDEN``: controls, lone
    surrogates, bidi and zero-width characters) replaced by U+FFFD, so that every export is well-formed XML and valid
    UTF-8 even for a store written before the loader refused them; the same result when there is none (the usual
    case)."""
    changed: list[bool] = []
    data = _cleaned(result.model_dump(), changed)
    return SubgraphResult.model_validate(data) if changed else result


def export(result: SubgraphResult, fmt: str, opts: MapOptions = MapOptions()) -> bytes:
    """The subgraph in one format, as bytes (UTF-8 for text formats)."""
    if fmt not in FORMATS:
        raise ValueError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    result = printable(result)
    if fmt == "html":
        return render_drawing(build(result, opts)).encode("utf-8")
    if fmt in ("png", "svg"):
        return picture(build(result, opts), fmt)  # type: ignore[arg-type]
    if fmt == "json":
        return json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "csv":
        return csv_zip(result)
    if fmt == "gexf":
        return _xml(nx.write_gexf, to_networkx(result, viz=True))
    return _xml(nx.write_graphml, to_networkx(result))


def filename(result: SubgraphResult, fmt: str) -> str:
    """An ASCII file name saying what the export holds: qgraph-ego-aist-d2.gexf."""
    q = result.query
    view = q.get("view", "view")
    parts = {"ego": [view, q.get("id"), f"d{q.get('depth')}"], "path": [view, q.get("source"), q.get("target")],
             "nation": [view, q.get("code")]}.get(view, [view])
    stem = "-".join(str(p) for p in ["qgraph", *parts] if p)
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in stem)[:120]
    return f"{safe}.{FORMATS[fmt].extension}"
