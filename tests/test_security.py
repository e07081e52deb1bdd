"""Security: read-only unless an admin token is configured; injection payloads in every string parameter change
nothing and never cause a 5xx; secrets never appear in responses, reprs or logs."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qgraph.api import create_app
from qgraph.cli import app as cli_app
from qgraph.config import Settings, get_settings
from qgraph.store import Store
from qgraph.stores.neo4j import Neo4jStore

TOKEN = "t0ken-for-tests-0123456789abcdef"
SECRET = "s3cret-password-never-shown"

PAYLOADS = [
    "' OR 1=1 //",
    "aist'}) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n RETURN 1 //',
    "x` DETACH DELETE n //",
    "aist\\' OR \\'1\\'=\\'1",
    "*/ MATCH (n) SET n.name = 'pwned' /*",
    "CALL dbms.killQueries([]) YIELD queryId RETURN 1",
    "$id",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "aist\u0000",
    "../../../../etc/passwd",
    "産総研' OR '1'='1",
    "Ａ" * 150,
]

# (url template, parameters): every string parameter of every read endpoint
ENDPOINTS = [
    "/search?q={p}", "/search?q=aist&kind={p}", "/entities/{p}", "/entities/{p}/partners",
    "/entities/aist/partners?since={p}", "/entities/aist/partners?until={p}", "/entities/aist/partners?kind={p}",
    "/entities/aist/partners?domain={p}", "/entities/aist/partners?framework={p}",
    "/entities/aist/partners?nation={p}", "/paths?source={p}&target=aist", "/paths?source=kriss&target={p}",
    "/paths?source=kriss&target=nrc-canada&since={p}", "/agreements?party={p}", "/agreements?framework={p}",
    "/agreements?kind={p}", "/agreements?domain={p}", "/agreements?nation={p}", "/agreements?until={p}",
    "/nations/{p}/partners", "/timeline?since={p}", "/timeline?granularity={p}", "/analysis/brokers?framework={p}",
    "/analysis/communities?kind={p}", "/changes?since={p}", "/changes?since=0&until={p}", "/entities/{p}/history", "/history?limit={p}",
]


def test_injection_payloads_change_nothing(curated_store: Store) -> None:
    before = curated_store.checksum()
    statuses: dict[int, int] = {}
    with TestClient(create_app(store=curated_store), raise_server_exceptions=False) as client:
        for template in ENDPOINTS:
            for payload in PAYLOADS:
                url = template.format(p=quote(payload, safe=""))
                response = client.get(url)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert response.status_code < 500, (url, response.text)
                if response.status_code == 200:
                    body = response.json()
                    # A payload is never found as data: at most it matches nothing.
                    if "hits" in body:
                        assert all(payload.lower() not in h["entity"]["id"] for h in body["hits"])
    assert curated_store.checksum() == before
    assert statuses.get(422, 0) and statuses.get(404, 0) and statuses.get(200, 0)


def test_injection_payloads_in_the_cli_change_nothing(curated_store: Store, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    if curated_store.kind == "memory":
        monkeypatch.setenv("QGRAPH_DATA_DIR", str(Path(curated_store.path).parent))  # type: ignore[attr-defined]
    monkeypatch.setenv("QGRAPH_STORE", curated_store.kind)
    get_settings.cache_clear()
    before = curated_store.checksum()
    runner = CliRunner()
    try:
        # A few payloads, of the kinds that could reach Cypher or markup: the API test above runs every payload
        # through the same query layer, so the CLI only needs to show that it passes arguments through unchanged.
        for payload in (PAYLOADS[1], PAYLOADS[7], PAYLOADS[13]):
            for args in (["search", payload], ["show", payload], ["partners", payload], ["path", payload, "aist"],
                         ["agreements", "--party", payload], ["agreements", "--framework", payload],
                         ["partners", "aist", "--since", payload], ["agreements", "--nation", payload]):
                result = runner.invoke(cli_app, args)
                assert result.exit_code in (0, 2), (args, result.output, result.exception)
    finally:
        get_settings.cache_clear()
    assert curated_store.checksum() == before


def test_labels_and_types_only_from_the_whitelist() -> None:
    from qgraph import cypher

    with pytest.raises(ValueError, match="whitelist"):
        cypher.query("merge_nodes", label="Institution:Admin")
    with pytest.raises(ValueError, match="whitelist"):
        cypher.query("merge_edges", rel_type="PARTY_TO]->() DETACH DELETE n //")
    assert ":Institution" in cypher.query("merge_nodes", label="Institution")


def test_fragments_are_included_whole_and_hold_no_values() -> None:
    """What several queries share is one fragment file, included when the query is read: nothing is left unexpanded,
    and the shortest-path search of the two path queries is the same text."""
    from qgraph import cypher

    def filled(name: str) -> str:  # a query written for any label or type gets a whitelisted one
        for how in ({}, {"label": "Institution"}, {"rel_type": "PARTY_TO"}):
            try:
                return cypher.query(name, **how)
            except ValueError:
                continue
        raise AssertionError(f"{name}: neither a label nor a relationship type completes it")

    texts = {name: filled(name) for name in cypher.names()}
    for name, text in texts.items():
        assert "{{" not in text and "{of}" not in text, name
    search = "MATCH p = allShortestPaths((s)-[:PARTY_TO*..16]-(t))"
    assert texts["shortest_paths"].count(search) == texts["find_paths"].count(search) == 2
    assert "located_in_" in texts["entity_refs"] and "(n)-[:LOCATED_IN]->" in texts["entity_refs"]
    assert not any(name.startswith("_") for name in cypher.names())


class TestAdmin:
    def app(self, store: Store, token: str | None) -> TestClient:
        settings = Settings(admin_token=token) if token else Settings()
        return TestClient(create_app(settings=settings, store=store))

    def test_read_only_without_a_token(self, memory_store: Store) -> None:
        with self.app(memory_store, None) as client:
            response = client.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 403 and response.json()["error"] == "read_only"
        assert memory_store.counts().total_nodes == 0

    def test_wrong_or_missing_token_is_refused(self, memory_store: Store) -> None:
        with self.app(memory_store, TOKEN) as client:
            assert client.post("/admin/reload").status_code == 401
            wrong = client.post("/admin/reload", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        assert memory_store.counts().total_nodes == 0

    def test_reload_with_the_token(self, store: Store) -> None:
        with self.app(store, TOKEN) as client:
            response = client.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code == 200, response.text
            assert response.json()["after"]["total_nodes"] > 100
            assert client.get("/entities/aist").status_code == 200

    def test_reads_stay_open(self, memory_store: Store) -> None:
        with self.app(memory_store, TOKEN) as client:
            assert client.get("/health").status_code == 200

    def test_short_token_is_refused_at_start(self) -> None:
        with pytest.raises(ValueError, match="at least 24 characters"):
            Settings(admin_token="short")


def test_secrets_never_shown(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(store="neo4j", neo4j_uri="bolt://127.0.0.1:9", neo4j_password=SECRET, neo4j_timeout=2,
                        admin_token=TOKEN)
    assert SECRET not in repr(settings) and TOKEN not in repr(settings)
    assert SECRET not in settings.model_dump_json() and TOKEN not in settings.model_dump_json()
    store = Neo4jStore.from_settings(settings)
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(settings=settings, store=store), raise_server_exceptions=False) as client:
        texts = [client.get(u).text for u in ("/health", "/entities/aist", "/search?q=aist")]
    store.close()
    captured = capsys.readouterr()
    for text in [*texts, caplog.text, captured.out, captured.err]:
        assert SECRET not in text and TOKEN not in text


@pytest.mark.neo4j
def test_neo4j_reads_run_where_the_server_refuses_writes(neo4j_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store read (alone or in a pinned view) runs in a read transaction: a write sent through it is refused by the
    server itself, not by qgraph's catalog."""
    from qgraph import cypher
    from qgraph.store import StoreError

    real = cypher.query
    monkeypatch.setattr(cypher, "query", lambda name: "CREATE (n:QgraphIntruder) RETURN 1 AS one"
                        if name == "count_nodes" else real(name))
    with pytest.raises(StoreError, match="AccessMode"):
        neo4j_store.read("count_nodes")  # type: ignore[attr-defined]
    with neo4j_store.pinned() as view, pytest.raises(StoreError, match="AccessMode"):
        view.read("count_nodes")  # type: ignore[attr-defined]
    monkeypatch.undo()
    rows = neo4j_store.driver.execute_query("MATCH (n:QgraphIntruder) RETURN count(n) AS n").records  # type: ignore[attr-defined]
    assert rows[0]["n"] == 0
