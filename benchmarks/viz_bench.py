"""Benchmark of the HTML maps, beside pyvis's defaults, and the README screenshots. Not part of the test run.

    python benchmarks/viz_bench.py [--sizes 100 1000 5000] [--timeout 180] [--json]
    python benchmarks/viz_bench.py screenshots [--out docs]

For each size, a synthetic subgraph (``qgraph.viz.synthetic``: nations, institutions, agreements) is exported
1. by qgraph (``qgraph.viz.export(..., "html")``: precomputed layout, physics off past 300 nodes, aggregation by
   nation past 2,500), and, past that threshold, also with ``aggregate="none"``;
2. by pyvis with its defaults (``Network()``, barnes-hut physics on, ``add_node``/``add_edge``, ``write_html``), except
   ``cdn_resources="in_line"``: the default ("local") loads vis-network from a CDN, so offline it draws nothing.
and reports the export time, the file size and the time from navigation start until the network is stable in
headless Chromium (/usr/bin/chromium; every non-file request blocked): qgraph's page records it itself
(``qgraph.stableAt``); pyvis's page gets one added line that records vis-network's "stabilized" event. A page that is
not stable within --timeout seconds is reported as "> timeout".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PYVIS_PROBE = ('<script>network.once("stabilized", function () { window.__stableAt = performance.now(); });'
               '</script>\n    </body>')


def pyvis_default(result: Any, path: Path) -> float:
    """pyvis as its README shows it, on the raw subgraph (agreements are nodes). Returns seconds."""
    from pyvis.network import Network

    start = time.perf_counter()
    net = Network(cdn_resources="in_line")
    for n in result.nodes:
        net.add_node(n.id, label=n.name, title=n.name)
    for e in result.edges:
        net.add_edge(e.source, e.target)
    net.write_html(str(path))
    elapsed = time.perf_counter() - start
    html = path.read_text(encoding="utf-8").replace("</body>", PYVIS_PROBE, 1)
    path.write_text(html, encoding="utf-8")
    return elapsed


def time_to_stable(browser: Any, path: Path, probe: str, timeout: float) -> float | None:
    """Milliseconds from navigation start until the page says the network is stable, or None past the timeout."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page = context.new_page()
    try:
        page.goto(path.as_uri(), timeout=timeout * 1000)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = page.evaluate(probe)
            if value:
                return float(value)
            time.sleep(0.1)
        return None
    finally:
        context.close()


def bench(sizes: list[int], timeout: float) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    from qgraph.viz import MapOptions, build, export
    from qgraph.viz.synthetic import synthetic_subgraph

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="viz-bench-"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for n in sizes:
            result = synthetic_subgraph(n)
            variants = [("qgraph", MapOptions())]
            if n > MapOptions().aggregate_over:
                variants.append(("qgraph, aggregate=none", MapOptions(aggregate="none")))
            for name, opts in variants:
                start = time.perf_counter()
                data = export(result, "html", opts)
                elapsed = time.perf_counter() - start
                path = tmp / f"qgraph-{n}-{opts.aggregate}.html"
                path.write_bytes(data)
                drawn = len(build(result, opts).nodes)
                stable = time_to_stable(browser, path, "window.qgraph && qgraph.stableAt", timeout)
                rows.append({"nodes": n, "edges": len(result.edges), "variant": name, "drawn_nodes": drawn,
                             "export_s": round(elapsed, 2), "size_mb": round(len(data) / 1e6, 2),
                             "stable_s": round(stable / 1000, 2) if stable else None})
                print(_line(rows[-1], timeout), file=sys.stderr, flush=True)
            path = tmp / f"pyvis-{n}.html"
            elapsed = pyvis_default(result, path)
            stable = time_to_stable(browser, path, "window.__stableAt", timeout)
            rows.append({"nodes": n, "edges": len(result.edges), "variant": "pyvis defaults (in_line)",
                         "drawn_nodes": len(result.nodes), "export_s": round(elapsed, 2),
                         "size_mb": round(path.stat().st_size / 1e6, 2),
                         "stable_s": round(stable / 1000, 2) if stable else None})
            print(_line(rows[-1], timeout), file=sys.stderr, flush=True)
        browser.close()
    return rows


def _line(row: dict[str, Any], timeout: float) -> str:
    stable = f"{row['stable_s']:.2f} s" if row["stable_s"] is not None else f"> {timeout:g} s"
    return (f"{row['nodes']:>6} {row['variant']:<26} drawn {row['drawn_nodes']:>5}  export {row['export_s']:>6.2f} s  "
            f"file {row['size_mb']:>6.2f} MB  stable after {stable}")


def screenshots(out: Path) -> None:
    """docs/map-ego-aist-depth2.png and docs/map-whole-graph.png, from the curated dataset."""
    from playwright.sync_api import sync_playwright

    from qgraph.loaders import default_data_dir, read_graph
    from qgraph.queries import Queries
    from qgraph.stores.memory import MemoryStore
    from qgraph.viz import render_html

    tmp = Path(tempfile.mkdtemp(prefix="viz-shots-"))
    store = MemoryStore(tmp / "graph.json")
    store.load(read_graph([default_data_dir()], store))
    q = Queries(store)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for name, result in (("map-ego-aist-depth2", q.ego_graph("aist", depth=2)),
                             ("map-whole-graph", q.whole_graph())):
            path = tmp / f"{name}.html"
            path.write_bytes(render_html(result).encode("utf-8"))
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(path.as_uri())
            page.wait_for_selector("body[data-stable=true]", state="attached", timeout=60_000)
            page.evaluate("qgraph.network.fit()")
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / f"{name}.png"))
            page.close()
            print(f"wrote {out / (name + '.png')}", file=sys.stderr)
        browser.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="bench", choices=["bench", "screenshots"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 5_000])
    parser.add_argument("--timeout", type=float, default=180.0, help="Seconds to wait for a stable network.")
    parser.add_argument("--json", action="store_true", help="Print the rows as JSON on stdout.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs")
    args = parser.parse_args(argv)
    if args.command == "screenshots":
        screenshots(args.out)
        return
    rows = bench(args.sizes, args.timeout)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print("\n".join(_line(r, args.timeout) for r in rows))


if __name__ == "__main__":
    main()
