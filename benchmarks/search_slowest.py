"""Where the search benchmark's time goes on Neo4j: each family's p50 / p99 over the same samples as
``benchmarks.search`` (seed 42, 200 a family; ``--warm``: first the 20 of seed 43, untimed), and its slowest queries
with the time of every store read they made (query file, milliseconds, Lucene text). For an A/B of two commits on one
server, run it from each checkout (``git worktree``); it imports the qgraph of the current directory.

    python -m benchmarks.search_slowest --neo4j-uri bolt://… [--warm] [--top 6] [family …]

It reads the graph made by ``benchmarks.search`` (under ``--work``) once to pick the samples, keeps them in
``samples.json`` beside it, and needs a database that ``benchmarks.search`` loaded with that graph.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())  # the qgraph of the checkout this runs from (an A/B of two worktrees)

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    from benchmarks.search import samples
    from qgraph.config import Settings
    from qgraph.queries import Queries
    from qgraph.stores.neo4j import Neo4jStore

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("families", nargs="*", help="families to time (default: all)")
    p.add_argument("--neo4j-uri", default=os.environ.get("NEO4J_URI"), required="NEO4J_URI" not in os.environ)
    p.add_argument("--work", type=Path, default=REPO / ".cache" / "bench-search")
    p.add_argument("--data", default="synth-100000-300000-42")
    p.add_argument("--warm", action="store_true", help="run the 20 queries a family of seed 43 first, untimed")
    p.add_argument("--top", type=int, default=6)
    args = p.parse_args(argv)
    cache = args.work / "samples.json"
    if not cache.exists():
        from qgraph.loaders import read_graph
        graph = read_graph([args.work / args.data], None)
        cache.write_text(json.dumps({"timed": samples(graph, 42, 200), "warm": samples(graph, 43, 20)}))
    sample = json.loads(cache.read_text())
    store = Neo4jStore.from_settings(Settings(store="neo4j", neo4j_uri=args.neo4j_uri, neo4j_timeout=120))
    reads: list[tuple[str, float, str]] = []
    read = store.read

    def timed_read(name: str, **params: Any) -> Any:
        t = time.perf_counter()
        try:
            return read(name, **params)
        finally:
            reads.append((name, (time.perf_counter() - t) * 1000, str(params.get("terms") or "").strip()[:60]))

    store.read = timed_read  # type: ignore[method-assign]
    q = Queries(store)

    def run(family: str, text: str) -> None:
        if family == "suggest":
            q.suggest(text, limit=10)
        else:
            q.search(text, limit=20)

    if args.warm:
        for family, texts in sample["warm"].items():
            for text in texts:
                run(family, text)
    for family in args.families or list(sample["timed"]):
        times = []
        for text in sample["timed"][family]:
            reads.clear()
            t = time.perf_counter()
            run(family, text)
            times.append(((time.perf_counter() - t) * 1000, text, list(reads)))
        ms = sorted(x[0] for x in times)
        print(f"## {family}: p50 {ms[len(ms) // 2]:.2f} p99 {ms[min(len(ms) - 1, int(len(ms) * .99))]:.2f} ms")
        for total, text, rs in sorted(times, key=lambda x: -x[0])[:args.top]:
            print(f"  {total:7.2f} {text!r}: " + "; ".join(f"{n} {t:.2f} {terms!r}" for n, t, terms in rs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
