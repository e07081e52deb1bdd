"""The one store interface, and the choice of backend from settings.

``Store`` is an abstract base: public methods are written once here (argument checks, output shaping) and call a
small set of abstract backend methods that ``MemoryStore`` (networkx) and ``Neo4jStore`` (the official driver, with
the Cypher files of ``qgraph.cypher``) implement. Both must give the same answers; ``tests/test_store_contract.py``
runs one suite over both.

Invariants:
- a load is all-or-nothing: either every node and edge of the graph is written, or none is;
- a load is idempotent: nodes are merged by id (their properties replaced), edges by (type, source, target);
- a store only receives validated ``Graph`` objects; every edge end must be a node of the graph or of the store.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from qgraph.config import Settings, get_settings
from qgraph.model import Citation, Edge, Graph, Node, NodeKind
from qgraph.results import EntityRef
from qgraph.search import Candidate, Plan


T = TypeVar("T")


class StoreError(RuntimeError):
    """The store cannot answer (unreachable, timed out, refused)."""


class StoreUnavailable(StoreError):
    """The store cannot be reached; retrying later may succeed."""


@dataclass(frozen=True)
class Counts:
    nodes: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_edges(self) -> int:
        return sum(self.edges.values())

    def as_dict(self) -> dict[str, Any]:
        return {"nodes": dict(sorted(self.nodes.items())), "edges": dict(sorted(self.edges.items())),
                "total_nodes": self.total_nodes, "total_edges": self.total_edges}


@dataclass(frozen=True)
class WriteOptions:
    """How ``Store.load`` writes, as its keyword arguments say (the backend receives them whole).

    ``bulk=False`` (the default): all or nothing. ``bulk=True`` (Neo4j; the memory store always replaces its file
    atomically): batches of ``batch_size`` rows, each its own transaction, ``workers`` at a time — NOT atomic: a failure
    part-way leaves the batches already committed (nodes first, then edges; the metadata and its data version are
    written last, so an interrupted bulk load keeps the previous data version). Loads are idempotent, so running it
    again completes it. ``progress`` is called with the number of rows (nodes + edges) written since its last call,
    adding up to every row of the load. ``batch_size=None``: the store's own (``QGRAPH_BATCH_SIZE``; 10,000 in bulk).
    """

    bulk: bool = False
    workers: int = 2
    batch_size: int | None = None
    progress: Callable[[int], None] | None = None


@dataclass(frozen=True)
class LoadReport:
    before: Counts
    after: Counts
    nodes_in_input: int
    edges_in_input: int
    data_version: str


class PerCitationList(Generic[T]):
    """``fn(sources)`` worked out once per distinct citation list: the edges of one record carry its citations, so a
    few lists serve many rows (serialised once for Neo4j, the digest and the memory store's file)."""

    def __init__(self, fn: Callable[[list[Citation]], T]) -> None:
        self._fn = fn
        self._seen: dict[tuple[Citation, ...], T] = {}

    def __call__(self, sources: list[Citation]) -> T:
        key = tuple(sources)  # citations are frozen models: hashable, equal when their fields are
        try:
            return self._seen[key]
        except KeyError:
            out = self._seen[key] = self._fn(sources)
            return out


def graph_digest(nodes: Iterable[Node], edges: Iterable[Edge]) -> str:
    """A content hash independent of order: the same graph gives the same digest in every store.

    Each node and edge counts as ``json.dumps(item.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)``;
    the lines are spelled out field by field (keys in sorted order), with each distinct citation list serialised
    once, which gives the same text several times faster at a million edges."""
    def text(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    citations = PerCitationList(lambda sources: text([c.model_dump(mode="json") for c in sources]))

    h = hashlib.sha256()
    for line in sorted(f'{{"id": {text(n.id)}, "kind": {text(n.kind.value)}, "properties": {text(n.properties)}, '
                       f'"sources": {citations(n.sources)}}}' for n in nodes):
        h.update(line.encode())
    h.update(b"\x00")
    for line in sorted(f'{{"source": {text(e.source)}, "sources": {citations(e.sources)}, "target": {text(e.target)}, '
                       f'"type": {text(e.type)}}}' for e in edges):
        h.update(line.encode())
    return h.hexdigest()


def entity_ref(node: Node, nation: str | None) -> EntityRef:
    p = node.properties
    return EntityRef(id=node.id, kind=node.kind.value, name=p.get("name", node.id), name_ja=p.get("name_ja"),
                     nation=node.id if node.kind is NodeKind.NATION else nation, external=bool(p.get("external")))


@dataclass(frozen=True)
class FilterFields:
    """What a query may narrow agreements by: one field list for the user's ``qgraph.queries.Filters`` (as given) and
    the store's ``AgreementFilter`` (normalised). Empty tuples and None mean "any"."""

    since: str | None = None
    until: str | None = None
    kinds: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    framework: str | None = None
    nation: str | None = None
    party: str | None = None


@dataclass(frozen=True)
class AgreementFilter(FilterFields):
    """Which agreements a query considers. Empty tuples and None mean "any".

    ``since`` / ``until`` are ISO days (the first day of the ``since`` date, the last day of the ``until`` date); an
    agreement passes when its own span overlaps them, so "2024" matches ``since=2024-03``. Undated agreements fail
    any date filter. ``nation``: some party is that nation or located in it. ``party``: that entity is a party.
    ``ids``: only these agreements.
    """

    ids: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        """As Cypher parameters (an empty list becomes null: "no filter")."""
        return {"party": self.party, "ids": list(self.ids) or None, "kinds": list(self.kinds) or None, "domains": list(self.domains) or None,
                "framework": self.framework, "nation": self.nation, "since": self.since, "until": self.until}

    def passes(self, props: dict[str, Any]) -> bool:
        """The checks on the agreement's own properties (kind, domains, dates), as the Cypher files make them."""
        if self.kinds and props.get("kind") not in self.kinds:
            return False
        if self.domains and not set(self.domains) & set(props.get("domains", [])):
            return False
        if self.since and not (props.get("date_to") and props["date_to"] >= self.since):
            return False
        if self.until and not (props.get("date_from") and props["date_from"] <= self.until):
            return False
        return True


@dataclass(frozen=True)
class AgreementRow:
    node: Node
    parties: list[EntityRef]
    framework: EntityRef | None


@dataclass(frozen=True)
class PathFinding:
    """All a path query needs: the two ends (None where the id does not exist), up to k shortest paths in order of
    the ids along them, and the entities and agreements on those paths."""

    source: EntityRef | None
    target: EntityRef | None
    paths: list[list[str]]
    refs: dict[str, EntityRef]
    agreements: dict[str, AgreementRow]


@dataclass(frozen=True)
class PartyAgreements:
    """A party (None where the id does not exist) and one page of its agreements passing a filter, with the total."""

    party: EntityRef | None
    total: int
    rows: list[AgreementRow]


def agreement_order(node: Node) -> tuple[bool, str, str]:
    """Dated agreements first, by date, then by id (Neo4j's ORDER BY date_from, id puts nulls last too)."""
    date_from = node.properties.get("date_from")
    return (date_from is None, date_from or "", node.id)


def sources_to_json(sources: list[Citation]) -> str:
    return json.dumps([c.model_dump(exclude_none=True) for c in sources], ensure_ascii=False)


def sources_from_json(text: str | None) -> list[Citation]:
    return [Citation(**c) for c in json.loads(text or "[]")]


class Store(ABC):
    """A property graph of qgraph's node kinds and edge types."""

    #: "memory" or "neo4j"
    kind: str

    # ------------------------------------------------------------------ public, written once

    def load(self, graph: Graph, *, bulk: bool = False, workers: int = 2, batch_size: int | None = None,
             progress: Callable[[int], None] | None = None) -> LoadReport:
        """Write a whole graph in one all-or-nothing, idempotent step and return the counts before and after.

        ``bulk``, ``workers``, ``batch_size`` and ``progress``: how to write (``WriteOptions``; ``bulk=True`` is not
        atomic on Neo4j). Raises ``ValueError`` when an edge end is neither in the graph nor in the store, or when an
        id is already in the store with another kind; nothing is written then.
        """
        in_graph = {n.id: n.kind for n in graph.nodes}
        outside = {end for e in graph.edges for end in (e.source, e.target)} - in_graph.keys()
        stored = self.kinds_of(set(in_graph) | outside)
        problems = [f"edge end {i!r} is not a node of the load nor of the store" for i in sorted(outside - stored.keys())]
        problems += [f"node {i!r} is a {k} here but a {stored[i]} in the store"
                     for i, k in sorted(in_graph.items()) if i in stored and stored[i] != k]
        if problems:
            raise ValueError("; ".join(problems))
        before = self.counts()
        version = graph_digest(graph.nodes, graph.edges)[:16]
        documents = {d["id"]: d for d in json.loads(self.meta().get("documents", "[]"))}
        documents.update({d.id: d.model_dump(mode="json", exclude_none=True) for d in graph.documents})
        meta = {"data_version": version, "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "documents": json.dumps(sorted(documents.values(), key=lambda d: d["id"]), ensure_ascii=False)}
        self._write(graph, meta, WriteOptions(bulk=bulk, workers=workers, batch_size=batch_size, progress=progress))
        return LoadReport(before, self.counts(), len(graph.nodes), len(graph.edges), version)

    def get_node(self, node_id: str) -> Node | None:
        """The node with this id, or None."""
        found = self._get_nodes([node_id])
        return found[0] if found else None

    def get_nodes(self, node_ids: Iterable[str]) -> dict[str, Node]:
        """The nodes among these ids that exist, by id."""
        ids = sorted(set(node_ids))
        return {n.id: n for n in self._get_nodes(ids)} if ids else {}

    def checksum(self) -> str:
        """A digest of the whole content; equal in both stores for the same data."""
        nodes, edges = self.dump()
        return graph_digest(nodes, edges)

    def party_edges(self, f: AgreementFilter, limit: int = 1_000_000) -> list[tuple[str, str]]:
        """(party id, agreement id) for every PARTY_TO edge into an agreement passing ``f``: the projection that
        network analyses run on."""
        _, rows = self.agreements(f, limit, 0)
        return [(p.id, row.node.id) for row in rows for p in row.parties]

    def find_paths(self, source: str, target: str, f: AgreementFilter, max_hops: int, k: int,
                   cap: int) -> PathFinding:
        """The ends, the first ``k`` (by the ids along them) of at most ``cap`` shortest paths, and what is on them.

        Written here over the primitives (four calls); a backend where each call is a network round trip answers it
        in one (``Neo4jStore``: ``find_paths.cypher``), with the same result."""
        ends = self.entity_refs([source, target])
        src, dst = ends.get(source), ends.get(target)
        if src is None or dst is None or source == target:
            return PathFinding(src, dst, [], {}, {})
        paths = sorted(self.shortest_paths(source, target, f, max_hops, cap))[:k]
        agreement_ids = tuple(sorted({i for path in paths for i in path[1::2]}))
        rows = self.agreements(AgreementFilter(ids=agreement_ids), len(agreement_ids), 0)[1] if agreement_ids else []
        return PathFinding(src, dst, paths, self.entity_refs({i for path in paths for i in path[0::2]}),
                           {r.node.id: r for r in rows})

    def party_agreements(self, party: str, f: AgreementFilter, limit: int, offset: int) -> PartyAgreements:
        """The party and one page of its agreements passing ``f`` (``f.party`` is replaced by ``party``).

        Written here over the primitives (two calls); ``Neo4jStore`` answers it in one round trip."""
        ref = self.entity_refs([party]).get(party)
        if ref is None:
            return PartyAgreements(None, 0, [])
        total, rows = self.agreements(replace(f, party=party), limit, offset)
        return PartyAgreements(ref, total, rows)

    def counts(self) -> Counts:
        """Number of nodes per kind and edges per type."""
        nodes, edges = self._counts()
        return Counts({k: v for k, v in nodes.items() if v}, {k: v for k, v in edges.items() if v})

    # ------------------------------------------------------------------ backend

    @abstractmethod
    def _write(self, graph: Graph, meta: dict[str, str], options: WriteOptions) -> None:
        """Merge every node and edge of the graph and set the metadata, atomically unless ``options.bulk``; report
        the rows written to ``options.progress``."""

    @abstractmethod
    def _counts(self) -> tuple[Counter[str] | dict[str, int], Counter[str] | dict[str, int]]:
        """(nodes per kind, edges per type)."""

    @abstractmethod
    def _get_nodes(self, node_ids: list[str]) -> list[Node]:
        """The nodes with these ids that exist, in any order."""

    @abstractmethod
    def kinds_of(self, node_ids: Iterable[str]) -> dict[str, NodeKind]:
        """The kind of each of these ids that exists in the store."""

    @abstractmethod
    def dump(self) -> tuple[list[Node], list[Edge]]:
        """Every node and edge (for exports, checksums and comparisons; not for hot paths)."""

    @abstractmethod
    def entity_refs(self, node_ids: Iterable[str]) -> dict[str, EntityRef]:
        """Name, kind and nation of each of these ids that exists."""

    @abstractmethod
    def search_candidates(self, plan: Plan, mode: str, kinds: tuple[str, ...], cap: int,
                          exact_cap: int) -> tuple[list[Candidate], int, list[Candidate]]:
        """What ``qgraph.search`` ranks: (the nodes with one of ``plan.exact`` among their exact keys, at most
        ``exact_cap``; the number of nodes matching the plan's words; the first ``cap`` of those in ``sort_key``
        order). ``mode`` ``all``: a node matches when each required word matches one of its terms in
        ``plan.fields``; ``any``: when one word does. A word matches a term equal to it, within its ``edits``
        (optimal string alignment distance), or starting with it when it is a ``prefix``. Only nodes of ``kinds``
        (empty: any)."""

    @abstractmethod
    def agreements(self, f: AgreementFilter, limit: int, offset: int) -> tuple[int, list[AgreementRow]]:
        """Agreements passing ``f`` in ``agreement_order``, one page of them, with parties and framework; and the total."""

    @abstractmethod
    def shortest_paths(self, source: str, target: str, f: AgreementFilter, max_hops: int,
                       cap: int) -> list[list[str]]:
        """Every shortest path (at most ``cap``) from source to target alternating entity, agreement, entity …, over
        agreements passing ``f``, with at most ``max_hops`` agreements; [] when there is none within reach."""

    @abstractmethod
    def relations(self, node_id: str, limit: int) -> tuple[int, list[tuple[Edge, EntityRef]]]:
        """The node's degree and up to ``limit`` of its edges with the entity at the other end (sorted by type, id)."""

    @abstractmethod
    def neighbour_ids(self, node_ids: Iterable[str], types: Iterable[str]) -> set[str]:
        """Ids adjacent to any of ``node_ids`` (either direction) through edges of these types."""

    @abstractmethod
    def subgraph_edges(self, node_ids: Iterable[str]) -> list[Edge]:
        """Every edge whose two ends are among ``node_ids``."""

    @abstractmethod
    def strategies(self) -> list[tuple[Node, EntityRef | None]]:
        """Every strategy with the nation or institution that adopted it."""

    @abstractmethod
    def meta(self) -> dict[str, str]:
        """What the last load recorded: ``data_version``, ``loaded_at``, ``documents`` (JSON). Empty when never loaded."""

    def save_review(self, review_id: str, body: str) -> None:
        """Keep a review of ingested candidates (``qgraph.loaders.ingest``; ``body`` is JSON) in the store, replacing
        one with the same id. Reviews are not graph data: counts, dumps and checksums never include them."""
        raise NotImplementedError

    def load_review(self, review_id: str) -> str | None:
        """The body of a stored review, or None."""
        raise NotImplementedError

    @abstractmethod
    def clear(self) -> None:
        """Remove every node, edge and the metadata."""

    @abstractmethod
    def ping(self) -> str:
        """Check the store answers; return a short description (e.g. the server version). Raises StoreUnavailable."""

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(settings: Settings | None = None, *, write: bool = False) -> Store:
    """The store the settings choose: ``QGRAPH_STORE=memory`` (default) or ``neo4j``; ``write=True`` for loads
    (Neo4j then uses the write credentials when they differ from the read-only ones)."""
    settings = settings or get_settings()
    if settings.store == "neo4j":
        from qgraph.stores.neo4j import Neo4jStore

        return Neo4jStore.from_settings(settings, write=write)
    from qgraph.stores.memory import MemoryStore

    return MemoryStore(settings.memory_file)
