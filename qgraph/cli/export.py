"""``qgraph export``: a map (HTML), a picture (PNG/SVG) or a data file (GEXF, GraphML, CSV, JSON) of one view.

Output is written as bytes (UTF-8 for text), so it works under any locale, LANG=C included. ``-o -`` writes to stdout;
binary formats (png, the csv zip) are refused on a terminal but may be piped. ``-o`` naming a folder (existing, or
ending in /) with ``--format csv`` writes nodes.csv and edges.csv into it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from qgraph.cli import (DomainOpt, FrameworkOpt, KindOpt, SinceOpt, StoreOpt, UntilOpt, app, err, filters_of,
                        querying)
from qgraph.queries import MAX_DEPTH, MAX_NODES
from qgraph.viz import FORMATS, MapOptions, export, filename
from qgraph.viz.exports import csv_files
from qgraph.viz.views import DEFAULT_MAX_NODES, subgraph

_SUFFIX_FORMAT = {".html": "html", ".htm": "html", ".gexf": "gexf", ".graphml": "graphml", ".csv": "csv",
                  ".zip": "csv", ".json": "json", ".png": "png", ".svg": "svg"}


@app.command("export")
def export_command(
    focus: Annotated[Optional[str], typer.Option("--focus", help="Ego map of this entity id (e.g. aist).")] = None,
    depth: Annotated[int, typer.Option("--depth", min=1, max=MAX_DEPTH, help="Ego depth (with --focus).")] = 1,
    path: Annotated[Optional[tuple[str, str]], typer.Option("--path", help="Shortest paths between two ids: --path kriss nrc-canada.")] = None,
    nation: Annotated[Optional[str], typer.Option("--nation", help="International partnerships of a nation (JP, US …).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="The whole graph (up to --max-nodes).")] = False,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)} (default: from -o, else html).")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="File, folder (csv) or - for stdout (default: a name saying what it holds).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Labels in en or ja.")] = "en",
    size_by: Annotated[str, typer.Option("--size-by", help="Node size by degree or brokerage.")] = "degree",
    aggregate: Annotated[str, typer.Option("--aggregate", help="auto, nation, kind or none.")] = "auto",
    max_nodes: Annotated[int, typer.Option("--max-nodes", min=1, max=MAX_NODES, help="At most this many nodes.")] = DEFAULT_MAX_NODES,
    k: Annotated[int, typer.Option("-k", help="At most this many paths (with --path).")] = 3,
    max_hops: Annotated[int, typer.Option("--max-hops", help="At most this many agreements per path.")] = 6,
    since: SinceOpt = None, until: UntilOpt = None, kind: KindOpt = None, domain: DomainOpt = None,
    framework: FrameworkOpt = None, store: StoreOpt = None,
) -> None:
    """Export a view as a self-contained HTML map, PNG/SVG picture, or GEXF/GraphML/CSV/JSON data."""
    fmt = fmt or (_SUFFIX_FORMAT.get(Path(output).suffix.lower()) if output and output != "-" else None) or "html"
    if fmt not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}", param_hint="--format")
    try:
        opts = MapOptions(lang=lang, size_by=size_by, aggregate=aggregate)  # type: ignore[arg-type]
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    info = FORMATS[fmt]
    if output == "-" and info.binary and sys.stdout.isatty():
        err.print(f"error: {fmt} is binary; not writing it to a terminal (pipe it or use -o FILE)")
        raise typer.Exit(2)
    with querying(store) as q:
        result = subgraph(q, focus=focus, depth=depth, source=path[0] if path else None,
                          target=path[1] if path else None, nation=nation, everything=everything,
                          filters=filters_of(since, until, kind, domain, framework, None), max_nodes=max_nodes,
                          k=k, max_hops=max_hops)
    what = f"{len(result.nodes)} nodes, {len(result.edges)} edges" + (" (truncated)" if result.truncated else "")
    if output == "-":
        sys.stdout.buffer.write(export(result, fmt, opts))
        sys.stdout.buffer.flush()
        return
    target = Path(output or filename(result, fmt))
    if fmt == "csv" and (target.is_dir() or (output or "").endswith(("/", "\\"))):
        target.mkdir(parents=True, exist_ok=True)
        for name, data in csv_files(result).items():
            (target / name).write_bytes(data)
        err.print(f"wrote {target / 'nodes.csv'} and {target / 'edges.csv'}: {what}", markup=False, highlight=False)
        return
    data = export(result, fmt, opts)
    target.write_bytes(data)
    err.print(f"wrote {target} ({len(data):,} bytes, {fmt}): {what}", markup=False, highlight=False)
