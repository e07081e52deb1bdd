"""The embedded store: a networkx MultiDiGraph kept in one JSON file.

Invariants:
- the file is replaced atomically (write to a temporary file in the same folder, fsync, ``os.replace``): a crash
  leaves the old file or the new one, never half of one;
- a load is applied to a copy of the graph, written to disk, and only then swapped in: all-or-nothing;
- each node holds its validated ``Node`` under the attribute ``node``; each edge is keyed by its type and holds its
  ``Edge`` under ``edge``, so (type, source, target) is unique, as MERGE makes it in Neo4j;
- another process (``qgraph load``) may replace the file while a server reads it: reads notice the new file by its
  modification time and size and reload it;
- writers take an exclusive lock (``graph.json.lock``), so two loads at once run one after the other, and the one
  holding the lock removes temporary files that a killed writer left behind.

The file (``FORMAT``) is one JSON object: ``format``; ``meta``; ``citations``, each distinct citation list once;
``nodes`` as rows ``[id, kind, properties, citations]`` and ``edges`` as rows ``[type, source, target, citations]``,
where ``citations`` is a position in the ``citations`` list. Rows, and each citation list written once, make the file
half as long as format 1 (every node and edge an object with its own citations), which is still read.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import pydantic_core
from pydantic import TypeAdapter

from qgraph import cancel
from qgraph.gc_pause import paused_gc
from qgraph.model import Citation, Edge, Graph, Node, NodeKind
from qgraph.results import EntityRef
from qgraph.search import Candidate, Plan
from qgraph.store import (AgreementFilter, AgreementRow, PerCitationList, Store, StoreError, WriteOptions,
                          agreement_order, entity_ref)
from qgraph.stores.memory_search import SearchIndex

FORMAT = "qgraph-memory/2"
#: the previous format, still read (see ``_format_1_as_rows``)
FORMAT_1 = "qgraph-memory/1"
_CITATIONS = TypeAdapter(list[Citation])
_NODES = TypeAdapter(list[Node])
_EDGES = TypeAdapter(list[Edge])
#: nodes with more PARTY_TO neighbours than this are hubs (see ``MemoryStore.shortest_paths``)
HUB_DEGREE = 64


def _graph(doc: dict[str, Any]) -> nx.MultiDiGraph:
    """The graph of a file's rows: citation lists, nodes and edges validated (each kind in one pydantic-core call),
    and every edge end a node of the file."""
    citations = dict(enumerate(_CITATIONS.validate_python(c) for c in doc["citations"]))
    nodes = _NODES.validate_python([{"id": node_id, "kind": kind, "properties": properties, "sources": citations[c]}
                                    for node_id, kind, properties, c in doc["nodes"]])
    # Edge ends that are nodes become the nodes' own id strings (pydantic keeps a valid string): one object per id.
    ids = {node.id: node.id for node in nodes}
    edges = _EDGES.validate_python([{"type": rel, "source": ids.get(src, src), "target": ids.get(dst, dst),
                                     "sources": citations[c]} for rel, src, dst, c in doc["edges"]])
    g = nx.MultiDiGraph()
    g.add_nodes_from((node.id, {"node": node}) for node in nodes)
    for edge in edges:
        if edge.source not in ids or edge.target not in ids:
            raise ValueError(f"edge {edge.key}: an end is no node of the file")
        g.add_edge(edge.source, edge.target, key=edge.type, edge=edge)
    return g


def _format_1_as_rows(doc: dict[str, Any]) -> dict[str, Any]:
    """A file of format 1 (each node and edge an object with its own citations) in the rows of ``FORMAT``."""
    citations: list[Any] = []
    positions: dict[str, int] = {}

    def cited(sources: Any) -> int:
        key = json.dumps(sources, sort_keys=True)
        if key not in positions:
            positions[key] = len(citations)
            citations.append(sources)
        return positions[key]

    return {"citations": citations,
            "nodes": [[n["id"], n["kind"], n["properties"], cited(n["sources"])] for n in doc["nodes"]],
            "edges": [[e["type"], e["source"], e["target"], cited(e["sources"])] for e in doc["edges"]]}


class _Index:
    """Lookups derived from the graph, built on first use after each change (never persisted).

    ``adjacency`` is the party–agreement graph that partnership paths walk (PARTY_TO, undirected), each node's
    neighbours as a frozenset (path search works on whole levels with set operations), each id one interned string
    object (set operations then find equal ids by identity, without comparing the strings); ``hubs`` are its nodes
    with more than ``HUB_DEGREE`` neighbours and ``light_degree`` the mean degree of the other entities and agreements.
    Search has an index of its own (``SearchIndex``), built on the first search.
    """

    def __init__(self, g: nx.MultiDiGraph) -> None:
        self.nation: dict[str, str] = {}
        self.parties: dict[str, list[str]] = {}
        self.framework: dict[str, str] = {}
        self.adopter: dict[str, str] = {}
        self.adjacency: dict[str, frozenset[str]] = {}
        adjacency: dict[str, list[str]] = {}
        for src, dst, rel in g.edges(keys=True):
            if rel == "LOCATED_IN":
                self.nation.setdefault(src, dst)
            elif rel == "PARTY_TO":
                src, dst = sys.intern(src), sys.intern(dst)
                self.parties.setdefault(dst, []).append(src)
                adjacency.setdefault(src, []).append(dst)
                adjacency.setdefault(dst, []).append(src)
            elif rel == "UNDER":
                self.framework[src] = dst
            elif rel == "ADOPTED":
                self.adopter[dst] = src
        for members in self.parties.values():
            members.sort()
        self.adjacency = {node: frozenset(neighbours) for node, neighbours in adjacency.items()}
        self.hubs = frozenset(node for node, neighbours in self.adjacency.items() if len(neighbours) > HUB_DEGREE)
        light: tuple[list[int], list[int]] = ([], [])
        for node, neighbours in self.adjacency.items():
            if len(neighbours) <= HUB_DEGREE:
                light[node in self.parties].append(len(neighbours))
        self.light_degree = tuple(sum(d) / len(d) if d else 1.0 for d in light)

class MemoryStore(Store):
    kind = "memory"

    def __init__(self, path: Path | str | None = None) -> None:
        """A store persisted at ``path`` (a JSON file), or purely in memory when ``path`` is None."""
        self.path = Path(path) if path else None
        self._reviews: dict[str, str] = {}  # only for a store without a file
        self._lock = threading.RLock()
        self._stamp: tuple[int, int] | None = None
        self.graph = nx.MultiDiGraph()
        self._meta: dict[str, str] = {}
        self._index_cache: _Index | None = None
        self._search_cache: SearchIndex | None = None
        self._refresh()

    # ------------------------------------------------------------------ persistence

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat() if self.path else None
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size) if st else None

    def _refresh(self) -> None:
        """Reload the file when it changed on disk since we last read or wrote it."""
        if self.path is None:
            return
        with self._lock:
            stamp = self._file_stamp()
            if stamp == self._stamp:
                return
            if stamp is None:
                self.graph, self._meta = nx.MultiDiGraph(), {}
            else:
                with paused_gc():
                    self.graph, self._meta = self._read(self.path)
            self._stamp = stamp
            self._index_cache = self._search_cache = None

    @staticmethod
    def _read(path: Path) -> tuple[nx.MultiDiGraph, dict[str, str]]:
        try:
            doc = pydantic_core.from_json(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: cannot read the embedded store's file: {exc}") from exc
        fmt = doc.get("format") if isinstance(doc, dict) else None
        if fmt not in (FORMAT, FORMAT_1):
            raise StoreError(f"{path}: not a qgraph embedded store file (format {fmt!r}, expected {FORMAT!r})")
        try:
            return _graph(doc if fmt == FORMAT else _format_1_as_rows(doc)), dict(doc.get("meta", {}))
        except (LookupError, TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            raise StoreError(f"{path}: the embedded store's file is damaged: {exc}") from exc

    def _persist(self, graph: nx.MultiDiGraph, meta: dict[str, str]) -> None:
        if self.path is None:
            return
        # Each distinct citation list once, by its position in the table.
        table: list[list[Citation]] = []
        cited = PerCitationList(lambda sources: table.append(sources) or len(table) - 1)

        doc: dict[str, Any] = {
            "format": FORMAT,
            "meta": meta,
            "nodes": [[n.id, n.kind.value, n.properties, cited(n.sources)]
                      for n in (d["node"] for _, d in graph.nodes(data=True))],
            "edges": [[e.type, e.source, e.target, cited(e.sources)]
                      for e in (d["edge"] for *_, d in graph.edges(data=True))],
            "citations": table,
        }
        text = pydantic_core.to_json(doc, exclude_none=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob(".graph-*.tmp"):  # left by a writer killed mid-write (we hold the lock)
            stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".graph-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._stamp = self._file_stamp()

    # ------------------------------------------------------------------ backend

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Exclusive across processes while a writer reads, merges and replaces the file."""
        if self.path is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, graph: Graph, meta: dict[str, str], options: WriteOptions) -> None:
        # One atomic file replace whatever ``options.bulk`` says; progress is the whole load, once it is written.
        with self._lock, self._file_lock():
            self._refresh()
            with paused_gc():
                new = self.graph.copy()
                for node in graph.nodes:
                    new.add_node(node.id, node=node)
                for edge in graph.edges:
                    new.add_edge(edge.source, edge.target, key=edge.type, edge=edge)
                self._persist(new, meta)
            self.graph, self._meta, self._index_cache, self._search_cache = new, dict(meta), None, None
        if options.progress:
            options.progress(len(graph.nodes) + len(graph.edges))

    def _counts(self) -> tuple[Counter[str], Counter[str]]:
        self._refresh()
        g = self.graph
        return (Counter(d["node"].kind.value for _, d in g.nodes(data=True)),
                Counter(k for _, _, k in g.edges(keys=True)))

    def _get_nodes(self, node_ids: list[str]) -> list[Node]:
        self._refresh()
        return [self.graph.nodes[i]["node"] for i in node_ids if i in self.graph]

    def kinds_of(self, node_ids: Iterable[str]) -> dict[str, NodeKind]:
        self._refresh()
        return {i: self.graph.nodes[i]["node"].kind for i in node_ids if i in self.graph}

    def dump(self) -> tuple[list[Node], list[Edge]]:
        self._refresh()
        g = self.graph
        return [d["node"] for _, d in g.nodes(data=True)], [d["edge"] for *_, d in g.edges(data=True)]

    def meta(self) -> dict[str, str]:
        self._refresh()
        return dict(self._meta)

    def _review_path(self, review_id: str) -> Path | None:
        if not re.fullmatch(r"[a-z0-9-]{1,64}", review_id):
            raise ValueError(f"{review_id!r} is not a review id")
        return self.path.with_name(self.path.name + ".reviews") / f"{review_id}.json" if self.path else None

    def save_review(self, review_id: str, body: str) -> None:
        """Reviews live beside the graph file (``graph.json.reviews/<id>.json``), each replaced atomically, so that
        every process using the file sees them."""
        path = self._review_path(review_id)
        if path is None:
            self._reviews[review_id] = body
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".review-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def load_review(self, review_id: str) -> str | None:
        path = self._review_path(review_id)
        if path is None:
            return self._reviews.get(review_id)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def clear(self) -> None:
        with self._lock, self._file_lock():
            self._persist(nx.MultiDiGraph(), {})
            self.graph, self._meta, self._index_cache, self._search_cache = nx.MultiDiGraph(), {}, None, None

    def ping(self) -> str:
        self._refresh()
        return f"networkx {nx.__version__}, file {self.path}" if self.path else f"networkx {nx.__version__}, in memory"

    # ------------------------------------------------------------------ queries

    def _index(self) -> _Index:
        self._refresh()
        with self._lock:
            if self._index_cache is None:
                with paused_gc():
                    self._index_cache = _Index(self.graph)
            return self._index_cache

    def _node(self, node_id: str) -> Node:
        return self.graph.nodes[node_id]["node"]

    def _ref(self, node_id: str, idx: _Index) -> EntityRef:
        return entity_ref(self._node(node_id), idx.nation.get(node_id))

    def entity_refs(self, node_ids: Iterable[str]) -> dict[str, EntityRef]:
        idx = self._index()
        return {i: self._ref(i, idx) for i in node_ids if i in self.graph}

    def _search_index(self) -> SearchIndex:
        self._refresh()
        with self._lock:
            if self._search_cache is None:
                with paused_gc():
                    self._search_cache = SearchIndex(
                        (node_id, d["node"].kind.value, d["node"].properties) for node_id, d in self.graph.nodes(data=True))
            return self._search_cache

    def search_candidates(self, plan: Plan, mode: str, kinds: tuple[str, ...], cap: int,
                          exact_cap: int) -> tuple[list[Candidate], int, list[Candidate]]:
        return self._search_index().candidates(plan, mode, kinds, cap, exact_cap)

    def _agreement_ids(self, f: AgreementFilter, idx: _Index) -> list[str]:
        if f.ids:
            candidates = [a for a in f.ids if a in idx.parties]
        elif f.party is not None:
            candidates = [a for a in idx.adjacency.get(f.party, ()) if a in idx.parties]
        else:
            candidates = list(idx.parties)
        out = []
        for i, a in enumerate(candidates):
            if not i & 4095:
                cancel.check()  # a scan of every agreement: stop when its request is over (qgraph.cancel)
            node = self._node(a)
            if not f.passes(node.properties):
                continue
            if f.party is not None and f.party not in idx.parties[a]:
                continue
            if f.framework is not None and idx.framework.get(a) != f.framework:
                continue
            if f.nation is not None and not any(p == f.nation or idx.nation.get(p) == f.nation
                                                for p in idx.parties[a]):
                continue
            out.append(a)
        return out

    def agreements(self, f: AgreementFilter, limit: int, offset: int) -> tuple[int, list[AgreementRow]]:
        idx = self._index()
        nodes = sorted((self._node(a) for a in self._agreement_ids(f, idx)), key=agreement_order)
        rows = []
        for i, n in enumerate(nodes[offset:offset + limit]):
            if not i & 1023:
                cancel.check()  # rows of 100,000 agreements take seconds (their parties' refs): stop with the request
            rows.append(AgreementRow(n, [self._ref(p, idx) for p in idx.parties[n.id]],
                                     self._ref(idx.framework[n.id], idx) if n.id in idx.framework else None))
        return len(nodes), rows

    def party_edges(self, f: AgreementFilter, limit: int = 1_000_000) -> list[tuple[str, str]]:
        """As ``Store.party_edges`` (the first ``limit`` agreements in agreement order), from the index alone: no
        agreement rows or party refs are built, which at 30,000 agreements took seconds per analysis."""
        idx = self._index()
        ids = sorted(self._agreement_ids(f, idx), key=lambda a: agreement_order(self._node(a)))[:limit]
        cancel.check()
        return [(p, a) for a in ids for p in idx.parties[a]]

    def shortest_paths(self, source: str, target: str, f: AgreementFilter, max_hops: int,
                       cap: int) -> list[list[str]]:
        """Bidirectional breadth-first search over the party–agreement graph, one level at a time from the cheaper
        side, until the two searches meet; the meeting level is finished so that every shortest path is found, then
        the paths are spelled out by walking back through both sides' levels (in id order, at most ``cap``).

        Each step is a few set operations that run in C rather than a Python loop over neighbours. PARTY_TO always
        joins a party to an agreement, so the graph is bipartite and a node's neighbours lie one level below or above
        it: the next level is the union of the frontier's neighbour sets minus the level before. Meeting nodes can
        only be on the other side's last level, so they are the intersection with it. No parents are recorded: only
        the nodes on shortest paths need theirs, and ``_spell`` finds them as neighbours on the level below.
        """
        idx = self._index()
        adj, hubs, light, nodes = idx.adjacency, idx.hubs, idx.light_degree, self.graph.nodes
        # Ends are entities with agreements (an agreement is no end: Neo4j's pattern starts with a PARTY_TO edge).
        if source == target or source not in adj or target not in adj or source in idx.parties or target in idx.parties:
            return []
        filtered = bool(f.kinds or f.domains or f.since or f.until)

        def usable(agreement: str) -> bool:
            return f.passes(nodes[agreement]["node"].properties)

        def cost(level: set[str], depth: int) -> float:
            # What expanding a level costs: the sum of its nodes' degrees, estimated as the hubs' degrees plus the
            # mean degree for the others (looking every node up costs about as much as expanding it, and the last
            # level of the side that does not meet is never expanded). Entities at even depths, agreements at odd.
            heavy = level & hubs
            return (len(level) - len(heavy)) * light[depth % 2] + sum(map(len, map(adj.__getitem__, heavy)))

        # levels[side][d]: the nodes d steps from that side's end (entities at even d, agreements passing f at odd d).
        levels: tuple[list[set[str]], list[set[str]]] = ([{source}], [{target}])
        work = [cost(levels[0][0], 0), cost(levels[1][0], 0)]
        while levels[0][-1] and levels[1][-1] and len(levels[0]) + len(levels[1]) - 2 < 2 * max_hops:
            # Expand the cheaper side (in a heavy-tailed network one hub outweighs many small frontier nodes).
            side = 0 if work[0] <= work[1] else 1
            mine, their_last = levels[side], levels[1 - side][-1]
            frontier = mine[-1]
            # A hub with more neighbours than the other side's last level holds meets that level at few nodes, which
            # intersecting the two finds more cheaply than expanding the hub: hubs are expanded only if this level
            # meets nothing, so a hub is never expanded on the last level.
            deferred = [u for u in frontier & hubs if len(adj[u]) > 4 * len(their_last)]
            level = set().union(*map(adj.__getitem__, frontier.difference(deferred) if deferred else frontier))
            meeting = level & their_last
            for u in deferred:
                meeting |= adj[u] & their_last
            if meeting:
                forward, backward = (mine, levels[1][:-1]) if side == 0 else (levels[0][:-1], mine)
                return self._spell(adj, sorted(meeting), forward, backward, cap)
            level.update(*map(adj.__getitem__, deferred))
            if len(mine) > 1:
                level -= mine[-2]
            if filtered and len(mine) % 2:  # the frontier holds entities, the new level agreements
                level = set(filter(usable, level))
            mine.append(level)
            work[side] = cost(level, len(mine) - 1)
        return []

    @staticmethod
    def _spell(adj: dict[str, frozenset[str]], meeting: list[str], forward: list[set[str]],
               backward: list[set[str]], cap: int) -> list[list[str]]:
        """The shortest paths through the meeting nodes, at most ``cap``. ``forward[d]`` / ``backward[d]`` hold the
        nodes d steps from the source / target, up to the level next to the meeting nodes; a node's predecessors on
        a shortest path are its neighbours on the level below it."""
        def predecessors(levels: list[set[str]]) -> dict[str, list[str]]:
            # Each node on a shortest path from the meeting nodes down to the end, with its predecessors (in id
            # order), found level by level: either each node's neighbour set intersected with the level below, or,
            # when those intersections would probe many times more entries than that level holds (hubs above a wide
            # level), one pass over the level below.
            preds: dict[str, list[str]] = {}
            above: set[str] = set(meeting)
            for level in reversed(levels):
                found: dict[str, Iterable[str]]
                if sum(min(len(adj[x]), len(level)) for x in above) <= 8 * len(level):
                    found = {x: adj[x] & level for x in above}
                else:
                    found = {x: [] for x in above}
                    for y in level:
                        for x in adj[y] & above:
                            found[x].append(y)
                above = set()
                for x, ys in found.items():
                    preds[x] = sorted(ys)
                    above.update(ys)
            return preds

        Walks = list[tuple[str, ...]]

        def walks(node: str, preds: dict[str, list[str]], memo: dict[str, Walks]) -> Walks:
            # Every walk from ``node`` down to the end (at most ``cap``, in id order), made of its predecessors'
            # walks: memoised, as many walks share their lower part. The end alone has no predecessors.
            out = memo.get(node)
            if out is None:
                ps = preds.get(node)
                if ps is None:
                    out = [(node,)]
                else:
                    out = []
                    for p in ps:
                        out += [(node, *w) for w in walks(p, preds, memo)]
                        if len(out) >= cap:
                            del out[cap:]
                            break
                memo[node] = out
            return out

        to_source, to_target = predecessors(forward), predecessors(backward)
        heads_memo: dict[str, Walks] = {}
        tails_memo: dict[str, Walks] = {}
        paths: list[list[str]] = []
        for m in meeting:
            tails = walks(m, to_target, tails_memo)
            for h in walks(m, to_source, heads_memo):
                for t in tails:
                    paths.append([*h[::-1], *t[1:]])
                    if len(paths) >= cap:
                        return paths
        return paths

    def relations(self, node_id: str, limit: int) -> tuple[int, list[tuple[Edge, EntityRef]]]:
        idx = self._index()
        if node_id not in self.graph:
            return 0, []
        g = self.graph
        edges = [d["edge"] for *_, d in g.out_edges(node_id, data=True)] + \
                [d["edge"] for *_, d in g.in_edges(node_id, data=True)]
        edges.sort(key=lambda e: (e.type, e.target if e.source == node_id else e.source))
        return len(edges), [(e, self._ref(e.target if e.source == node_id else e.source, idx)) for e in edges[:limit]]

    def neighbour_ids(self, node_ids: Iterable[str], types: Iterable[str]) -> set[str]:
        self._refresh()
        g, wanted = self.graph, set(types)
        out: set[str] = set()
        for n in node_ids:
            if n not in g:
                continue
            out.update(v for _, v, k in g.out_edges(n, keys=True) if k in wanted)
            out.update(u for u, _, k in g.in_edges(n, keys=True) if k in wanted)
        return out

    def subgraph_edges(self, node_ids: Iterable[str]) -> list[Edge]:
        self._refresh()
        ids = set(node_ids)
        return [d["edge"] for u in ids if u in self.graph
                for _, v, d in self.graph.out_edges(u, data=True) if v in ids]

    def strategies(self) -> list[tuple[Node, EntityRef | None]]:
        idx = self._index()
        return [(d["node"], self._ref(idx.adopter[i], idx) if i in idx.adopter else None)
                for i, d in self.graph.nodes(data=True) if d["node"].kind is NodeKind.STRATEGY]
