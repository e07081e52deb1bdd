"""The one store interface, and the choice of backend from settings.

``Store`` is an abstract base: public methods are written once here (argument checks, output shaping) and call a
small set of abstract backend methods that ``MemoryStore`` (networkx) and ``Neo4jStore`` (the official driver, with
the Cypher files of ``qgraph.cypher``) implement. Both must give the same answers; ``tests/test_store_contract.py``
runs one suite over both.

Invariants:
- every write goes through ``Store.commit(Write(...), actor=..., message=...)`` (``load``, ``clear`` and ``revert``
  are written over it): it takes the store's one writer lock (across processes and API replicas: a lock file for the
  memory store, a write lock on the metadata node in Neo4j), reads the current value of every fact the write touches,
  computes the exact diff, and applies only that diff together with its changeset (``qgraph.history``) and the new
  data version, in one atomic step. Checks (edge ends, kinds) run under the same lock, so a concurrent ``clear``
  cannot pull a node from under a load. An empty diff records nothing and ``CommitResult.changeset`` is None;
- a write is all-or-nothing (except an explicitly bulk Neo4j load, ``load(bulk=True)``, see ``WriteOptions``) and idempotent: nodes are
  merged by id (their properties replaced), edges by (type, source, target);
- a store only receives validated ``Graph`` objects; every edge end must be a node of the graph or of the store;
- every fact remembers the dataset that wrote it (``Write.dataset``, default ``curated``); ``Write(replace=True)``
  makes the facts of that dataset equal to the graph given (removals included) and never removes another dataset's
  facts (a removal that would strand another dataset's edge is refused);
- readers: ``Store.pinned()`` gives a view of one version of the graph for a whole request (memory: the immutable
  snapshot it started with; Neo4j: one read transaction whose version is checked after every query, raising
  ``VersionChanged`` when a write committed meanwhile, so that the request is answered again from the new version).

Writing from another module (ingest, explorer edits)::

    from qgraph.store import Write
    result = store.commit(Write(graph=Graph(nodes=[...], edges=[...]), dataset="ingest",
                                remove_nodes=(...), remove_edges=((type, source, target), ...)),
                          actor=actor, message="apply review 12", documents=("doc-id",))
    result.changeset          # the recorded Changeset (number, id, diff …), or None: nothing changed
"""

from __future__ import annotations

import getpass
import hashlib
import json
import uuid
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from qgraph.config import Settings, get_settings
from qgraph.history import (MOD, Changeset, EdgeChange, EdgeKey, NodeChange, counts_of, format_state, inverse,
                            item_hash, parse_state, summarised, version_of)
from qgraph.model import Citation, Edge, Graph, Node, NodeKind
from qgraph.results import EntityRef
from qgraph.search import Candidate, Plan


T = TypeVar("T")
N = TypeVar("N", Node, Edge)


class StoreError(RuntimeError):
    """The store cannot answer (unreachable, timed out, refused)."""


class StoreUnavailable(StoreError):
    """The store cannot be reached; retrying later may succeed."""


class VersionChanged(RuntimeError):
    """A write committed while a pinned Neo4j view was reading: the request must be answered again (the API does it)."""


class RevertConflict(RuntimeError):
    def __init__(self, number: int, later: list[int]) -> None:
        self.number, self.later = number, later
        super().__init__(f"changeset {number} cannot be reverted: later changeset(s) "
                         f"{', '.join(map(str, later))} touched the same facts (force to revert anyway)")


class WriteConflict(RuntimeError):
    """A write based on values read earlier (``Write.expect_nodes`` / ``expect_edges``) found them changed under the
    writer lock: nothing was written (an edit made from a stale read would undo someone else's change)."""

    def __init__(self, facts: list[str]) -> None:
        self.facts = facts
        super().__init__(f"changed since it was read: {', '.join(facts)}; read it again and redo the change")


#: the dataset of the data files (``qgraph load``, ``/admin/reload``); facts written before datasets existed count as it
DEFAULT_DATASET = "curated"
#: a diff with more items than this is recorded as a summary (ids only), see ``qgraph.history``
DIFF_LIMIT = 50_000


def default_actor() -> str:
    """Who writes from the command line: the OS user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "unknown"


@dataclass(frozen=True)
class Write:
    """What one ``Store.commit`` changes. ``graph``: nodes and edges to add or replace; ``remove_nodes`` (their
    edges go with them) and ``remove_edges``: facts to remove; ``replace``: also remove every fact of ``dataset`` that
    ``graph`` lacks; ``clear``: remove everything else; ``dataset``: the dataset the written facts belong to."""

    graph: Graph = field(default_factory=Graph)
    remove_nodes: tuple[str, ...] = ()
    remove_edges: tuple[EdgeKey, ...] = ()
    replace: bool = False
    clear: bool = False
    dataset: str = DEFAULT_DATASET
    reverts: int | None = None
    #: the values the write was computed from (None: absent), checked under the writer lock (``WriteConflict``)
    expect_nodes: tuple[tuple[str, Node | None], ...] = ()
    expect_edges: tuple[tuple[EdgeKey, Edge | None], ...] = ()


def enriches(old: Node, new: Node) -> bool:
    """``new`` is ``old`` with aliases or citations added and nothing else changed."""
    if old.kind != new.kind:
        return False
    a, b = dict(old.properties), dict(new.properties)
    old_aliases, new_aliases = a.pop("aliases", None) or [], b.pop("aliases", None) or []
    return (a == b and all(x in new_aliases for x in old_aliases) and all(x in new.sources for x in old.sources)
            and (len(new_aliases) > len(old_aliases) or len(new.sources) > len(old.sources)))


def _merge_list(base: list[Any], current: list[Any], given: list[Any]) -> list[Any]:
    """``current`` without what ``given`` took out of ``base``, then what ``given`` added to it, in order."""
    out = [x for x in current if x in given or x not in base]
    return out + [x for x in given if x not in base and x not in out]


def merge3(base: N, current: N, given: N) -> N:
    """A node or edge as ``given`` writes it, keeping what others changed since ``base`` (what the same dataset gave
    last time): a property ``given`` left as in ``base`` keeps its current value; one it changed takes the new value;
    list properties (aliases, domains …) and the citations merge element by element (``_merge_list``)."""
    sources = _merge_list(base.sources, current.sources, given.sources)
    if not isinstance(given, Node):
        return given.model_copy(update={"sources": sources})
    assert isinstance(base, Node) and isinstance(current, Node)
    props: dict[str, Any] = {}
    for key in dict.fromkeys([*current.properties, *given.properties]):
        b, c, g = base.properties.get(key), current.properties.get(key), given.properties.get(key)
        if isinstance(g, list) or isinstance(c, list):
            value: Any = _merge_list(b or [], c or [], g or [])
            if not value and c != [] and g != []:
                value = None  # no element left: absent, unless one side holds an explicit empty list
        else:
            value = c if g == b else g
        if value is not None:
            props[key] = value
    return given.model_copy(update={"properties": props, "sources": sources})


def _check_expected(tx: WriteTx, write: Write) -> None:
    nodes = tx.nodes([i for i, _ in write.expect_nodes])
    edges = tx.edges([k for k, _ in write.expect_edges])
    changed = [i for i, seen in write.expect_nodes if (nodes[i][0] if i in nodes else None) != seen]
    changed += ["-".join(k) for k, seen in write.expect_edges if (edges[k][0] if k in edges else None) != seen]
    if changed:
        raise WriteConflict(changed)


class WriteTx(ABC):
    """What a backend gives ``Store.commit`` while it holds the writer lock: the current values, and one atomic apply.
    Values are (Node or Edge, dataset or None)."""

    @abstractmethod
    def damaged(self) -> str | None:
        """Why the store refuses writes (a damaged history journal), or None."""

    @abstractmethod
    def meta(self) -> dict[str, str]: ...

    @abstractmethod
    def counts(self) -> Counts: ...

    @abstractmethod
    def full_state_hash(self) -> int:
        """The state hash computed from every fact (for a store written before state hashes were kept)."""

    @abstractmethod
    def kinds_of(self, ids: list[str]) -> dict[str, NodeKind]: ...

    @abstractmethod
    def nodes(self, ids: list[str]) -> dict[str, tuple[Node, str | None]]: ...

    @abstractmethod
    def edges(self, keys: list[EdgeKey]) -> dict[EdgeKey, tuple[Edge, str | None]]: ...

    @abstractmethod
    def scope(self, dataset: str | None) -> tuple[dict[str, tuple[Node, str | None]],
                                                  dict[EdgeKey, tuple[Edge, str | None]]]:
        """Every fact of the dataset (None: every fact)."""

    @abstractmethod
    def incident(self, ids: list[str]) -> dict[EdgeKey, tuple[Edge, str | None]]:
        """Every edge with an end among ``ids``."""

    @abstractmethod
    def apply(self, nodes: list[NodeChange], edges: list[EdgeChange], meta: dict[str, str],
              changeset: Changeset, options: WriteOptions) -> None:
        """Apply the changes, set the metadata and record the changeset, all in one atomic step (unless
        ``options.bulk`` on Neo4j); report the rows written to ``options.progress``."""


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
    #: the number of the changeset recorded, None when nothing changed
    changeset: int | None = None


@dataclass(frozen=True)
class ChangesetPoint:
    number: int
    time: str
    data_version_before: str
    data_version: str


@dataclass(frozen=True)
class CommitResult:
    #: the recorded changeset; None when the diff was empty (nothing was written or recorded)
    changeset: Changeset | None
    report: LoadReport


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
    #: diffs with more items are recorded as summaries (``QGRAPH_HISTORY_DIFF_LIMIT``)
    diff_limit: int = DIFF_LIMIT

    # ------------------------------------------------------------------ public, written once

    def load(self, graph: Graph, *, dataset: str = DEFAULT_DATASET, replace: bool = False, actor: str | None = None,
             message: str | None = None, bulk: bool = False, workers: int = 2, batch_size: int | None = None,
             progress: Callable[[int], None] | None = None) -> LoadReport:
        """Write a whole graph in one all-or-nothing, idempotent changeset and return the counts before and after.

        ``replace=True``: the facts of ``dataset`` not in the graph are removed. ``bulk``, ``workers``,
        ``batch_size`` and ``progress``: how to write (``WriteOptions``; ``bulk=True`` is not atomic on Neo4j).
        Raises ``ValueError`` when an edge end is neither in the graph nor in the store, or when an id is already in
        the store with another kind; nothing is written then.
        """
        result = self.commit(Write(graph=graph, dataset=dataset, replace=replace), actor=actor or default_actor(),
                             message=message or ("replace-load" if replace else "load"),
                             options=WriteOptions(bulk=bulk, workers=workers, batch_size=batch_size, progress=progress))
        return result.report

    def commit(self, write: Write, *, actor: str, message: str = "", documents: Iterable[str] = (),
               options: WriteOptions | None = None) -> CommitResult:
        """The one write path (see the module docstring): diff, apply and record, atomically, under the writer lock
        (``options``: how the backend writes the diff, see ``WriteOptions``)."""
        started = datetime.now(UTC)
        with self._writer() as tx:
            problem = tx.damaged()
            if problem:
                raise StoreError(problem)
            if write.expect_nodes or write.expect_edges:
                _check_expected(tx, write)
            meta = tx.meta()
            # The counts are kept in the metadata (updated from each diff); a store written before that counts once.
            kept = json.loads(meta["counts"]) if meta.get("counts") else None
            before_counts = Counts(kept["nodes"], kept["edges"]) if kept else tx.counts()
            state = parse_state(meta.get("state_hash"))
            if state is None:
                state = tx.full_state_hash()
            nodes_put, edges_put = self._diff_puts(tx, write)
            nodes_put, edges_put = self._merge_others(write, nodes_put, edges_put)
            nodes_del, edges_del = self._diff_removals(tx, write, nodes_put, edges_put)
            node_changes = nodes_put + nodes_del
            edge_changes = edges_put + edges_del
            version_before = meta.get("data_version") or version_of(state)
            if not node_changes and not edge_changes:
                return CommitResult(None, LoadReport(before_counts, before_counts, len(write.graph.nodes),
                                                     len(write.graph.edges), version_before))
            for c in (*node_changes, *edge_changes):
                if c.before is not None:
                    state -= item_hash(c.before)
                if c.after is not None:
                    state += item_hash(c.after)
            state %= MOD
            version = version_of(state)
            number = int(meta.get("changesets") or 0) + 1
            cited = {c.document for ch in (*node_changes, *edge_changes) for item in (ch.before, ch.after)
                     if item is not None for c in item.sources}
            docs = sorted(set(documents) | {d.id for d in write.graph.documents} | cited)
            summary = len(node_changes) + len(edge_changes) > self.diff_limit
            kept_nodes, kept_edges = summarised(node_changes, edge_changes) if summary else (node_changes, edge_changes)
            changeset = Changeset(number=number, id=str(uuid.uuid4()), time=started.isoformat(timespec="seconds"),
                                  actor=actor, message=message, dataset=write.dataset, documents=docs,
                                  data_version_before=version_before, data_version=version, reverts=write.reverts,
                                  summary=summary, counts=counts_of(node_changes, edge_changes),
                                  nodes=kept_nodes, edges=kept_edges)
            known = {d["id"]: d for d in json.loads(meta.get("documents", "[]"))}
            known.update({d.id: d.model_dump(mode="json", exclude_none=True) for d in write.graph.documents})
            after = Counter(before_counts.nodes), Counter(before_counts.edges)
            for n in node_changes:
                after[0][n.kind] += {"added": 1, "removed": -1}.get(n.op, 0)
            for e in edge_changes:
                after[1][e.type] += {"added": 1, "removed": -1}.get(e.op, 0)
            after_counts = Counts({k: v for k, v in after[0].items() if v}, {k: v for k, v in after[1].items() if v})
            new_meta = {"data_version": version, "loaded_at": changeset.time, "state_hash": format_state(state),
                        "changesets": str(number),
                        "counts": json.dumps({"nodes": after_counts.nodes, "edges": after_counts.edges},
                                             sort_keys=True),
                        "documents": json.dumps(sorted(known.values(), key=lambda d: d["id"]), ensure_ascii=False)}
            tx.apply(node_changes, edge_changes, new_meta, changeset, options or WriteOptions())
            return CommitResult(changeset, LoadReport(before_counts, after_counts, len(write.graph.nodes),
                                                      len(write.graph.edges), version, number))

    @staticmethod
    def _diff_puts(tx: WriteTx, write: Write) -> tuple[list[NodeChange], list[EdgeChange]]:
        """The changes the graph's nodes and edges make: added, or changed where the value differs."""
        graph = write.graph
        in_graph = {n.id: n.kind for n in graph.nodes}
        if len(in_graph) != len(graph.nodes):
            raise ValueError("a node id is given twice in one write")
        current = tx.nodes(list(in_graph))
        outside = {end for e in graph.edges for end in (e.source, e.target)} - in_graph.keys()
        stored = tx.kinds_of(sorted(outside))
        problems = [f"edge end {i!r} is not a node of the load nor of the store" for i in sorted(outside - stored.keys())]
        problems += [f"node {i!r} is a {k} here but a {current[i][0].kind} in the store"
                     for i, k in sorted(in_graph.items()) if i in current and current[i][0].kind != k]
        if problems:
            raise ValueError("; ".join(problems))
        nodes: list[NodeChange] = []
        for node in graph.nodes:
            old = current.get(node.id)
            if old is None:
                nodes.append(NodeChange(id=node.id, kind=node.kind.value, op="added", after=node,
                                        dataset_after=write.dataset))
            elif old[0] != node:
                # Aliases or citations that another dataset adds to a node (an accepted ingest match, an alias added
                # in the explorer), or takes back (its revert), leave the node its owner's: the owner's replace load
                # keeps or removes it.
                owner = old[1] or DEFAULT_DATASET
                if owner == write.dataset or not (enriches(old[0], node) or enriches(node, old[0])):
                    owner = write.dataset
                nodes.append(NodeChange(id=node.id, kind=node.kind.value, op="changed", before=old[0], after=node,
                                        dataset_before=old[1], dataset_after=owner))
        keys = [e.key for e in graph.edges]
        if len(set(keys)) != len(keys):
            raise ValueError("an edge is given twice in one write")
        current_edges = tx.edges(keys)
        edges: list[EdgeChange] = []
        for edge in graph.edges:
            old_edge = current_edges.get(edge.key)
            if old_edge is None:
                edges.append(EdgeChange(type=edge.type, source=edge.source, target=edge.target, op="added",
                                        after=edge, dataset_after=write.dataset))
            elif old_edge[0] != edge:
                edges.append(EdgeChange(type=edge.type, source=edge.source, target=edge.target, op="changed",
                                        before=old_edge[0], after=edge, dataset_before=old_edge[1],
                                        dataset_after=write.dataset))
        return nodes, edges

    def _merge_others(self, write: Write, nodes: list[NodeChange],
                      edges: list[EdgeChange]) -> tuple[list[NodeChange], list[EdgeChange]]:
        """A dataset's write does not undo what other datasets did to its facts since it last wrote them: a
        ``qgraph load`` of ``data/`` rewrites curated records from the files, and a correction made in the explorer, an
        alias an accepted ingest match added, or a party the explorer removed stays, unless the file changed that same
        property (then the file's new value wins). A three-way merge (``merge3``) of what the dataset gave last time
        (the base: ``given`` or ``after`` of its last changeset on the fact), the current value and the new one.

        Only facts the write changes or adds that a changeset of another dataset touched are looked at, and the
        history is read for those alone. A fact whose base is unknown (its dataset never wrote it, or recorded it in
        a summary) is written as given."""
        changed_nodes = {c.fact: c for c in nodes if c.op == "changed"}
        put_edges = {c.fact: c for c in edges}
        wanted = changed_nodes.keys() | put_edges.keys()
        if not wanted:
            return nodes, edges
        touched = wanted & self._facts_of_others(write.dataset)
        if not touched:
            return nodes, edges
        base: dict[str, NodeChange | EdgeChange] = {}  # the dataset's last change of the fact
        for cs in self.changesets_touching(touched):
            if (cs.dataset or DEFAULT_DATASET) != write.dataset:
                continue
            for ch in (*cs.nodes, *cs.edges):
                if ch.fact in touched:
                    base[ch.fact] = ch  # a summary's change holds no value: the base is unknown
        drop: set[str] = set()
        merged: dict[str, NodeChange | EdgeChange] = {}
        for fact, last in base.items():
            given_before = last.given or last.after
            ch = changed_nodes.get(fact) or put_edges[fact]
            if given_before is None or ch.after is None:
                continue  # a summary, or the dataset had removed it: the write puts it as given
            if ch.before is None:  # an edge another dataset removed: it stays removed unless the write changed it
                if ch.after == given_before:
                    drop.add(fact)
                continue
            value = merge3(given_before, ch.before, ch.after)
            if value == ch.before:
                drop.add(fact)
            elif value != ch.after:
                merged[fact] = ch.model_copy(update={"after": value, "given": ch.after})
        if not drop and not merged:
            return nodes, edges
        return ([merged.get(c.fact, c) for c in nodes if c.fact not in drop],
                [merged.get(c.fact, c) for c in edges if c.fact not in drop])

    def _facts_of_others(self, dataset: str) -> set[str]:
        """The facts that changesets of datasets other than ``dataset`` touched (summaries excluded)."""
        return {f for cs in self.changesets() if (cs.dataset or DEFAULT_DATASET) != dataset and not cs.summary
                for f in cs.facts()}

    def changesets_touching(self, facts: set[str]) -> list[Changeset]:
        """The changesets that touched any of these facts (``NodeChange.fact``, ``EdgeChange.fact``), in order."""
        return [cs for cs in self.changesets() if not facts.isdisjoint(cs.facts())]

    @staticmethod
    def _diff_removals(tx: WriteTx, write: Write, nodes_put: list[NodeChange],
                       edges_put: list[EdgeChange]) -> tuple[list[NodeChange], list[EdgeChange]]:
        """What the write removes: everything (``clear``), the dataset's facts not in the graph (``replace``), the
        nodes and edges named, and the edges of removed nodes (refused when such an edge belongs to a dataset the
        write does not replace, or is one the write puts)."""
        kept_ids = {n.id for n in write.graph.nodes}
        kept_keys = {e.key for e in write.graph.edges}
        gone_nodes: dict[str, tuple[Node, str | None]] = {}
        gone_edges: dict[EdgeKey, tuple[Edge, str | None]] = {}
        if write.clear or write.replace:
            scope_nodes, scope_edges = tx.scope(None if write.clear else write.dataset)
            gone_nodes.update((i, v) for i, v in scope_nodes.items() if i not in kept_ids)
            gone_edges.update((k, v) for k, v in scope_edges.items() if k not in kept_keys)
        if write.remove_nodes:
            named = tx.nodes(sorted(set(write.remove_nodes) - kept_ids))
            gone_nodes.update(named)
        if write.remove_edges:
            named_edges = tx.edges([k for k in dict.fromkeys(write.remove_edges) if k not in kept_keys])
            gone_edges.update(named_edges)
        problems = []
        if gone_nodes:
            for key, (edge, origin) in tx.incident(sorted(gone_nodes)).items():
                if key in gone_edges:
                    continue
                if key in kept_keys:
                    problems.append(f"edge {'/'.join(key)} is written but its end is removed")
                elif write.replace and not write.clear and (origin or DEFAULT_DATASET) != write.dataset:
                    problems.append(f"node {key[1] if key[1] in gone_nodes else key[2]!r} of dataset {write.dataset!r} "
                                    f"would be removed, but edge {'/'.join(key)} of dataset {origin!r} uses it")
                else:
                    gone_edges[key] = (edge, origin)
        if problems:
            raise ValueError("; ".join(problems))
        nodes = [NodeChange(id=i, kind=n.kind.value, op="removed", before=n, dataset_before=o)
                 for i, (n, o) in sorted(gone_nodes.items())]
        edges = [EdgeChange(type=k[0], source=k[1], target=k[2], op="removed", before=e, dataset_before=o)
                 for k, (e, o) in sorted(gone_edges.items())]
        return nodes, edges

    def revert(self, number: int, *, actor: str, force: bool = False, message: str | None = None) -> CommitResult:
        """A new changeset that undoes changeset ``number``. Raises ``RevertConflict`` naming the later changesets
        that touched the same facts (unless ``force``: then the facts get ``number``'s before values anyway), and
        ``LookupError`` / ``ValueError`` for an unknown or summary changeset."""
        target = self.changeset(number)
        if target is None:
            raise LookupError(f"no changeset number {number}")
        if target.summary:
            raise ValueError(f"changeset {number} was recorded as a summary (a diff of more than {self.diff_limit} "
                             "items): its values are not kept, so it cannot be reverted")
        facts = target.facts()
        later = [cs.number for cs in self.changesets(after=number) if cs.facts() & facts]
        if later and not force:
            raise RevertConflict(number, later)
        nodes, edges = inverse(target)
        put_nodes = [n.after for n in nodes if n.after is not None]
        put_edges = [e.after for e in edges if e.after is not None]
        write = Write(graph=Graph(nodes=put_nodes, edges=put_edges),
                      remove_nodes=tuple(n.id for n in nodes if n.after is None),
                      remove_edges=tuple(e.key for e in edges if e.after is None),
                      dataset=target.dataset or DEFAULT_DATASET, reverts=number)
        return self.commit(write, actor=actor, message=message or f"revert changeset {number}")

    # ------------------------------------------------------------------ history (reads)

    def changeset_points(self) -> list[ChangesetPoint]:
        """(number, time, data version before and after) of every changeset, in order: cheap, for finding a point."""
        return [ChangesetPoint(c.number, c.time, c.data_version_before, c.data_version) for c in self.changesets()]

    def changeset(self, number: int) -> Changeset | None:
        """One changeset, with its diff."""
        found = self.changesets(after=number - 1, until=number)
        return found[0] if found else None

    def damaged(self) -> str | None:
        """Why the store refuses writes (the memory store's history journal is damaged), or None."""
        return None

    def repair(self) -> str:
        """Make a damaged history whole again, keeping every whole changeset; what was done."""
        return "nothing to repair"

    def history_count(self) -> int:
        return int(self.meta().get("changesets") or 0)

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
    def _writer(self) -> AbstractContextManager[WriteTx]:
        """Take the writer lock (blocking until the writer before has finished) and give the current state."""

    @abstractmethod
    def changesets(self, *, after: int = 0, until: int | None = None) -> list[Changeset]:
        """The changesets numbered ``after`` + 1 … ``until`` (default: the last), in number order, with their diffs,
        as of the version this store (or pinned view) reads."""

    def pinned(self) -> AbstractContextManager[Store]:
        """A view of one version of the graph (and history) for a whole request; see the module docstring."""
        return _nothing(self)

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
                          exact_cap: int, *, count: bool = True) -> tuple[list[Candidate], int, list[Candidate]]:
        """What ``qgraph.search`` ranks: (the nodes with one of ``plan.exact`` among their exact keys, at most
        ``exact_cap``; the number of nodes matching the plan's words; the first ``cap`` of those in ``sort_key``
        order). ``mode`` ``all``: a node matches when each required word matches one of its terms in
        ``plan.fields``; ``any``: when one word does. A word matches a term equal to it, within its ``edits``
        (optimal string alignment distance), or starting with it when it is a ``prefix``. Only nodes of ``kinds``
        (empty: any). ``count`` false: the caller does not need the number, which may then be a lower bound (at least
        the number of candidates returned), so that a store can stop counting a broad word's hits."""

    @abstractmethod
    def clause_hits(self, plan: Plan, kinds: tuple[str, ...], limit: int) -> list[int]:
        """For each word of ``plan.clauses``, the number of nodes (of ``kinds``; empty: any) it matches alone, as
        ``search_candidates`` matches words, counted up to ``limit + 1`` (more than ``limit`` answers ``limit + 1``):
        how broad a word is, at a bounded cost."""

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

    def documents(self) -> list[dict[str, Any]]:
        """The registered source documents (``meta()["documents"]``, parsed): id, title, file, sha256 …"""
        return json.loads(self.meta().get("documents") or "[]")

    def clear(self, *, actor: str | None = None, message: str = "clear") -> CommitResult:
        """Remove every node and edge, as one recorded changeset (history is kept: the clear can be reverted)."""
        return self.commit(Write(clear=True), actor=actor or default_actor(), message=message)

    def save_review(self, review_id: str, body: str) -> None:
        """Keep a review of ingested candidates (``qgraph.loaders.ingest``; ``body`` is JSON) in the store, replacing
        one with the same id. Reviews are not graph data: counts, dumps and checksums never include them."""
        raise NotImplementedError

    def load_review(self, review_id: str) -> str | None:
        """The body of a stored review, or None."""
        raise NotImplementedError

    @abstractmethod
    def wipe(self) -> None:
        """Remove every node, edge, the metadata and the whole history (start over; tests). Under the writer lock."""

    @abstractmethod
    def ping(self) -> str:
        """Check the store answers; return a short description (e.g. the server version). Raises StoreUnavailable."""

    def prepare(self) -> None:
        """Build now what the first query would otherwise build (the memory store: its search index, saved beside
        the graph file for every later process); nothing for a server-side store. ``qgraph load`` calls it, so that
        a server's first search after a load does not pay for it."""

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def _nothing(store: Store) -> Iterator[Store]:
    yield store


def open_store(settings: Settings | None = None, *, write: bool = False) -> Store:
    """The store the settings choose: ``QGRAPH_STORE=memory`` (default) or ``neo4j``; ``write=True`` for loads
    (Neo4j then uses the write credentials when they differ from the read-only ones)."""
    settings = settings or get_settings()
    if settings.store == "neo4j":
        from qgraph.stores.neo4j import Neo4jStore

        store: Store = Neo4jStore.from_settings(settings, write=write)
    else:
        from qgraph.stores.memory import MemoryStore

        store = MemoryStore(settings.memory_file)
    store.diff_limit = settings.history_diff_limit
    return store
