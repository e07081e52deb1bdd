"""Full-size run of issue #12 item 3 (answers that mix two versions) against ``qgraph serve`` on loopback.

    .venv/bin/python -m benchmarks.versions [--entities 2000 --agreements 6000] [--seconds 60] [--readers 4]
                                            [--store memory|neo4j|both] [--neo4j-uri bolt://127.0.0.1:7687]

A synthetic graph (``qgraph.synth``) in two versions: B is A with every agreement's name marked. A writer in this
process alternates replace-loads of A and B (``Store.commit(Write(replace=True))``, each one changeset) through its own
connection to the store, as a second ``qgraph load --replace`` would, while ``--readers`` threads call the real server
(a separate ``qgraph serve`` process) for ``--seconds``: ``/agreements?limit=500`` pages at random offsets and
``/entities/{id}/partners`` of a busy party. A reply **mixes versions** when its agreement names are of both versions, or
when its ``X-Data-Version`` header is not the version its rows are of. Prints the replies, the mixed ones, the
statuses (503 ``busy`` is allowed: a request that saw writes commit under every attempt), and the loads written.

Before the fix (issue #12's measurement) 7 of 1,837 replies on the memory store and 11 of 626 on Neo4j mixed
versions. Not a test: the test (``tests/test_one_version.py``) runs the same scenario bounded to seconds on the
curated data.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from benchmarks.abuse import serve  # qgraph serve on a free loopback port, once /health answers
from qgraph.loaders import read_graph
from qgraph.model import Graph, NodeKind
from qgraph.store import Store, Write
from qgraph.synth import generate

MARK = " (version B)"


def two_versions(graph: Graph) -> tuple[Graph, Graph]:
    b = graph.model_copy(update={"nodes": [n.model_copy(update={"properties": {**n.properties,
                                                                               "name": n.properties["name"] + MARK}})
                                           if n.kind is NodeKind.AGREEMENT else n for n in graph.nodes]})
    return graph, b


def run(store: Store, env: dict[str, str], a: Graph, b: Graph, args: argparse.Namespace,
        other: Store) -> dict[str, Any]:
    store.load(b, replace=True, bulk=False)
    version_b = store.meta()["data_version"]
    store.load(a, replace=True)
    version_a = store.meta()["data_version"]
    total = sum(1 for n in a.nodes if n.kind is NodeKind.AGREEMENT)
    degree = Counter(e.source for e in a.edges if e.type == "PARTY_TO")
    busy_party = degree.most_common(1)[0][0]
    proc, base = serve(env)
    stop = threading.Event()
    loads = [0]
    failures: list[BaseException] = []

    def writer() -> None:
        flip = [a, b]
        try:
            while not stop.is_set():
                flip.reverse()
                other.commit(Write(graph=flip[0], replace=True), actor="bench")
                loads[0] += 1
        except BaseException as exc:  # noqa: BLE001 (reported)
            failures.append(exc)

    replies, mixed, statuses, kinds = [0], [0], Counter[int](), Counter[str]()
    lock = threading.Lock()

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=120) as c:
            while not stop.is_set():
                if rng.random() < 0.7:
                    r = c.get(f"/agreements?limit=500&offset={rng.randrange(0, max(1, total - 500))}")
                    names = [x["name"] for x in r.json().get("agreements", [])] if r.status_code == 200 else []
                else:
                    r = c.get(f"/entities/{busy_party}/partners?limit=500")
                    names = ([x["name"] for p in r.json()["partners"] for x in p["agreements"]]
                             if r.status_code == 200 else [])
                marks = {n.endswith(MARK) for n in names}
                both = len(marks) > 1
                header = len(marks) == 1 and r.headers.get("x-data-version") != (version_b if marks.pop()
                                                                                 else version_a)
                with lock:
                    replies[0] += 1
                    statuses[r.status_code] += 1
                    mixed[0] += both or header
                    kinds["rows of both versions" if both else "header of the other version"] += both or header

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(i,))
                                                   for i in range(args.readers)]
    try:
        for t in threads:
            t.start()
        time.sleep(args.seconds)
    finally:
        stop.set()
        for t in threads:
            t.join(300)
        proc.terminate()
        proc.wait(30)
    if failures:
        raise failures[0]
    return {"store": store.kind, "replies": replies[0], "mixed": mixed[0], "statuses": dict(statuses),
            "loads_written": loads[0], "agreements": total,
            "how": dict(kinds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--agreements", type=int, default=6000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--store", choices=["memory", "neo4j", "both"], default="both")
    parser.add_argument("--neo4j-uri", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp) / "data", entities=args.entities, agreements=args.agreements)
        a, b = two_versions(read_graph([Path(tmp) / "data"]))
        print(f"size: {args.entities:,} entities, {args.agreements:,} agreements; {args.readers} readers for "
              f"{args.seconds:g} s against qgraph serve while a writer alternates two versions")
        for kind in (["memory", "neo4j"] if args.store == "both" else [args.store]):
            env = {**os.environ, "QGRAPH_STORE": kind}
            if kind == "memory":
                from qgraph.stores.memory import MemoryStore

                path = Path(tmp) / "store" / "graph.json"
                store: Store = MemoryStore(path)
                other: Store = MemoryStore(path)
                env["QGRAPH_DATA_DIR"] = str(path.parent)
            else:
                from qgraph.config import Settings
                from qgraph.stores.neo4j import Neo4jStore

                uri = args.neo4j_uri or os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
                env["NEO4J_URI"] = uri
                store = Neo4jStore.from_settings(Settings(store="neo4j", neo4j_uri=uri))
                other = Neo4jStore.from_settings(Settings(store="neo4j", neo4j_uri=uri))
                store.wipe()
            result = run(store, env, a, b, args, other)
            print(f"{kind:7} replies {result['replies']:,}, mixing versions {result['mixed']}, statuses "
                  f"{result['statuses']} {result['how']}, loads written {result['loads_written']} "
                  f"({result['agreements']:,} agreements each)")


if __name__ == "__main__":
    main()
