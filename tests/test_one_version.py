"""#12.3 and #12.14 on both stores: while a writer alternates two versions of the data (and clear + load), every
answer comes from one version of the graph, carries that version in ``X-Data-Version``, and nothing answers 500.
Bounded: each test runs its writer for a few seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qgraph.api import create_app
from qgraph.config import Settings
from qgraph.loaders import default_data_dir, read_graph
from qgraph.model import Graph, NodeKind
from qgraph.store import Store, Write
from qgraph.stores.memory import MemoryStore

from conftest import neo4j_settings

SECONDS = 3.0
MARK = " (version B)"


def two_versions(store: Store) -> tuple[Graph, Graph]:
    a = read_graph([default_data_dir()], store)
    b = a.model_copy(update={"nodes": [n.model_copy(update={"properties": {**n.properties,
                                                                           "name": n.properties["name"] + MARK}})
                                       if n.kind is NodeKind.AGREEMENT else n for n in a.nodes]})
    return a, b


def second_store(store: Store, tmp_path_file: object) -> Store:
    """Another connection to the same data, as a second process (the CLI) would have."""
    if store.kind == "memory":
        return MemoryStore(store.path)  # type: ignore[attr-defined]
    from qgraph.stores.neo4j import Neo4jStore

    return Neo4jStore.from_settings(neo4j_settings())


def hammer(store: Store, writer: Callable[[Store], None], check: Callable[[TestClient], None]) -> int:
    """Run ``writer`` in a loop on a second connection while ``check`` reads through the API; the replies read."""
    other = second_store(store, None)
    stop = threading.Event()
    failures: list[BaseException] = []

    def write_loop() -> None:
        try:
            while not stop.is_set():
                writer(other)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)

    thread = threading.Thread(target=write_loop)
    replies = 0
    with TestClient(create_app(Settings(request_timeout=60), store=store), raise_server_exceptions=False) as client:
        thread.start()
        try:
            end = time.monotonic() + SECONDS
            while time.monotonic() < end and not failures:
                check(client)
                replies += 1
        finally:
            stop.set()
            thread.join()
    if store.kind != "memory":
        other.close()
    assert not failures, failures
    return replies


def test_alternating_loads_never_mix_versions(store: Store) -> None:
    a, b = two_versions(store)
    store.load(b, replace=True)
    version_b = store.meta()["data_version"]
    store.load(a, replace=True)
    version_a = store.meta()["data_version"]
    flip = [a, b]

    def writer(s: Store) -> None:
        flip.reverse()
        s.commit(Write(graph=flip[0], replace=True), actor="writer")

    seen: set[str] = set()

    def check(client: TestClient) -> None:
        response = client.get("/agreements?limit=500")
        assert response.status_code == 200, response.text
        names = [x["name"] for x in response.json()["agreements"]]
        marked = {name.endswith(MARK) for name in names}
        assert len(marked) == 1, "one reply holds agreements of both versions"
        version = response.headers["x-data-version"]
        assert version == (version_b if marked.pop() else version_a)
        seen.add(version)
        detail = client.get("/entities/aist/partners")
        assert detail.status_code == 200, detail.text
        agreements = [x["name"] for p in detail.json()["partners"] for x in p["agreements"]]
        assert len({n.endswith(MARK) for n in agreements}) <= 1

    replies = hammer(store, writer, check)
    assert replies >= 1
    assert store.meta()["data_version"] in (version_a, version_b)


def test_clear_and_load_in_a_loop_never_answer_500(store: Store) -> None:
    graph = read_graph([default_data_dir()], store)
    store.load(graph)
    total = len([n for n in graph.nodes if n.kind is NodeKind.AGREEMENT])

    def writer(s: Store) -> None:
        s.clear(actor="writer")
        s.commit(Write(graph=graph), actor="writer")

    answered = [0]

    def ok(response: Any, *also: int) -> bool:
        """200 (or an expected status); 503 "busy" when writes kept committing under every attempt (this writer
        commits without pause); never a 500."""
        if response.status_code == 503:
            assert response.json()["error"] == "busy", response.text
            return False
        assert response.status_code in (200, *also), response.text
        answered[0] += 1
        return response.status_code == 200

    def check(client: TestClient) -> None:
        ok(client.get("/search?q=univ"))
        page = client.get("/agreements?limit=500")
        if ok(page):
            assert page.json()["page"]["total"] in (0, total)  # empty (cleared) or whole, never a part
            assert len(page.json()["agreements"]) == page.json()["page"]["total"]
        ok(client.get("/entities/aist"), 404)

    assert hammer(store, writer, check) >= 1
    assert answered[0] >= 1


@pytest.mark.parametrize("kind", ["memory"])
def test_a_pinned_memory_view_keeps_its_version(kind: str, tmp_path: object) -> None:
    store = MemoryStore(None)
    a, b = two_versions(store)
    store.load(a)
    with store.pinned() as view:
        store.load(b, replace=True)
        names = [r.node.properties["name"] for r in view.agreements(__import__("qgraph.store").store.AgreementFilter(),
                                                                    500, 0)[1]]
        assert names and not any(n.endswith(MARK) for n in names)
        assert view.meta()["data_version"] != store.meta()["data_version"]


@pytest.mark.neo4j
def test_a_neo4j_view_notices_a_write_under_it(neo4j_store: Store) -> None:
    from qgraph.store import VersionChanged

    a, b = two_versions(neo4j_store)
    neo4j_store.load(a)
    with neo4j_store.pinned() as view:
        assert view.counts().total_nodes == len(a.nodes)
        neo4j_store.load(b, replace=True)
        with pytest.raises(VersionChanged):
            view.counts()


def test_the_api_answers_again_when_the_version_moved(tmp_path: object) -> None:
    from qgraph.store import VersionChanged

    raised = [0]

    class Moving(MemoryStore):
        def search_candidates(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
            if raised[0] < 2:
                raised[0] += 1
                raise VersionChanged("a write committed")
            return super().search_candidates(*args, **kwargs)  # type: ignore[arg-type]

    store = Moving(None)
    store.load(read_graph([default_data_dir()], store))
    with TestClient(create_app(store=store), raise_server_exceptions=False) as client:
        response = client.get("/search?q=aist")
        assert response.status_code == 200 and raised[0] == 2

    class Always(MemoryStore):
        def search_candidates(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
            raise VersionChanged("a write committed")

    always = Always(None)
    always.load(read_graph([default_data_dir()], always))
    with TestClient(create_app(store=always), raise_server_exceptions=False) as client:
        busy = client.get("/search?q=aist")
        assert busy.status_code == 503 and busy.json()["error"] == "busy" and busy.headers["retry-after"] == "1"


@pytest.mark.neo4j
def test_a_neo4j_view_does_not_trust_what_it_read_while_a_commit_was_applied(neo4j_store: Store) -> None:
    """Neo4j applies a commit record by record, so a reader can see part of one (the metadata node included): the
    writer marks its commit, a view that sees a live mark after a query answers again, and one that begins while a
    mark is live waits until it is gone."""
    from qgraph.store import VersionChanged

    a, _ = two_versions(neo4j_store)
    neo4j_store.load(a)
    with neo4j_store.pinned() as view:
        assert view.counts().total_nodes == len(a.nodes)
        with neo4j_store._commit_mark():  # type: ignore[attr-defined]
            with pytest.raises(VersionChanged, match="being committed"):
                view.counts()
        assert view.counts().total_nodes == len(a.nodes)  # the mark is gone and nothing changed: trusted again

    began = threading.Event()

    def begin() -> None:
        with neo4j_store.pinned() as later:
            began.set()
            later.counts()

    with neo4j_store._commit_mark():  # type: ignore[attr-defined]
        thread = threading.Thread(target=begin)
        thread.start()
        time.sleep(0.5)
        assert not began.is_set()  # waiting for the commit to be applied
    thread.join(timeout=10)
    assert began.is_set()


@pytest.mark.neo4j
def test_a_dead_writers_mark_is_ignored_then_removed(neo4j_store: Store) -> None:
    from qgraph.stores.neo4j import COMMIT_STALE

    driver = neo4j_store.driver  # type: ignore[attr-defined]

    def marks() -> list[str]:
        return [r["id"] for r in driver.execute_query("MATCH (w:QgraphWriting) RETURN w.id AS id").records]

    a, b = two_versions(neo4j_store)
    neo4j_store.load(a)
    assert marks() == []  # the load removed its own mark
    driver.execute_query("CREATE (:QgraphWriting {id: 'dead', beat: datetime.realtime().epochMillis - $age})",
                         age=int(COMMIT_STALE * 1000) + 5000)
    with neo4j_store.pinned() as view:  # neither waits nor answers again for a mark that stopped beating
        assert view.counts().total_nodes == len(a.nodes)
    neo4j_store.load(b, replace=True)
    assert marks() == []  # the next writer removed it

    class Boom(RuntimeError):
        pass

    with pytest.raises(Boom):  # a commit that fails leaves no mark either
        with neo4j_store._writer():  # type: ignore[attr-defined]
            with neo4j_store._commit_mark():  # type: ignore[attr-defined]
                raise Boom
    assert marks() == []
