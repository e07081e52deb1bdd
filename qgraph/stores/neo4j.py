"""The Neo4j store: the official ``neo4j`` driver and the Cypher files of ``qgraph.cypher``.

Invariants:
- every query is a file of the catalog; values go as parameters, labels and types only from the whitelist;
- reads run in read transactions (sessions in ``READ_ACCESS`` mode: the server refuses a write in them), so a cluster or
  Aura routes them to any member; a pinned view (``Store.pinned()``, one per API request) runs all of a request's reads
  in one read transaction and checks after each query that no write committed meanwhile (the changeset count of the
  metadata node), raising ``VersionChanged`` otherwise (Neo4j reads are read-committed: without the check, one answer
  could hold rows of two versions). Neo4j applies a commit to the store record by record, so a reader can also see
  *part* of a commit, the metadata node included: the writer therefore marks its commit (``mark_commit.cypher``, a small
  transaction of its own, committed before the data transaction commits and refreshed until that commit returns), and a
  pinned read waits while a mark is live before it begins and answers again when one is live after a query;
- every write (``Store.commit``) is one write transaction that first takes the writer lock (``lock_meta.cypher``),
  reads what it changes, writes only the diff, the metadata and a ``QgraphChangeset`` node (not an ``Entity``: no
  query, count, search or export sees it), so several API replicas share one history, and a ``QgraphVocab`` chunk of
  the terms its nodes hold (the vocabulary typo-tolerant search reads: ``_VocabCache``);
- a load is one write transaction made of ``UNWIND`` batches: it commits whole or not at all, and a failed batch
  (e.g. an edge whose end is missing) rolls everything back. The one exception is asked for explicitly:
  ``load(graph, bulk=True)`` (``qgraph load --bulk``) commits the diff's batches in their own transactions — not
  atomic, idempotent — while the locking transaction stays open, and commits the metadata and the changeset last,
  when every batch is in;
- nodes carry the label ``Entity`` plus their kind; ``_origin`` on nodes and edges is the dataset that wrote them;
  ``_nation`` on a node is its nation (from its ``LOCATED_IN`` edges, kept by each write that puts the node or moves
  those edges: ``set_nations.cypher``), so that an entity reference reads no edges;
  properties are flat, citations are a JSON string ``sources``, and
  the ``search_*`` properties hold what ``qgraph.search.index_entry`` makes of the node (terms for the full-text
  index ``entity_fulltext``, its place in the fixed order, its analysed values for ranking);
- nothing assumes the server is local; the URI, credentials and database come from settings.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import neo4j
from neo4j import GraphDatabase, Query
from neo4j import exceptions as nx_exc

from qgraph import cancel, cypher
from qgraph.breaker import CircuitBreaker, CircuitOpen
from qgraph.config import Settings
from qgraph.history import Changeset, EdgeChange, EdgeKey, NodeChange, dumps, loads, state_hash
from qgraph.model import Edge, Graph, Node, NodeKind
from qgraph.results import EntityRef
from qgraph.search import (ALTERNATIVES_BUDGET, Alternatives, Candidate, Clause, Plan, Vocabulary, fuzzy_term,
                           index_entry, lucene_clause, lucene_exact, lucene_render, lucene_words)
from qgraph.store import (DEFAULT_DATASET, AgreementFilter, AgreementRow, ChangesetPoint, Counts, PartyAgreements,
                          PathFinding, PerCitationList, Store, StoreError, StoreUnavailable, VersionChanged,
                          WriteOptions, WriteTx, sources_from_json, sources_to_json)

T = TypeVar("T")
_INTERNAL = frozenset(("id", "_kind", "_origin", "_nation", "sources", "search_keys", "search_text",
                       "search_names", "search_description", "search_exact", "search_sort", "search_values"))
#: the edge that places a node in its nation (kept on the node as ``_nation``: set_nations.cypher)
NATION_EDGE = "LOCATED_IN"
#: nodes upgraded per transaction when a database of an older version gets the search properties
UPGRADE_BATCH = 2_000
#: nodes given their kept nation per transaction (upgrade_nations.cypher; each batch scans past the nodes done)
NATION_UPGRADE_BATCH = 20_000
log = logging.getLogger("qgraph.neo4j")
#: rows per UNWIND batch for the bulk path (measured: see benchmarks/RESULTS.md)
BULK_BATCH = 10_000
#: seconds between refreshes of a commit's mark while the commit is applied, and after how long without one a mark is
#: a dead writer's (ignored by readers, removed by the next writer)
COMMIT_BEAT = 1.0
COMMIT_STALE = 15.0
_STALE_MS = int(COMMIT_STALE * 1000)


def _meta_of(props: dict[str, Any] | None) -> dict[str, str]:
    """The metadata node's properties without its key and the writer lock's counter."""
    return {k: v for k, v in (props or {}).items() if k not in ("key", "_lock")}


def _batches(rows: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def search_fields(node_id: str, kind: str, props: dict[str, Any]) -> dict[str, Any]:
    """The node's search properties (see ``qgraph.search``): terms space-separated for the whitespace analyser."""
    e = index_entry(node_id, kind, props)
    return {"search_names": " ".join(e.name_terms), "search_description": " ".join(e.description_terms),
            "search_exact": " ".join(e.exact), "search_sort": e.sort_key, "search_values": e.values}


def node_to_props(node: Node, sources_json: str | None = None) -> dict[str, Any]:
    return {**node.properties, "sources": sources_json if sources_json is not None else sources_to_json(node.sources),
            **search_fields(node.id, node.kind.value, node.properties)}


def sources_json_cache() -> PerCitationList[str]:
    """Citation lists as JSON, each distinct list serialised once."""
    return PerCitationList(sources_to_json)


def node_from_props(props: dict[str, Any]) -> Node:
    return Node(id=props["id"], kind=NodeKind(props["_kind"]), sources=sources_from_json(props.get("sources")),
                properties={k: v for k, v in props.items() if k not in _INTERNAL})


#: most word matches that search_entities.cypher returns with their entity references (the node's properties each,
#: the nation being kept on the node; past it the page's references are a second query): as many as a page of
#: suggestions has candidates, so that autocomplete is one round trip (benchmarks/RESULTS.md)
REF_CAP = 100
#: most nodes search_entities.cypher walks in the fixed order for broad words, and how many times the expected walk
#: that bound must be for the walk to be tried (hits * WALK_MAX >= WALK_SPREAD * cap * nodes): at 100k entities (400,000
#: nodes) a page of 100 suggestions is walked for 8,000 hits or more, a page of 400 candidates for 32,000. Walking a
#: node costs about 0.5 µs, sorting a hit about 1 µs (its sort key read), so the walk pays once it is expected to
#: end within half the hits; the bound keeps a walk that falls short (hits clustered in the order: a prefix of
#: names) to about 5 ms before the sort.
WALK_MAX = 10_000
WALK_SPREAD = 2
#: hits from which the walk goes on to LONG_WALK_MAX nodes (when as broad by that bound): walking those costs about
#: 20 ms, no more than sorting that many hits, and reaches hits clustered past WALK_MAX (a name's first word:
#: "international" typed, 25,723 hits at 100k entities, the first at position 21,049 of the order)
LONG_WALK_HITS = 20_000
LONG_WALK_MAX = 40_000
#: when hits need not be counted (autocomplete, the closest names, a resolution), Lucene stops at the hits that make
#: the words broad (or at LUCENE_CAP, if more), and a walk of at most TERM_WALK_MAX nodes checks the terms of each
#: (about 1.8 µs a node) for the first `cap`; only when it finds fewer is every hit handed over (0.2 µs each, and as
#: much again for the walk's set of them: "unive" typed has 30,000 at 100k entities, "quantum" 300,000). A word in
#: names of every letter fills that walk within a few hundred nodes; one whose hits cluster in the order (a name's
#: first word, "international") costs the walk, about 4 ms, before the rest. LUCENE_CAP is a floor under that stop:
#: 0 here; the tests raise it to keep Lucene from stopping.
LUCENE_CAP = 0
TERM_WALK_MAX = 2_500
#: every kind: the kinds of a search restricted to none (a list never empty: see ``_one_size``)
_ALL_KINDS = [k.value for k in NodeKind]
#: the `limit` of a Lucene query that hands over every hit
_UNBOUNDED = 2**31 - 1


def _one_size(text: str | None) -> str:
    """A Lucene query text padded with spaces (which Lucene's parser skips) to 1,000 characters, or 10,000 past
    that: Neo4j keeps one plan per query text and per type and size class of each parameter (a string under 100
    characters, under 1,000 …; an empty list, one under 10 …), and planning search_entities.cypher takes 270-700 ms
    at 100k entities (benchmarks/RESULTS.md). So that one plan serves nearly every search, its texts are of one size
    class and it is never asked for no kind. None (no query) is all spaces, which the query skips."""
    text = text or ""
    width = 1_000 if len(text) < 1_000 else 10_000 if len(text) < 10_000 else len(text)
    return text.ljust(width)


#: Lucene's whitespace tokenizer cuts a longer token in pieces: a word as long is not walked
_MAX_TOKEN = 255
#: vocabulary chunks past which a writer merges them into one
VOCAB_CHUNKS = 64
_SEARCH_FIELDS = ("names", "description")


def _no_terms() -> dict[str, set[str]]:
    return {f: set() for f in _SEARCH_FIELDS}


def _write_vocab(tx: neo4j.Transaction | neo4j.ManagedTransaction, seq: int, terms: dict[str, set[str]]) -> None:
    """Write one vocabulary chunk numbered ``seq`` (with an id of its own) holding ``terms`` per search field."""
    tx.run(cypher.query("add_vocab"), seq=seq, id=uuid.uuid4().hex,
           **{f: sorted(ts) for f, ts in terms.items()}).consume()


def _walk(words: list[list[Alternatives]]) -> list[dict[str, Any]] | None:
    """The words of a Lucene query as search_entities.cypher matches them while it walks the fixed order after Lucene
    stopped early (hits not counted): per word and field the exact terms and the prefix; None when a word is left to
    Lucene's fuzzy query, or is too long for Lucene to index as one term (Lucene then hands over every hit)."""
    out = []
    for word in words:
        m: dict[str, Any] = {}
        for f in _SEARCH_FIELDS:
            m[f], m[f"{f}_prefix"] = [], None
        for a in word:
            if a.fuzzy or any(len(t) > _MAX_TOKEN for t in a.terms):
                return None
            # Padded as the walk pads a node's terms: a term is found whole, a prefix at the start of a term.
            m[a.field] = [f" {t} " for t in a.terms]
            m[f"{a.field}_prefix"] = None if a.prefix is None else f" {a.prefix}"
        out.append(m)
    return out or None


def _walk_of_one_size(walk: list[dict[str, Any]] | None, mode: str) -> list[dict[str, Any]]:
    """``walk`` with a second word that changes nothing when it has one (Neo4j's size classes of a list parameter are
    1, 2-10, 11-100: see ``_one_size``): in "all" mode one that every node holds (every name term starts with ''), in
    "any" mode one that none holds (no name term starts with a control character). It has no description term, so
    the walk never splits a description for it."""
    if not walk:
        return []
    if len(walk) > 1:
        return walk
    return [*walk, {"names": [], "names_prefix": " " if mode == "all" else " \x00",
                    "description": [], "description_prefix": None}]


@dataclass(frozen=True)
class _Vocab:
    """One reading of the database's vocabulary (``QgraphVocab`` chunks): the union of their terms per search field,
    and the newest chunk's number and id (None: the database has no chunk, as one made by an older qgraph)."""

    seq: int | None = None
    id: str | None = None
    words: dict[str, Vocabulary] = field(default_factory=lambda: {f: Vocabulary([]) for f in _SEARCH_FIELDS})

    def current(self, seq: int | None, chunk_id: str | None) -> bool:
        return (self.seq, self.id) == (seq, chunk_id)

    def near(self, fld: str, clause: Clause) -> list[str] | None:
        if self.seq is None:  # no vocabulary: Lucene's own fuzzy query
            return None
        words = self.words[fld]
        return [words.terms[i] for i in words.near(clause.text, clause.edits)]

    def plus(self, rows: list[Any]) -> _Vocab:
        """This reading with the chunks read by ``get_vocab.cypher`` (from nothing when the one read last is gone)."""
        kept = rows[0]["kept"]
        new = [r for r in rows if r["seq"] is not None]
        if kept and not new:
            return self
        terms = {f: set(self.words[f].terms) for f in _SEARCH_FIELDS} if kept else _no_terms()
        seq, chunk_id = (self.seq, self.id) if kept else (None, None)
        for r in new:
            for f in _SEARCH_FIELDS:
                terms[f].update(r[f] or ())
            seq, chunk_id = r["seq"], r["id"]
        return _Vocab(seq, chunk_id, {f: Vocabulary.of(ts) for f, ts in terms.items()})


class _VocabCache:
    """What this process read of the database's vocabulary: a cache, not state. Every search query returns the
    database's newest chunk, and a search whose alternatives came from an older reading reads the new chunks and asks
    again, so replicas answer alike. A reading is replaced whole (``_Vocab`` is immutable), so a search builds its
    query and checks it against one reading. Terms of removed nodes stay in a chunk; they match no node."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: _Vocab | None = None


class Neo4jStore(Store):
    kind = "neo4j"

    def __init__(self, driver: neo4j.Driver, *, database: str | None = None, timeout: float = 15.0,
                 batch_size: int = 1000, uri: str = "", breaker_window: float = 2.0) -> None:
        self.driver = driver
        #: after a failed connection, calls fail fast until a connectivity probe succeeds (qgraph.breaker)
        self.breaker = CircuitBreaker(driver.verify_connectivity, window=breaker_window)
        self.database = database
        self.timeout = timeout
        self.batch_size = batch_size
        self.uri = uri
        self._schema_ready = False
        self._pin: _Pin | None = None
        #: the fuzzy-matching vocabulary read from the database (shared with pinned views: a shallow copy keeps it)
        self._vocab = _VocabCache()

    @classmethod
    def from_settings(cls, settings: Settings, *, write: bool = False) -> Neo4jStore:
        """A store for these settings; ``write=True`` uses the write credentials (NEO4J_WRITE_USER) when set."""
        driver = GraphDatabase.driver(
            settings.neo4j_uri, auth=settings.neo4j_auth(write=write),
            connection_timeout=settings.neo4j_timeout,
            connection_acquisition_timeout=settings.neo4j_timeout,
            max_transaction_retry_time=settings.neo4j_timeout,
            # Notifications ("label does not exist" on an empty database …) are noise for a fixed query catalog.
            notifications_min_severity="OFF",
        )
        return cls(driver, database=settings.neo4j_database, timeout=settings.neo4j_timeout,
                   batch_size=settings.batch_size, uri=settings.neo4j_uri, breaker_window=settings.breaker_window)

    # ------------------------------------------------------------------ plumbing

    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` and turn driver errors into the store's own, naming the server but no secret. While the
        breaker is open (the server could not be reached a moment ago) fail at once, without trying."""
        try:
            self.breaker.check()
        except CircuitOpen:
            raise StoreUnavailable(f"Neo4j at {self.uri or 'the configured URI'} is unavailable (not retried for "
                                   f"{self.breaker.window:g} s after a failed connection)") from None
        try:
            return fn()
        except (nx_exc.ServiceUnavailable, nx_exc.SessionExpired, OSError) as exc:
            self.breaker.trip()
            raise StoreUnavailable(f"Neo4j at {self.uri or 'the configured URI'} is unavailable: {exc}") from exc
        except nx_exc.TransientError as exc:  # the server answered (busy, a lock): no reason to stop trying
            raise StoreUnavailable(f"Neo4j at {self.uri or 'the configured URI'} is unavailable: {exc}") from exc
        except nx_exc.AuthError as exc:
            raise StoreError(f"Neo4j at {self.uri} refused the credentials (NEO4J_USER / NEO4J_PASSWORD)") from exc
        except nx_exc.Neo4jError as exc:
            raise StoreError(f"Neo4j error {exc.code}: {exc.message}") from exc

    def read(self, name: str, **params: Any) -> list[neo4j.Record]:
        """Run catalog query ``name`` in a read transaction, with the query timeout (or the time left before the
        request's deadline, if sooner: the server then stops the query when nobody waits for it any more). Past the
        deadline (or when the client left) nothing is sent. In a pinned view: in the view's transaction (whose timeout
        was set when it began), then check that the version did not move."""
        cancel.check()  # past the deadline, or the client left: send nothing
        pin = self._pin
        if pin is not None:
            def in_pin() -> list[neo4j.Record]:
                with pin.lock:
                    if pin.tx.closed():
                        raise cancel.Cancelled  # the request is over: its view was closed under this thread
                    records = list(pin.tx.run(cypher.query(name), params))
                    now = pin.tx.run(cypher.query("get_version"), stale=_STALE_MS).single(strict=True)
                if now["writing"]:
                    raise VersionChanged("a write was being committed while this request was reading")
                if now["changesets"] != pin.changesets:
                    raise VersionChanged("a write committed while this request was reading")
                return records
            return self._call(in_pin)
        left = cancel.remaining()
        q = Query(cypher.query(name), timeout=self.timeout if left is None else max(0.05, min(self.timeout, left)))

        def run() -> list[neo4j.Record]:
            # One auto-commit transaction in a read session: the server refuses any write in it (AccessMode), as in
            # a managed read transaction, but RUN and PULL go in one round trip and no COMMIT follows (measured
            # 0.7 against 1.1 ms for `RETURN 1`; benchmarks/RESULTS.md). Unlike ``execute_query`` it is not retried:
            # a failure is the request's (503), as in a pinned view. The bookmark manager is execute_query's, so
            # reads stay causally after writes made through it.
            with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                     bookmark_manager=self.driver.execute_query_bookmark_manager) as session:
                return list(session.run(q, params))
        return self._call(run)

    def ensure_schema(self) -> None:
        """Create the constraints and indexes (idempotent: ``IF NOT EXISTS``)."""
        if self._schema_ready:
            return
        text = "\n".join(ln for ln in cypher.query("create_constraints").splitlines()
                         if not ln.strip().startswith("//"))
        for statement in filter(None, (s.strip() for s in text.split(";"))):
            self._call(lambda s=statement: self.driver.execute_query(s, database_=self.database))  # type: ignore[misc]
        self._upgrade_search_fields()
        self._upgrade_vocab()
        self._upgrade_nations()
        self._schema_ready = True

    def _upgrade_nations(self) -> None:
        """Nodes written by an older qgraph get the nation this version keeps on each node (set_nations.cypher), in
        batches, each under the writer lock (lock_meta.cypher) so that no write moves a nation while it is read and
        set, with a message saying so (a no-op once every node has one). Until then their references read the nation
        from their edges (_entity_ref.cypher), so answers are the same either way."""
        def batch(tx: neo4j.ManagedTransaction) -> int:
            if tx.run(cypher.query("find_without_nation")).single() is None:
                return 0
            tx.run(cypher.query("lock_meta")).consume()
            return int(tx.run(cypher.query("upgrade_nations"), limit=NATION_UPGRADE_BATCH).single(strict=True)["written"])

        def work() -> int:
            with self.driver.session(database=self.database) as session:
                return session.execute_write(batch)
        upgraded = 0
        while n := self._call(work):
            upgraded += n
        if upgraded:
            log.warning("Neo4j at %s: kept the nation of %d nodes written by an older qgraph on the nodes",
                        self.uri or "the configured URI", upgraded)

    def _upgrade_vocab(self) -> None:
        """A database with nodes but no vocabulary (made before it existed) gets its first chunk, from every node's
        search terms, in one transaction, with a message saying so (a no-op once there is a chunk)."""
        def run(tx: neo4j.ManagedTransaction) -> int:
            if tx.run(cypher.query("count_vocab")).single(strict=True)["chunks"]:
                return 0
            terms = _no_terms()
            n = 0
            for r in tx.run(cypher.query("vocab_terms")):
                n += 1
                for f in _SEARCH_FIELDS:
                    terms[f].update(t for t in (r[f] or "").split() if fuzzy_term(t))
            if not n:
                return 0
            meta = tx.run(cypher.query("get_version"), stale=_STALE_MS).single()
            seq = int(meta["changesets"] or 0) if meta else 0
            _write_vocab(tx, seq, terms)
            return n

        def work() -> int:
            with self.driver.session(database=self.database) as session:
                return session.execute_write(run)
        n = self._call(work)
        if n:
            log.warning("Neo4j at %s: recorded the search vocabulary of %d nodes written by an older qgraph",
                        self.uri or "the configured URI", n)

    def _upgrade_search_fields(self) -> None:
        """Nodes written by an older qgraph (without ``search_sort`` …) get this version's search properties, in
        batches, with a message saying so (a no-op once every node has them)."""
        upgraded = 0
        while True:
            rows = self._call(lambda: self.driver.execute_query(
                cypher.query("find_unindexed"), limit=UPGRADE_BATCH, database_=self.database).records)
            if not rows:
                break
            if not upgraded:
                log.warning("Neo4j at %s: nodes written by an older qgraph lack the search index fields; "
                            "upgrading them now (full-text index entity_fulltext)", self.uri or "the configured URI")
            batch = [{"id": r["props"]["id"], "fields": search_fields(r["props"]["id"], r["props"]["_kind"],
                                                                      {k: v for k, v in r["props"].items()
                                                                       if k not in _INTERNAL})} for r in rows]
            self._call(lambda b=batch: self.driver.execute_query(  # type: ignore[misc]
                cypher.query("set_search_fields"), rows=b, database_=self.database))
            upgraded += len(batch)
        if upgraded:
            log.warning("Neo4j at %s: upgraded %d nodes to this version's search index", self.uri or "the configured URI",
                        upgraded)
        self.upgraded_nodes = upgraded

    # ------------------------------------------------------------------ backend

    @staticmethod
    def _statements(graph: Graph) -> list[tuple[str, str, str, dict[str, Any], list[Node] | list[Edge]]]:
        """(nodes or edges, label or type, query, extra parameters, items): nodes of each kind, then edges of each type.

        Edges are sorted by their target (for PARTY_TO: the agreement) so that one batch touches neighbouring
        records, and an agreement's parties are written together."""
        by_kind: dict[NodeKind, list[Node]] = {}
        for node in graph.nodes:
            by_kind.setdefault(node.kind, []).append(node)
        by_type: dict[str, list[Edge]] = {}
        for edge in graph.edges:
            by_type.setdefault(edge.type, []).append(edge)
        out: list[tuple[str, str, str, dict[str, Any], list[Node] | list[Edge]]] = []
        for kind, nodes in by_kind.items():
            out.append(("nodes", kind.value, cypher.query("merge_nodes", label=kind.value), {"kind": kind.value}, nodes))
        for rel_type, edges in by_type.items():
            edges.sort(key=lambda e: (e.target, e.source))
            out.append(("edges", rel_type, cypher.query("merge_edges", rel_type=rel_type), {}, edges))
        return out

    @staticmethod
    def _rows(what: str, items: list[Any], cache: PerCitationList[str]) -> list[dict[str, Any]]:
        if what == "nodes":
            return [{"id": n.id, "props": node_to_props(n, cache(n.sources))} for n in items]
        return [{"source": e.source, "target": e.target, "sources": cache(e.sources)} for e in items]

    @staticmethod
    def _check_written(rel_type: str, written: int, expected: int) -> None:
        if written != expected:
            raise StoreError(f"{rel_type}: {expected - written} edges have a missing end")

    @contextmanager
    def _writer(self) -> Iterator[WriteTx]:
        if self._pin is not None:
            raise StoreError("a pinned view is read-only")
        self.ensure_schema()
        session = self.driver.session(database=self.database)
        try:
            tx = self._call(session.begin_transaction)
            try:
                meta = self._call(lambda: tx.run(cypher.query("lock_meta")).single(strict=True)["meta"])
                yield _Neo4jTx(self, tx, _meta_of(meta))
                with self._commit_mark():
                    self._call(tx.commit)
            finally:
                if not tx.closed():
                    tx.close()
        finally:
            session.close()

    @contextmanager
    def _commit_mark(self) -> Iterator[None]:
        """Mark a commit in progress for the readers (see the module docstring) while the block runs: the mark is
        committed before, refreshed every ``COMMIT_BEAT`` seconds by a thread, and removed after (with any mark a dead
        writer left). If the mark cannot be written, nothing is committed."""
        mark_id = uuid.uuid4().hex

        def put(query: str) -> None:
            self._call(lambda: self.driver.execute_query(query, id=mark_id, stale=_STALE_MS, database_=self.database))

        mark, unmark = cypher.query("mark_commit"), cypher.query("unmark_commit")
        put(mark)
        done = threading.Event()

        def beat() -> None:
            while not done.wait(COMMIT_BEAT):
                try:
                    put(mark)
                except (StoreError, StoreUnavailable) as exc:  # the commit itself will say what is wrong
                    log.debug("refreshing a commit mark: %s", exc)

        beater = threading.Thread(target=beat, name="qgraph-commit-mark", daemon=True)
        beater.start()
        try:
            yield
        finally:
            done.set()
            beater.join()
            try:
                put(unmark)
            except (StoreError, StoreUnavailable) as exc:  # readers ignore it once it stops beating
                log.warning("could not remove the mark of a commit (ignored after %g s): %s", COMMIT_STALE, exc)

    def _apply(self, tx: neo4j.Transaction, nodes: list[NodeChange], edges: list[EdgeChange], meta: dict[str, str],
               changeset: Changeset, opts: WriteOptions) -> None:
        """Write the diff: edges removed, nodes removed, nodes put, edges put (as ``opts`` say: in ``tx``, or in
        bulk batches of their own), then the metadata and the changeset in ``tx``."""
        size = opts.batch_size or (BULK_BATCH if opts.bulk else self.batch_size)
        cache = sources_json_cache()
        removed_edges: dict[str, list[dict[str, Any]]] = {}
        for e in edges:
            if e.op == "removed":
                removed_edges.setdefault(e.type, []).append({"source": e.source, "target": e.target})
        removed_nodes = [n.id for n in nodes if n.op == "removed"]
        put = Graph.model_construct(nodes=[n.after for n in nodes if n.after is not None],
                                    edges=[e.after for e in edges if e.after is not None], documents=[])
        origins = {n.id: n.dataset_after for n in nodes if n.after is not None}
        edge_origins = {e.key: e.dataset_after for e in edges if e.after is not None}
        statements = self._statements(put)
        # Then the nation kept on each node (set_nations.cypher) whose nation this write may change: every node put
        # (putting replaces its properties) and the source of every LOCATED_IN edge added or removed.
        nation_ids = sorted({n.id for n in nodes if n.after is not None} | {e.source for e in edges
                                                                            if e.type == NATION_EDGE})
        if nation_ids:
            statements.append(("nations", NATION_EDGE, cypher.query("set_nations"), {}, nation_ids))

        # Filled by rows(), which runs in this thread (the bulk path builds each batch before it submits it).
        vocab = _no_terms()

        def rows(what: str, items: list[Any]) -> list[Any]:
            if what == "nations":
                return items
            out = self._rows(what, items, cache)
            if what == "nodes":
                for row in out:
                    row["props"]["_origin"] = origins.get(row["id"])
                for f in _SEARCH_FIELDS:
                    vocab[f].update(t for row in out for t in row["props"][f"search_{f}"].split() if fuzzy_term(t))
            else:
                for row, e in zip(out, items):
                    row["origin"] = edge_origins.get(e.key)
            return out

        def in_tx() -> None:
            for rel_type, items in removed_edges.items():
                for chunk in _batches(items, size):
                    tx.run(cypher.query("delete_edges", rel_type=rel_type), rows=chunk).consume()
            for chunk in _batches(removed_nodes, size):
                tx.run(cypher.query("delete_nodes"), ids=chunk).consume()
            if not opts.bulk:
                for what, name, query, extra, items in statements:
                    for chunk in _batches(items, size):
                        r = rows(what, chunk)
                        written = tx.run(query, rows=r, **extra).single(strict=True)["written"]
                        if what == "edges":
                            self._check_written(name, written, len(r))
                        if opts.progress and what != "nations":
                            opts.progress(len(r))
            self._add_vocab(tx, changeset.number, vocab)
            tx.run(cypher.query("set_meta"), meta=meta).consume()
            tx.run(cypher.query("create_changeset"), number=changeset.number, id=changeset.id, time=changeset.time,
                   data_version_before=changeset.data_version_before, data_version=changeset.data_version,
                   body=dumps(changeset), facts=sorted(changeset.facts()),
                   dataset=changeset.dataset or DEFAULT_DATASET, summary=changeset.summary).consume()

        if opts.bulk:
            self._bulk_put(statements, rows, size, opts)
        self._call(in_tx)

    @staticmethod
    def _add_vocab(tx: neo4j.Transaction, seq: int, terms: dict[str, set[str]]) -> None:
        """Record a write's fuzzy-reachable terms as chunk ``seq``; past ``VOCAB_CHUNKS`` chunks, merge them all into
        one (read, delete, write back the union: in ``tx``, so readers see the old chunks or the merged one)."""
        if not any(terms.values()):
            return
        _write_vocab(tx, seq, terms)
        if tx.run(cypher.query("count_vocab")).single(strict=True)["chunks"] <= VOCAB_CHUNKS:
            return
        union = _no_terms()
        for r in tx.run(cypher.query("get_vocab"), after=-1, id=""):
            for f in _SEARCH_FIELDS:
                union[f].update(r[f] or ())
        tx.run(cypher.query("delete_vocab")).consume()
        _write_vocab(tx, seq, union)

    def _bulk_put(self, statements: list[tuple[str, str, str, dict[str, Any], list[Any]]],
                  rows: Callable[[str, list[Any]], list[Any]], size: int, opts: WriteOptions) -> None:
        """Batches in their own transactions, ``workers`` at a time: every node first, then every edge, then the
        nations kept on the nodes. Not atomic (see ``WriteOptions``); each batch is retried by the driver on transient
        errors (deadlocks between parallel batches on a shared node)."""
        workers = max(1, opts.workers)
        lock = threading.Lock()

        def run(what: str, name: str, query: str, extra: dict[str, Any], batch: list[dict[str, Any]]) -> None:
            records = self.driver.execute_query(query, rows=batch, **extra, database_=self.database).records
            if what == "edges":
                self._check_written(name, records[0]["written"], len(batch))
            if opts.progress and what != "nations":
                with lock:
                    opts.progress(len(batch))

        def phase(part: list[tuple[str, str, str, dict[str, Any], list[Any]]]) -> None:
            # At most 2 batches per worker in flight: rows are built (GIL) while the server works on the others.
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qgraph-bulk") as pool:
                pending: set[Future[None]] = set()
                try:
                    for what, name, query, extra, items in part:
                        for chunk in _batches(items, size):
                            if len(pending) >= 2 * workers:
                                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                                for f in done:
                                    f.result()
                            pending.add(pool.submit(run, what, name, query, extra, rows(what, chunk)))
                    for f in pending:
                        f.result()
                except BaseException:
                    for f in pending:
                        f.cancel()
                    raise

        self._call(lambda: phase([st for st in statements if st[0] == "nodes"]))
        self._call(lambda: phase([st for st in statements if st[0] == "edges"]))
        self._call(lambda: phase([st for st in statements if st[0] == "nations"]))

    def changesets(self, *, after: int = 0, until: int | None = None) -> list[Changeset]:
        last = int(self.meta().get("changesets") or 0)
        until = last if until is None else min(until, last)
        if until <= after:
            return []
        return [loads(r["body"]) for r in self.read("get_changesets", after=after, until=until)]

    def _facts_of_others(self, dataset: str) -> set[str]:
        out: set[str] = set()
        for r in self.read("changeset_facts_of_others", dataset=dataset,
                           until=int(self.meta().get("changesets") or 0)):
            if r["dataset"] is None:  # recorded by an earlier version: the body says
                cs = loads(r["body"])
                if (cs.dataset or DEFAULT_DATASET) == dataset or cs.summary:
                    continue
            out.update(r["facts"])
        return out

    def changesets_touching(self, facts: set[str]) -> list[Changeset]:
        last = int(self.meta().get("changesets") or 0)
        if last == 0 or not facts:
            return []
        return [loads(r["body"]) for r in self.read("changesets_touching", facts=sorted(facts), until=last)]

    def changeset_points(self) -> list[ChangesetPoint]:
        last = int(self.meta().get("changesets") or 0)
        if last == 0:
            return []
        return [ChangesetPoint(r["number"], r["time"], r["data_version_before"], r["data_version"])
                for r in self.read("list_changeset_points", until=last)]

    @contextmanager
    def pinned(self) -> Iterator[Store]:
        # The transaction ends with the request's deadline (if sooner than the query timeout): the server then stops
        # whatever the request still runs, even when the thread that started it is no longer waited for.
        left = cancel.remaining()
        timeout = self.timeout if left is None else max(0.05, min(self.timeout, left))
        session = self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS)
        try:
            tx = self._call(lambda: session.begin_transaction(timeout=timeout))
            pin: _Pin | None = None
            try:
                view = copy.copy(self)
                pause = 0.01
                while True:  # while a commit is being applied, begin once it is (or the deadline says stop)
                    row = self._call(lambda: tx.run(cypher.query("get_meta"), stale=_STALE_MS).single(strict=True))
                    if not row["writing"]:
                        break
                    cancel.check()
                    time.sleep(pause)
                    pause = min(pause * 2, 0.2)
                meta = _meta_of(row["meta"])
                pin = view._pin = _Pin(tx, meta.get("changesets"), meta)
                yield view
            finally:
                # Wait for a query still running on the transaction (the server ends it by the timeout above), then
                # roll back. A failure here loses nothing (a read transaction) and says nothing about the server's
                # health, so it neither propagates nor trips the breaker.
                held = pin.lock.acquire(timeout=timeout + 5) if pin is not None else False
                try:
                    if not tx.closed():
                        tx.close()
                except (nx_exc.Neo4jError, nx_exc.DriverError, OSError) as exc:
                    log.debug("closing a pinned read transaction: %s", exc)
                finally:
                    if held:
                        pin.lock.release()  # type: ignore[union-attr]
        finally:
            try:
                session.close()
            except (nx_exc.Neo4jError, nx_exc.DriverError, OSError) as exc:
                log.debug("closing a pinned session: %s", exc)

    def wipe(self) -> None:
        def run() -> None:
            with self.driver.session(database=self.database) as session:
                session.run(cypher.query("delete_all")).consume()
        self._call(run)

    def _counts(self) -> tuple[dict[str, int], dict[str, int]]:
        return ({r["kind"]: r["n"] for r in self.read("count_nodes")},
                {r["type"]: r["n"] for r in self.read("count_edges")})

    def _get_nodes(self, node_ids: list[str]) -> list[Node]:
        return [node_from_props(r["props"]) for r in self.read("get_nodes", ids=node_ids)]

    def kinds_of(self, node_ids: Iterable[str]) -> dict[str, NodeKind]:
        return {r["id"]: NodeKind(r["kind"]) for r in self.read("get_kinds", ids=list(node_ids))}

    def dump(self) -> tuple[list[Node], list[Edge]]:
        nodes = [node_from_props(r["props"]) for r in self.read("dump_nodes")]
        edges = [Edge(type=r["type"], source=r["source"], target=r["target"], sources=sources_from_json(r["sources"]))
                 for r in self.read("dump_edges")]
        return nodes, edges

    def meta(self) -> dict[str, str]:
        if self._pin is not None:
            return dict(self._pin.meta)
        rows = self.read("get_meta", stale=_STALE_MS)
        return _meta_of(rows[0]["meta"]) if rows else {}

    def save_review(self, review_id: str, body: str) -> None:
        from datetime import UTC, datetime

        updated = datetime.now(UTC).isoformat(timespec="seconds")
        self._call(lambda: self.driver.execute_query(cypher.query("save_review"), id=review_id, body=body,
                                                     updated=updated, database_=self.database))

    def load_review(self, review_id: str) -> str | None:
        rows = self.read("get_review", id=review_id)
        return rows[0]["body"] if rows else None

    def ping(self) -> str:
        def run() -> str:
            self.driver.verify_connectivity()
            rows = self.read("server_version")
            return ", ".join(f"{r['name']} {r['version']} {r['edition']}" for r in rows)
        return self._call(run)

    def close(self) -> None:
        self.driver.close()


    # ------------------------------------------------------------------ queries

    def entity_refs(self, node_ids: Iterable[str]) -> dict[str, EntityRef]:
        ids = list(node_ids)
        if not ids:
            return {}
        return {ref["id"]: EntityRef(**ref) for ref in self.read("entity_refs", ids=ids)[0]["refs"]}

    def search_candidates(self, plan: Plan, mode: str, kinds: tuple[str, ...], cap: int,
                          exact_cap: int, *, count: bool = True) -> tuple[list[Candidate], int, list[Candidate]]:
        vocab = self._vocab.now or self._vocabulary()
        for _ in range(3):
            words = lucene_words(plan, mode, vocab.near)
            walk = _walk_of_one_size(_walk(words), mode)
            try:
                rows = self.read("search_entities", exact=_one_size(lucene_exact(plan)),
                                 terms=_one_size(lucene_render(words, mode)), kinds=list(kinds) or _ALL_KINDS,
                                 any_kind=not kinds, count=count, unbounded=_UNBOUNDED, cap=cap,
                                 exact_cap=exact_cap, ref_cap=REF_CAP, walk=walk,
                                 walk_all=mode == "all", walk_max=WALK_MAX, walk_spread=WALK_SPREAD,
                                 long_walk_hits=LONG_WALK_HITS, long_walk_max=LONG_WALK_MAX,
                                 lucene_cap=LUCENE_CAP, term_walk_max=TERM_WALK_MAX,
                                 walk_description=any(w["description"] or w["description_prefix"] is not None
                                                      for w in walk))
            except StoreError as exc:
                if "entity_fulltext" in str(exc):
                    raise StoreError(f"Neo4j at {self.uri}: the full-text index entity_fulltext is missing: this "
                                     "database was made by an older qgraph; run `qgraph load` once to upgrade "
                                     "it") from exc
                raise
            r = rows[0]
            if vocab.current(r["vocab_seq"], r["vocab_id"]):
                break
            vocab = self._vocabulary()  # a write added terms since this process read them: read them, ask again

        def cands(items: list[dict[str, Any]], exact: bool) -> list[Candidate]:
            return [Candidate(c["id"], c["kind"], c["sort"], tuple(c["values"] or ()), exact, c.get("ref"))
                    for c in items]
        return cands(r["exact"], True), r["total"], cands(r["page"], False)

    def clause_hits(self, plan: Plan, kinds: tuple[str, ...], limit: int) -> list[int]:
        if not plan.clauses:
            return []
        vocab = self._vocab.now or self._vocabulary()
        words = [lucene_clause(c, plan.fields, vocab.near, [ALTERNATIVES_BUDGET]) for c in plan.clauses]
        rows = (self.read("count_kind_clause_hits", words=words, kinds=list(kinds), limit=limit + 1) if kinds
                else self.read("count_clause_hits", words=words, limit=limit + 1))
        return [r["hits"] for r in sorted(rows, key=lambda r: r["i"])]

    def _vocabulary(self) -> _Vocab:
        """Read the vocabulary chunks this process lacks (in the pinned view's transaction, if any)."""
        cache = self._vocab
        with cache.lock:
            was = cache.now or _Vocab()
            now = was.plus(self.read("get_vocab", after=-1 if was.seq is None else was.seq, id=was.id or ""))
            cache.now = now
            return now

    @staticmethod
    def _agreement_row(props: dict[str, Any], parties: list[dict[str, Any]],
                       framework: dict[str, Any] | None) -> AgreementRow:
        return AgreementRow(node_from_props(props), [EntityRef(**p) for p in parties if p["id"] is not None],
                            EntityRef(**framework) if framework else None)

    def _find_agreements(self, f: AgreementFilter, limit: int, offset: int) -> PartyAgreements:
        records = self.read("find_agreements", **f.params(), limit=limit, offset=offset)
        if not records:
            return PartyAgreements(None, 0, [])
        party = records[0]["party"]
        rows = []
        for i, r in enumerate(records):
            if not i & 1023:
                cancel.check()  # 100,000 rows take seconds to convert: stop with the request (qgraph.cancel)
            if r["props"] is not None:
                rows.append(self._agreement_row(r["props"], r["parties"], r["framework"]))
        return PartyAgreements(EntityRef(**party) if party else None, records[0]["total"], rows)

    def agreements(self, f: AgreementFilter, limit: int, offset: int) -> tuple[int, list[AgreementRow]]:
        found = self._find_agreements(f, limit, offset)
        return found.total, found.rows

    def party_agreements(self, party: str, f: AgreementFilter, limit: int, offset: int) -> PartyAgreements:
        return self._find_agreements(replace(f, party=party), limit, offset)

    @staticmethod
    def _path_params(f: AgreementFilter) -> dict[str, Any]:
        """The filter's parameters that the path searches take (an agreement's own properties)."""
        params = f.params()
        return {name: params[name] for name in ("kinds", "domains", "since", "until")}

    def find_paths(self, source: str, target: str, f: AgreementFilter, max_hops: int, k: int,
                   cap: int) -> PathFinding:
        r = self.read("find_paths", source=source, target=target, max_hops=max_hops, k=k, cap=cap,
                      **self._path_params(f))[0]
        # Both ends are among the nodes described when they exist (and only then).
        refs = {n["ref"]["id"]: EntityRef(**n["ref"]) for n in r["on_paths"]}
        paths = [list(path) for path in r["paths"]]
        return PathFinding(
            refs.get(source), refs.get(target), paths, {i: refs[i] for path in paths for i in path[0::2]},
            {n["ref"]["id"]: self._agreement_row(n["props"], n["parties"], n["framework"])
             for n in r["on_paths"] if n["props"] is not None})

    def shortest_paths(self, source: str, target: str, f: AgreementFilter, max_hops: int,
                       cap: int) -> list[list[str]]:
        if source == target:
            return []
        records = self.read("shortest_paths", source=source, target=target, max_hops=max_hops, cap=cap,
                            **self._path_params(f))
        return [list(r["ids"]) for r in records]

    def relations(self, node_id: str, limit: int) -> tuple[int, list[tuple[Edge, EntityRef]]]:
        rows = self.read("entity_relations", id=node_id, limit=limit)
        if not rows:
            return 0, []
        out = []
        for rel in rows[0]["page"]:
            other = EntityRef(**rel["other"])
            src, dst = (node_id, other.id) if rel["out"] else (other.id, node_id)
            out.append((Edge(type=rel["type"], source=src, target=dst, sources=sources_from_json(rel["sources"])),
                        other))
        return rows[0]["degree"], out

    def neighbour_ids(self, node_ids: Iterable[str], types: Iterable[str]) -> set[str]:
        return {r["id"] for r in self.read("neighbour_ids", ids=list(node_ids), types=list(types))}

    def subgraph_edges(self, node_ids: Iterable[str]) -> list[Edge]:
        return [Edge(type=r["type"], source=r["source"], target=r["target"], sources=sources_from_json(r["sources"]))
                for r in self.read("subgraph_edges", ids=list(node_ids))]

    def strategies(self) -> list[tuple[Node, EntityRef | None]]:
        return [(node_from_props(r["props"]), EntityRef(**r["adopter"]) if r["adopter"] else None)
                for r in self.read("list_strategies")]


@dataclass(frozen=True)
class _Pin:
    """A pinned view's read transaction and the version it reads. ``lock``: one query at a time on the transaction,
    and no close while a query runs (a route's thread may still be reading when the request's deadline has answered
    503 and the dependency closes the view: a connection used by two threads at once is corrupted)."""

    tx: neo4j.Transaction
    changesets: str | None
    meta: dict[str, str]
    lock: threading.Lock = field(default_factory=threading.Lock)


def _edge_of(r: Any) -> tuple[EdgeKey, tuple[Edge, str | None]]:
    return ((r["type"], r["source"], r["target"]),
            (Edge(type=r["type"], source=r["source"], target=r["target"], sources=sources_from_json(r["sources"])),
             r["origin"]))


class _Neo4jTx(WriteTx):
    """The writer's view inside the locking transaction."""

    def __init__(self, store: Neo4jStore, tx: neo4j.Transaction, meta: dict[str, str]) -> None:
        self.store, self.tx, self._meta = store, tx, meta

    def read(self, name: str, **params: Any) -> list[neo4j.Record]:
        return self.store._call(lambda: list(self.tx.run(cypher.query(name), params)))

    def damaged(self) -> str | None:
        return None

    def meta(self) -> dict[str, str]:
        return dict(self._meta)

    def counts(self) -> Counts:
        nodes = {r["kind"]: r["n"] for r in self.read("count_nodes")}
        edges = {r["type"]: r["n"] for r in self.read("count_edges")}
        return Counts({k: v for k, v in nodes.items() if v}, {k: v for k, v in edges.items() if v})

    def full_state_hash(self) -> int:
        nodes = [node_from_props(r["props"]) for r in self.read("dump_nodes")]
        edges = [Edge(type=r["type"], source=r["source"], target=r["target"], sources=sources_from_json(r["sources"]))
                 for r in self.read("dump_edges")]
        return state_hash(nodes, edges)

    def kinds_of(self, ids: list[str]) -> dict[str, NodeKind]:
        return {r["id"]: NodeKind(r["kind"]) for r in self.read("get_kinds", ids=ids)} if ids else {}

    def nodes(self, ids: list[str]) -> dict[str, tuple[Node, str | None]]:
        out: dict[str, tuple[Node, str | None]] = {}
        for chunk in _batches(ids, BULK_BATCH):
            for r in self.read("get_nodes", ids=chunk):
                out[r["props"]["id"]] = (node_from_props(r["props"]), r["props"].get("_origin"))
        return out

    def edges(self, keys: list[EdgeKey]) -> dict[EdgeKey, tuple[Edge, str | None]]:
        out: dict[EdgeKey, tuple[Edge, str | None]] = {}
        for chunk in _batches(keys, BULK_BATCH):
            rows = self.read("get_edges", keys=[{"type": t, "source": a, "target": b} for t, a, b in chunk])
            out.update(map(_edge_of, rows))
        return out

    def scope(self, dataset: str | None) -> tuple[dict[str, tuple[Node, str | None]],
                                                  dict[EdgeKey, tuple[Edge, str | None]]]:
        nodes = {r["props"]["id"]: (node_from_props(r["props"]), r["props"].get("_origin"))
                 for r in self.read("scope_nodes", dataset=dataset, default_dataset=DEFAULT_DATASET)}
        edges = dict(map(_edge_of, self.read("scope_edges", dataset=dataset, default_dataset=DEFAULT_DATASET)))
        return nodes, edges

    def incident(self, ids: list[str]) -> dict[EdgeKey, tuple[Edge, str | None]]:
        out: dict[EdgeKey, tuple[Edge, str | None]] = {}
        for chunk in _batches(ids, BULK_BATCH):
            out.update(map(_edge_of, self.read("incident_edges", ids=chunk)))
        return out

    def apply(self, nodes: list[NodeChange], edges: list[EdgeChange], meta: dict[str, str],
              changeset: Changeset, options: WriteOptions) -> None:
        self.store._apply(self.tx, nodes, edges, meta, changeset, options)
