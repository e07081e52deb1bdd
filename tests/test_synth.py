"""The synthetic world-scale generator (``qgraph synth``): deterministic, accepted by the loader, heavy-tailed, clearly
synthetic. Small sizes only (the big ones belong to ``python -m benchmarks``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from statistics import median

import pytest
from typer.testing import CliRunner

from qgraph.cli import app
from qgraph.loaders import read_graph
from qgraph.model import AgreementKind, Domain, NodeKind
from qgraph.store import Store
from qgraph.synth import generate

SIZE = {"entities": 1_000, "agreements": 3_000}


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(out, **SIZE, seed=7)
    return out


def test_same_seed_same_bytes_other_seed_other_data(synth_dir: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    generate(again, **SIZE, seed=7)
    generate(other, **SIZE, seed=8)
    names = sorted(p.name for p in synth_dir.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    assert all((synth_dir / n).read_bytes() == (again / n).read_bytes() for n in names)
    assert (synth_dir / "agreements.csv").read_bytes() != (other / "agreements.csv").read_bytes()


def test_the_loader_accepts_it_and_it_has_the_asked_size(synth_dir: Path) -> None:
    graph = read_graph([synth_dir])
    kinds = Counter(n.kind for n in graph.nodes)
    assert kinds[NodeKind.AGREEMENT] == SIZE["agreements"]
    assert sum(v for k, v in kinds.items() if k is not NodeKind.AGREEMENT) == SIZE["entities"]
    assert set(kinds) == set(NodeKind), "every node kind is present"
    assert 150 <= kinds[NodeKind.NATION] <= 250
    party = [e for e in graph.edges if e.type == "PARTY_TO"]
    assert 3.0 * SIZE["agreements"] <= len(party) <= 3.7 * SIZE["agreements"]


def test_records_are_marked_synthetic(synth_dir: Path) -> None:
    graph = read_graph([synth_dir])
    [doc] = graph.documents
    assert doc.id == "synthetic-s7" and "SYNTHETIC" in doc.title_en
    for node in graph.nodes:
        assert node.properties["external"] is True and "synthetic" in node.properties["external_note"]
        assert [c.document for c in node.sources] == ["synthetic-s7"]


def test_agreements_cover_every_kind_domain_and_the_years(synth_dir: Path) -> None:
    graph = read_graph([synth_dir])
    agreements = [n for n in graph.nodes if n.kind is NodeKind.AGREEMENT]
    assert {a.properties["kind"] for a in agreements} == {k.value for k in AgreementKind}
    assert {d for a in agreements for d in a.properties["domains"]} == {d.value for d in Domain}
    assert {a.properties["date_precision"] for a in agreements} == {"year", "month", "day"}
    years = [int(a.properties["date"][:4]) for a in agreements]
    assert min(years) >= 1990 and max(years) <= 2026 and max(years) - min(years) >= 30
    parties = Counter(e.target for e in graph.edges if e.type == "PARTY_TO")
    assert set(parties.values()) == {2, 3, 4, 5, 6}


def test_partner_counts_are_heavy_tailed(synth_dir: Path) -> None:
    graph = read_graph([synth_dir])
    degree = Counter(e.source for e in graph.edges if e.type == "PARTY_TO")
    top = max(degree.values())
    assert top >= 15 * median(degree.values()), "a few hubs carry many times the typical count"
    assert sum(1 for d in degree.values() if d <= 3) > len(degree) / 10, "and many have only a few"


def test_loads_into_both_stores(store: Store, tmp_path: Path) -> None:
    generate(tmp_path, entities=200, agreements=500, seed=1)
    report = store.load(read_graph([tmp_path], store))
    assert report.after.nodes["Agreement"] == 500
    assert report.after.edges["PARTY_TO"] == report.edges_in_input - sum(
        v for k, v in report.after.edges.items() if k != "PARTY_TO")


def test_cli_writes_and_describes(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", "-o", str(tmp_path), "--entities", "100", "--agreements", "200",
                                      "--seed", "3", "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["entities"] == 100 and summary["nodes"]["Agreement"] == 200
    assert (tmp_path / "agreements.csv").exists() and (tmp_path / "documents.csv").exists()
    bad = CliRunner().invoke(app, ["synth", "-o", str(tmp_path), "--entities", "5"])
    assert bad.exit_code == 2


def _reference_digest(nodes: list, edges: list) -> str:
    """``graph_digest`` as first written (model_dump per item): the fast one must give the same value."""
    import hashlib

    h = hashlib.sha256()
    for line in sorted(json.dumps(n.model_dump(mode="json"), sort_keys=True, ensure_ascii=False) for n in nodes):
        h.update(line.encode())
    h.update(b"\x00")
    for line in sorted(json.dumps(e.model_dump(mode="json"), sort_keys=True, ensure_ascii=False) for e in edges):
        h.update(line.encode())
    return h.hexdigest()


def test_fast_digest_equals_the_reference(synth_dir: Path) -> None:
    from qgraph.loaders import default_data_dir
    from qgraph.store import graph_digest

    for graph in (read_graph([synth_dir]), read_graph([default_data_dir()])):
        assert graph_digest(graph.nodes, graph.edges) == _reference_digest(graph.nodes, graph.edges)
