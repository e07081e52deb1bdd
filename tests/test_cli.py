"""The command line on both stores: load (idempotent, all-or-nothing, --dry-run, --json) and the query commands;
plus what the issue asks to see in Neo4j itself, through Cypher."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qgraph.cli import app
from qgraph.config import get_settings
from qgraph.store import Store

from conftest import FIXTURES

runner = CliRunner()


@pytest.fixture
def env(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Point the CLI's settings at the test's (empty) store."""
    monkeypatch.setenv("QGRAPH_STORE", store.kind)
    monkeypatch.setenv("QGRAPH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield store
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def counts(store_kind: str) -> dict[str, object]:
    code, out, _ = run("info", "--json")
    assert code == 0, out
    return json.loads(out)["counts"]


def test_load_curated_twice_changes_no_counts(env: Store) -> None:
    code, out, err = run("load", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["before"]["total_nodes"] == 0 and first["after"]["total_nodes"] > 100
    # the memory store's search index is built by the load and saved beside the file, not by a server's first search
    assert (Path(os.environ["QGRAPH_DATA_DIR"]) / "graph.json.search").is_file() == (env.kind == "memory")
    code, out, _ = run("load", "--json")
    second = json.loads(out)
    assert second["before"] == second["after"] == first["after"]


def test_malformed_load_names_file_record_field_and_writes_nothing(env: Store) -> None:
    assert run("load")[0] == 0
    before = counts(env.kind)
    code, _, err = run("load", str(FIXTURES / "malformed" / "unknown-party.yaml"))
    assert code == 2
    assert "unknown-party.yaml:5, record 'ax-mou', field 'parties': unknown id 'lab-x'" in err
    assert "nothing was written" in err
    assert counts(env.kind) == before


def test_dry_run_writes_nothing(env: Store) -> None:
    code, out, _ = run("load", "--dry-run")
    assert code == 0 and "nothing written" in out
    assert counts(env.kind)["total_nodes"] == 0


def test_query_commands(env: Store) -> None:
    run("load")
    code, out, _ = run("search", "産総研", "--json")
    assert code == 0 and json.loads(out)["hits"][0]["entity"]["id"] == "aist"
    code, out, _ = run("partners", "aist", "--since", "2024-01", "--json")
    assert [p["partner"]["id"] for p in json.loads(out)["partners"]] == ["kriss"]
    code, out, _ = run("path", "kriss", "nrc-canada")
    assert code == 0 and "through 2 agreements via National Institute of Advanced Industrial" in " ".join(out.split())
    code, out, _ = run("agreements", "--since", "2023-11", "--until", "2023-11", "--json")
    assert "aist-nist-mou-2023-11" in [a["id"] for a in json.loads(out)["agreements"]]
    code, out, _ = run("resolve", "Tohoku Univ", "--json")
    assert code == 0 and json.loads(out)["match"]["id"] == "tohoku-university"
    code, out, _ = run("resolve", "university", "--json")
    assert json.loads(out)["verdict"] == "ambiguous" and len(json.loads(out)["candidates"]) > 3
    code, out, _ = run("resolve", "Toho")
    assert code == 0 and out.startswith("none: nothing is named 'Toho'") and "tohoku-uni" in out
    code, out, _ = run("suggest", "東北", "--limit", "1", "--json")
    assert [s["id"] for s in json.loads(out)["suggestions"]] == ["tohoku-university"]
    code, _, err = run("resolve", "  ")
    assert code == 2 and "text: must not be empty" in err
    code, _, err = run("partners", "nobody")
    assert code == 2 and "no entity with id or name 'nobody'" in err
    code, _, err = run("agreements", "--since", "2023-13")
    assert code == 2 and "since" in err


def test_unreachable_neo4j_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QGRAPH_STORE", "neo4j")
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:9")
    monkeypatch.setenv("QGRAPH_NEO4J_TIMEOUT", "2")
    get_settings.cache_clear()
    try:
        code, _, err = run("info")
    finally:
        get_settings.cache_clear()
    assert code == 3 and "unavailable" in err


@pytest.mark.neo4j
def test_cypher_shows_aist_agreements_with_nist_nrc_kriss(neo4j_store: Store, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    """After `qgraph load` into Neo4j, plain Cypher in the server shows AIST's agreements, their other parties,
    dates and citations (the foundation issue's check)."""
    monkeypatch.setenv("QGRAPH_STORE", "neo4j")
    get_settings.cache_clear()
    try:
        assert run("load")[0] == 0
    finally:
        get_settings.cache_clear()
    from neo4j import GraphDatabase

    with GraphDatabase.driver(os.environ["NEO4J_URI"]) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (:Institution {id: 'aist'})-[:PARTY_TO]->(a:Agreement)<-[:PARTY_TO]-(other) "
            "RETURN other.id AS other, a.date AS date, a.sources AS sources ORDER BY other")
    rows = {r["other"]: r for r in records}
    assert {"nist", "nrc-canada", "kriss"} <= set(rows)
    for other in ("nist", "nrc-canada", "kriss"):
        assert rows[other]["date"]
        assert json.loads(rows[other]["sources"])[0]["document"] == "measures-2024"


def test_python_dash_m_qgraph_runs_the_same_app(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "qgraph", "--version"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("qgraph ")


def test_command_groups_import_only_the_package_not_each_other() -> None:
    """One direction only: ``qgraph/cli/<group>.py`` imports ``qgraph.cli``, never a sibling group; every group is
    registered, and every command on the app comes from one of them."""
    import ast

    import qgraph.cli as cli

    folder = Path(cli.__file__).parent
    groups = {p.stem for p in folder.glob("*.py")} - {"__init__", "__main__"}
    assert groups == set(cli.COMMAND_GROUPS)
    for group in groups:
        tree = ast.parse((folder / f"{group}.py").read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        siblings = {m for m in imported if m.startswith("qgraph.cli.")}
        assert not siblings, f"qgraph/cli/{group}.py imports {siblings}"
    # every command, and every command of a sub-group (``qgraph review apply``), is defined in a group module
    commands = [*app.registered_commands, *(c for g in app.registered_groups for c in g.typer_instance.registered_commands)]
    origins = {c.callback.__module__ for c in commands}
    assert origins <= {f"qgraph.cli.{g}" for g in groups} and "qgraph.cli.ingest" in origins
