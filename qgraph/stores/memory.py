"""The embedded store: a networkx MultiDiGraph kept in one JSON file.

Invariants:
- the file is replaced atomically (write to a temporary file in the same folder, fsync, ``os.replace``): a crash
  leaves the old file or the new one, never half of one;
- a load is applied to a copy of the graph, written to disk, and only then swapped in: all-or-nothing;
- each node holds its validated ``Node`` under the attribute ``node``; each edge is keyed by its type and holds its
  ``Edge`` under ``edge``, so (type, source, target) is unique, as MERGE makes it in Neo4j;
- another process (``qgraph load``) may replace the file while a server reads it: reads notice the new file by its
  modification time and size and reload it.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from qgraph.model import Edge, Graph, Node, NodeKind
from qgraph.store import Store, StoreError

FORMAT = "qgraph-memory/1"


class MemoryStore(Store):
    kind = "memory"

    def __init__(self, path: Path | str | None = None) -> None:
        """A store persisted at ``path`` (a JSON file), or purely in memory when ``path`` is None."""
        self.path = Path(path) if path else None
        self._lock = threading.RLock()
        self._stamp: tuple[int, int] | None = None
        self.graph = nx.MultiDiGraph()
        self._meta: dict[str, str] = {}
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

    def _write(self, graph: Graph, meta: dict[str, str]) -> None:
        with self._lock:
            self._refresh()
            new = self.graph.copy()
            for node in graph.nodes:
                new.add_node(node.id, node=node)
            for edge in graph.edges:
                new.add_edge(edge.source, edge.target, key=edge.type, edge=edge)
            self._persist(new, meta)
            self.graph, self._meta = new, dict(meta)

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
        with self._lock:
            self._persist(nx.MultiDiGraph(), {})
            self.graph, self._meta = nx.MultiDiGraph(), {}

    def ping(self) -> str:
        self._refresh()
        return f"networkx {nx.__version__}, file {self.path}" if self.path else f"networkx {nx.__version__}, in memory"
