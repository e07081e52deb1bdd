"""Edits in place over HTTP on both stores (``POST /edits``, ``POST /edits/{n}/undo``): each a cited changeset with
the editor's name and message, validated as a data file is, undoable by its author only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qgraph.api import create_app
from qgraph.config import Settings
from qgraph.loaders import default_data_dir, read_graph
from qgraph.loaders.edits import Cite, Edit, plan
from qgraph.store import Store, Write, WriteConflict

#: the source document's text, where the curated data's documents.yaml places it (absent: quotes are not checked)
SOURCE = Path(__file__).resolve().parent.parent.parent / "shared" / "sources" / "quantum-industry-measures-2024.ja.txt"
EDITOR = "editor-token-0123456789abcdef012"
OTHER = "second-editor-token-0123456789ab"
DOC = {"document": "measures-2024", "section": "III(1) 国際連携の進展", "quote": "産総研と KRISS (韓国)⁵の量子分野を含む MOU の改訂"}


def as_(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def parties(store: Store, agreement: str) -> list[str]:
    _, rel = store.relations(agreement, 100)
    return sorted(e.source for e, _ in rel if e.type == "PARTY_TO" and e.target == agreement)


def test_edits_are_cited_changesets_validated_and_undone_by_their_author(store: Store) -> None:
    store.load(read_graph([default_data_dir()], store))
    app = create_app(Settings(tokens=f"bob:editor:{EDITOR},eve:editor:{OTHER}"), store=store)
    with TestClient(app, raise_server_exceptions=False) as c:
        alias: dict[str, Any] = {"action": "add_alias", "entity": "kriss", "value": "KRISS Daejeon",
                                 "citation": {"general_knowledge": True, "note": "its usual name in Korea"}}
        assert c.post("/edits", json=alias).status_code == 401  # no token, no write
        done = c.post("/edits", json=alias, headers=as_(EDITOR))
        assert done.status_code == 200, done.text
        n = done.json()["changeset"]
        cs = store.changeset(n)
        assert cs is not None and cs.actor == "bob" and cs.dataset == "explorer" and "alias" in cs.message
        kriss = store.get_node("kriss")
        assert kriss is not None and "KRISS Daejeon" in kriss.properties["aliases"]
        assert kriss.properties["external"] is True  # general knowledge marks the record
        assert c.get("/entities/kriss/history").json()["changesets"][-1]["changeset"]["number"] == n

        # validated as a data file is: the field is named, nothing is written
        version = c.get("/health").json()["data_version"]
        bad = c.post("/edits", headers=as_(EDITOR), json={"action": "set", "entity": "aist", "field": "founded",
                                                           "value": "last spring", "citation": DOC})
        assert bad.status_code == 422 and "field 'founded'" in bad.json()["detail"][0]
        uncited = c.post("/edits", headers=as_(EDITOR), json={"action": "set", "entity": "aist", "field": "founded",
                                                               "value": "2001-04", "citation": {}})
        assert uncited.status_code == 422 and "citation" in uncited.json()["detail"]
        if SOURCE.exists():  # a quote is checked against the document's text (the source file beside the repository)
            invented = c.post("/edits", headers=as_(EDITOR), json={
                "action": "set", "entity": "aist", "field": "founded", "value": "2001-04",
                "citation": {**DOC, "quote": "産総研は2001年4月に設立された"}})
            assert invented.status_code == 422, invented.text
            assert "the quote is not in document 'measures-2024'" in invented.json()["detail"]
        assert c.get("/health").json()["data_version"] == version

        # a new agreement between two entities, then a party added and removed (its edge goes)
        new = c.post("/edits", headers=as_(EDITOR), json={
            "action": "add_agreement", "parties": ["kriss", "nist"], "agreement": {"kind": "mou", "date": "2024-03"},
            "citation": DOC, "message": "KRISS–NIST MOU (test)"})
        assert new.status_code == 200, new.text
        assert new.json()["quote_verified"] is (True if SOURCE.exists() else None)
        assert done.json()["quote_verified"] is None  # general knowledge: no quote
        agreement = new.json()["entity"]
        assert parties(store, agreement) == ["kriss", "nist"]
        node = store.get_node(agreement)
        assert node is not None and node.sources[0].document == "measures-2024"
        assert store.changeset(new.json()["changeset"]).message == "KRISS–NIST MOU (test)"  # type: ignore[union-attr]
        added = c.post("/edits", headers=as_(EDITOR), json={"action": "add_party", "entity": agreement, "value": "aist",
                                                             "citation": DOC})
        assert added.status_code == 200 and parties(store, agreement) == ["aist", "kriss", "nist"]
        removed = c.post("/edits", headers=as_(EDITOR), json={"action": "remove_party", "entity": agreement,
                                                               "value": "nist", "citation": DOC})
        assert removed.status_code == 200 and parties(store, agreement) == ["aist", "kriss"]

        # an edit computed from a read that another write has overtaken is refused, not applied over it
        stale = plan(store, Edit("add_alias", "aist", value="AIST Tsukuba"), Cite(**DOC), "bob").write
        assert c.post("/edits", headers=as_(OTHER), json={"action": "add_alias", "entity": "aist", "value": "産総研つくば",
                                                          "citation": DOC}).status_code == 200
        with pytest.raises(WriteConflict, match="aist"):
            store.commit(stale, actor="bob")
        aist = store.get_node("aist")
        assert aist is not None and "産総研つくば" in aist.properties["aliases"]
        assert "AIST Tsukuba" not in aist.properties["aliases"]

        # undo: only the author's own explorer edits; a later edit of the same facts is named
        assert c.post(f"/edits/{n}/undo", headers=as_(OTHER)).status_code == 403
        assert c.post("/edits/1/undo", headers=as_(EDITOR)).status_code == 403  # the load is no explorer edit
        conflict = c.post(f"/edits/{new.json()['changeset']}/undo", headers=as_(EDITOR))  # nist's edge: removed since
        assert conflict.status_code == 409 and conflict.json()["later"] == [removed.json()["changeset"]]
        undone = c.post(f"/edits/{n}/undo", headers=as_(EDITOR))
        assert undone.status_code == 200, undone.text
        kriss = store.get_node("kriss")
        assert kriss is not None and "KRISS Daejeon" not in kriss.properties["aliases"]
        assert not kriss.properties.get("external")


def test_corrections_survive_a_reload_of_the_curated_files(store: Store) -> None:
    """#14: a reload of data/ makes the curated facts equal to the files, but does not undo what an editor changed
    since: a corrected field, an added alias, a removed party stay while the files leave them as they were; a file
    that changes the same field wins; a file that changes another field is applied beside the correction. A reload
    of unchanged files records nothing."""
    curated = read_graph([default_data_dir()], store)
    store.load(curated)
    original = store.get_node("aist")
    assert original is not None
    agreement = "utokyo-uchicago-ibm-agreement-2023-05"
    party_count = len(parties(store, agreement))

    def edit(e: Edit) -> None:
        write = plan(store, e, Cite(**DOC), "bob").write
        assert store.commit(write, actor="bob", message="correction").changeset is not None

    edit(Edit("set", "aist", field="description", value="Corrected description (test)"))
    edit(Edit("add_alias", "aist", value="AIST Tsukuba"))
    removed = parties(store, agreement)[0]
    edit(Edit("remove_party", agreement, value=removed))
    corrected = store.get_node("aist")
    if store.kind == "neo4j":  # changesets recorded before their dataset was a property: read from their bodies
        store.driver.execute_query("MATCH (c:QgraphChangeset) REMOVE c.dataset, c.summary")  # type: ignore[attr-defined]

    def reload(graph: Any) -> Any:
        return store.commit(Write(graph=graph, replace=True), actor="curator", message="reload").changeset

    assert reload(curated) is None  # the files did not change: nothing recorded, the corrections stay
    assert store.get_node("aist") == corrected and len(parties(store, agreement)) == party_count - 1
    assert removed not in parties(store, agreement)

    def with_aist(**props: Any) -> Any:
        return curated.model_copy(update={"nodes": [
            n.model_copy(update={"properties": {**n.properties, **props}}) if n.id == "aist" else n
            for n in curated.nodes]})

    # the file changes another field: applied, the correction kept; the next reload of the same files records nothing
    renamed = with_aist(name=original.properties["name"] + " (renamed)")
    cs = reload(renamed)
    assert cs is not None and [n.id for n in cs.nodes] == ["aist"] and not cs.edges
    now = store.get_node("aist")
    assert now.properties["name"].endswith("(renamed)")
    assert now.properties["description"] == "Corrected description (test)"
    assert "AIST Tsukuba" in now.properties["aliases"] and "産総研" in now.properties["aliases"]
    assert cs.nodes[0].given is not None and cs.nodes[0].given.properties["description"] == \
        original.properties["description"]  # what the files said, kept as the next reload's base
    assert reload(renamed) is None and store.get_node("aist") == now

    # the file changes the corrected field: the file wins
    rewritten = with_aist(name=original.properties["name"] + " (renamed)", description="New text from the file")
    assert reload(rewritten) is not None
    assert store.get_node("aist").properties["description"] == "New text from the file"
    assert "AIST Tsukuba" in store.get_node("aist").properties["aliases"]
    assert removed not in parties(store, agreement)  # still removed through all of it
