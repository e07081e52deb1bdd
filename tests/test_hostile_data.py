"""Hostile data files: alias bombs, deep nesting, links out of the data folder, ids that collide once normalised,
control characters. Each is refused with a problem naming file and line (and record and field where there is one),
exit code 2 from the CLI and 422 from ``POST /admin/reload``, and the store is left as it was.

The full-size attacks that could run away on a weaker loader run in a subprocess with a time and memory cap, so a
regression fails in seconds instead of hanging the suite.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qgraph.api import create_app
from qgraph.config import Settings
from qgraph.loaders import DatasetError, load, read_graph
from qgraph.store import Store

from conftest import FIXTURES

VALID = FIXTURES / "valid"
TOKEN = "t0ken-for-tests-0123456789abcdef"
QGRAPH = Path(sys.executable).with_name("qgraph")

DOC = """documents:
  - id: doc
    title: 文書
    title_en: A document
    publisher: tests
    date: 2024
"""
CITE = "[{document: doc, section: '1', quote: a quote}]"


def alias_bomb(levels: int = 9) -> str:
    """Nine levels of nine aliases: about 1 KB that a naive loader expands into 9**9 mappings."""
    lines = ["a0: &a0 {k: v}"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def problems_of(paths: list[Path], store: Store | None = None) -> list[str]:
    with pytest.raises(DatasetError) as caught:
        read_graph(paths, store)
    return [str(p) for p in caught.value.problems]


def reload_answer(store: Store, paths: list[Path]) -> tuple[int, str]:
    settings = Settings(admin_token=TOKEN, reload_paths=paths)
    with TestClient(create_app(settings=settings, store=store), raise_server_exceptions=False) as client:
        response = client.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
    return response.status_code, response.text


def cli_dry_run(path: Path, tmp_path: Path, *, seconds: int = 60) -> subprocess.CompletedProcess[str]:
    """``qgraph load --dry-run PATH`` in a fresh process capped at 1.5 GB of address space and ``seconds``."""
    def cap() -> None:
        limit = 1536 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "QGRAPH_STORE": "memory", "QGRAPH_DATA_DIR": str(tmp_path / "store")}
    return subprocess.run([str(QGRAPH), "load", "--dry-run", "--quiet", str(path)], capture_output=True, text=True,
                          env=env, timeout=seconds, preexec_fn=cap, check=False)


def assert_unchanged(store: Store, before: object, digest: str) -> None:
    assert store.counts() == before
    assert store.checksum() == digest


# --------------------------------------------------------------------------------------------- 1. alias bombs


def test_alias_bomb_is_refused_at_the_first_anchor_by_the_cli(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    assert bomb.stat().st_size < 1100
    proc = cli_dry_run(bomb, tmp_path, seconds=60)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"{bomb}:1: YAML anchors and aliases" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("text, line", [
    ("institutions:\n  - &lab {id: lab-a, name: A, type: company, external: true, external_note: n}\n", 2),
    ("institutions:\n  - id: lab-a\n    name: &n A\n    aliases: [*n]\n", 3),
    ("base: &b {type: company}\ninstitutions:\n  - <<: *b\n    id: lab-a\n", 1),
], ids=["anchor", "alias", "merge-key"])
def test_anchors_and_aliases_are_refused_naming_the_line(store: Store, tmp_path: Path, text: str, line: int) -> None:
    store.load(read_graph([VALID], store))
    before, digest = store.counts(), store.checksum()
    path = tmp_path / "aliases.yaml"
    path.write_text(text)
    with pytest.raises(DatasetError) as caught:
        load([path], store)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:{line}: YAML anchors and aliases (&name, *name, <<: *name) are not allowed in data files: "
        "write each value out"]
    assert_unchanged(store, before, digest)


def test_alias_bomb_through_reload_is_a_422(store: Store, tmp_path: Path) -> None:
    # Six levels (9**6 mappings) so that a loader that expands aliases still finishes, and fails the assertion.
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb(6))
    status, body = reload_answer(store, [bomb])
    assert status == 422, body
    assert "YAML anchors and aliases" in body and "bomb.yaml:1" in body
    assert store.counts().total_nodes == 0


# --------------------------------------------------------------------------------------------- 10. deep nesting


def test_deep_yaml_nesting_is_a_problem_not_a_crash(store: Store, tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("institutions:\n" + "  - " + "[" * 20_000 + "]" * 20_000 + "\n")
    assert problems_of([deep]) == [f"{deep}:2: nested more than 16 levels deep; a data file needs at most 5"]
    status, body = reload_answer(store, [deep])
    assert status == 422 and "nested more than 16 levels deep" in body


def test_deep_json_in_a_csv_sources_cell_is_a_problem_not_a_crash(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "documents.yaml").write_text(DOC)
    deep = folder / "institutions.csv"
    deep.write_text('id,name,type,sources\nlab-a,A,company,"' + "[" * 60_000 + "]" * 60_000 + '"\n')
    assert (f"{deep}:2, record 'lab-a', field 'sources': must be a JSON list of citations: nested too deeply"
            in problems_of([folder]))
    status, body = reload_answer(store, [folder])
    assert status == 422 and "nested too deeply" in body


def test_deep_nesting_through_the_cli_exits_2(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("institutions: " + "[" * 20_000 + "]" * 20_000 + "\n")
    proc = cli_dry_run(deep, tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "nested more than 16 levels deep" in proc.stderr and "RecursionError" not in proc.stderr


# --------------------------------------------------------------------------------------------- 12. the C parser


def test_yaml_is_read_with_libyaml_and_keeps_lines(tmp_path: Path) -> None:
    import yaml

    from qgraph.loaders import yaml_events

    assert yaml.__with_libyaml__ and issubclass(yaml_events._Loader, yaml.CSafeLoader)
    path = tmp_path / "lines.yaml"
    path.write_text(DOC + "institutions:\n  - id: lab-a\n    name: A\n\n    type: spaceship\n"
                    f"    sources: {CITE}\n")
    assert problems_of([path]) == [f"{path}:11, record 'lab-a', field 'type': Input should be 'government-body', "
                                   "'national-lab', 'university', 'company', 'industry-consortium', "
                                   "'international-organisation', 'funding-agency' or 'other'"]


def test_yaml_scalars_keep_their_meaning(tmp_path: Path) -> None:
    """Numbers, booleans, null and quoted text as YAML's core schema says; dates stay text."""
    from qgraph.loaders.yaml_events import parse

    doc, lines = parse(b"a: 2023-11-03\nb: 2023\nc: '2023'\nd: true\ne: ~\nf: 1.5\ng: !!str 12\nh: [x, 'y']\n"
                       b"i: 0x1f\nj: ''\nk:\n")
    assert doc == {"a": "2023-11-03", "b": 2023, "c": "2023", "d": True, "e": None, "f": 1.5, "g": "12",
                   "h": ["x", "y"], "i": 31, "j": "", "k": None}
    assert lines == {k: i for i, k in enumerate("abcdefghijk", start=1)}


@pytest.mark.parametrize("text, line, fragment", [
    ("a: !!binary aGVsbG8=\n", 1, "YAML tag 'tag:yaml.org,2002:binary' is not allowed"),
    ("a: !!python/object:os.system {}\n", 1, "YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed"),
    ("a: 1\n---\nb: 2\n", 2, "one YAML document"),
    ("? [a, b]\n: c\n", 1, "a mapping key must be a plain value"),
    ("a: !!int nope\n", 1, "'nope' is not a valid int"),
])
def test_other_yaml_features_are_refused(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    (problem,) = problems_of([path])
    assert problem.startswith(f"{path}:{line}: ") and fragment in problem, problem
