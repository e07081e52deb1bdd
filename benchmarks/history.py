"""History benchmark: what recording changesets costs, and how fast /changes answers across many changesets.

    python -m benchmarks.history --entities 100000 --agreements 300000 --changesets 1000 \\
        [--store memory|neo4j|both] [--neo4j-uri bolt://127.0.0.1:7687]

Steps, on each store:

1. a synthetic graph (``qgraph.synth``) is loaded (one changeset, a summary at this size);
2. **a load that changes 1 % of the entities** (their names) is timed two ways, each from the same starting graph:
   *with history* — ``Store.load`` as qgraph does it (diff against the graph, apply the diff and record the changeset
   atomically) — and *without history* — the write path before changesets existed, which merged every node and edge
   of the load and recorded nothing (memory: copy the graph, put every item, write the graph file; Neo4j: one transaction
   of ``merge_nodes`` / ``merge_edges`` batches over the whole load). The ratio is the issue's goal (≤ 1.5×);
3. ``--changesets`` small commits (one entity renamed each), then ``GET /changes?since=A&until=B`` over the API
   (in-process ASGI client) for windows ``--changesets`` changesets apart: p50 and p99 (goal: p50 ≤ 200 ms).

Not a test: it prints figures and ratios. The machine it runs on is named in the output; keep sizes small on a
shared machine and say which sizes the figures are for.
"""

from __future__ import annotations

import argparse
import bisect
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from qgraph.loaders import read_graph
from qgraph.model import Graph, NodeKind
from qgraph.store import Store, Write
from qgraph.synth import generate


def changed_graph(graph: Graph, fraction: float, tag: str) -> Graph:
    """The same graph with ``fraction`` of its non-agreement nodes renamed (every 1/fraction-th)."""
    step = max(1, round(1 / fraction))
    entities = [i for i, n in enumerate(graph.nodes) if n.kind is not NodeKind.AGREEMENT]
    chosen = set(entities[::step])
    nodes = [n.model_copy(update={"properties": {**n.properties, "name": n.properties["name"] + tag}})
             if i in chosen else n for i, n in enumerate(graph.nodes)]
    return graph.model_copy(update={"nodes": nodes})


def plain_write(store: Store, graph: Graph, bulk: bool = False) -> None:
    """The write path before history: merge every node and edge, record nothing (for the comparison only). Neo4j:
    one transaction, or with ``bulk`` batches in transactions of their own (the pre-history ``load --bulk``: at 100k
    entities one transaction of every row exceeds a default server's transaction memory)."""
    if store.kind == "memory":
        from qgraph.gc_pause import paused_gc

        with store._lock, store._file_lock(), paused_gc():  # type: ignore[attr-defined]
            new = store.graph.copy()  # type: ignore[attr-defined]
            for node in graph.nodes:
                new.add_node(node.id, node=node)
            for edge in graph.edges:
                new.add_edge(edge.source, edge.target, key=edge.type, edge=edge)
            # The file as a checkpoint at the journal's end (its own id, so no head applies to it): the store reads
            # it back as the graph, and the history stays whole for the loads that follow.
            meta = dict(store._state.meta, checkpoint=uuid.uuid4().hex)  # type: ignore[attr-defined]
            store._persist(new, meta)  # type: ignore[attr-defined]
            store._remove_head()  # type: ignore[attr-defined]
        return
    from qgraph.stores.neo4j import _batches, sources_json_cache

    statements = store._statements(graph)  # type: ignore[attr-defined]

    def work(tx: Any) -> None:
        cache = sources_json_cache()
        for what, _, query, extra, items in statements:
            for chunk in _batches(items, store.batch_size):  # type: ignore[attr-defined]
                tx.run(query, rows=store._rows(what, chunk, cache), **extra).consume()  # type: ignore[attr-defined]

    if bulk:
        cache = sources_json_cache()
        for what, _, query, extra, items in statements:
            for chunk in _batches(items, 10_000):
                store.driver.execute_query(query, rows=store._rows(what, chunk, cache), **extra,  # type: ignore[attr-defined]
                                           database_=store.database)  # type: ignore[attr-defined]
        return
    with store.driver.session(database=store.database) as session:  # type: ignore[attr-defined]
        session.execute_write(work)


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_store(store: Store, graph: Graph, changesets: int, repeats: int, plain_bulk: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"store": store.kind, "without_history_path": (
        "copy the graph, put every item, write the graph file" if store.kind == "memory"
        else "bulk batches" if plain_bulk else "one transaction")}
    store.wipe()
    # The initial load as a big load is made: in bulk on Neo4j (one transaction of every row exceeds a default
    # server's transaction memory); it records its changeset (a summary) when complete.
    out["initial_load_s"] = round(timed(lambda: store.load(graph, bulk=store.kind == "neo4j", workers=1)), 2)
    with_history, without = [], []
    for r in range(repeats):
        a = changed_graph(graph, 0.01, f" (run {r} a)")
        b = changed_graph(graph, 0.01, f" (run {r} b)")
        without.append(timed(lambda: plain_write(store, a, plain_bulk)))
        store.load(graph)  # back to the same starting graph (recorded)
        with_history.append(timed(lambda: store.load(b)))
        store.load(graph)
    out["load_1pct_without_history_s"] = round(statistics.median(without), 3)
    out["load_1pct_with_history_s"] = round(statistics.median(with_history), 3)
    out["ratio"] = round(out["load_1pct_with_history_s"] / out["load_1pct_without_history_s"], 2)
    # Many small changesets, then /changes across them.
    entity = next(n for n in graph.nodes if n.kind is not NodeKind.AGREEMENT)
    first = store.history_count()
    start = time.perf_counter()
    for i in range(changesets):
        node = entity.model_copy(update={"properties": {**entity.properties, "name": f"{entity.properties['name']} "
                                                                                     f"#{i}"}})
        store.commit(Write(graph=Graph(nodes=[node])), actor="bench")
    elapsed = time.perf_counter() - start
    out["small_commits_per_s"] = round(changesets / elapsed, 3)
    out["small_commit_s"] = round(elapsed / changesets, 3)
    if store.kind == "memory":  # what a new process pays: read the checkpoint, parse the journal, replay the rest
        from qgraph.stores.memory import MemoryStore

        reopened: list[Any] = []
        out["reopen_s"] = round(timed(lambda: reopened.append(MemoryStore(store.path))), 2)  # type: ignore[attr-defined]
        state, ends = reopened[0]._state, reopened[0]._journal.ends
        out["reopen_replayed"] = state.changesets - bisect.bisect_right(ends, state.checkpoint_bytes)
        assert reopened[0].meta() == store.meta()
        del reopened, state
    from fastapi.testclient import TestClient

    from qgraph.api import create_app

    times = []
    with TestClient(create_app(store=store)) as client:
        for _ in range(20):
            t0 = time.perf_counter()
            response = client.get(f"/changes?since={first}&until={first + changesets}")
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.text
            assert len(response.json()["changesets"]) == changesets
    times.sort()
    out["changes_window"] = changesets
    out["changes_p50_ms"] = round(1000 * statistics.median(times), 1)
    out["changes_p99_ms"] = round(1000 * times[-1], 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--agreements", type=int, default=300_000)
    parser.add_argument("--changesets", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--store", choices=["memory", "neo4j", "both"], default="both")
    parser.add_argument("--neo4j-uri", default=None)
    parser.add_argument("--plain-bulk", action="store_true",
                        help="Neo4j: the comparison without history merges in batches of their own (needed at 100k)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"size: {args.entities:,} entities, {args.agreements:,} agreements; 1 % = "
          f"{args.entities // 100:,} entities renamed; /changes across {args.changesets:,} changesets")
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp) / "data", entities=args.entities, agreements=args.agreements)
        graph = read_graph([Path(tmp) / "data"])
        print(f"graph: {len(graph.nodes):,} nodes, {len(graph.edges):,} edges")
        kinds = ["memory", "neo4j"] if args.store == "both" else [args.store]
        for kind in kinds:
            if kind == "memory":
                from qgraph.stores.memory import MemoryStore

                store: Store = MemoryStore(Path(tmp) / "store" / "graph.json")
            else:
                from qgraph.config import Settings
                from qgraph.stores.neo4j import Neo4jStore

                settings = Settings(store="neo4j", **({"neo4j_uri": args.neo4j_uri} if args.neo4j_uri else {}),
                                    neo4j_timeout=600)
                store = Neo4jStore.from_settings(settings, write=True)
            try:
                result = bench_store(store, graph, args.changesets, args.repeats, args.plain_bulk)
            finally:
                if kind == "neo4j":
                    store.wipe()
                store.close()
            for key, value in result.items():
                print(f"{kind:7} {key:32} {value}")
            print(f"{kind:7} goal: 1 % load with history ≤ 1.5× without: {result['ratio']}× "
                  f"({'met' if result['ratio'] <= 1.5 else 'missed'}); /changes p50 ≤ 200 ms: "
                  f"{result['changes_p50_ms']} ms ({'met' if result['changes_p50_ms'] <= 200 else 'missed'})")


if __name__ == "__main__":
    main()
