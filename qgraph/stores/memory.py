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
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx

from qgraph.model import Edge, Graph, Node, NodeKind
from qgraph.results import EntityRef
from qgraph.store import (AgreementFilter, AgreementRow, Store, StoreError, agreement_order, entity_ref,
                          node_search_keys)

FORMAT = "qgraph-memory/1"


class _Index:
    """Lookups derived from the graph, built on first use after each change (never persisted)."""

    def __init__(self, g: nx.MultiDiGraph) -> None:
        self.keys: dict[str, list[str]] = {}
        self.nation: dict[str, str] = {}
        self.parties: dict[str, list[str]] = {}
        self.framework: dict[str, str] = {}
        self.adopter: dict[str, str] = {}
        #: parties and agreements joined by PARTY_TO, undirected: the graph partnership paths walk
        self.bipartite = nx.Graph()
        for node_id, data in g.nodes(data=True):
            self.keys[node_id] = node_search_keys(data["node"])
        for src, dst, rel in g.edges(keys=True):
            if rel == "LOCATED_IN":
                self.nation.setdefault(src, dst)
            elif rel == "PARTY_TO":
                self.parties.setdefault(dst, []).append(src)
                self.bipartite.add_edge(src, dst)
            elif rel == "UNDER":
                self.framework[src] = dst
            elif rel == "ADOPTED":
                self.adopter[dst] = src
        for members in self.parties.values():
            members.sort()


class MemoryStore(Store):
    kind = "memory"

    def __init__(self, path: Path | str | None = None) -> None:
        """A store persisted at ``path`` (a JSON file), or purely in memory when ``path`` is None."""
        self.path = Path(path) if path else None
        self._lock = threading.RLock()
        self._stamp: tuple[int, int] | None = None
        self.graph = nx.MultiDiGraph()
        self._meta: dict[str, str] = {}
        self._index_cache: _Index | None = None
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
                self.graph, self._meta = self._read(self.path)
            self._stamp = stamp
            self._index_cache = None

    @staticmethod
    def _read(path: Path) -> tuple[nx.MultiDiGraph, dict[str, str]]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: cannot read the embedded store's file: {exc}") from exc
        if doc.get("format") != FORMAT:
            raise StoreError(f"{path}: not a qgraph embedded store file (format {doc.get('format')!r})")
        g = nx.MultiDiGraph()
        for raw in doc["nodes"]:
            node = Node.model_validate(raw)
            g.add_node(node.id, node=node)
        for raw in doc["edges"]:
            edge = Edge.model_validate(raw)
            g.add_edge(edge.source, edge.target, key=edge.type, edge=edge)
        return g, dict(doc.get("meta", {}))

    def _persist(self, graph: nx.MultiDiGraph, meta: dict[str, str]) -> None:
        if self.path is None:
            return
        doc: dict[str, Any] = {
            "format": FORMAT,
            "meta": meta,
            "nodes": [d["node"].model_dump(mode="json", exclude_none=True) for _, d in graph.nodes(data=True)],
            "edges": [d["edge"].model_dump(mode="json", exclude_none=True) for *_, d in graph.edges(data=True)],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob(".graph-*.tmp"):  # left by a writer killed mid-write (we hold the lock)
            stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".graph-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False, separators=(",", ":"))
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

    def _write(self, graph: Graph, meta: dict[str, str]) -> None:
        with self._lock, self._file_lock():
            self._refresh()
            new = self.graph.copy()
            for node in graph.nodes:
                new.add_node(node.id, node=node)
            for edge in graph.edges:
                new.add_edge(edge.source, edge.target, key=edge.type, edge=edge)
            self._persist(new, meta)
            self.graph, self._meta, self._index_cache = new, dict(meta), None

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

    def clear(self) -> None:
        with self._lock, self._file_lock():
            self._persist(nx.MultiDiGraph(), {})
            self.graph, self._meta, self._index_cache = nx.MultiDiGraph(), {}, None

    def ping(self) -> str:
        self._refresh()
        return f"networkx {nx.__version__}, file {self.path}" if self.path else f"networkx {nx.__version__}, in memory"

    # ------------------------------------------------------------------ queries

    def _index(self) -> _Index:
        self._refresh()
        with self._lock:
            if self._index_cache is None:
                self._index_cache = _Index(self.graph)
            return self._index_cache

    def _node(self, node_id: str) -> Node:
        return self.graph.nodes[node_id]["node"]

    def _ref(self, node_id: str, idx: _Index) -> EntityRef:
        return entity_ref(self._node(node_id), idx.nation.get(node_id))

    def entity_refs(self, node_ids: Iterable[str]) -> dict[str, EntityRef]:
        idx = self._index()
        return {i: self._ref(i, idx) for i in node_ids if i in self.graph}

    def search(self, key: str, kinds: tuple[str, ...], limit: int, offset: int) -> tuple[int, list[tuple[Node, int]]]:
        idx = self._index()
        hits: list[tuple[Node, int]] = []
        for node_id, keys in idx.keys.items():
            node = self._node(node_id)
            if kinds and node.kind.value not in kinds:
                continue
            score = 3 if key in keys else 2 if any(k.startswith(key) for k in keys) else \
                1 if any(key in k for k in keys) else 0
            if score:
                hits.append((node, score))
        hits.sort(key=lambda h: (-h[1], h[0].properties.get("name", ""), h[0].id))
        return len(hits), hits[offset:offset + limit]

    def _agreement_ids(self, f: AgreementFilter, idx: _Index) -> list[str]:
        if f.ids:
            candidates = [a for a in f.ids if a in idx.parties]
        elif f.party is not None:
            candidates = [a for a in idx.bipartite.adj.get(f.party, {}) if a in idx.parties]
        else:
            candidates = list(idx.parties)
        out = []
        for a in candidates:
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
        rows = [AgreementRow(n, [self._ref(p, idx) for p in idx.parties[n.id]],
                             self._ref(idx.framework[n.id], idx) if n.id in idx.framework else None)
                for n in nodes[offset:offset + limit]]
        return len(nodes), rows

    def shortest_paths(self, source: str, target: str, f: AgreementFilter, max_hops: int,
                       cap: int) -> list[list[str]]:
        idx = self._index()
        g = idx.bipartite
        if source not in g or target not in g or source == target:
            return []

        def usable(node_id: str) -> bool:
            return node_id not in idx.parties or f.passes(self._node(node_id).properties)

        view = nx.subgraph_view(g, filter_node=usable)
        try:
            length = len(nx.bidirectional_shortest_path(view, source, target)) - 1
        except nx.NetworkXNoPath:
            return []
        if length > 2 * max_hops:
            return []
        # Every shortest path: predecessors from a BFS bounded by the shortest length, walked back from the target.
        pred = nx.predecessor(view, source, cutoff=length)
        paths: list[list[str]] = []
        stack: list[list[str]] = [[target]]
        while stack and len(paths) < cap:
            partial = stack.pop()
            head = partial[-1]
            if head == source:
                paths.append(partial[::-1])
                continue
            stack.extend(partial + [p] for p in sorted(pred.get(head, []), reverse=True))
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
