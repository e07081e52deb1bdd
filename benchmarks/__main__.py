"""Scale and speed: load a synthetic world-scale network into both stores and time loading and queries.

    python -m benchmarks --entities 100000 --agreements 300000 --neo4j-uri bolt://127.0.0.1:7687 \\
        --import-dir /path/to/neo4j/import [--json results.json]

(``benchmarks/run`` starts a local Neo4j with a bigger heap, runs this, and stops it.) Every figure is printed as
median and p99 over the samples named beside it, with the ratios the issue asks for. Steps:

1. ``qgraph synth`` CSV files (cached under ``--work``);
2. loading into Neo4j: Neo4j's LOAD CSV of the same files; naive one-row-per-transaction on a sample (extrapolated);
   qgraph's loader (read + validate, then ``Store.load`` in bulk mode) — each into an empty database;
3. the memory store: load, start-up from its file in a fresh process, peak RSS;
4. queries through the store interface / query layer on both stores, the bare Cypher through the driver, bare
   networkx ``bidirectional_shortest_path`` on the same party–agreement graph;
5. search (``benchmarks/search.py``): the query families plus typo and multi-word, autocomplete, index build time,
   size and added peak RSS, memory store start-up with and without the search index;
6. the HTTP API (uvicorn on 127.0.0.1, one worker) for each store: sequential requests (API overhead) and
   ``--clients`` concurrent clients (an async httpx load generator, bounded in count and time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import networkx as nx

from benchmarks.load_csv import load_csv, naive
from benchmarks.search import bench_search
from qgraph import cypher
from qgraph.config import Settings
from qgraph.loaders import read_graph
from qgraph.model import Graph, NodeKind
from qgraph.queries import PATH_CAP, SCAN_CAP, Filters, Queries
from qgraph.store import AgreementFilter, Store
from qgraph.stores.memory import MemoryStore
from qgraph.stores.neo4j import Neo4jStore, sources_json_cache
from qgraph.synth import generate
from qgraph.search import CANDIDATE_CAP, EXACT_CAP, lucene_exact, lucene_query, plan

REPO = Path(__file__).resolve().parent.parent
BROKER_FILTER = {"since": "2026-01", "domain": "education", "kind": "alliance"}


# ------------------------------------------------------------------------------------------- statistics


def pct(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))] if s else float("nan")


def summary(samples_s: list[float]) -> dict[str, float]:
    ms = [x * 1000 for x in samples_s]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 3), "p99_ms": round(pct(ms, 99), 3),
            "mean_ms": round(sum(ms) / len(ms), 3) if ms else float("nan")}


def timed(fn: Callable[[Any], Any], items: list[Any], warmup: int = 3) -> list[float]:
    for item in items[:warmup]:
        fn(item)
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t)
    return out


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem = next((int(ln.split()[1]) // 1024 for ln in Path("/proc/meminfo").read_text().splitlines()
                if ln.startswith("MemTotal")), 0)
    import neo4j
    try:
        import neo4j._rust  # noqa: F401
        rust = True
    except ImportError:
        rust = False
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_mb": mem, "os": platform.platform(),
            "python": platform.python_version(), "neo4j_driver": neo4j.__version__, "neo4j_rust_ext": rust,
            "loadavg_start": os.getloadavg()}


# ------------------------------------------------------------------------------------------- loading


def naive_sample(store: Neo4jStore, graph: Graph, agreements: int, seed: int) -> tuple[list, list]:
    """Rows for the naive loader: ``agreements`` agreements, all their parties, and their PARTY_TO edges."""
    rng = random.Random(seed)
    chosen = set(rng.sample([n.id for n in graph.nodes if n.kind is NodeKind.AGREEMENT], agreements))
    edges = [e for e in graph.edges if e.type == "PARTY_TO" and e.target in chosen]
    wanted = chosen | {e.source for e in edges}
    cache = sources_json_cache()
    node_rows = []
    for n in graph.nodes:
        if n.id in wanted:
            [row] = store._rows("nodes", [n], cache)
            node_rows.append((cypher.query("merge_nodes", label=n.kind.value), n.kind.value, row))
    edge_rows = [(cypher.query("merge_edges", rel_type="PARTY_TO"), row) for row in store._rows("edges", edges, cache)]
    return node_rows, edge_rows


def bench_load(args: argparse.Namespace, neo: Neo4jStore, data: Path) -> tuple[Graph, dict[str, Any]]:
    out: dict[str, Any] = {}
    # -- LOAD CSV of the same files
    neo.clear()
    neo.ensure_schema()
    if args.import_dir:
        target = Path(args.import_dir) / data.name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(data, target)
        log("LOAD CSV …")
        out["load_csv"] = load_csv(neo.driver, data, f"file:///{data.name}/", batch=args.batch)
        out["load_csv"]["counts"] = neo.counts().as_dict()
        log(f"LOAD CSV: {out['load_csv']['total_s']:.1f} s")
        t = time.perf_counter()
        neo.clear()
        out["clear_s"] = time.perf_counter() - t
    # -- qgraph: read + validate
    log("read + validate …")
    t, c = time.perf_counter(), time.process_time()
    graph = read_graph([data])
    out["read_validate_s"] = time.perf_counter() - t
    out["read_validate_cpu_s"] = time.process_time() - c
    rows = len(graph.nodes) + len(graph.edges)
    out["rows"] = rows
    out["party_edges"] = sum(1 for e in graph.edges if e.type == "PARTY_TO")
    log(f"read + validate: {out['read_validate_s']:.1f} s, {rows} rows")
    # -- naive, on a sample
    node_rows, edge_rows = naive_sample(neo, graph, args.naive_agreements, args.seed)
    log(f"naive: {len(node_rows) + len(edge_rows)} rows, one transaction each …")
    out["naive"] = naive(neo.driver, node_rows, edge_rows)
    out["naive"]["extrapolated_s"] = rows / out["naive"]["rows_per_s"]
    neo.clear()
    # -- qgraph bulk load (and the atomic one where it fits)
    if args.atomic:
        log("qgraph load (atomic, one transaction) …")
        t = time.perf_counter()
        neo.load(graph, batch_size=args.batch)
        out["atomic_store_load_s"] = time.perf_counter() - t
        neo.clear()
    log(f"qgraph load --bulk (workers {args.workers}, batch {args.batch}) …")
    t = time.perf_counter()
    report = neo.load(graph, bulk=True, workers=args.workers, batch_size=args.batch)
    out["bulk_store_load_s"] = time.perf_counter() - t
    out["bulk_counts"] = report.after.as_dict()
    out["ours_total_s"] = out["read_validate_s"] + out["bulk_store_load_s"]
    log(f"qgraph bulk: store.load {out['bulk_store_load_s']:.1f} s, end to end {out['ours_total_s']:.1f} s")
    return graph, out


# ------------------------------------------------------------------------------------------- memory store


STARTUP = """
import json, resource, sys, time
t = time.perf_counter()
from qgraph.stores.memory import MemoryStore
s = MemoryStore(sys.argv[1])
opened = time.perf_counter() - t
from qgraph.search import plan
s.search_candidates(plan("zzz"), "all", (), 1, 1)  # builds the search index, as the first search does
s.entity_refs(["zzz"])  # builds the lookup index, as the first other query does
first = time.perf_counter() - t
print(json.dumps({"open_s": opened, "first_query_s": first,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_memory(graph: Graph, path: Path) -> tuple[MemoryStore, dict[str, Any]]:
    out: dict[str, Any] = {}
    store = MemoryStore(path)
    store.clear()
    log("memory store load …")
    t = time.perf_counter()
    store.load(graph)
    out["load_s"] = time.perf_counter() - t
    out["file_mb"] = path.stat().st_size / 1e6
    log("memory store start-up in a fresh process …")
    res = subprocess.run([sys.executable, "-c", STARTUP, str(path)], capture_output=True, text=True, check=True,
                         cwd=REPO)
    out["startup"] = json.loads(res.stdout.strip().splitlines()[-1])
    return store, out


# ------------------------------------------------------------------------------------------- queries


def samples(graph: Graph, seed: int, n: int) -> dict[str, list[Any]]:
    rng = random.Random(seed)
    degree: dict[str, int] = {}
    for e in graph.edges:
        if e.type == "PARTY_TO":
            degree[e.source] = degree.get(e.source, 0) + 1
    institutions = sorted(i for i in degree if not (len(i) == 2))
    names = {nd.id: nd.properties.get("name", nd.id) for nd in graph.nodes if nd.kind is NodeKind.INSTITUTION}
    terms = []
    for i in rng.sample(sorted(names), n // 2):
        words = [w for w in names[i].split() if len(w) > 3 and w[0].isupper() and w not in
                 ("University", "National", "Institute", "Quantum", "Laboratory", "Research")]
        terms.append(words[0] if words else names[i])
    terms += [names[i][:5] for i in rng.sample(sorted(names), n // 4)]
    terms += rng.sample(sorted(names), n - len(terms))
    return {"search": terms, "partners": rng.sample(institutions, n),
            "paths": [tuple(rng.sample(institutions, 2)) for _ in range(n)]}


def bench_queries(stores: dict[str, Store], sample: dict[str, list[Any]], graph_nx: nx.Graph,
                  neo: Neo4jStore | None, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, store in stores.items():
        q = Queries(store)
        r: dict[str, Any] = {}
        log(f"queries on {name} …")
        r["search"] = summary(timed(lambda t: q.search(t, limit=20), sample["search"]))
        r["partners"] = summary(timed(lambda i: q.partners(i), sample["partners"]))
        r["paths"] = summary(timed(lambda p: q.paths(p[0], p[1], k=3, max_hops=6), sample["paths"]))
        r["store.shortest_paths"] = summary(timed(
            lambda p: store.shortest_paths(p[0], p[1], AgreementFilter(), 6, PATH_CAP), sample["paths"]))
        # The store calls behind the two endpoints whose overhead the issue bounds: one round trip each on Neo4j.
        r["store.party_agreements"] = summary(timed(
            lambda i: store.party_agreements(i, AgreementFilter(), SCAN_CAP, 0), sample["partners"]))
        r["store.find_paths"] = summary(timed(
            lambda p: store.find_paths(p[0], p[1], AgreementFilter(), 6, 3, PATH_CAP), sample["paths"]))
        f = Filters(since=BROKER_FILTER["since"], domains=(BROKER_FILTER["domain"],), kinds=(BROKER_FILTER["kind"],))
        r["brokers"] = summary(timed(lambda _: q.brokers(f), [0] * args.broker_runs, warmup=1))
        out[name] = r
    log("networkx bidirectional_shortest_path …")

    def bare_nx(p: tuple[str, str]) -> None:
        try:
            nx.bidirectional_shortest_path(graph_nx, p[0], p[1])
        except nx.NetworkXNoPath:
            pass
    out["networkx.bidirectional_shortest_path"] = summary(timed(bare_nx, sample["paths"]))
    if neo is not None:
        log("bare Cypher through the driver …")
        drv = neo.driver

        def run(name: str, **params: Any) -> None:
            drv.execute_query(cypher.query(name), params, routing_="r", database_=neo.database)
        nul = {"kinds": None, "domains": None, "since": None, "until": None}
        vocab = neo._vocabulary()  # type: ignore[attr-defined]  # the typo-tolerant words as the store spells them out
        out["driver"] = {
            "shortest_paths.cypher": summary(timed(lambda p: run("shortest_paths", source=p[0], target=p[1],
                                                                 max_hops=6, cap=PATH_CAP, **nul), sample["paths"])),
            "find_paths.cypher": summary(timed(lambda p: run("find_paths", source=p[0], target=p[1], max_hops=6,
                                                             k=3, cap=PATH_CAP, **nul), sample["paths"])),
            "find_agreements.cypher (party)": summary(timed(lambda i: run(
                "find_agreements", **AgreementFilter(party=i).params(), limit=20_000, offset=0), sample["partners"])),
            "search_entities.cypher": summary(timed(lambda t: run(
                "search_entities", exact=lucene_exact(plan(t)), terms=lucene_query(plan(t), "all", vocab.near),
                kinds=None, cap=CANDIDATE_CAP, exact_cap=EXACT_CAP), sample["search"])),
        }
    return out


def same_answers(stores: dict[str, Store], sample: dict[str, list[Any]], n: int) -> dict[str, Any]:
    if len(stores) < 2:
        return {}
    a, b = (Queries(s) for s in stores.values())
    res = {}
    for kind, items in sample.items():
        items = items[:n]
        fn: Callable[[Queries, Any], Any] = {
            "search": lambda q, t: q.search(t, limit=20).model_dump(),
            "partners": lambda q, i: q.partners(i).model_dump(),
            "paths": lambda q, p: q.paths(p[0], p[1], k=3, max_hops=6).model_dump()}[kind]
        equal = sum(1 for it in items if fn(a, it) == fn(b, it))
        res[kind] = f"{equal}/{len(items)}"
    return res


# ------------------------------------------------------------------------------------------- HTTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "qgraph.api.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--no-access-log"], env={**os.environ, **env}, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 600
    while time.time() < deadline:
        try:
            if httpx.get(base + "/health", timeout=600).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.5)
        if proc.poll() is not None:
            raise RuntimeError("the API server exited")
    proc.terminate()
    raise RuntimeError("the API server did not answer /health")


async def load_generator(base: str, urls: list[str], clients: int, max_s: float,
                         expect: int = 200) -> dict[str, Any]:
    """``clients`` concurrent clients working through ``urls`` (each once) for at most ``max_s`` seconds; an answer
    with another status than ``expect`` counts as an error."""
    latencies: list[float] = []
    errors = 0
    queue = list(reversed(urls))
    deadline = time.perf_counter() + max_s

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while queue and time.perf_counter() < deadline:
            url = queue.pop()
            t = time.perf_counter()
            r = await http.get(url)
            latencies.append(time.perf_counter() - t)
            if r.status_code != expect:
                errors += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        wall = time.perf_counter() - t0
    return {**summary(latencies), "errors": errors, "clients": clients,
            "throughput_rps": round(len(latencies) / wall, 1) if wall else 0.0}


def bench_http(env: dict[str, str], sample: dict[str, list[Any]], args: argparse.Namespace) -> dict[str, Any]:
    proc, base = start_server(env)
    try:
        urls = {
            "search": [f"/search?q={t}&limit=20" for t in sample["search"]],
            "partners": [f"/entities/{i}/partners" for i in sample["partners"]],
            "paths": [f"/paths?source={s}&target={t}&k=3&max_hops=6" for s, t in sample["paths"]],
            "brokers": [f"/analysis/brokers?since={BROKER_FILTER['since']}&domain={BROKER_FILTER['domain']}"
                        f"&kind={BROKER_FILTER['kind']}"]
            * args.broker_runs,
        }
        # The floor: a request FastAPI routes, validates and runs in its thread pool, where the query layer refuses
        # it (q is blank: 422) before any store call. What any endpoint costs over its store call is at least this.
        floor = ["/search?q=%20"] * len(sample["paths"])
        asyncio.run(load_generator(base, floor[:3], 1, 60, expect=422))
        out: dict[str, Any] = {"floor": {"sequential": asyncio.run(load_generator(base, floor, 1, 60, expect=422))}}
        for name, us in urls.items():
            asyncio.run(load_generator(base, us[:1] if name == "brokers" else us[:3], 1, 300))  # warm-up
            out[name] = {"sequential": asyncio.run(load_generator(base, us, 1, args.http_seconds))}
            if name != "brokers":
                many = (us * (1 + args.http_requests // len(us)))[:args.http_requests]
                out[name]["concurrent"] = asyncio.run(load_generator(base, many, args.clients, args.http_seconds))
        return out
    finally:
        proc.terminate()
        proc.wait(30)


# ------------------------------------------------------------------------------------------- report


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def report(res: dict[str, Any]) -> str:
    lines = []
    m = res["machine"]
    lines.append(f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_mb']} MB RAM, {m['os']}, Python {m['python']}, "
                 f"neo4j driver {m['neo4j_driver']} (rust ext: {m['neo4j_rust_ext']}); server: {res.get('server')}")
    lines.append(f"data: {res['data']}")
    ld = res.get("load")
    if ld:
        rows = ld["rows"]
        ours = rows / ld["ours_total_s"]
        ours_write = rows / ld["bulk_store_load_s"]
        lines.append(f"\nloading {rows} rows (nodes + edges; {ld['party_edges']} PARTY_TO), one run each:")
        lines.append(f"  qgraph read + validate      {ld['read_validate_s']:8.1f} s")
        lines.append(f"  qgraph Store.load (bulk)    {ld['bulk_store_load_s']:8.1f} s  {ours_write:9.0f} rows/s")
        lines.append(f"  qgraph end to end           {ld['ours_total_s']:8.1f} s  {ours:9.0f} rows/s")
        if "atomic_store_load_s" in ld:
            lines.append(f"  qgraph Store.load (atomic)  {ld['atomic_store_load_s']:8.1f} s  "
                         f"{rows / ld['atomic_store_load_s']:9.0f} rows/s")
        if "load_csv" in ld:
            lc = rows / ld["load_csv"]["total_s"]
            lines.append(f"  LOAD CSV                    {ld['load_csv']['total_s']:8.1f} s  {lc:9.0f} rows/s")
            if "search_s" in ld["load_csv"]:
                lines.append(f"  + search properties (the store's upgrade pass, not in the ratios) "
                             f"{ld['load_csv']['search_s']:8.1f} s")
            lines.append(f"  ratio ours/LOAD CSV: end to end {ratio(ours, lc)}x, Store.load only {ratio(ours_write, lc)}x")
        nv = ld["naive"]
        lines.append(f"  naive 1 row/tx (sample of {nv['rows']} rows, extrapolated) {nv['extrapolated_s']:8.1f} s  "
                     f"{nv['rows_per_s']:9.0f} rows/s")
        lines.append(f"  ratio ours/naive: end to end {ratio(ours, nv['rows_per_s'])}x, "
                     f"Store.load only {ratio(ours_write, nv['rows_per_s'])}x")
    mem = res.get("memory")
    if mem:
        st = mem["startup"]
        lines.append(f"\nmemory store: load {mem['load_s']:.1f} s, file {mem['file_mb']:.0f} MB, start-up from file "
                     f"{st['open_s']:.1f} s (+ index: first query at {st['first_query_s']:.1f} s), "
                     f"peak RSS {st['peak_rss_mb']:.0f} MB")
    q = res.get("queries", {})
    if q:
        lines.append("\nqueries in process (median / p99 ms):")
        names = [k for k in q if k in ("memory", "neo4j")]
        for query in ("search", "partners", "paths", "store.shortest_paths", "store.party_agreements",
                      "store.find_paths", "brokers"):
            cells = [f"{n} {q[n][query]['p50_ms']:.2f} / {q[n][query]['p99_ms']:.2f}" for n in names]
            extra = ""
            if len(names) == 2:
                extra = f"  memory/neo4j {ratio(q['memory'][query]['p50_ms'], q['neo4j'][query]['p50_ms'])}x"
            lines.append(f"  {query:22} " + "   ".join(cells) + extra)
        bare = q["networkx.bidirectional_shortest_path"]
        lines.append(f"  networkx bidirectional_shortest_path {bare['p50_ms']:.2f} / {bare['p99_ms']:.2f}")
        if "memory" in q:
            sp = q["memory"]["store.shortest_paths"]
            lines.append(f"  ratio memory store.shortest_paths / bare networkx: p50 "
                         f"{ratio(sp['p50_ms'], bare['p50_ms'])}x, p99 {ratio(sp['p99_ms'], bare['p99_ms'])}x")
        for name, s in q.get("driver", {}).items():
            lines.append(f"  bare driver {name:32} {s['p50_ms']:.2f} / {s['p99_ms']:.2f}")
    if res.get("same_answers"):
        lines.append(f"\nsame answers memory vs neo4j: {res['same_answers']}")
    for name, h in res.get("http", {}).items():
        lines.append(f"\nHTTP on {name} (median / p99 ms):")
        for query, r in h.items():
            seq = r["sequential"]
            line = f"  {query:9} 1 client {seq['p50_ms']:.2f} / {seq['p99_ms']:.2f}"
            if "concurrent" in r:
                c = r["concurrent"]
                line += (f"   {c['clients']} clients {c['p50_ms']:.2f} / {c['p99_ms']:.2f} "
                         f"({c['throughput_rps']} req/s, {c['n']} requests, {c['errors']} errors)")
            inproc = q.get(name, {}).get(query)
            if inproc:
                line += f"   API/in-process query {ratio(seq['p50_ms'], inproc['p50_ms'])}x"
            call = {"partners": "store.party_agreements", "paths": "store.find_paths"}.get(query)
            if call and call in q.get(name, {}):
                line += f"   API/store call {ratio(seq['p50_ms'], q[name][call]['p50_ms'])}x"
            drv = q.get("driver", {})
            if name == "neo4j" and query == "paths":
                line += (f"   API/bare driver: find_paths {ratio(seq['p50_ms'], drv['find_paths.cypher']['p50_ms'])}x,"
                         f" shortest_paths {ratio(seq['p50_ms'], drv['shortest_paths.cypher']['p50_ms'])}x")
            if name == "neo4j" and query == "partners":
                line += f"   API/bare driver {ratio(seq['p50_ms'], drv['find_agreements.cypher (party)']['p50_ms'])}x"
            lines.append(line)
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entities", type=int, default=100_000)
    p.add_argument("--agreements", type=int, default=300_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--work", type=Path, default=REPO / ".cache" / "bench")
    p.add_argument("--neo4j-uri", default=os.environ.get("NEO4J_URI"))
    p.add_argument("--import-dir", default=os.environ.get("NEO4J_IMPORT_DIR"),
                   help="the server's import folder (for LOAD CSV); without it LOAD CSV is skipped")
    p.add_argument("--batch", type=int, default=10_000, help="rows per UNWIND batch / per LOAD CSV transaction")
    p.add_argument("--workers", type=int, default=1, help="parallel batches of the bulk loader")
    p.add_argument("--atomic", action="store_true", help="also time the one-transaction load (needs heap)")
    p.add_argument("--naive-agreements", type=int, default=600)
    p.add_argument("--samples", type=int, default=200, help="queries of each kind")
    p.add_argument("--broker-runs", type=int, default=3)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--http-requests", type=int, default=800)
    p.add_argument("--http-seconds", type=float, default=120)
    p.add_argument("--skip-http", action="store_true")
    p.add_argument("--json", type=Path, help="write every figure here as JSON")
    args = p.parse_args(argv)

    res: dict[str, Any] = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}}
    data = args.work / f"synth-{args.entities}-{args.agreements}-{args.seed}"
    if not (data / "documents.csv").exists():
        log(f"qgraph synth --entities {args.entities} --agreements {args.agreements} --seed {args.seed} …")
        t = time.perf_counter()
        generate(data, entities=args.entities, agreements=args.agreements, seed=args.seed)
        res["synth_s"] = time.perf_counter() - t
    res["data"] = {"folder": str(data), "entities": args.entities, "agreements": args.agreements, "seed": args.seed}

    neo = None
    if args.neo4j_uri:
        neo = Neo4jStore.from_settings(Settings(store="neo4j", neo4j_uri=args.neo4j_uri, neo4j_timeout=600))
        res["server"] = neo.ping()
        graph, res["load"] = bench_load(args, neo, data)
    else:
        graph = read_graph([data])
    res["data"]["rows"] = len(graph.nodes) + len(graph.edges)

    with tempfile.TemporaryDirectory(prefix="qgraph-bench-") as tmp:
        mem_path = Path(tmp) / "graph.json"
        memory, res["memory"] = bench_memory(graph, mem_path)
        sample = samples(graph, args.seed, args.samples)
        stores: dict[str, Store] = {"memory": memory}
        if neo is not None:
            stores["neo4j"] = neo
        log("bare networkx graph …")
        idx = memory._index()
        graph_nx = nx.Graph()
        for u, vs in idx.adjacency.items():
            for v in vs:
                graph_nx.add_edge(u, v)
        log("search section …")
        res["search"] = bench_search(stores, graph, mem_path, seed=args.seed, n=args.samples)
        del graph
        res["queries"] = bench_queries(stores, sample, graph_nx, neo, args)
        del graph_nx
        res["same_answers"] = same_answers(stores, sample, 50)
        if not args.skip_http:
            res["http"] = {}
            log("HTTP on the memory store …")
            res["http"]["memory"] = bench_http({"QGRAPH_STORE": "memory", "QGRAPH_DATA_DIR": tmp}, sample, args)
            if neo is not None:
                log("HTTP on Neo4j …")
                res["http"]["neo4j"] = bench_http({"QGRAPH_STORE": "neo4j", "NEO4J_URI": args.neo4j_uri,
                                                   "QGRAPH_NEO4J_TIMEOUT": "120"}, sample, args)
    res["machine"]["loadavg_end"] = os.getloadavg()
    res["peak_rss_mb_bench_process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = report(res)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({**res, "report": text}, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
