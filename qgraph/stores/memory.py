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
  holding the lock removes temporary files that a killed writer left behind;
- the graph, its metadata and its index form one immutable ``_State`` that a write replaces as a whole: a pinned view
  (``Store.pinned()``) keeps the state it started with, so a request never sees two versions;
- history: an append-only journal beside the file (``graph.journal``, one changeset per line, JSON). A write appends
  its changeset (fsync) and then replaces the graph file, whose metadata records the journal's committed length
  (``journal_bytes``): a writer killed between the two steps leaves a tail beyond that length, which readers ignore
  and the next writer cuts off, so graph and history are both old or both new. On open the committed part is
  validated (whole lines, numbers 1, 2, …); a damaged or truncated journal is reported with its byte offset and
  writes are refused until ``qgraph history --repair`` keeps every whole changeset.

The file (``FORMAT``) is one JSON object: ``format``; ``meta``; ``citations``, each distinct citation list once;
``nodes`` as rows ``[id, kind, properties, citations]`` and ``edges`` as rows ``[type, source, target, citations]``,
where ``citations`` is a position in the ``citations`` list; a fifth column, when present, is the fact's dataset
(absent: the default dataset). Rows, and each citation list written once, make the file
half as long as format 1 (every node and edge an object with its own citations), which is still read.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import threading
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
from qgraph.history import Changeset, EdgeChange, EdgeKey, NodeChange, dumps, loads, state_hash
from qgraph.model import Citation, Edge, Node, NodeKind
from qgraph.results import EntityRef
from qgraph.search import Candidate, Plan
from qgraph.store import (DEFAULT_DATASET, AgreementFilter, AgreementRow, Counts, PerCitationList, Store, StoreError,
                          WriteOptions, WriteTx,
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
        light: tuple[list[int], list[int]] = ([], [])
        for node, neighbours in self.adjacency.items():
            if len(neighbours) <= HUB_DEGREE:
                light[node in self.parties].append(len(neighbours))
        self.light_degree = tuple(sum(d) / len(d) if d else 1.0 for d in light)


@dataclass
class _State:
    """One version of the graph: never changed once made (``index`` is derived from ``graph`` on first use)."""

    graph: nx.MultiDiGraph
    meta: dict[str, str]
    index: _Index | None = None
    search: SearchIndex | None = None
    #: nodes per kind and edges per type, counted on first use (``/health`` asks for them on every call)
    counts: tuple[Counter[str], Counter[str]] | None = None
    #: digest of the graph file this state was read from or written as (None without a file): the saved search
    #: index is used only when its tag is this
    tag: str | None = None
    #: why writes are refused (a damaged journal), or None
    damaged: str | None = None

    @property
    def journal_bytes(self) -> int:
        return int(self.meta.get("journal_bytes") or 0)


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
        self._reviews: dict[str, str] = {}  # only for a store without a file
        self._lock = threading.RLock()
        self._stamp: tuple[int, int] | None = None
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

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat() if self.path else None
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size) if st else None

    def _refresh(self) -> _State:
        """Reload the file when it changed on disk since we last read or wrote it (a pinned view never does)."""
        if self.path is None or self._pinned:
            return self._state
        with self._lock:
            stamp = self._file_stamp()
            if stamp == self._stamp:
                return self._state
            if stamp is None:
                graph, meta, tag = nx.MultiDiGraph(), {}, None
            else:
                with paused_gc():
                    graph, meta, tag = self._read(self.path)
            state = _State(graph, meta, tag=tag)
            assert self._journal is not None
            state.damaged = self._journal.read_to(state.journal_bytes)
            self._state, self._stamp = state, stamp
            return state

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

    def _persist(self, graph: nx.MultiDiGraph, meta: dict[str, str]) -> str | None:
        """Replace the file; its tag (``_tag``), or None without a file."""
        if self.path is None:
            return None
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
        _fsync_dir(self.path.parent)
        self._stamp = self._file_stamp()
        return _tag(text)

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
                for stale in self.path.parent.glob(".graph-*.tmp"):  # left by a writer killed mid-write
                    stale.unlink(missing_ok=True)
            yield _MemoryTx(self, self._refresh())

    def _commit_state(self, state: _State, nodes: list[NodeChange], edges: list[EdgeChange], meta: dict[str, str],
                      changeset: Changeset) -> None:
        with paused_gc():
            new = state.graph.copy()
            for e in edges:
                if e.op == "removed" and new.has_edge(e.source, e.target, key=e.type):
                    new.remove_edge(e.source, e.target, key=e.type)
            for n in nodes:
                if n.op == "removed" and n.id in new:
                    new.remove_node(n.id)
            for n in nodes:
                if n.after is not None:
                    attrs: dict[str, Any] = {"node": n.after}
                    if n.dataset_after and n.dataset_after != DEFAULT_DATASET:  # the default is left out
                        attrs["origin"] = n.dataset_after
                    if n.id in new:
                        new.nodes[n.id].clear()
                        new.nodes[n.id].update(attrs)
                    else:
                        new.add_node(n.id, **attrs)
            for e in edges:
                if e.after is not None:
                    if new.has_edge(e.source, e.target, key=e.type):
                        new.remove_edge(e.source, e.target, key=e.type)
                    if e.dataset_after and e.dataset_after != DEFAULT_DATASET:
                        new.add_edge(e.source, e.target, key=e.type, edge=e.after, origin=e.dataset_after)
                    else:
                        new.add_edge(e.source, e.target, key=e.type, edge=e.after)
            meta = dict(meta)
            tag: str | None = None
            if self.path is None:
                self._history.append(changeset)
            else:
                assert self._journal is not None
                meta["journal_bytes"] = str(self._append_journal(state.journal_bytes, (dumps(changeset) + "\n").encode()))
                tag = self._persist(new, meta)
                self._journal.read_to(int(meta["journal_bytes"]))
        self._state = _State(new, meta, tag=tag)

    def changesets(self, *, after: int = 0, until: int | None = None) -> list[Changeset]:
        state = self._refresh()
        if self.path is None:
            entries = self._history
        else:
            assert self._journal is not None
            entries = self._journal.entries[:int(state.meta.get("changesets") or 0)]
        return entries[max(0, after):until]

    @contextmanager
    def pinned(self) -> Iterator[Store]:
        view = copy.copy(self)
        view._state = self._refresh()
        view._pinned = True
        yield view

    def repair(self) -> str:
        """Cut the journal after its last whole changeset and make the graph file agree; what was done."""
        if self.path is None or self.journal_path is None or self._journal is None:
            return "an in-memory store has no journal"
        with self._lock, self._file_lock():
            self._stamp = None
            state = self._refresh()
            if state.damaged is None:
                return "the history journal is whole; nothing to repair"
            kept = len(self._journal.entries)
            end = self._journal.parsed_to
            meta = dict(state.meta, journal_bytes=str(end), changesets=str(kept))
            with open(self.journal_path, "ab") as fh:
                fh.truncate(end)
                os.fsync(fh.fileno())
            tag = self._persist(state.graph, meta)
            self._state = _State(state.graph, meta, tag=tag)
            return f"kept {kept} whole changeset(s) ({end} bytes); {state.damaged.split(';')[0]}"

    def _counts(self) -> tuple[Counter[str], Counter[str]]:
        state = self._refresh()
        if state.counts is None:  # once per version: a walk of the whole graph (~0.1 s at 40k nodes)
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
            if self.journal_path is not None:
                with open(self.journal_path, "wb") as fh:
                    os.fsync(fh.fileno())
            if self._journal is not None:
                self._journal.reset()
            self._history = []
            self._state = _State(nx.MultiDiGraph(), {})

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
        idx = self._index()
        return {i: self._ref(i, idx) for i in node_ids if i in self.graph}

    def _search_index(self) -> SearchIndex:
        """The state's search index: the saved one if it was built from this graph file, else built (and saved, so
        that the next process to open this file reads it instead of analysing every node again)."""
        state = self._refresh()
        with self._lock:
            if state.search is None:
                saved = self.path.with_name(self.path.name + ".search") if self.path and state.tag else None
                state.search = SearchIndex.load(saved, state.tag) if saved and state.tag else None
                if state.search is None:
                    with paused_gc():
                        state.search = SearchIndex(
                            (node_id, d["node"].kind.value, d["node"].properties) for node_id, d in state.graph.nodes(data=True))
                    if saved and state.tag:
                        try:
                            state.search.save(saved, state.tag)
                        except OSError as exc:  # a read-only folder: every process builds its own, as before
                            log.warning("cannot save the search index beside %s: %s", self.path, exc)
            return state.search

    def search_candidates(self, plan: Plan, mode: str, kinds: tuple[str, ...], cap: int,
                          exact_cap: int) -> tuple[list[Candidate], int, list[Candidate]]:
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
