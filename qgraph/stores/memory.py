"""The embedded store: a networkx MultiDiGraph kept in one JSON file (a checkpoint) and the changesets after it.

Invariants:
- files beside each other: ``graph.json``, the checkpoint: the whole graph as of a changeset; ``graph.journal``,
  every changeset, one JSON line each, append-only; ``graph.head``, the metadata of the last changeset written after
  the checkpoint (absent when the checkpoint is the last). The graph is the checkpoint with the journal's changesets
  after it replayed (their diffs hold every value after);
- a write appends its changeset to the journal (fsync) and then makes it committed with one atomic replace (write a
  temporary file in the same folder, fsync, ``os.replace``): of the head, which is O(the change), or — when there is
  no checkpoint yet, when the changeset is a summary (no values: it cannot be replayed), or when the journal beyond
  the checkpoint has outgrown ``CHECKPOINT_RATIO`` of the graph file — of the graph file, whose metadata then records
  the journal's length (``journal_bytes``) and a new checkpoint id; a head names the checkpoint it follows, so a head
  left by a writer killed after writing a checkpoint is ignored. A writer killed before its commit point leaves a
  journal tail beyond the committed length, which readers ignore and the next writer cuts off: graph and history are
  both old or both new, never a mix;
- a load is applied to a new version of the graph that shares every dict the change does not touch with the old one
  (``_applied``), and only then swapped in: all-or-nothing, and readers of the old version go on reading it;
- each node holds its validated ``Node`` under the attribute ``node``; each edge is keyed by its type and holds its
  ``Edge`` under ``edge``, so (type, source, target) is unique, as MERGE makes it in Neo4j;
- another process (``qgraph load``) may write while a server reads: reads notice a new graph file or head by their
  modification time and size; a new graph file is read whole, a new head costs only the changesets appended since;
- writers take an exclusive lock (``graph.json.lock``), so two loads at once run one after the other, and the one
  holding the lock removes temporary files that a killed writer left behind;
- the graph, its metadata and its derived indexes form one immutable ``_State`` that a write replaces as a whole: a
  pinned view (``Store.pinned()``) keeps the state it started with, so a request never sees two versions. A write
  brings the indexes already built up to date from its diff (``_Index.patched``, ``memory_search.Layers``) instead of
  dropping them: no read after a write pays for a rebuild;
- history: the journal's committed part is validated on open (whole lines, numbers 1, 2, …); a damaged or truncated
  journal is reported with its byte offset, reads serve the checkpoint and the whole changesets after it, and writes
  are refused until ``qgraph history --repair`` keeps every whole changeset (and writes a checkpoint of them).

The file (``FORMAT``) is one JSON object: ``format``; ``meta``; ``citations``, each distinct citation list once;
``nodes`` as rows ``[id, kind, properties, citations]`` and ``edges`` as rows ``[type, source, target, citations]``,
where ``citations`` is a position in the ``citations`` list; a fifth column, when present, is the fact's dataset
(absent: the default dataset). Rows, and each citation list written once, make the file
half as long as format 1 (every node and edge an object with its own citations), which is still read.
"""

from __future__ import annotations

import copy
import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pydantic_core
from pydantic import TypeAdapter

from qgraph import cancel
from qgraph.gc_pause import paused_gc
from qgraph.history import (Changeset, EdgeChange, EdgeKey, NodeChange, dumps, format_state, loads, state_hash,
                            version_of)
from qgraph.model import Citation, Edge, Node, NodeKind
from qgraph.results import EntityRef
from qgraph.search import Candidate, Plan
from qgraph.store import (DEFAULT_DATASET, AgreementFilter, AgreementRow, Counts, PerCitationList, Store, StoreError,
                          WriteOptions, WriteTx,
                          agreement_order, entity_ref)
from qgraph.stores.memory_search import Layers, SearchIndex

FORMAT = "qgraph-memory/2"
#: the previous format, still read (see ``_format_1_as_rows``)
FORMAT_1 = "qgraph-memory/1"
_CITATIONS = TypeAdapter(list[Citation])
_NODES = TypeAdapter(list[Node])
_EDGES = TypeAdapter(list[Edge])
#: nodes with more PARTY_TO neighbours than this are hubs (see ``MemoryStore.shortest_paths``)
HUB_DEGREE = 64
#: the head file (``graph.head``): the metadata of the last changeset written after the checkpoint
HEAD_FORMAT = "qgraph-head/1"
#: a write also writes the graph file (a checkpoint) once the journal beyond the last one is longer than this share
#: of the graph file, or than ``CHECKPOINT_MIN_BYTES``, whichever is more (see ``MemoryStore._commit_state``)
CHECKPOINT_RATIO = 0.5
CHECKPOINT_MIN_BYTES = 1 << 20
#: once writes changed more than this share of the nodes of the search index's base, the next search builds one
#: index of the whole graph again instead of adding a layer
REBUILD_FRACTION = 0.25

log = logging.getLogger("qgraph.memory")


def _tag(data: bytes) -> str:
    """What a graph file's derived files (the saved search index) are tagged with: a digest of its bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _graph(doc: dict[str, Any]) -> nx.MultiDiGraph:
    """The graph of a file's rows: citation lists, nodes and edges validated (each kind in one pydantic-core call),
    and every edge end a node of the file."""
    citations = dict(enumerate(_CITATIONS.validate_python(c) for c in doc["citations"]))
    rows = doc["nodes"]
    nodes = _NODES.validate_python([{"id": r[0], "kind": r[1], "properties": r[2], "sources": citations[r[3]]}
                                    for r in rows])
    # Edge ends that are nodes become the nodes' own id strings (pydantic keeps a valid string): one object per id.
    ids = {node.id: node.id for node in nodes}
    edge_rows = doc["edges"]
    edges = _EDGES.validate_python([{"type": r[0], "source": ids.get(r[1], r[1]), "target": ids.get(r[2], r[2]),
                                     "sources": citations[r[3]]} for r in edge_rows])
    g = nx.MultiDiGraph()
    g.add_nodes_from((node.id, {"node": node, "origin": r[4]} if len(r) > 4 else {"node": node})
                     for node, r in zip(nodes, rows))
    for edge, r in zip(edges, edge_rows):
        if edge.source not in ids or edge.target not in ids:
            raise ValueError(f"edge {edge.key}: an end is no node of the file")
        if len(r) > 4:
            g.add_edge(edge.source, edge.target, key=edge.type, edge=edge, origin=r[4])
        else:
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
    Search has an index of its own (``SearchIndex``): on the first search, read from ``graph.json.search`` when that
    file was built from this very graph file (its tag is the digest of the file's bytes), else built and saved there.
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
        #: the degrees of the light nodes (not hubs), summed and counted apart for entities and agreements
        self._light = [[0, 0], [0, 0]]
        for node, neighbours in self.adjacency.items():
            self._count(node, +1)
        self._light_degree()

    def _count(self, node: str, sign: int) -> None:
        neighbours = self.adjacency.get(node)
        if neighbours is not None and len(neighbours) <= HUB_DEGREE:
            cell = self._light[node in self.parties]
            cell[0] += sign * len(neighbours)
            cell[1] += sign

    def _light_degree(self) -> None:
        self.light_degree = tuple(total / n if n else 1.0 for total, n in self._light)

    def patched(self, g: nx.MultiDiGraph, touched: Iterable[str]) -> _Index:
        """The index of ``g``, a graph that differs from this index's graph only in the nodes ``touched`` and
        edges between them: a copy with those nodes' entries made again, O(the nodes touched), not O(the graph)."""
        new = copy.copy(self)
        new.nation, new.parties, new.framework = dict(self.nation), dict(self.parties), dict(self.framework)
        new.adopter, new.adjacency = dict(self.adopter), dict(self.adjacency)
        new._light = [list(cell) for cell in self._light]
        hubs = set(self.hubs)
        touched = set(touched)
        for node in touched:
            new._count(node, -1)
        for node in touched:
            succ, pred = g._succ.get(node, {}), g._pred.get(node, {})
            new.nation.pop(node, None)
            new.framework.pop(node, None)
            new.adopter.pop(node, None)
            new.parties.pop(node, None)
            new.adjacency.pop(node, None)
            hubs.discard(node)
            neighbours: list[str] = []
            for other, keys in succ.items():
                if "LOCATED_IN" in keys:
                    new.nation.setdefault(node, other)
                if "UNDER" in keys:
                    new.framework[node] = other
                if "PARTY_TO" in keys:
                    neighbours.append(sys.intern(other))
            members: list[str] = []
            for other, keys in pred.items():
                if "ADOPTED" in keys:
                    new.adopter[node] = other
                if "PARTY_TO" in keys:
                    members.append(sys.intern(other))
            if members:
                new.parties[sys.intern(node)] = sorted(members)
            if neighbours or members:
                new.adjacency[sys.intern(node)] = frozenset(neighbours + members)
                if len(neighbours) + len(members) > HUB_DEGREE:
                    hubs.add(node)
        for node in touched:
            new._count(node, +1)
        new.hubs = frozenset(hubs)
        new._light_degree()
        return new


def _applied(g: nx.MultiDiGraph, changesets: Iterable[tuple[list[NodeChange], list[EdgeChange]]]) -> tuple[
        nx.MultiDiGraph, set[str], dict[str, tuple[str, dict[str, Any]] | None]]:
    """A new graph: ``g`` with the changes applied, sharing every part of ``g`` they do not touch (``g`` is left as
    it was: readers of its version go on reading it). Copying is O(the nodes) for the three top-level dicts, about
    30 ms at 400k nodes, and O(the change) for the rest (each touched node's adjacency dict and edge-key dict is
    copied before it is changed; attribute dicts are replaced, never changed). Also returns the nodes touched (the
    changed nodes and both ends of every changed edge) and each changed node's (kind, properties) after, or None when
    it was removed (for the search index)."""
    new = nx.MultiDiGraph()
    new.graph.update(g.graph)
    new._node, new._succ, new._pred = dict(g._node), dict(g._succ), dict(g._pred)
    new._adj = new._succ
    own_succ: set[str] = set()
    own_pred: set[str] = set()
    touched: set[str] = set()
    written: dict[str, tuple[str, dict[str, Any]] | None] = {}

    def succ(u: str) -> dict[str, dict[str, Any]]:
        if u not in own_succ:
            new._succ[u] = dict(new._succ[u])
            own_succ.add(u)
        return new._succ[u]

    def pred(v: str) -> dict[str, dict[str, Any]]:
        if v not in own_pred:
            new._pred[v] = dict(new._pred[v])
            own_pred.add(v)
        return new._pred[v]

    def remove_edge(u: str, v: str, key: str) -> None:
        keys = new._succ.get(u, {}).get(v)
        if keys is None or key not in keys:
            return
        rest = {k: d for k, d in keys.items() if k != key}
        s, p = succ(u), pred(v)
        if rest:
            s[v] = p[u] = rest  # one key dict shared by both sides, as networkx keeps it
        else:
            del s[v], p[u]
        touched.update((u, v))

    for nodes, edges in changesets:
        for e in edges:
            if e.op == "removed":
                remove_edge(e.source, e.target, e.type)
        for n in nodes:
            if n.op == "removed" and n.id in new._node:
                for v, keys in list(new._succ[n.id].items()):
                    for key in list(keys):
                        remove_edge(n.id, v, key)
                for u, keys in list(new._pred[n.id].items()):
                    for key in list(keys):
                        remove_edge(u, n.id, key)
                del new._node[n.id], new._succ[n.id], new._pred[n.id]
                own_succ.discard(n.id)
                own_pred.discard(n.id)
                touched.add(n.id)
                written[n.id] = None
        for n in nodes:
            if n.after is not None:
                attrs: dict[str, Any] = {"node": n.after}
                if n.dataset_after and n.dataset_after != DEFAULT_DATASET:  # the default is left out
                    attrs["origin"] = n.dataset_after
                if n.id not in new._node:
                    new._succ[n.id], new._pred[n.id] = {}, {}
                    own_succ.add(n.id)
                    own_pred.add(n.id)
                new._node[n.id] = attrs
                touched.add(n.id)
                written[n.id] = (n.after.kind.value, n.after.properties)
        for e in edges:
            if e.after is not None:
                attrs = {"edge": e.after}
                if e.dataset_after and e.dataset_after != DEFAULT_DATASET:
                    attrs["origin"] = e.dataset_after
                keys = dict(new._succ[e.source].get(e.target, {}))
                keys.pop(e.type, None)
                keys[e.type] = attrs
                succ(e.source)[e.target] = pred(e.target)[e.source] = keys
                touched.update((e.source, e.target))
    return new, touched, written


@dataclass
class _State:
    """One version of the graph: never changed once made (``index`` is derived from ``graph`` on first use)."""

    graph: nx.MultiDiGraph
    meta: dict[str, str]
    index: _Index | None = None
    search: SearchIndex | Layers | None = None
    #: nodes per kind and edges per type, counted on first use (``/health`` asks for them on every call)
    counts: tuple[Counter[str], Counter[str]] | None = None
    #: digest of the graph file (the checkpoint) this state was read from or written as, None without a file: the
    #: saved search index is used only when its tag is this
    tag: str | None = None
    #: why writes are refused (a damaged journal), or None
    damaged: str | None = None
    #: the checkpoint: its id (``meta["checkpoint"]`` of the graph file), its journal length and its file's size
    checkpoint: str | None = None
    checkpoint_bytes: int = 0
    file_size: int = 0
    #: the nodes changed since the checkpoint (the saved search index is the checkpoint's)
    since_checkpoint: frozenset[str] = frozenset()

    @property
    def journal_bytes(self) -> int:
        return int(self.meta.get("journal_bytes") or 0)

    @property
    def changesets(self) -> int:
        return int(self.meta.get("changesets") or 0)

    def written(self, changes: list[tuple[list[NodeChange], list[EdgeChange]]], meta: dict[str, str]) -> _State:
        """The next version: the changes applied to a copy that shares what they leave alone, and the derived
        indexes that were built brought up to date from the changes alone (none is rebuilt)."""
        graph, touched, nodes = _applied(self.graph, changes)
        search = self.search
        if search is not None:
            layers = search if isinstance(search, Layers) else Layers(search)
            if layers.changed + len(nodes) > REBUILD_FRACTION * max(len(layers.base), 1):
                search = None  # the next search builds one index of the whole graph again
            else:
                search = layers.written(nodes, lambda i: _searched(graph, i))
        return _State(graph, meta, index=self.index.patched(graph, touched) if self.index is not None else None,
                      search=search, tag=self.tag, checkpoint=self.checkpoint, checkpoint_bytes=self.checkpoint_bytes,
                      file_size=self.file_size, since_checkpoint=self.since_checkpoint | nodes.keys())


class _Journal:
    """The parsed changesets of the journal file, by byte offset: parsed once per process (the file only grows,
    except by ``repair``, which resets this)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[Changeset] = []
        self.ends: list[int] = []  # byte offset after each entry

    @property
    def parsed_to(self) -> int:
        return self.ends[-1] if self.ends else 0

    def reset(self) -> None:
        self.entries, self.ends = [], []

    def read_to(self, committed: int) -> str | None:
        """Parse the journal up to byte ``committed``; a description of the damage (with its byte offset), or None.
        Every whole changeset before the damage is parsed (``repair`` keeps them)."""
        if committed < self.parsed_to:
            self.reset()
        if committed == self.parsed_to:
            return None
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.parsed_to)
                chunk = fh.read(committed - self.parsed_to)
        except FileNotFoundError:
            chunk = b""
        offset = self.parsed_to
        lines = chunk.split(b"\n")
        tail = lines.pop()  # empty when the chunk ends with a newline
        for line in lines:
            try:
                cs = loads(line)
                if cs.number != len(self.entries) + 1:
                    raise ValueError(f"changeset number {cs.number} where {len(self.entries) + 1} was expected")
            except ValueError as exc:
                return (f"history journal {self.path} is damaged at byte {offset}: {str(exc).splitlines()[0]}; "
                        "writes are refused until `qgraph history --repair`")
            offset += len(line) + 1
            self.entries.append(cs)
            self.ends.append(offset)
        if len(chunk) < committed - self.parsed_to:
            return (f"history journal {self.path} is truncated at byte {offset + len(tail)}: the graph file records "
                    f"{committed} bytes of changesets; writes are refused until `qgraph history --repair`")
        if tail:
            return (f"history journal {self.path} is damaged at byte {offset}: the last changeset is not whole; "
                    "writes are refused until `qgraph history --repair`")
        return None


class MemoryStore(Store):
    kind = "memory"

    def __init__(self, path: Path | str | None = None) -> None:
        """A store persisted at ``path`` (a JSON file), or purely in memory when ``path`` is None."""
        self.path = Path(path) if path else None
        self.journal_path = self.path.with_name(self.path.stem + ".journal") if self.path else None
        self.head_path = self.path.with_name(self.path.stem + ".head") if self.path else None
        self._reviews: dict[str, str] = {}  # only for a store without a file
        self._lock = threading.RLock()
        self._stamp: tuple[tuple[int, int, int] | None, tuple[int, int, int] | None, int | None] | None = None
        self._state = _State(nx.MultiDiGraph(), {})
        self._journal = _Journal(self.journal_path) if self.journal_path else None
        #: the history of a store without a file
        self._history: list[Changeset] = []
        self._pinned = False
        self._refresh()

    @property
    def graph(self) -> nx.MultiDiGraph:
        return self._state.graph

    # ------------------------------------------------------------------ persistence

    @staticmethod
    def _stat(path: Path | None) -> tuple[int, int, int] | None:
        try:
            st = path.stat() if path else None
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino) if st else None

    def _stamps(self) -> tuple[tuple[int, int, int] | None, tuple[int, int, int] | None, int | None]:
        """What tells this process that another one wrote: the graph file's and the head file's modification time,
        size and inode (each replace makes a new file, whose inode differs from the one it replaces while both
        exist), and the journal's size, which every write makes longer (two writes within one tick of the file
        system's clock can leave a head of the same time and size)."""
        journal = self._stat(self.journal_path)
        return self._stat(self.path), self._stat(self.head_path), journal[1] if journal else None

    def _refresh(self) -> _State:
        """Catch up with the files when they changed on disk since we last read or wrote them (a pinned view never
        does): a new graph file is read whole; a new head only costs the changesets appended since."""
        if self.path is None or self._pinned:
            return self._state
        with self._lock:
            stamp = self._stamps()
            if stamp == self._stamp:
                return self._state
            state = self._state
            if self._stamp is None or stamp[0] != self._stamp[0]:
                if stamp[0] is None:
                    state = _State(nx.MultiDiGraph(), {})
                else:
                    with paused_gc():
                        graph, meta, tag = self._read(self.path)
                    state = _State(graph, meta, tag=tag, checkpoint=meta.get("checkpoint"),
                                   checkpoint_bytes=int(meta.get("journal_bytes") or 0), file_size=stamp[0][1])
            head = self._read_head() if state.checkpoint else None
            meta = head["meta"] if head and head.get("checkpoint") == state.checkpoint else state.meta
            target = max(int(meta.get("journal_bytes") or 0), state.checkpoint_bytes)
            assert self._journal is not None
            damaged = self._journal.read_to(target)
            entries = self._journal.entries[state.changesets:int(meta.get("changesets") or 0)]
            if entries and damaged is None and not any(cs.summary for cs in entries):
                with paused_gc():
                    state = state.written([(cs.nodes, cs.edges) for cs in entries], dict(meta))
            elif damaged or entries:  # only the whole changesets before the damage can be replayed
                cut_at = next((k for k, cs in enumerate(entries) if cs.summary), len(entries))
                state = self._replayed_in_part(state, entries[:cut_at])
                damaged = damaged or (f"history journal {self.journal_path}: changeset {entries[cut_at].number} is "
                                      "a summary and cannot be replayed; writes are refused until "
                                      "`qgraph history --repair`")
            if damaged:
                state = dataclasses.replace(state, damaged=damaged)
            self._state, self._stamp = state, stamp
            return state

    def _replayed_in_part(self, state: _State, entries: list[Changeset]) -> _State:
        """The checkpoint and the whole changesets after it that can be replayed, when the journal is damaged: the
        metadata made again from the graph (as a repair keeps it)."""
        if entries:
            state = state.written([(cs.nodes, cs.edges) for cs in entries], dict(state.meta))
        g = state.graph
        nodes = Counter(d["node"].kind.value for _, d in g.nodes(data=True))
        edges = Counter(k for _, _, k in g.edges(keys=True))
        full = state_hash((d["node"] for _, d in g.nodes(data=True)), (d["edge"] for *_, d in g.edges(data=True)))
        meta = dict(state.meta, state_hash=format_state(full), data_version=version_of(full),
                    counts=json.dumps({"nodes": dict(nodes), "edges": dict(edges)}, sort_keys=True))
        if entries:
            meta.update(changesets=str(entries[-1].number), loaded_at=entries[-1].time,
                        journal_bytes=str(self._journal.ends[entries[-1].number - 1] if self._journal else 0))
        return dataclasses.replace(state, meta=meta)

    def _read_head(self) -> dict[str, Any] | None:
        """The head file, or None when there is none (or it is not whole: a writer killed while replacing it leaves
        the old one, so this only happens to a file damaged otherwise, which then counts as absent)."""
        assert self.head_path is not None
        try:
            doc = json.loads(self.head_path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("%s: ignored, cannot be read: %s", self.head_path, exc)
            return None
        if not isinstance(doc, dict) or doc.get("format") != HEAD_FORMAT or not isinstance(doc.get("meta"), dict):
            log.warning("%s: ignored, not a qgraph head file", self.head_path)
            return None
        return doc

    def _write_head(self, checkpoint: str, meta: dict[str, str]) -> None:
        """Replace the head file atomically: the commit point of a write that does not write the graph file."""
        assert self.head_path is not None
        _replace_file(self.head_path, ".head-", json.dumps({"format": HEAD_FORMAT, "checkpoint": checkpoint,
                                                            "meta": meta}, ensure_ascii=False).encode())

    def _remove_head(self) -> None:
        if self.head_path is not None and self.head_path.exists():
            self.head_path.unlink()
            _fsync_dir(self.head_path.parent)

    @staticmethod
    def _read(path: Path) -> tuple[nx.MultiDiGraph, dict[str, str], str]:
        """The graph, its metadata and the file's tag (``_tag``)."""
        try:
            data = path.read_bytes()
            doc = pydantic_core.from_json(data)
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: cannot read the embedded store's file: {exc}") from exc
        fmt = doc.get("format") if isinstance(doc, dict) else None
        if fmt not in (FORMAT, FORMAT_1):
            raise StoreError(f"{path}: not a qgraph embedded store file (format {fmt!r}, expected {FORMAT!r})")
        try:
            return _graph(doc if fmt == FORMAT else _format_1_as_rows(doc)), dict(doc.get("meta", {})), _tag(data)
        except (LookupError, TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            raise StoreError(f"{path}: the embedded store's file is damaged: {exc}") from exc

    def _persist(self, graph: nx.MultiDiGraph, meta: dict[str, str]) -> tuple[str | None, int]:
        """Replace the file; its tag (``_tag``) and size, or (None, 0) without a file."""
        if self.path is None:
            return None, 0
        # Each distinct citation list once, by its position in the table.
        table: list[list[Citation]] = []
        cited = PerCitationList(lambda sources: table.append(sources) or len(table) - 1)

        def node_row(d: dict[str, Any]) -> list[Any]:
            n = d["node"]
            row = [n.id, n.kind.value, n.properties, cited(n.sources)]
            return row + [d["origin"]] if d.get("origin") else row

        def edge_row(d: dict[str, Any]) -> list[Any]:
            e = d["edge"]
            row = [e.type, e.source, e.target, cited(e.sources)]
            return row + [d["origin"]] if d.get("origin") else row

        doc: dict[str, Any] = {
            "format": FORMAT,
            "meta": meta,
            "nodes": [node_row(d) for _, d in graph.nodes(data=True)],
            "edges": [edge_row(d) for *_, d in graph.edges(data=True)],
            "citations": table,
        }
        text = pydantic_core.to_json(doc, exclude_none=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob(".graph-*.tmp"):  # left by a writer killed mid-write (we hold the lock)
            stale.unlink(missing_ok=True)
        _replace_file(self.path, ".graph-", text)
        return _tag(text), len(text)

    def _append_journal(self, committed: int, line: bytes) -> int:
        """Append one changeset line after the committed part (cutting off an uncommitted tail); the new length."""
        assert self.journal_path is not None
        fd = os.open(self.journal_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, committed)
            os.lseek(fd, committed, os.SEEK_SET)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(self.journal_path.parent)
        return committed + len(line)

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

    @contextmanager
    def _writer(self) -> Iterator[WriteTx]:
        if self._pinned:
            raise StoreError("a pinned view is read-only")
        with self._lock, self._file_lock():
            if self.path is not None:
                for pattern in (".graph-*.tmp", ".head-*.tmp"):  # left by a writer killed mid-write
                    for stale in self.path.parent.glob(pattern):
                        stale.unlink(missing_ok=True)
            yield _MemoryTx(self, self._refresh())

    def _commit_state(self, state: _State, nodes: list[NodeChange], edges: list[EdgeChange], meta: dict[str, str],
                      changeset: Changeset) -> None:
        """Record the changeset and make the new state. With a file: the changeset is appended to the journal
        (fsync), then either the head file is replaced (the commit point: O(the change)), or, when there is no
        checkpoint yet, the changeset is a summary (it cannot be replayed) or the journal beyond the checkpoint has
        grown past ``CHECKPOINT_RATIO`` of the graph file, the graph file itself (the commit point of a checkpoint)
        and the head removed. A writer killed before its commit point leaves a journal tail that readers ignore and
        the next writer cuts off: graph and history both old."""
        meta = dict(meta)
        with paused_gc():
            new = state.written([(nodes, edges)], meta)
            if self.path is None:
                self._history.append(changeset)
                self._state = new
                return
            assert self._journal is not None
            end = self._append_journal(state.journal_bytes, (dumps(changeset) + "\n").encode())
            meta["journal_bytes"] = str(end)
            beyond = end - state.checkpoint_bytes
            if (state.checkpoint is None or changeset.summary
                    or beyond > max(CHECKPOINT_RATIO * state.file_size, CHECKPOINT_MIN_BYTES)):
                meta["checkpoint"] = uuid.uuid4().hex
                tag, size = self._persist(new.graph, meta)
                self._remove_head()
                new = dataclasses.replace(new, tag=tag, checkpoint=meta["checkpoint"], checkpoint_bytes=end,
                                          file_size=size, since_checkpoint=frozenset())
            else:
                assert state.checkpoint is not None
                self._write_head(state.checkpoint, meta)
            self._journal.read_to(end)
        self._state, self._stamp = new, self._stamps()

    def changesets(self, *, after: int = 0, until: int | None = None) -> list[Changeset]:
        state = self._refresh()
        if self.path is None:
            entries = self._history
        else:
            assert self._journal is not None
            entries = self._journal.entries[:state.changesets]
        return entries[max(0, after):until]

    @contextmanager
    def pinned(self) -> Iterator[Store]:
        view = copy.copy(self)
        view._state = self._refresh()
        view._pinned = True
        yield view

    def repair(self) -> str:
        """Cut the journal after its last whole changeset and write a checkpoint of the graph those make; what was
        done."""
        if self.path is None or self.journal_path is None or self._journal is None:
            return "an in-memory store has no journal"
        with self._lock, self._file_lock():
            self._stamp = None
            state = self._refresh()
            if state.damaged is None:
                return "the history journal is whole; nothing to repair"
            kept = len(self._journal.entries)
            end = self._journal.parsed_to
            meta = dict(state.meta, journal_bytes=str(end), changesets=str(kept), checkpoint=uuid.uuid4().hex)
            with open(self.journal_path, "ab") as fh:
                fh.truncate(end)
                os.fsync(fh.fileno())
            tag, size = self._persist(state.graph, meta)
            self._remove_head()
            self._state = _State(state.graph, meta, tag=tag, checkpoint=meta["checkpoint"], checkpoint_bytes=end,
                                 file_size=size)
            self._stamp = self._stamps()
            return f"kept {kept} whole changeset(s) ({end} bytes); {state.damaged.split(';')[0]}"

    def _counts(self) -> tuple[Counter[str], Counter[str]]:
        state = self._refresh()
        if state.counts is None and state.meta.get("counts"):  # kept by every commit from its diff
            kept = json.loads(state.meta["counts"])
            state.counts = (Counter(kept["nodes"]), Counter(kept["edges"]))
        if state.counts is None:  # a store written before that: a walk of the whole graph (~0.1 s at 40k nodes)
            g = state.graph
            state.counts = (Counter(d["node"].kind.value for _, d in g.nodes(data=True)),
                            Counter(k for _, _, k in g.edges(keys=True)))
        return Counter(state.counts[0]), Counter(state.counts[1])

    def _get_nodes(self, node_ids: list[str]) -> list[Node]:
        g = self._refresh().graph
        return [g.nodes[i]["node"] for i in node_ids if i in g]

    def kinds_of(self, node_ids: Iterable[str]) -> dict[str, NodeKind]:
        g = self._refresh().graph
        return {i: g.nodes[i]["node"].kind for i in node_ids if i in g}

    def dump(self) -> tuple[list[Node], list[Edge]]:
        g = self._refresh().graph
        return [d["node"] for _, d in g.nodes(data=True)], [d["edge"] for *_, d in g.edges(data=True)]

    def meta(self) -> dict[str, str]:
        meta = dict(self._refresh().meta)
        meta.pop("journal_bytes", None)
        meta.pop("checkpoint", None)
        return meta

    def damaged(self) -> str | None:
        """Why writes are refused (a damaged history journal), or None."""
        return self._refresh().damaged

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

    def wipe(self) -> None:
        with self._lock, self._file_lock():
            self._persist(nx.MultiDiGraph(), {})
            self._remove_head()
            if self.journal_path is not None:
                with open(self.journal_path, "wb") as fh:
                    os.fsync(fh.fileno())
            if self._journal is not None:
                self._journal.reset()
            self._history = []
            self._state = _State(nx.MultiDiGraph(), {})
            self._stamp = self._stamps() if self.path else None

    def ping(self) -> str:
        self._refresh()
        return f"networkx {nx.__version__}, file {self.path}" if self.path else f"networkx {nx.__version__}, in memory"

    # ------------------------------------------------------------------ queries

    def _index(self) -> _Index:
        state = self._refresh()
        with self._lock:
            if state.index is None:
                with paused_gc():
                    state.index = _Index(state.graph)
            return state.index

    def _node(self, node_id: str) -> Node:
        return self.graph.nodes[node_id]["node"]

    def _ref(self, node_id: str, idx: _Index) -> EntityRef:
        return entity_ref(self._node(node_id), idx.nation.get(node_id))

    def entity_refs(self, node_ids: Iterable[str]) -> dict[str, EntityRef]:
        """Each node's reference, its nation read from its own edges as ``_Index.nation`` has it (the first
        LOCATED_IN): O(the nodes asked for), without building the index (10 s at 400k nodes for a first /changes)."""
        g = self._refresh().graph
        out: dict[str, EntityRef] = {}
        for i in node_ids:
            d = g._node.get(i)
            if d is not None:
                out[i] = entity_ref(d["node"], next((v for v, keys in g._succ[i].items() if "LOCATED_IN" in keys), None))
        return out

    def _search_index(self) -> SearchIndex | Layers:
        """The state's search index. Read from the file saved beside the graph file when that was built from this
        very checkpoint (with a layer for the nodes changed since, see ``Layers``), else built from the graph (and
        saved when the state is the checkpoint, so that the next process to open it reads it instead of analysing
        every node again). Writes made by this process bring the index up to date themselves (``_State.written``)."""
        state = self._refresh()
        with self._lock:
            if state.search is None:
                saved = self.path.with_name(self.path.name + ".search") if self.path and state.tag else None
                base = SearchIndex.load(saved, state.tag) if saved and state.tag else None
                g = state.graph
                if base is not None and state.since_checkpoint:
                    changed = {i: _searched(g, i) if i in g._node else None for i in state.since_checkpoint}
                    state.search = Layers(base).written(changed, lambda i: _searched(g, i))
                elif base is not None:
                    state.search = base
                else:
                    with paused_gc():
                        state.search = SearchIndex(
                            (node_id, d["node"].kind.value, d["node"].properties) for node_id, d in g.nodes(data=True))
                    if saved and state.tag and not state.since_checkpoint:
                        try:
                            state.search.save(saved, state.tag)
                        except OSError as exc:  # a read-only folder: every process builds its own, as before
                            log.warning("cannot save the search index beside %s: %s", self.path, exc)
            return state.search

    def search_candidates(self, plan: Plan, mode: str, kinds: tuple[str, ...], cap: int,
                          exact_cap: int, *, count: bool = True) -> tuple[list[Candidate], int, list[Candidate]]:
        return self._search_index().candidates(plan, mode, kinds, cap, exact_cap)

    def clause_hits(self, plan: Plan, kinds: tuple[str, ...], limit: int) -> list[int]:
        return self._search_index().clause_hits(plan, kinds, limit)

    def prepare(self) -> None:
        self._search_index()

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


def _replace_file(path: Path, prefix: str, data: bytes) -> None:
    """Replace ``path`` atomically: a temporary file (``prefix``…``.tmp``) in the same folder, fsync, rename, fsync of
    the folder. A writer killed on the way leaves the old file (and a temporary one the next writer removes)."""
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _searched(g: nx.MultiDiGraph, node_id: str) -> tuple[str, dict[str, Any]]:
    """What the search index holds of a node: its kind and properties."""
    node = g._node[node_id]["node"]
    return node.kind.value, node.properties


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class _MemoryTx(WriteTx):
    def __init__(self, store: MemoryStore, state: _State) -> None:
        self.store, self.state, self.g = store, state, state.graph

    def damaged(self) -> str | None:
        return self.state.damaged

    def meta(self) -> dict[str, str]:
        return dict(self.state.meta)

    def counts(self) -> Counts:
        nodes = Counter(d["node"].kind.value for _, d in self.g.nodes(data=True))
        edges = Counter(k for _, _, k in self.g.edges(keys=True))
        return Counts(dict(nodes), dict(edges))

    def full_state_hash(self) -> int:
        return state_hash((d["node"] for _, d in self.g.nodes(data=True)), (d["edge"] for *_, d in self.g.edges(data=True)))

    def kinds_of(self, ids: list[str]) -> dict[str, NodeKind]:
        return {i: self.g.nodes[i]["node"].kind for i in ids if i in self.g}

    def nodes(self, ids: list[str]) -> dict[str, tuple[Node, str | None]]:
        g = self.g
        return {i: (g.nodes[i]["node"], g.nodes[i].get("origin")) for i in ids if i in g}

    def edges(self, keys: list[EdgeKey]) -> dict[EdgeKey, tuple[Edge, str | None]]:
        out: dict[EdgeKey, tuple[Edge, str | None]] = {}
        adj = self.g.succ
        for key in keys:
            d = adj.get(key[1], {}).get(key[2], {}).get(key[0])
            if d is not None:
                out[key] = (d["edge"], d.get("origin"))
        return out

    def scope(self, dataset: str | None) -> tuple[dict[str, tuple[Node, str | None]],
                                                  dict[EdgeKey, tuple[Edge, str | None]]]:
        def mine(origin: str | None) -> bool:
            return dataset is None or (origin or DEFAULT_DATASET) == dataset

        nodes = {i: (d["node"], d.get("origin")) for i, d in self.g.nodes(data=True) if mine(d.get("origin"))}
        edges = {(k, u, v): (d["edge"], d.get("origin")) for u, v, k, d in self.g.edges(keys=True, data=True)
                 if mine(d.get("origin"))}
        return nodes, edges

    def incident(self, ids: list[str]) -> dict[EdgeKey, tuple[Edge, str | None]]:
        g, out = self.g, {}
        for i in ids:
            if i not in g:
                continue
            for u, v, k, d in (*g.out_edges(i, keys=True, data=True), *g.in_edges(i, keys=True, data=True)):
                out[(k, u, v)] = (d["edge"], d.get("origin"))
        return out

    def apply(self, nodes: list[NodeChange], edges: list[EdgeChange], meta: dict[str, str],
              changeset: Changeset, options: WriteOptions) -> None:
        # One atomic file replace whatever ``options.bulk`` says; progress is the whole diff, once it is written.
        self.store._commit_state(self.state, nodes, edges, meta, changeset)
        if options.progress:
            options.progress(len(nodes) + len(edges))
