"""The HTTP API over both stores, on the curated dataset: every endpoint, the errors, and equal answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qgraph.api import create_app
from qgraph.config import Settings
from qgraph.loaders import default_data_dir, read_graph
from qgraph.store import Store
from qgraph.stores.memory import MemoryStore
from qgraph.stores.neo4j import Neo4jStore


@pytest.fixture(scope="module")
def client(curated_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store=curated_store)) as c:
        yield c


def get(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text
    return response.json()


def test_health(client: TestClient) -> None:
    body = get(client, "/health")
    assert body["reachable"] is True and body["status"] == "ok"
    assert body["counts"]["nodes"]["Agreement"] >= 15
    assert len(body["data_version"]) == 16


@pytest.mark.parametrize("q", ["産総研", "aist", "ＡＩＳＴ", "National Institute of Advanced Industrial Science and Technology",
                               "  national   institute of advanced industrial science and technology "])
def test_search_finds_aist_in_every_form(client: TestClient, q: str) -> None:
    hits = get(client, f"/search?q={q}")["hits"]
    assert "aist" in [h["entity"]["id"] for h in hits[:2]]


def test_search_finds_aliases(client: TestClient) -> None:
    hits = get(client, "/search?q=g-quat")["hits"]
    assert hits[0]["entity"]["id"] == "g-quat" and hits[0]["score"] == 100 and hits[0]["field"] == "alias"


def test_search_exact_first(client: TestClient) -> None:
    hits = get(client, "/search?q=aist")["hits"]
    assert hits[0]["entity"]["id"] == "aist" and hits[0]["score"] == 100 and "exact" in hits[0]["why"]


def test_entity(client: TestClient) -> None:
    body = get(client, "/entities/aist")
    assert body["entity"]["name_ja"] == "産業技術総合研究所"
    assert "産総研" in body["aliases"]
    assert body["sources"] and all(c["document"] == "measures-2024" for c in body["sources"])
    assert body["degree"] == len(body["relations"])
    assert ("LOCATED_IN", "jp") in {(r["type"], r["other"]["id"]) for r in body["relations"]}


def test_aist_partners_are_nist_nrc_kriss(client: TestClient) -> None:
    body = get(client, "/entities/aist/partners")
    partners = {p["partner"]["id"]: p for p in body["partners"]}
    assert {"nist", "nrc-canada", "kriss"} <= set(partners)
    for pid, nation in [("nist", "us"), ("nrc-canada", "ca"), ("kriss", "kr")]:
        assert partners[pid]["partner"]["nation"] == nation
        agreement = partners[pid]["agreements"][0]
        assert agreement["kind"] == "mou" and agreement["date"]
        assert any(c["footnote"] for c in agreement["sources"])


def test_partner_filters(client: TestClient) -> None:
    since = get(client, "/entities/aist/partners?since=2024-01")
    assert [p["partner"]["id"] for p in since["partners"]] == ["kriss"]
    by_nation = get(client, "/entities/aist/partners?nation=CA")
    assert [p["partner"]["id"] for p in by_nation["partners"]] == ["nrc-canada"]
    assert get(client, "/entities/aist/partners?kind=alliance")["partners"] == []


def test_path_kriss_to_nrc_runs_through_aist(client: TestClient) -> None:
    body = get(client, "/paths?source=kriss&target=nrc-canada")
    path = body["paths"][0]
    assert [e["id"] for e in path["entities"]] == ["kriss", "aist", "nrc-canada"]
    assert [(s["agreement"]["id"], s["agreement"]["date"]) for s in path["steps"]] == [
        ("aist-kriss-mou-2024-01", "2024-01"), ("aist-nrc-canada-mou-2023-11", "2023-11")]
    assert all(s["agreement"]["sources"] for s in path["steps"])
    assert path["summary"].startswith("Korea Research Institute of Standards and Science (KR) is connected to "
                                      "National Research Council Canada (CA) through 2 agreements via")
    assert "2024-01" in path["summary"] and "footnote" in path["summary"]


def test_yonsei_reaches_tohoku_through_chicago(client: TestClient) -> None:
    body = get(client, "/paths?source=yonsei-university&target=tohoku-university")
    assert body["paths"], body
    assert all([e["id"] for e in p["entities"]] == ["yonsei-university", "uchicago", "tohoku-university"]
               for p in body["paths"])


def test_path_bounds(client: TestClient) -> None:
    assert get(client, "/paths?source=kriss&target=nrc-canada&max_hops=1")["paths"] == []
    err = get(client, "/paths?source=kriss&target=nrc-canada&max_hops=9", 422)
    assert err["detail"][0]["loc"][-1] == "max_hops"
    assert "ghost" in get(client, "/paths?source=kriss&target=ghost", 404)["detail"]


def test_agreements_signed_in_november_2023(client: TestClient) -> None:
    body = get(client, "/agreements?since=2023-11&until=2023-11")
    ids = [a["id"] for a in body["agreements"]]
    assert {"aist-nist-mou-2023-11", "aist-nrc-canada-mou-2023-11"} <= set(ids)
    dates = [a["date"] for a in body["agreements"]]
    assert dates == sorted(dates) and all(d.startswith("2023-11") or d == "2023" for d in dates)
    by_framework = {a["id"]: (a["framework"] or {}).get("id") for a in body["agreements"]}
    assert by_framework["aist-nist-mou-2023-11"] == "jp-us-economic-2plus2"


def test_agreements_paging_and_filters(client: TestClient) -> None:
    everything = get(client, "/agreements?limit=500")
    total = everything["page"]["total"]
    page = get(client, "/agreements?limit=3&offset=3")
    assert page["page"]["total"] == total and [a["id"] for a in page["agreements"]] == \
        [a["id"] for a in everything["agreements"][3:6]]
    kr = get(client, "/agreements?nation=KR")["agreements"]
    assert kr and all(any(p["nation"] == "kr" for p in a["parties"]) for a in kr)
    assert get(client, "/agreements?party=aist&kind=mou")["page"]["total"] == 3


def test_nation_partners(client: TestClient) -> None:
    body = get(client, "/nations/JP/partners")
    counts = {p["nation"]["id"]: p["agreement_count"] for p in body["partners"]}
    assert {"us", "kr", "ca"} <= set(counts)
    assert counts["us"] >= 3
    assert get(client, "/nations/jpn/partners")["nation"]["id"] == "jp"
    assert get(client, "/nations/XX/partners", 422)["detail"][0]["loc"][-1] == "code"
    assert "fr" in get(client, "/nations/FR/partners", 404)["detail"]


def test_timeline(client: TestClient) -> None:
    body = get(client, "/timeline?granularity=month&since=2023-01&until=2023-12")
    periods = [b["period"] for b in body["buckets"]]
    assert periods == sorted(periods) and "2023-11" in periods
    assert any(b["strategies"] for b in body["buckets"])


def test_analysis(client: TestClient) -> None:
    brokers = get(client, "/analysis/brokers")
    assert brokers["brokers"][0]["betweenness"] >= brokers["brokers"][-1]["betweenness"]
    assert "betweenness" in brokers["algorithm"]
    top = [b["entity"]["id"] for b in brokers["brokers"][:5]]
    assert "aist" in top or "uchicago" in top
    communities = get(client, "/analysis/communities")
    assert "Louvain" in communities["algorithm"]
    members = [m["id"] for c in communities["communities"] for m in c["members"]]
    assert len(members) == len(set(members)) and "aist" in members


def test_changes_since_before_the_first_load_lists_everything(client: TestClient) -> None:
    response = client.get("/changes?since=0")
    body = response.json()
    assert response.status_code == 200 and body["since"]["number"] == 0
    assert "aist-kriss-mou-2024-01" in [a["id"] for a in body["agreements"]["added"]]
    assert body["until"]["data_version"] == response.headers["x-data-version"]


@pytest.mark.parametrize(("url", "param"), [
    ("/agreements?since=2023-13", "since"), ("/agreements?kind=treaty", "kind"), ("/search?q=", "q"),
    ("/agreements?limit=0", "limit"), ("/timeline?granularity=week", "granularity"),
    ("/entities/aist/partners?nation=QQ", "nation")])
def test_bad_parameters_are_named(client: TestClient, url: str, param: str) -> None:
    body = get(client, url, 422)
    assert param in body["detail"][0]["loc"]


def test_unknown_id_is_named(client: TestClient) -> None:
    body = get(client, "/entities/nobody", 404)
    assert body["error"] == "not_found" and body["detail"].startswith("no entity with id or name 'nobody'")
    assert len(body["suggestions"]) <= 5


URLS = ["/search?q=univ", "/entities/aist", "/entities/aist/partners", "/paths?source=kriss&target=nrc-canada&k=5",
        "/paths?source=yonsei-university&target=tohoku-university", "/agreements", "/nations/JP/partners",
        "/timeline", "/timeline?granularity=month", "/analysis/brokers", "/analysis/communities",
        "/changes?since=0"]


def test_both_stores_answer_every_endpoint_the_same(memory_curated: Store, neo4j_curated: Store) -> None:
    answers = []
    for store in (memory_curated, neo4j_curated):
        with TestClient(create_app(store=store)) as c:
            answers.append({u: get(c, u) for u in URLS})
    for answer in answers:
        # when, by whom and with which id each store was loaded: the legitimate differences
        changes = answer["/changes?since=0"]
        changes.pop("changesets")
        changes["until"].pop("time")
    for url in URLS:
        assert answers[0][url] == answers[1][url], url


def test_unreachable_neo4j_gives_503_without_a_trace() -> None:
    store = Neo4jStore.from_settings(Settings(store="neo4j", neo4j_uri="bolt://127.0.0.1:9", neo4j_timeout=2))
    with TestClient(create_app(store=store), raise_server_exceptions=False) as c:
        health = c.get("/health")
        assert health.status_code == 503 and health.json()["reachable"] is False
        response = c.get("/entities/aist/partners")
        assert response.status_code == 503
        assert response.json()["error"] == "store_unavailable"
        assert "Traceback" not in response.text and "bolt://" not in response.text
    store.close()


def test_memory_store_sees_a_reload_by_another_process(tmp_path: Path) -> None:
    """The API keeps no state: a load written by another process is served without a restart."""
    path = tmp_path / "graph.json"
    writer, reader = MemoryStore(path), MemoryStore(path)
    with TestClient(create_app(store=reader)) as c:
        assert get(c, "/search?q=aist")["page"]["total"] == 0
        writer.load(read_graph([default_data_dir()], writer))
        assert get(c, "/search?q=aist")["hits"][0]["entity"]["id"] == "aist"


def test_a_store_slower_than_the_deadline_gives_503(tmp_path: Path) -> None:
    """QGRAPH_REQUEST_TIMEOUT bounds what a client waits, even when the store never times out by itself."""
    import threading

    release = threading.Event()

    class Stuck(MemoryStore):
        def search_candidates(self, *args: Any, **kwargs: Any) -> Any:
            release.wait(10)
            return super().search_candidates(*args, **kwargs)

    store = Stuck(tmp_path / "graph.json")
    store.load(read_graph([default_data_dir()], store))
    store.entity_refs(["aist"])  # builds the lookup index now: on a busy machine the first build nears 0.5 s
    app = create_app(Settings(store="memory", request_timeout=0.5), store=store)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert get(c, "/entities/aist")["entity"]["id"] == "aist"
        response = c.get("/search?q=aist")
        release.set()
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert response.json()["error"] == "timeout" and "0.5 s" in response.json()["detail"]
