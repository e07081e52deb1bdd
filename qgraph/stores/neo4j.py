"""The Neo4j store: the official ``neo4j`` driver and the Cypher files of ``qgraph.cypher``.

Invariants:
- every query is a file of the catalog; values go as parameters, labels and types only from the whitelist;
- reads run in read transactions (``routing_=READ``), so a cluster or Aura routes them to any member;
- a load is one write transaction made of ``UNWIND`` batches: it commits whole or not at all, and a failed batch
  (e.g. an edge whose end is missing) rolls everything back;
- nodes carry the label ``Entity`` plus their kind; properties are flat, citations are a JSON string ``sources``;
- nothing assumes the server is local; the URI, credentials and database come from settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import neo4j
from neo4j import GraphDatabase, Query, RoutingControl
from neo4j import exceptions as nx_exc

from qgraph import cypher
from qgraph.config import Settings
from qgraph.model import Edge, Graph, Node, NodeKind
from qgraph.results import EntityRef
from qgraph.store import (AgreementFilter, AgreementRow, Store, StoreError, StoreUnavailable, node_search_keys,
                          sources_from_json, sources_to_json)

T = TypeVar("T")
_INTERNAL = ("id", "_kind", "sources", "search_keys")


def _batches(rows: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def node_to_props(node: Node) -> dict[str, Any]:
    return {**node.properties, "sources": sources_to_json(node.sources), "search_keys": node_search_keys(node)}


def node_from_props(props: dict[str, Any]) -> Node:
    return Node(id=props["id"], kind=NodeKind(props["_kind"]), sources=sources_from_json(props.get("sources")),
                properties={k: v for k, v in props.items() if k not in _INTERNAL})


class Neo4jStore(Store):
    kind = "neo4j"

    def __init__(self, driver: neo4j.Driver, *, database: str | None = None, timeout: float = 15.0,
                 batch_size: int = 1000, uri: str = "") -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout
        self.batch_size = batch_size
        self.uri = uri
        self._schema_ready = False

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
                   batch_size=settings.batch_size, uri=settings.neo4j_uri)

    # ------------------------------------------------------------------ plumbing

    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` and turn driver errors into the store's own, naming the server but no secret."""
        try:
            return fn()
        except (nx_exc.ServiceUnavailable, nx_exc.SessionExpired, nx_exc.TransientError, OSError) as exc:
            raise StoreUnavailable(f"Neo4j at {self.uri or 'the configured URI'} is unavailable: {exc}") from exc
        except nx_exc.AuthError as exc:
            raise StoreError(f"Neo4j at {self.uri} refused the credentials (NEO4J_USER / NEO4J_PASSWORD)") from exc
        except nx_exc.Neo4jError as exc:
            raise StoreError(f"Neo4j error {exc.code}: {exc.message}") from exc

    def read(self, name: str, **params: Any) -> list[neo4j.Record]:
        """Run catalog query ``name`` in a read transaction, with the query timeout."""
        q = Query(cypher.query(name), timeout=self.timeout)
        return self._call(lambda: self.driver.execute_query(
            q, params, routing_=RoutingControl.READ, database_=self.database).records)

    def ensure_schema(self) -> None:
        """Create the constraints and indexes (idempotent: ``IF NOT EXISTS``)."""
        if self._schema_ready:
            return
        text = "\n".join(ln for ln in cypher.query("create_constraints").splitlines()
                         if not ln.strip().startswith("//"))
        for statement in filter(None, (s.strip() for s in text.split(";"))):
            self._call(lambda s=statement: self.driver.execute_query(s, database_=self.database))  # type: ignore[misc]
        self._schema_ready = True

    # ------------------------------------------------------------------ backend

    def _write(self, graph: Graph, meta: dict[str, str]) -> None:
        self.ensure_schema()
        by_kind: dict[NodeKind, list[dict[str, Any]]] = {}
        for node in graph.nodes:
            by_kind.setdefault(node.kind, []).append({"id": node.id, "props": node_to_props(node)})
        by_type: dict[str, list[dict[str, Any]]] = {}
        for edge in graph.edges:
            by_type.setdefault(edge.type, []).append(
                {"source": edge.source, "target": edge.target, "sources": sources_to_json(edge.sources)})

        def work(tx: neo4j.ManagedTransaction) -> None:
            for kind, rows in by_kind.items():
                for batch in _batches(rows, self.batch_size):
                    tx.run(cypher.query("merge_nodes", label=kind.value), rows=batch, kind=kind.value).consume()
            for rel_type, rows in by_type.items():
                for batch in _batches(rows, self.batch_size):
                    written = tx.run(cypher.query("merge_edges", rel_type=rel_type), rows=batch).single(strict=True)
                    if written["written"] != len(batch):
                        raise StoreError(f"{rel_type}: {len(batch) - written['written']} edges have a missing end")
            tx.run(cypher.query("set_meta"), meta=meta).consume()

        with self.driver.session(database=self.database) as session:
            self._call(lambda: session.execute_write(work))

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
        rows = self.read("get_meta")
        return {k: v for k, v in rows[0]["meta"].items() if k != "key"} if rows else {}

    def clear(self) -> None:
        def run() -> None:
            with self.driver.session(database=self.database) as session:
                session.run(cypher.query("delete_all")).consume()
        self._call(run)

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
        return {r["id"]: EntityRef(**dict(r)) for r in self.read("entity_refs", ids=list(node_ids))}

    def search(self, key: str, kinds: tuple[str, ...], limit: int, offset: int) -> tuple[int, list[tuple[Node, int]]]:
        rows = self.read("search_entities", key=key, kinds=list(kinds) or None, limit=limit, offset=offset)
        return rows[0]["total"], [(node_from_props(h["props"]), h["score"]) for h in rows[0]["page"]]

    def agreements(self, f: AgreementFilter, limit: int, offset: int) -> tuple[int, list[AgreementRow]]:
        records = self.read("find_agreements", **f.params(), limit=limit, offset=offset)
        total = records[0]["total"] if records else 0
        rows = [AgreementRow(node_from_props(r["props"]),
                             [EntityRef(**p) for p in r["parties"] if p["id"] is not None],
                             EntityRef(**r["framework"]) if r["framework"] else None)
                for r in records if r["props"] is not None]
        return total, rows

    def shortest_paths(self, source: str, target: str, f: AgreementFilter, max_hops: int,
                       cap: int) -> list[list[str]]:
        if source == target:
            return []
        params = f.params()
        records = self.read("shortest_paths", source=source, target=target, max_hops=max_hops, cap=cap,
                            kinds=params["kinds"], domains=params["domains"], since=params["since"],
                            until=params["until"])
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
