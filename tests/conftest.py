"""Shared fixtures: every store test runs on both backends.

``store`` is parametrised over ``memory`` and ``neo4j``. The Neo4j half talks to the real server named by
``NEO4J_URI`` (``scripts/test`` starts one on 127.0.0.1 when the variable is unset). Without ``NEO4J_URI`` those tests
are skipped locally, but under ``CI=true`` they fail: CI never passes with the Neo4j half silently skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from qgraph.config import Settings
from qgraph.store import Store
from qgraph.stores.memory import MemoryStore

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


def neo4j_settings() -> Settings:
    return Settings(store="neo4j", neo4j_uri=os.environ["NEO4J_URI"])


@pytest.fixture(scope="session")
def neo4j_session_store() -> Iterator[Store]:
    if not os.environ.get("NEO4J_URI"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but NEO4J_URI is not set: the Neo4j tests must run in CI (use scripts/test)")
        pytest.skip("NEO4J_URI is not set; run scripts/test to start a local Neo4j")
    from qgraph.stores.neo4j import Neo4jStore

    store = Neo4jStore.from_settings(neo4j_settings())
    store.ping()
    store.ensure_schema()
    yield store
    store.close()


@pytest.fixture
def neo4j_store(neo4j_session_store: Store) -> Store:
    neo4j_session_store.wipe()
    return neo4j_session_store


@pytest.fixture
def memory_store(tmp_path: Path) -> Store:
    return MemoryStore(tmp_path / "graph.json")


def _curated(store: Store) -> Store:
    from qgraph.loaders import default_data_dir, read_graph

    store.wipe()
    store.load(read_graph([default_data_dir()], store))
    return store


@pytest.fixture(scope="module")
def memory_curated(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The curated dataset in a memory store, loaded once per test module."""
    return _curated(MemoryStore(tmp_path_factory.mktemp("curated") / "graph.json"))


@pytest.fixture(scope="module")
def neo4j_curated(neo4j_session_store: Store) -> Store:
    """The curated dataset in Neo4j, loaded once per test module (tests using it must not write)."""
    return _curated(neo4j_session_store)


@pytest.fixture(scope="module", params=["memory", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def curated_store(request: pytest.FixtureRequest) -> Store:
    """The curated dataset in each store."""
    return request.getfixturevalue(f"{request.param}_curated")


@pytest.fixture(params=["memory", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> Store:
    """An empty store of each kind."""
    return request.getfixturevalue(f"{request.param}_store")


def pytest_report_header(config: pytest.Config) -> list[str]:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return ["neo4j: NEO4J_URI not set (Neo4j tests will be skipped, or fail under CI=true)"]
    try:
        from qgraph.stores.neo4j import Neo4jStore

        with Neo4jStore.from_settings(neo4j_settings()) as s:
            return [f"neo4j: {uri} -> {s.ping()}"]
    except Exception as exc:  # the header must not crash the run; the fixtures report the failure
        return [f"neo4j: {uri} -> not reachable ({exc})"]
