"""One contract for every store: the same assertions run on ``memory`` and ``neo4j`` (see conftest ``store``)."""

from __future__ import annotations

import pytest

from qgraph.loaders import read_graph
from qgraph.model import Citation, Edge, Graph, Node, NodeKind
from qgraph.store import Store

from conftest import FIXTURES

VALID = FIXTURES / "valid"
CITE = [Citation(document="doc-a", section="S9", quote="q")]


def load_valid(store: Store) -> None:
    store.load(read_graph([VALID], store))


def test_empty_store_counts_nothing(store: Store) -> None:
    assert store.counts().total_nodes == 0
    assert store.counts().total_edges == 0
    assert store.meta() == {}


def test_load_counts_every_kind_and_type(store: Store) -> None:
    report = store.load(read_graph([VALID], store))
    assert report.before.total_nodes == 0
    assert report.after.nodes == {"Nation": 3, "Institution": 3, "Framework": 1, "Agreement": 2}
    assert report.after.edges == {"LOCATED_IN": 3, "MEMBER_OF": 2, "PARTY_TO": 4, "UNDER": 1}
    assert store.meta()["data_version"] == report.data_version


def test_loading_twice_changes_nothing(store: Store) -> None:
    load_valid(store)
    first_counts, first_sum = store.counts(), store.checksum()
    load_valid(store)
    assert store.counts() == first_counts
    assert store.checksum() == first_sum


def test_node_round_trip_keeps_properties_and_citations(store: Store) -> None:
    load_valid(store)
    node = store.get_node("lab-a")
    assert node is not None and node.kind is NodeKind.INSTITUTION
    assert node.properties["name_ja"] == "研究所A"
    assert node.properties["aliases"] == ["LA", "ラボA"]
    assert node.sources == [Citation(document="doc-a", section="S2", footnote=3, quote="研究所A")]
    assert store.get_node("nobody") is None


def test_partial_dates_become_intervals(store: Store) -> None:
    load_valid(store)
    month = store.get_node("ab-mou")
    day = store.get_node("ac-agreement")
    assert month is not None and day is not None
    assert (month.properties["date_from"], month.properties["date_to"], month.properties["date_precision"]) == \
        ("2023-05-01", "2023-05-31", "month")
    assert (day.properties["date_from"], day.properties["date_to"], day.properties["date_precision"]) == \
        ("2024-02-14", "2024-02-14", "day")
    assert month.properties["kind"] == "mou"


def test_edges_carry_the_declaring_records_citations(store: Store) -> None:
    load_valid(store)
    _, edges = store.dump()
    party = [e for e in edges if e.type == "PARTY_TO" and e.target == "ab-mou"]
    assert sorted(e.source for e in party) == ["lab-a", "lab-b"]
    assert all(e.sources[0].footnote == 5 for e in party)


def test_reload_replaces_properties(store: Store) -> None:
    load_valid(store)
    node = store.get_node("lab-b")
    assert node is not None
    changed = Node(id="lab-b", kind=NodeKind.INSTITUTION, sources=CITE,
                   properties={"name": "Lab B renamed", "type": "national-lab"})
    store.load(Graph(nodes=[changed]))
    again = store.get_node("lab-b")
    assert again is not None and again.properties == {"name": "Lab B renamed", "type": "national-lab"}
    assert store.counts().total_nodes == 9


def test_edge_to_missing_node_writes_nothing(store: Store) -> None:
    load_valid(store)
    before, digest = store.counts(), store.checksum()
    new = Node(id="lab-z", kind=NodeKind.INSTITUTION, properties={"name": "Z", "type": "company"}, sources=CITE)
    dangling = Edge(type="LOCATED_IN", source="lab-z", target="atlantis", sources=CITE)
    with pytest.raises(ValueError, match="atlantis"):
        store.load(Graph(nodes=[new], edges=[dangling]))
    assert store.counts() == before
    assert store.checksum() == digest


def test_id_reused_with_another_kind_is_refused(store: Store) -> None:
    load_valid(store)
    clash = Node(id="lab-a", kind=NodeKind.FRAMEWORK, properties={"name": "x"}, sources=CITE)
    with pytest.raises(ValueError, match="lab-a"):
        store.load(Graph(nodes=[clash]))
    node = store.get_node("lab-a")
    assert node is not None and node.kind is NodeKind.INSTITUTION


def test_clear_empties_the_store(store: Store) -> None:
    load_valid(store)
    store.clear()
    assert store.counts().total_nodes == 0
    assert store.get_node("lab-a") is None


def test_ping_describes_the_backend(store: Store) -> None:
    described = store.ping()
    assert ("Neo4j" in described and "5.26" in described) if store.kind == "neo4j" else "networkx" in described


def test_both_stores_hold_the_same_graph(memory_store: Store, request: pytest.FixtureRequest) -> None:
    """The same load gives byte-identical dumps (same checksum) in memory and in Neo4j."""
    neo4j_store = request.getfixturevalue("neo4j_store")
    load_valid(memory_store)
    load_valid(neo4j_store)
    assert memory_store.checksum() == neo4j_store.checksum()
