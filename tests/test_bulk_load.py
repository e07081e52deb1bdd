"""The bulk path of the Neo4j loader (``qgraph load --bulk``) writes exactly what the atomic load writes, is
idempotent, reports progress, and the CLI offers it. Small synthetic data (a few thousand rows)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qgraph.cli import app
from qgraph.config import get_settings
from qgraph.loaders import read_graph
from qgraph.model import Graph
from qgraph.store import Store
from qgraph.synth import generate

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bulk")
    generate(out, entities=300, agreements=900, seed=5)
    return out


@pytest.fixture(scope="module")
def graph(synth_dir: Path) -> Graph:
    return read_graph([synth_dir])


def test_bulk_writes_what_the_atomic_load_writes(neo4j_store: Store, memory_store: Store, graph: Graph) -> None:
    memory_store.load(graph)
    report = neo4j_store.load(graph, bulk=True, workers=2, batch_size=97)
    assert report.after == memory_store.counts()
    assert neo4j_store.checksum() == memory_store.checksum()
    assert neo4j_store.meta()["data_version"] == memory_store.meta()["data_version"]


def test_bulk_load_is_idempotent_and_counts_progress(neo4j_store: Store, graph: Graph) -> None:
    seen: list[int] = []
    first = neo4j_store.load(graph, bulk=True, batch_size=500, progress=seen.append)
    digest = neo4j_store.checksum()
    neo4j_store.load(graph, bulk=True, workers=2)
    assert neo4j_store.counts() == first.after
    assert neo4j_store.checksum() == digest
    assert sum(seen) == len(graph.nodes) + len(graph.edges)
    assert max(seen) <= 500


def test_atomic_load_reports_progress_too(neo4j_store: Store, graph: Graph) -> None:
    seen: list[int] = []
    neo4j_store.load(graph, batch_size=1000, progress=seen.append)
    assert sum(seen) == len(graph.nodes) + len(graph.edges)


def test_cli_load_bulk_quiet(neo4j_store: Store, synth_dir: Path, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QGRAPH_STORE", "neo4j")
    monkeypatch.setenv("QGRAPH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["load", str(synth_dir), "--bulk", "--workers", "2", "--quiet", "--json"])
        assert result.exit_code == 0, result.stderr
        body = json.loads(result.stdout)
        assert body["after"]["nodes"]["Agreement"] == 900
        assert "rows/s" not in result.stderr
    finally:
        get_settings.cache_clear()
