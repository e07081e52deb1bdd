"""Changesets: every write to the graph, recorded with its exact diff, and what is computed from them.

A changeset is made by ``Store.commit`` only (see ``qgraph.store``), under the store's one writer lock and in the same
atomic step as the change it records (memory store: a journal line and the graph file; Neo4j: the same transaction).

Invariants:
- numbers are sequential from 1 without gaps; ``data_version`` is the version of the graph after the changeset and
  ``data_version_before`` the one it was applied to;
- the diff is exact: every added, removed and changed node and edge with its whole value before and after (properties
  and citations). A diff of more than the store's ``diff_limit`` items is recorded as a summary (``summary: true``):
  counts per kind and the ids and keys, without values; a summary cannot be reverted;
- an empty diff records nothing (``Store.commit`` says so);
- the data version is a hash of the whole graph content, independent of order and of history: each node and edge
  hashes to a 256-bit number (sha256 of its canonical JSON line, the line ``graph_digest`` uses), the graph's state
  hash is their sum modulo 2**256, so a write updates it from its diff alone, and the data version is its first 16 hex
  digits. The same content gives the same version in both stores, and a revert gives back the version before.
- a fact's ``dataset`` (which load wrote it: ``curated`` for the data files, other names for ingest or edits) is kept
  beside it, not in it: it is neither part of the data version nor of a diff's values (see ``Store.commit``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qgraph.model import Citation, Edge, Node

MOD = 2 ** 256
EdgeKey = tuple[str, str, str]


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _cites(sources: Sequence[Citation]) -> str:
    return _text([c.model_dump(mode="json") for c in sources])


def node_line(n: Node) -> str:
    return (f'{{"id": {_text(n.id)}, "kind": {_text(n.kind.value)}, "properties": {_text(n.properties)}, '
            f'"sources": {_cites(n.sources)}}}')


def edge_line(e: Edge) -> str:
    return (f'{{"source": {_text(e.source)}, "sources": {_cites(e.sources)}, "target": {_text(e.target)}, '
            f'"type": {_text(e.type)}}}')


def item_hash(item: Node | Edge) -> int:
    line = node_line(item) if isinstance(item, Node) else edge_line(item)
    return int.from_bytes(hashlib.sha256(line.encode()).digest(), "big")


def state_hash(nodes: Iterable[Node], edges: Iterable[Edge]) -> int:
    """The state hash of a whole graph (the sum of its items' hashes)."""
    return (sum(map(item_hash, nodes)) + sum(map(item_hash, edges))) % MOD


def version_of(state: int) -> str:
    return f"{state:064x}"[:16]


def parse_state(text: str | None) -> int | None:
    return int(text, 16) if text else None


def format_state(state: int) -> str:
    return f"{state:064x}"


# --------------------------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


Op = Literal["added", "removed", "changed"]


class NodeChange(_Model):
    """One node's change. ``before`` / ``after`` are absent in a summary."""

    id: str
    kind: str
    op: Op
    before: Node | None = None
    after: Node | None = None
    dataset_before: str | None = None
    dataset_after: str | None = None
    #: what the write gave, when ``after`` differs from it: the write's value merged with what other datasets changed
    #: since the write's dataset last wrote the node (``Store._merge_others``); its next write is compared with this
    given: Node | None = None

    @property
    def fact(self) -> str:
        return f"node:{self.id}"


class EdgeChange(_Model):
    """One edge's change; (type, source, target) identifies the edge."""

    type: str
    source: str
    target: str
    op: Op
    before: Edge | None = None
    after: Edge | None = None
    dataset_before: str | None = None
    dataset_after: str | None = None
    #: as ``NodeChange.given``
    given: Edge | None = None

    @property
    def key(self) -> EdgeKey:
        return (self.type, self.source, self.target)

    @property
    def fact(self) -> str:
        return f"edge:{self.type}:{self.source}:{self.target}"


class Changeset(_Model):
    """One recorded write."""

    number: int = Field(description="Sequential from 1.")
    id: str = Field(description="A UUID, unique across stores.")
    time: str = Field(description="When it was committed, ISO 8601 in UTC.")
    actor: str = Field(description="Who wrote it: the OS user for the CLI, the token's name over HTTP.")
    message: str = ""
    dataset: str | None = Field(default=None, description="The dataset the write belongs to (e.g. curated).")
    documents: list[str] = Field(default=[], description="Ids of the source documents the change rests on.")
    data_version_before: str
    data_version: str = Field(description="The data version of the graph after this changeset.")
    reverts: int | None = Field(default=None, description="The changeset this one undoes, if any.")
    summary: bool = Field(default=False, description="True when the diff was too large to keep values: ids only.")
    counts: dict[str, int] = Field(default={}, description="nodes_added, nodes_removed, … edges_changed.")
    nodes: list[NodeChange] = []
    edges: list[EdgeChange] = []

    def facts(self) -> set[str]:
        return {c.fact for c in self.nodes} | {c.fact for c in self.edges}

    def header(self) -> dict[str, Any]:
        """Everything but the diff's items (for listings)."""
        return self.model_dump(mode="json", exclude={"nodes", "edges"})


def counts_of(nodes: Sequence[NodeChange], edges: Sequence[EdgeChange]) -> dict[str, int]:
    out = {f"{what}_{op}": 0 for what in ("nodes", "edges") for op in ("added", "removed", "changed")}
    for n in nodes:
        out[f"nodes_{n.op}"] += 1
    for e in edges:
        out[f"edges_{e.op}"] += 1
    return out


def summarised(nodes: Sequence[NodeChange], edges: Sequence[EdgeChange]) -> tuple[list[NodeChange], list[EdgeChange]]:
    """The items without their values (a summary diff)."""
    return ([NodeChange(id=n.id, kind=n.kind, op=n.op) for n in nodes],
            [EdgeChange(type=e.type, source=e.source, target=e.target, op=e.op) for e in edges])


# --------------------------------------------------------------------------------------------- diff helpers


class PropertyChange(_Model):
    field: str
    old: Any = None
    new: Any = None


def property_changes(before: Node | Edge | None, after: Node | Edge | None) -> list[PropertyChange]:
    """Each property (and ``sources``, the citations) whose value differs, with the old and new value."""
    old = dict(before.properties) if isinstance(before, Node) else {}
    new = dict(after.properties) if isinstance(after, Node) else {}
    out = [PropertyChange(field=k, old=old.get(k), new=new.get(k))
           for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    old_sources = [c.model_dump(mode="json", exclude_none=True) for c in before.sources] if before else []
    new_sources = [c.model_dump(mode="json", exclude_none=True) for c in after.sources] if after else []
    if old_sources != new_sources:
        out.append(PropertyChange(field="sources", old=old_sources, new=new_sources))
    return out


class Folded(_Model):
    """The net effect of a run of changesets: each fact's value before the first and after the last (facts whose
    value is the same at both ends are left out, so an agreement added then removed does not appear)."""

    nodes: dict[str, NodeChange]
    edges: dict[str, EdgeChange]
    #: facts that a summary changeset touched: their values are unknown
    summarised: list[str] = []


def fold(changesets: Sequence[Changeset]) -> Folded:
    """Fold changesets (in number order) into one diff."""
    first_node: dict[str, NodeChange] = {}
    last_node: dict[str, NodeChange] = {}
    first_edge: dict[str, EdgeChange] = {}
    last_edge: dict[str, EdgeChange] = {}
    summary: set[str] = set()
    for cs in changesets:
        for n in cs.nodes:
            first_node.setdefault(n.fact, n)
            last_node[n.fact] = n
            if cs.summary:
                summary.add(n.fact)
        for e in cs.edges:
            first_edge.setdefault(e.fact, e)
            last_edge[e.fact] = e
            if cs.summary:
                summary.add(e.fact)
    nodes: dict[str, NodeChange] = {}
    for fact, first in first_node.items():
        last = last_node[fact]
        existed, exists = first.op != "added", last.op != "removed"
        if not existed and not exists:
            continue
        if fact not in summary and existed and exists and first.before == last.after:
            continue
        op: Op = "changed" if existed and exists else "added" if exists else "removed"
        nodes[fact] = NodeChange(id=first.id, kind=(last.after or first.before).kind.value  # type: ignore[union-attr]
                                 if (last.after or first.before) else last.kind, op=op,
                                 before=first.before if existed else None, after=last.after if exists else None,
                                 dataset_before=first.dataset_before, dataset_after=last.dataset_after)
    edges: dict[str, EdgeChange] = {}
    for fact, first in first_edge.items():
        last = last_edge[fact]
        existed, exists = first.op != "added", last.op != "removed"
        if not existed and not exists:
            continue
        if fact not in summary and existed and exists and first.before == last.after:
            continue
        op = "changed" if existed and exists else "added" if exists else "removed"
        edges[fact] = EdgeChange(type=first.type, source=first.source, target=first.target, op=op,
                                 before=first.before if existed else None, after=last.after if exists else None,
                                 dataset_before=first.dataset_before, dataset_after=last.dataset_after)
    return Folded(nodes=nodes, edges=edges, summarised=sorted(summary & (set(nodes) | set(edges))))


def inverse(cs: Changeset) -> tuple[list[NodeChange], list[EdgeChange]]:
    """The changes that undo ``cs`` (before and after swapped, added and removed exchanged)."""
    flip: dict[str, Op] = {"added": "removed", "removed": "added", "changed": "changed"}
    return ([NodeChange(id=n.id, kind=n.kind, op=flip[n.op], before=n.after, after=n.before,
                        dataset_before=n.dataset_after, dataset_after=n.dataset_before) for n in cs.nodes],
            [EdgeChange(type=e.type, source=e.source, target=e.target, op=flip[e.op], before=e.after, after=e.before,
                        dataset_before=e.dataset_after, dataset_after=e.dataset_before) for e in cs.edges])


def dumps(cs: Changeset) -> str:
    """One changeset as one line of JSON (the journal's and Neo4j's form)."""
    return cs.model_dump_json(exclude_none=True, exclude_defaults=False)


def loads(text: str | bytes) -> Changeset:
    return Changeset.model_validate_json(text)
