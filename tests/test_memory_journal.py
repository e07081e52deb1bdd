"""The memory store's commit path: a small write appends its changeset to the journal and replaces the head file, not
the graph file (a checkpoint, written again only past a share of its size); other processes and a fresh open replay the
changesets beyond the checkpoint; the derived indexes (``_Index``, the search index) are brought up to date from each
write's diff and answer as ones built afresh; a writer killed before either commit point leaves the old graph and
history, one killed after a checkpoint the new ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from qgraph.loaders import default_data_dir, read_graph
from qgraph.model import Citation, Edge, Graph, Node, NodeKind
from qgraph.queries import Queries
from qgraph.store import Write
from qgraph.stores import memory
from qgraph.stores.memory import MemoryStore, _Index

CITE = [Citation(document="measures-2024", section="S9", quote="q")]
QUERIES = ["aist", "Tohoku Univ", "quantum strategy UK", "Nationl Institute of Standards", "量子 戦略", "産総研",
           "Zephyr Quantum Lab", "Zephyr", "mou", "kriss", "Tahoku Univercity", "nist"]


def curated(path: Path) -> MemoryStore:
    store = MemoryStore(path)
    store.load(read_graph([default_data_dir()], store))
    return store


def renamed(store: MemoryStore, node_id: str, name: str) -> Node:
    node = store.get_node(node_id)
    return Node(id=node.id, kind=node.kind, sources=node.sources, properties={**node.properties, "name": name})


def edits(store: MemoryStore) -> list[Write]:
    """Writes of every shape: a renamed node, a new institution with its nation and a new agreement with parties, a
    removed party edge, a removed node with its edges, a changed edge (new citations)."""
    lab = Node(id="zephyr-lab", kind=NodeKind.INSTITUTION, sources=CITE,
               properties={"name": "Zephyr Quantum Lab", "name_ja": "ゼファー量子研究所"})
    mou = Node(id="zephyr-aist-mou", kind=NodeKind.AGREEMENT, sources=CITE,
               properties={"name": "Zephyr–AIST MOU", "agreement_type": "MOU", "date": "2024-03"})
    party = store.dump()[1]
    located = next(e for e in party if e.type == "LOCATED_IN" and e.source == "aist")
    return [
        Write(graph=Graph(nodes=[renamed(store, "aist", "National Institute of Advanced Industrial Science (AIST)")])),
        Write(graph=Graph(nodes=[lab, mou], edges=[
            Edge(type="LOCATED_IN", source="zephyr-lab", target="jp", sources=CITE),
            Edge(type="PARTY_TO", source="zephyr-lab", target="zephyr-aist-mou", sources=CITE),
            Edge(type="PARTY_TO", source="aist", target="zephyr-aist-mou", sources=CITE)])),
        Write(remove_edges=(("PARTY_TO", "aist", "aist-kriss-mou-2024-01"),)),
        Write(remove_nodes=("aist-nist-mou-2023-11",)),
        Write(graph=Graph(edges=[Edge(type="LOCATED_IN", source="aist", target=located.target,
                                      sources=[*located.sources, *CITE])])),
    ]


def index_fields(idx: _Index) -> dict[str, object]:
    return {"nation": idx.nation, "parties": idx.parties, "framework": idx.framework, "adopter": idx.adopter,
            "adjacency": idx.adjacency, "hubs": idx.hubs, "light_degree": idx.light_degree}


def answers(store: MemoryStore) -> list[object]:
    q = Queries(store)
    return [q.search(text).model_dump() for text in QUERIES] + [q.partners("aist").model_dump()]


def test_a_small_write_appends_to_the_journal_and_leaves_the_graph_file(tmp_path: Path) -> None:
    store = curated(tmp_path / "graph.json")
    graph_file = (tmp_path / "graph.json").read_bytes()
    other = MemoryStore(tmp_path / "graph.json")  # another process, opened before the write
    before = other.get_node("aist").properties["name"]
    store.commit(Write(graph=Graph(nodes=[renamed(store, "aist", "AIST renamed")])), actor="a")
    assert (tmp_path / "graph.json").read_bytes() == graph_file  # no checkpoint for a small write
    assert store.head_path.is_file()
    assert before != "AIST renamed"
    assert other.get_node("aist").properties["name"] == "AIST renamed"  # caught up from the journal
    fresh = MemoryStore(tmp_path / "graph.json")  # opened after: the checkpoint, then the changeset replayed
    assert fresh.get_node("aist").properties["name"] == "AIST renamed"
    assert fresh.meta() == store.meta() == other.meta()
    assert [c.number for c in fresh.changesets()] == [1, 2]
    assert fresh.checksum() == store.checksum()


def test_a_checkpoint_is_written_once_the_journal_outgrows_its_share(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = curated(tmp_path / "graph.json")
    monkeypatch.setattr(memory, "CHECKPOINT_MIN_BYTES", 0)
    monkeypatch.setattr(memory, "CHECKPOINT_RATIO", 0.001)  # any changeset is more than this share of the file
    graph_file = (tmp_path / "graph.json").read_bytes()
    store.commit(Write(graph=Graph(nodes=[renamed(store, "aist", "AIST renamed")])), actor="a")
    assert (tmp_path / "graph.json").read_bytes() != graph_file
    assert not store.head_path.exists()
    fresh = MemoryStore(tmp_path / "graph.json")
    assert fresh.get_node("aist").properties["name"] == "AIST renamed" and fresh.meta() == store.meta()


def test_derived_indexes_follow_each_write_as_if_built_afresh(tmp_path: Path) -> None:
    store = curated(tmp_path / "graph.json")
    answers(store)  # every index built, so each write brings them up to date instead of dropping them
    assert store._state.index is not None and store._state.search is not None
    for number, write in enumerate(edits(store), start=2):
        store.commit(write, actor="a")
        state = store._state
        assert state.changesets == number and state.index is not None and state.search is not None
        assert index_fields(state.index) == index_fields(_Index(state.graph))
        mine = answers(store)
        rebuilt = MemoryStore()  # the same graph, every index built from nothing
        rebuilt.load(Graph(nodes=store.dump()[0], edges=store.dump()[1]))
        assert mine == answers(rebuilt)
        assert mine == answers(MemoryStore(tmp_path / "graph.json"))  # replayed from the journal
    assert store.get_node("zephyr-lab").properties["name"] == "Zephyr Quantum Lab"
    assert Queries(store).search("Zephyr Quantum Lab").hits[0].entity.id == "zephyr-lab"
    assert "aist-nist-mou-2023-11" not in {h.entity.id for h in Queries(store).search("nist").hits}


def test_search_layers_are_merged_past_their_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qgraph.stores import memory_search

    monkeypatch.setattr(memory_search, "MAX_LAYERS", 2)
    store = curated(tmp_path / "graph.json")
    answers(store)
    for k in range(5):
        store.commit(Write(graph=Graph(nodes=[renamed(store, node, f"Renamed {node} {k}")
                                              for node in ("aist", "kriss", "nist")[:k % 3 + 1]])), actor="a")
        layers = store._state.search
        assert isinstance(layers, memory_search.Layers) and len(layers.layers) <= 2
    rebuilt = MemoryStore()
    rebuilt.load(Graph(nodes=store.dump()[0], edges=store.dump()[1]))
    assert answers(store) == answers(rebuilt)
    assert Queries(store).search("Renamed kriss 4").hits[0].entity.id == "kriss"


def test_a_writer_killed_before_its_head_is_replaced_leaves_graph_and_history_old(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = curated(tmp_path / "graph.json")
    old, journal = store.checksum(), store.journal_path.stat().st_size

    def killed(*_: object) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(MemoryStore, "_write_head", killed)
    with pytest.raises(KeyboardInterrupt):
        store.commit(Write(graph=Graph(nodes=[renamed(store, "aist", "AIST renamed")])), actor="a")
    monkeypatch.undo()
    assert store.journal_path.stat().st_size > journal  # the changeset was appended, beyond the committed part
    fresh = MemoryStore(tmp_path / "graph.json")
    assert fresh.checksum() == old and [c.number for c in fresh.changesets()] == [1] and fresh.damaged() is None
    fresh.commit(Write(graph=Graph(nodes=[renamed(fresh, "aist", "AIST again")])), actor="a")  # cuts the tail
    again = MemoryStore(tmp_path / "graph.json")
    assert [c.number for c in again.changesets()] == [1, 2] and again.damaged() is None
    assert again.get_node("aist").properties["name"] == "AIST again"


def test_a_writer_killed_after_its_checkpoint_leaves_graph_and_history_new(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = curated(tmp_path / "graph.json")
    store.commit(Write(graph=Graph(nodes=[renamed(store, "kriss", "KRISS renamed")])), actor="a")
    assert store.head_path.is_file()  # the head of changeset 2, on top of the first checkpoint
    monkeypatch.setattr(memory, "CHECKPOINT_MIN_BYTES", 0)
    monkeypatch.setattr(memory, "CHECKPOINT_RATIO", 0.0)

    def killed(*_: object) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(MemoryStore, "_remove_head", killed)  # the graph file is replaced, the old head stays
    with pytest.raises(KeyboardInterrupt):
        store.commit(Write(graph=Graph(nodes=[renamed(store, "aist", "AIST renamed")])), actor="a")
    monkeypatch.undo()
    assert store.head_path.is_file()
    fresh = MemoryStore(tmp_path / "graph.json")  # the stale head names the old checkpoint: ignored
    assert [c.number for c in fresh.changesets()] == [1, 2, 3] and fresh.damaged() is None
    assert fresh.get_node("aist").properties["name"] == "AIST renamed"
    assert fresh.get_node("kriss").properties["name"] == "KRISS renamed"


def test_another_process_sees_every_write_however_fast_they_come(tmp_path: Path) -> None:
    """Writes a few milliseconds apart can leave head files of the same modification time and size: the reader's
    stamp also holds the inode and the journal's length, which every write changes."""
    writer = curated(tmp_path / "graph.json")
    reader = MemoryStore(tmp_path / "graph.json")
    for k in range(30):
        writer.commit(Write(graph=Graph(nodes=[renamed(writer, "aist", f"AIST {k % 10}")])), actor="a")
        assert reader.get_node("aist").properties["name"] == f"AIST {k % 10}"
        assert reader.history_count() == k + 2
