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
import heapq
import json
import os
import tempfile
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import TypeAdapter

from qgraph.model import Citation, Edge, Graph, Node, NodeKind
from qgraph.results import EntityRef
from qgraph.store import (AgreementFilter, AgreementRow, Store, StoreError, agreement_order, entity_ref,
                          node_search_keys)

FORMAT = "qgraph-memory/1"
_CITATIONS = TypeAdapter(list[Citation])


class _Index:
    """Lookups derived from the graph, built on first use after each change (never persisted).

    ``adjacency`` is the party–agreement graph that partnership paths walk (PARTY_TO, undirected) as plain lists;
    ``search_blob`` holds every node's search keys, each followed by a newline (which no normalised key or query
    contains), so one ``str.find`` scan over it finds every key containing a query; ``search_starts`` are the offsets
    where each node's keys begin (for ``bisect``) and ``search_ids`` the nodes in that order.
    """

    def __init__(self, g: nx.MultiDiGraph) -> None:
        self.keys: dict[str, list[str]] = {}
        self.nation: dict[str, str] = {}
        self.parties: dict[str, list[str]] = {}
        self.framework: dict[str, str] = {}
        self.adopter: dict[str, str] = {}
        self.adjacency: dict[str, list[str]] = {}
        chunks: list[str] = []
        self.search_ids: list[str] = []
        self.search_starts: list[int] = []
        #: (name, kind) of each node, in search order: ranking and the kind filter need no Node
        self.search_rank: list[tuple[str, str]] = []
        offset = 0
        for node_id, data in g.nodes(data=True):
            node = data["node"]
            keys = node_search_keys(node)
            self.keys[node_id] = keys
            text = "".join(k + "\n" for k in keys)
            self.search_ids.append(node_id)
            self.search_rank.append((node.properties.get("name", ""), node.kind.value))
            self.search_starts.append(offset)
            chunks.append(text)
            offset += len(text)
        self.search_blob = "".join(chunks)
        adjacency = self.adjacency
        for src, dst, rel in g.edges(keys=True):
            if rel == "LOCATED_IN":
                self.nation.setdefault(src, dst)
            elif rel == "PARTY_TO":
                self.parties.setdefault(dst, []).append(src)
                adjacency.setdefault(src, []).append(dst)
                adjacency.setdefault(dst, []).append(src)
            elif rel == "UNDER":
                self.framework[src] = dst
            elif rel == "ADOPTED":
                self.adopter[dst] = src
        for members in self.parties.values():
            members.sort()
        for neighbours in adjacency.values():
            neighbours.sort()

    def matching(self, key: str) -> list[int]:
        """Positions (in ``search_ids``) of the nodes one of whose keys contains ``key``, in index order."""
        find, starts = self.search_blob.find, self.search_starts
        end = len(starts)
        out: list[int] = []
        pos = find(key)
        while pos >= 0:
            i = bisect_right(starts, pos) - 1
            out.append(i)
            # Skip to the next node: its keys cannot match again inside this one.
            pos = find(key, starts[i + 1]) if i + 1 < end else -1
        return out


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
        # A record's edges carry its citations: validate each distinct citation list once and share it (at a million
        # edges this halves start-up time and the memory the citations take).
        citations: dict[tuple[tuple[Any, ...], ...], list[Citation]] = {}

        def cited(raw: dict[str, Any]) -> dict[str, Any]:
            sources = raw.get("sources")
            if not isinstance(sources, list) or not all(isinstance(c, dict) for c in sources):
                return raw
            key = tuple(tuple(sorted(c.items())) for c in sources)
            shared = citations.get(key)
            if shared is None:
                shared = citations[key] = _CITATIONS.validate_python(sources)
            return {**raw, "sources": shared}

        for raw in doc["nodes"]:
            node = Node.model_validate(cited(raw))
            g.add_node(node.id, node=node)
        for raw in doc["edges"]:
            edge = Edge.model_validate(cited(raw))
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
        ids, rank, all_keys = idx.search_ids, idx.search_rank, idx.keys
        ranked: list[tuple[int, str, str]] = []
        for i in idx.matching(key):
            name, kind = rank[i]
            if kinds and kind not in kinds:
                continue
            node_id = ids[i]
            keys = all_keys[node_id]
            score = 3 if key in keys else 2 if any(k.startswith(key) for k in keys) else 1
            ranked.append((-score, name, node_id))
        # Only the page is ordered and turned into nodes; the total counts every match.
        page = heapq.nsmallest(offset + limit, ranked)[offset:]
        return len(ranked), [(self._node(node_id), -neg) for neg, _, node_id in page]

    def _agreement_ids(self, f: AgreementFilter, idx: _Index) -> list[str]:
        if f.ids:
            candidates = [a for a in f.ids if a in idx.parties]
        elif f.party is not None:
            candidates = [a for a in idx.adjacency.get(f.party, ()) if a in idx.parties]
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
        """Bidirectional breadth-first search over the party–agreement graph, one level at a time from the smaller
        side, until the two searches meet; the meeting level is finished so that every shortest path is found, then
        the paths are spelled out from both sides' parents (in id order, at most ``cap``)."""
        idx = self._index()
        adj, parties = idx.adjacency, idx.parties
        # Ends are entities with agreements (an agreement is no end: Neo4j's pattern starts with a PARTY_TO edge).
        if source == target or source not in adj or target not in adj or source in parties or target in parties:
            return []
        checked: dict[str, bool] = {}
        filtered = bool(f.kinds or f.domains or f.since or f.until)

        def usable(agreement: str) -> bool:
            ok = checked.get(agreement)
            if ok is None:
                ok = checked[agreement] = f.passes(self._node(agreement).properties)
            return ok

        # parents[side][node]: the nodes one step nearer that side's end; levels[side]: steps from that end.
        parents: tuple[dict[str, list[str]], dict[str, list[str]]] = ({source: []}, {target: []})
        depth = [0, 0]
        frontiers = [[source], [target]]
        limit = 2 * max_hops
        work = [len(adj[source]), len(adj[target])]
        while frontiers[0] and frontiers[1] and depth[0] + depth[1] < limit:
            # Expand the side whose next level costs less: the sum of its frontier's degrees (in a heavy-tailed
            # network one hub outweighs many small frontier nodes).
            side = 0 if work[0] <= work[1] else 1
            mine = parents[side]
            # Meeting nodes can only be on the other side's last level. For an entity with more agreements than
            # that level holds, ask the other way round first — is it a party to one of those agreements? — and
            # expand it only if this level meets nothing: a hub is then never expanded on the last level.
            their_last = frontiers[1 - side]
            level: dict[str, list[str]] = {}
            meeting: dict[str, list[str]] = {}
            deferred: list[str] = []
            for u in frontiers[side]:
                to_agreements = u not in parties
                neighbours = adj[u]
                if to_agreements and len(neighbours) > 4 * len(their_last):
                    for w in their_last:
                        if u in adj[w]:
                            meeting.setdefault(w, []).append(u)
                    deferred.append(u)
                    continue
                for v in neighbours:
                    if v in mine:
                        continue
                    if to_agreements and filtered and not usable(v):
                        continue
                    got = level.get(v)
                    if got is None:
                        level[v] = [u]
                    else:
                        got.append(u)
            for v in their_last:
                got = level.get(v)
                if got is not None:
                    meeting.setdefault(v, []).extend(got)
            if meeting:
                for v, us in meeting.items():
                    mine[v] = sorted(set(us))
                return self._spell(sorted(meeting), parents[0], parents[1], cap)
            for u in deferred:
                for v in adj[u]:
                    if v in mine or (filtered and not usable(v)):
                        continue
                    got = level.get(v)
                    if got is None:
                        level[v] = [u]
                    else:
                        got.append(u)
            mine.update(level)
            depth[side] += 1
            frontiers[side] = list(level)
            work[side] = sum(len(adj[v]) for v in frontiers[side])
        return []

    @staticmethod
    def _spell(meeting: list[str], forward: dict[str, list[str]], backward: dict[str, list[str]],
               cap: int) -> list[list[str]]:
        def walks(node: str, parents: dict[str, list[str]]) -> list[list[str]]:
            # Every walk from ``node`` back to its side's end, following parents (ids in order).
            out: list[list[str]] = []
            stack = [[node]]
            while stack and len(out) < cap:
                partial = stack.pop()
                ps = parents[partial[-1]]
                if not ps:
                    out.append(partial)
                    continue
                stack.extend(partial + [p] for p in sorted(ps, reverse=True))
            return out

        paths: list[list[str]] = []
        for m in meeting:
            heads = walks(m, forward)
            tails = walks(m, backward)
            for h in heads:
                for t in tails:
                    paths.append(h[::-1] + t[1:])
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
