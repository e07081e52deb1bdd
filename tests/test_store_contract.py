"""One contract for every store: the same assertions run on ``memory`` and ``neo4j`` (see conftest ``store``)."""

from __future__ import annotations

import re

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
    if store.kind == "neo4j":  # any 5.x server (the README invites them all), named with its version
        assert re.search(r"Neo4j[^,]* 5\.\d+", described), described
    else:
        assert "networkx" in described


def test_both_stores_hold_the_same_graph(memory_store: Store, request: pytest.FixtureRequest) -> None:
    """The same load gives byte-identical dumps (same checksum) in memory and in Neo4j."""
    neo4j_store = request.getfixturevalue("neo4j_store")
    load_valid(memory_store)
    load_valid(neo4j_store)
    assert memory_store.checksum() == neo4j_store.checksum()


def _party_world(seed: int) -> Graph:
    """A random party–agreement network with a few hubs (parties to some 80 agreements each)."""
    import random

    rng = random.Random(seed)
    labs = [Node(id=f"lab-{i}", kind=NodeKind.INSTITUTION, properties={"name": f"Lab {i}", "type": "company"},
                 sources=CITE) for i in range(40)]
    hubs, others = labs[:4], labs[4:]
    agreements: list[Node] = []
    edges: list[Edge] = []
    for j in range(200):
        agreements.append(Node(id=f"deal-{j}", kind=NodeKind.AGREEMENT,
                               properties={"name": f"Deal {j}", "kind": rng.choice(["mou", "alliance"])}, sources=CITE))
        parties = rng.sample(others, rng.randint(1, 3)) + [h for h in hubs if rng.random() < 0.4]
        edges += [Edge(type="PARTY_TO", source=p.id, target=f"deal-{j}", sources=CITE) for p in parties]
    return Graph(nodes=labs + agreements, edges=edges)


def test_shortest_paths_are_every_shortest_path(store: Store) -> None:
    """``shortest_paths`` returns every shortest path (up to the cap) over the agreements passing the filter, as
    networkx's ``all_shortest_paths`` finds them on the party–agreement graph."""
    import random

    import networkx as nx

    from qgraph.store import AgreementFilter

    world = _party_world(7)
    store.load(world)
    kinds = {n.id: n.properties["kind"] for n in world.nodes if n.kind is NodeKind.AGREEMENT}
    rng = random.Random(7)
    labs = [f"lab-{i}" for i in range(40)]
    cases = [(AgreementFilter(), 6), (AgreementFilter(kinds=("mou",)), 6), (AgreementFilter(), 2),
             (AgreementFilter(kinds=("alliance",)), 1)]
    compared = 0
    for f, max_hops in cases:
        g = nx.Graph((e.source, e.target) for e in world.edges if not f.kinds or kinds[e.target] in f.kinds)
        pairs = [tuple(rng.sample(labs, 2)) for _ in range(25)] + [("lab-0", "lab-1"), ("lab-9", "lab-0")]
        for source, target in pairs:
            try:
                expected = {tuple(p) for p in nx.all_shortest_paths(g, source, target) if len(p) <= 2 * max_hops + 1}
            except (nx.NetworkXNoPath, nx.NodeNotFound):
                expected = set()
            got = store.shortest_paths(source, target, f, max_hops, 1_000)
            assert {tuple(p) for p in got} == expected and len(got) == len(expected), (f, max_hops, source, target)
            capped = store.shortest_paths(source, target, f, max_hops, 2)
            assert len(capped) == min(2, len(expected)) and {tuple(p) for p in capped} <= expected
            compared += len(expected)
    assert compared > 100  # the world has paths worth comparing


# The embedded store's file (memory store only).


def test_memory_file_reads_back_whole(memory_store: Store) -> None:
    """A fresh reader of the file gets the same graph and metadata; each distinct citation list is written once."""
    import json

    from qgraph.stores.memory import FORMAT, MemoryStore

    load_valid(memory_store)
    path = memory_store.path
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == FORMAT
    assert len(doc["citations"]) == len({json.dumps(c, sort_keys=True) for c in doc["citations"]})
    reread = MemoryStore(path)
    assert reread.checksum() == memory_store.checksum() and reread.meta() == memory_store.meta()


def test_memory_file_of_format_1_is_still_read(memory_store: Store) -> None:
    """The previous layout (every node and edge an object with its own citations) opens as before."""
    import json

    from qgraph.stores.memory import FORMAT_1, MemoryStore

    load_valid(memory_store)
    nodes, edges = memory_store.dump()
    old = {"format": FORMAT_1, "meta": memory_store.meta(),
           "nodes": [n.model_dump(mode="json", exclude_none=True) for n in nodes],
           "edges": [e.model_dump(mode="json", exclude_none=True) for e in edges]}
    path = memory_store.path.with_name("old.json")
    path.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    reread = MemoryStore(path)
    assert reread.checksum() == memory_store.checksum() and reread.meta() == memory_store.meta()


def test_memory_file_damaged_or_foreign_is_refused(memory_store: Store) -> None:
    import json

    from qgraph.store import StoreError
    from qgraph.stores.memory import MemoryStore

    load_valid(memory_store)
    path = memory_store.path
    good = json.loads(path.read_text(encoding="utf-8"))
    rel, src, _, cited = good["edges"][0]
    damaged = [{**good, "edges": good["edges"] + [[rel, src, "atlantis", cited]]},  # an end that is no node
               {**good, "edges": good["edges"] + [["LIKES", src, src, cited]]},  # an unknown type
               {**good, "nodes": good["nodes"] + [["x", "Agreement", {}, len(good["citations"])]]},  # no such citations
               {**good, "nodes": good["nodes"] + [["Not A Slug", "Agreement", {}, 0]]}]
    for doc in damaged:
        path.write_text(json.dumps(doc), encoding="utf-8")
        with pytest.raises(StoreError, match="damaged"):
            MemoryStore(path)
    for text in ['{"format": "qgraph-memory/9", "nodes": []}', "[1, 2]", '{"nodes": ']:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(StoreError, match="not a qgraph embedded store file|cannot read"):
            MemoryStore(path)
