"""Changesets on both stores: every write recorded with its exact diff, under one writer lock; replace loads; revert;
the memory store's journal (validation, repair).  The briefing (/changes) and the HTTP side are in test_changes.py."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from qgraph.history import state_hash, version_of
from qgraph.loaders import read_graph
from qgraph.model import Citation, Edge, Graph, Node, NodeKind
from qgraph.store import RevertConflict, Store, StoreError, Write
from qgraph.stores.memory import MemoryStore

from conftest import FIXTURES

VALID = FIXTURES / "valid"
CITE = [Citation(document="doc-a", section="S9", quote="q")]


def version_is_the_content_hash(store: Store) -> None:
    nodes, edges = store.dump()
    assert store.meta()["data_version"] == version_of(state_hash(nodes, edges))


def test_load_records_one_changeset_with_the_exact_diff(store: Store) -> None:
    report = store.load(read_graph([VALID], store), actor="tester", message="first load")
    [cs] = store.changesets()
    assert (cs.number, cs.actor, cs.message, cs.dataset) == (1, "tester", "first load", "curated")
    assert cs.data_version == report.data_version == store.meta()["data_version"]
    assert cs.counts["nodes_added"] == report.after.total_nodes and cs.counts["edges_added"] == report.after.total_edges
    assert {n.id for n in cs.nodes} == {n.id for n in store.dump()[0]}
    assert all(n.op == "added" and n.after is not None and n.before is None for n in cs.nodes)
    assert "doc-a" in cs.documents
    version_is_the_content_hash(store)


def test_an_empty_diff_records_nothing(store: Store) -> None:
    graph = read_graph([VALID], store)
    store.load(graph)
    result = store.commit(Write(graph=graph), actor="tester")
    assert result.changeset is None
    assert [c.number for c in store.changesets()] == [1]


def test_a_change_is_recorded_with_old_and_new_values(store: Store) -> None:
    store.load(read_graph([VALID], store))
    before = store.get_node("lab-b")
    changed = Node(id="lab-b", kind=NodeKind.INSTITUTION, sources=CITE,
                   properties={**before.properties, "name": "Lab B renamed"})
    result = store.commit(Write(graph=Graph(nodes=[changed])), actor="editor-1", message="rename")
    cs = result.changeset
    assert cs is not None and cs.number == 2 and cs.counts["nodes_changed"] == 1
    [change] = cs.nodes
    assert change.op == "changed" and change.before == before and change.after == changed
    assert cs.data_version_before == store.changesets()[0].data_version
    version_is_the_content_hash(store)


def test_revert_restores_the_data_version_exactly_and_conflicts_are_refused(store: Store) -> None:
    store.load(read_graph([VALID], store))
    v1 = store.meta()["data_version"]
    node = store.get_node("lab-b")
    one = Node(id="lab-b", kind=NodeKind.INSTITUTION, sources=CITE, properties={**node.properties, "name": "B1"})
    store.commit(Write(graph=Graph(nodes=[one])), actor="a")  # 2
    extra = Node(id="lab-z", kind=NodeKind.INSTITUTION, sources=CITE, properties={"name": "Z", "type": "university"})
    store.commit(Write(graph=Graph(nodes=[extra], edges=[Edge(type="LOCATED_IN", source="lab-z", target="jp",
                                                              sources=CITE)])), actor="a")  # 3
    two = Node(id="lab-b", kind=NodeKind.INSTITUTION, sources=CITE, properties={**node.properties, "name": "B2"})
    store.commit(Write(graph=Graph(nodes=[two])), actor="a")  # 4: touches lab-b again
    with pytest.raises(RevertConflict) as caught:
        store.revert(2, actor="admin")
    assert caught.value.later == [4]
    store.revert(4, actor="admin")  # 5: lab-b is B1 again
    store.revert(3, actor="admin")  # 6: lab-z gone
    assert store.get_node("lab-z") is None
    with pytest.raises(RevertConflict):
        store.revert(2, actor="admin")  # 4 and 5 touched lab-b since
    store.revert(2, actor="admin", force=True)
    assert store.meta()["data_version"] == v1
    assert store.changesets()[-1].reverts == 2
    version_is_the_content_hash(store)


def test_replace_removes_what_the_files_lack_and_only_in_their_dataset(store: Store, tmp_path: Path) -> None:
    store.load(read_graph([VALID], store))
    ingested = Node(id="lab-i", kind=NodeKind.INSTITUTION, sources=CITE, properties={"name": "I", "type": "company"})
    store.commit(Write(graph=Graph(nodes=[ingested], edges=[Edge(type="LOCATED_IN", source="lab-i", target="jp",
                                                                 sources=CITE)]), dataset="ingest"), actor="bot")
    graph = read_graph([VALID], store)
    smaller = Graph(nodes=[n for n in graph.nodes if n.id != "ac-agreement"],
                    edges=[e for e in graph.edges if "ac-agreement" not in (e.source, e.target)],
                    documents=graph.documents)
    cs = store.commit(Write(graph=smaller, replace=True), actor="tester").changeset
    assert cs is not None
    assert {(n.id, n.op) for n in cs.nodes} == {("ac-agreement", "removed")}
    assert {e.op for e in cs.edges} == {"removed"} and all("ac-agreement" in (e.source, e.target) for e in cs.edges)
    assert store.get_node("lab-i") is not None  # the ingested facts stay
    # A curated replace that would strand the ingested edge (jp is curated) is refused, naming both.
    without_jp = Graph(nodes=[n for n in smaller.nodes if n.id != "jp"],
                       edges=[e for e in smaller.edges if "jp" not in (e.source, e.target)])
    with pytest.raises(ValueError, match="lab-i"):
        store.commit(Write(graph=without_jp, replace=True), actor="tester")
    assert store.get_node("jp") is not None


def test_clear_is_one_recorded_changeset_that_can_be_reverted(store: Store) -> None:
    store.load(read_graph([VALID], store))
    v1 = store.meta()["data_version"]
    result = store.clear()
    assert result.changeset is not None and store.counts().total_nodes == 0
    assert store.clear().changeset is None  # already empty: nothing recorded
    store.revert(result.changeset.number, actor="admin")
    assert store.meta()["data_version"] == v1


def test_a_load_whose_edge_end_was_cleared_meanwhile_fails_cleanly(store: Store) -> None:
    """#12.14: validation ran against a store that a clear then emptied: the write re-checks under the lock."""
    store.load(read_graph([VALID], store))
    later = Graph(edges=[Edge(type="LOCATED_IN", source="lab-a", target="jp", sources=CITE)])
    store.clear()
    with pytest.raises(ValueError, match="not a node of the load nor of the store"):
        store.load(later)


def test_concurrent_writers_serialise(store: Store) -> None:
    store.load(read_graph([VALID], store))
    base = store.get_node("lab-b")
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            node = Node(id="lab-b", kind=NodeKind.INSTITUTION, sources=CITE, properties={**base.properties,
                                                                                        "name": f"B{i}"})
            store.commit(Write(graph=Graph(nodes=[node])), actor=f"w{i}")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    history = store.changesets()
    assert [c.number for c in history] == list(range(1, 8))
    # Each diff's before is the previous one's after: never interleaved.
    for prev, cs in zip(history[1:], history[2:]):
        assert cs.nodes[0].before == prev.nodes[0].after
        assert cs.data_version_before == prev.data_version
    version_is_the_content_hash(store)


def test_summary_diff_over_the_limit(store: Store) -> None:
    store.diff_limit = 3
    try:
        store.load(read_graph([VALID], store))
    finally:
        del store.diff_limit
    [cs] = store.changesets()
    assert cs.summary and all(n.before is None and n.after is None for n in cs.nodes)
    with pytest.raises(ValueError, match="summary"):
        store.revert(1, actor="admin")


# ------------------------------------------------------------------------------ the memory store's journal


def test_journal_damage_is_reported_with_its_offset_and_repaired(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "graph.json")
    store.load(read_graph([VALID], store))
    node = store.get_node("lab-b")
    store.commit(Write(graph=Graph(nodes=[Node(id="lab-b", kind=NodeKind.INSTITUTION, sources=CITE,
                                               properties={**node.properties, "name": "B1"})])), actor="a")
    journal = store.journal_path.read_bytes()
    first_end = journal.index(b"\n") + 1
    store.journal_path.write_bytes(journal[:first_end] + b'{"number": 2, "broken' + b"\n" * (len(journal) - first_end - 21))
    reopened = MemoryStore(tmp_path / "graph.json")
    problem = reopened.damaged()
    assert problem is not None and f"at byte {first_end}" in problem
    # Reads still work: the graph of the whole changesets (the second one, only in the journal, is lost).
    assert reopened.get_node("lab-b").properties["name"] == "Lab B"
    assert reopened.meta()["data_version"] == store.changesets()[0].data_version
    with pytest.raises(StoreError, match="repair"):
        reopened.load(read_graph([VALID], reopened))
    message = reopened.repair()
    assert "kept 1" in message
    again = MemoryStore(tmp_path / "graph.json")
    assert again.damaged() is None and [c.number for c in again.changesets()] == [1]
    assert again.get_node("lab-b").properties["name"] == "Lab B"
    assert again.meta()["data_version"] == store.changesets()[0].data_version
    again.commit(Write(graph=Graph(nodes=[Node(id="lab-b", kind=NodeKind.INSTITUTION, sources=CITE,
                                               properties={**node.properties, "name": "B2"})])), actor="a")
    assert [c.number for c in MemoryStore(tmp_path / "graph.json").changesets()] == [1, 2]
    assert MemoryStore(tmp_path / "graph.json").get_node("lab-b").properties["name"] == "B2"


def test_truncated_journal_is_reported(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "graph.json")
    store.load(read_graph([VALID], store))
    size = store.journal_path.stat().st_size
    with open(store.journal_path, "r+b") as fh:
        fh.truncate(size - 10)
    problem = MemoryStore(tmp_path / "graph.json").damaged()
    assert problem is not None and "truncated" in problem and f"byte {size - 10}" in problem


@pytest.mark.neo4j
def test_a_bulk_load_records_its_changeset_when_complete(neo4j_store: Store) -> None:
    graph = read_graph([VALID], neo4j_store)
    rows: list[int] = []
    report = neo4j_store.load(graph, bulk=True, workers=2, batch_size=2, progress=rows.append)
    [cs] = neo4j_store.changesets()
    assert cs.data_version == report.data_version and sum(rows) == len(graph.nodes) + len(graph.edges)
    assert cs.counts["nodes_added"] == len(graph.nodes)
    version_is_the_content_hash(neo4j_store)


def test_changesets_are_no_entities(store: Store) -> None:
    """Neo4j keeps changesets as nodes of their own label: no count, search, dump or export sees them."""
    store.load(read_graph([VALID], store))
    store.clear()
    store.load(read_graph([VALID], store))
    assert len(store.changesets()) == 3
    nodes, _ = store.dump()
    assert store.counts().total_nodes == len(nodes) == 9
    from qgraph.queries import Queries

    assert Queries(store).search("changeset").page.total == 0
    assert Queries(store).search("lab").page.total > 0


def test_a_nation_follows_every_write_and_its_undo(store: Store) -> None:
    """An entity's nation, in every answer that names it, follows the writes that move it (Neo4j keeps it on the
    node, set_nations.cypher): moved, removed, put back by a revert, and a node put again keeps it."""
    from qgraph.queries import Queries
    from qgraph.search import CANDIDATE_CAP, EXACT_CAP, plan

    store.load(read_graph([VALID], store))

    def nation() -> tuple[str | None, str | None, str | None]:
        ref = store.entity_refs(["lab-a"])["lab-a"]
        _, _, cands = store.search_candidates(plan("Lab A"), "all", (), CANDIDATE_CAP, EXACT_CAP)
        hit = next(h for h in Queries(store).search("Lab A").hits if h.entity.id == "lab-a")
        with_ref = [c.ref["nation"] for c in cands if c.id == "lab-a" and c.ref is not None]
        assert with_ref in ([], [ref.nation])  # a candidate's own reference, where the store gives one, agrees
        return ref.nation, hit.entity.nation, store.entity_refs(["kr"])["kr"].nation

    assert nation() == ("jp", "jp", "kr")
    moved = store.commit(Write(graph=Graph(edges=[Edge(type="LOCATED_IN", source="lab-a", target="us", sources=CITE)]),
                               remove_edges=(("LOCATED_IN", "lab-a", "jp"),)), actor="editor")
    assert moved.changeset is not None and nation() == ("us", "us", "kr")
    store.commit(Write(remove_edges=(("LOCATED_IN", "lab-a", "us"),)), actor="editor")
    assert nation() == (None, None, "kr")
    store.revert(moved.changeset.number + 1, actor="editor")
    assert nation() == ("us", "us", "kr")
    before = store.get_node("lab-a")
    assert before is not None and "_nation" not in before.properties
    store.commit(Write(graph=Graph(nodes=[Node(id="lab-a", kind=NodeKind.INSTITUTION, sources=CITE,
                                               properties={**before.properties, "name_ja": "研究所甲"})])),
                 actor="editor")
    assert nation() == ("us", "us", "kr")
    version_is_the_content_hash(store)


def test_a_node_written_by_an_older_version_has_its_nation_from_its_edges(neo4j_store: Store) -> None:
    """Neo4j: a node without the kept nation (written before set_nations.cypher existed) is read from its edges, and
    the next start-up (``ensure_schema``) keeps it on the node."""
    neo4j_store.load(read_graph([VALID], neo4j_store))
    driver = neo4j_store.driver  # type: ignore[attr-defined]

    def kept() -> dict[str, str | None]:
        return {r["id"]: r["nation"] for r in driver.execute_query(
            "MATCH (n:Entity) WHERE n.id IN ['lab-a', 'jp', 'ab-mou'] RETURN n.id AS id, n._nation AS nation").records}

    assert kept() == {"lab-a": "jp", "jp": "jp", "ab-mou": ""}
    driver.execute_query("MATCH (n:Entity) REMOVE n._nation")
    refs = neo4j_store.entity_refs(["lab-a", "jp", "ab-mou"])
    assert (refs["lab-a"].nation, refs["jp"].nation, refs["ab-mou"].nation) == ("jp", "jp", None)
    assert kept() == {"lab-a": None, "jp": None, "ab-mou": None}
    neo4j_store._schema_ready = False  # type: ignore[attr-defined]
    neo4j_store.ensure_schema()  # type: ignore[attr-defined]
    assert kept() == {"lab-a": "jp", "jp": "jp", "ab-mou": ""}
    assert neo4j_store.entity_refs(["lab-a"])["lab-a"].nation == "jp"
