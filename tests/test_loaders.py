"""Loader behaviour: every problem reported at once with file, line, record and field; nothing half-written."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from qgraph.loaders import DatasetError, load, read_graph
from qgraph.store import Store

from conftest import FIXTURES

VALID = FIXTURES / "valid"
BAD = FIXTURES / "malformed"

# (file, line, record, field, fragment of the message): every file of fixtures/malformed/ is listed here.
MALFORMED = [
    ("missing-field.yaml", 2, "lab-d", "name", "required field is missing"),
    ("unknown-party.yaml", 5, "ax-mou", "parties", "unknown id 'lab-x'"),
    ("bad-date.yaml", 6, "ab-moc", "date", "day 30 does not exist in 2023-02"),
    ("duplicate-id.yaml", 6, "lab-e", "id", "duplicate id: already used at"),
    ("wrong-type.yaml", 4, "lab-f", "type", "Input should be 'government-body'"),
    ("wrong-kind-of-party.yaml", 5, "a-fw", "parties", "'fw' is a Framework, but PARTY_TO needs a source"),
    ("uncited.yaml", 2, "lab-g", "sources", "at least one citation is required"),
    ("yaml-syntax.yaml", 3, None, None, "YAML syntax error: while scanning a quoted scalar"),
    ("institutions-bad.csv", 2, "lab-i", "nation", "unknown id 'zz'"),
    ("agreements-month13.csv", 2, "ab-13", "date", "month 13 does not exist"),
    ("aliases-not-list.yaml", 5, "lab-al", "aliases", "Input should be a valid list"),
    ("bad-slug.yaml", 2, "Lab Space", "id", "String should match pattern"),
    ("currency.yaml", 5, "st-yen", "currency", "'YEN' is not an ISO 4217 code"),
    ("date-fullwidth.yaml", 6, "ab-fw", "date", "full-width or other non-ASCII digits"),
    ("duplicate-key.yaml", 4, None, None, "key 'name' appears twice in one mapping"),
    ("empty.yaml", None, None, None, "the file is empty"),
    ("external-no-note.yaml", 2, "lab-ext", "external_note", "required when external is true"),
    ("footnote-fullwidth.yaml", 5, "lab-fn", "sources[0].footnote", "Input should be a valid integer"),
    ("huge-name.yaml", 3, "lab-huge", "name", "at most 1000 characters"),
    ("huge-quote.yaml", 5, "lab-quote", "sources[0].quote", "at most 400 characters"),
    ("id-clash-with-store.yaml", 2, "lab-a", "id", "already in the store with kind Institution"),
    ("institutions-bad-json.csv", 2, "lab-x2", "sources", "must be a JSON list of citations"),
    ("institutions-extra-cells.csv", 2, "lab-x1", None, "1 more cells than the header has columns"),
    ("institutions-latin1.csv", 3, None, None, "not valid UTF-8 (byte 0xc9"),
    ("institutions-unknown-column.csv", 2, "lab-x3", "colour", "unknown field"),
    ("nation-code.yaml", 3, "jpn", "code", "String should match pattern '^[A-Z]{2}$'"),
    ("one-party.yaml", 5, "a-alone", "parties", "at least 2 items"),
    ("party-twice.yaml", 5, "a-twice", "parties", "a party is listed twice"),
    ("record-not-mapping.yaml", 1, "institutions[0]", None, "a record must be a mapping of fields"),
    ("section-not-list.yaml", 1, None, "nations", "must be a list of records"),
    ("strategy-two-adopters.yaml", 4, "st-both", "nation", "give exactly one of nation"),
    ("things.csv", None, None, None, "a CSV file's name says its kind"),
    ("top-level-list.yaml", 1, None, None, "the top level must be a mapping"),
    ("unknown-document.yaml", 5, "lab-doc", "sources[0].document", "unknown document 'nowhere'"),
    ("unknown-kind.yaml", 4, "fac-x", "facility_type", "Input should be 'quantum-computer'"),
    ("unknown-section.yaml", 1, None, None, "unknown section 'treaties'"),
    ("utf16-bom.yaml", 1, None, None, "the file is UTF-16"),
    ("year-out-of-range.yaml", 6, "ab-old", "date", "year 999 is out of range"),
]


def test_the_table_covers_every_malformed_fixture() -> None:
    assert sorted(name for name, *_ in MALFORMED) == sorted(p.name for p in BAD.iterdir())
    assert len(MALFORMED) >= 30


def _reported(problems: list, name: str, line: int | None, record: str | None, field: str | None,
              fragment: str) -> bool:
    return any(p.file.endswith(name) and p.line == line and p.record == record and p.field == field
               and fragment in p.message for p in problems)


#: the one fixture whose problem is with the store's content rather than with the file itself
STORE_CLASH = "id-clash-with-store.yaml"


@pytest.mark.parametrize(("name", "line", "record", "field", "fragment"),
                         [m for m in MALFORMED if m[0] != STORE_CLASH], ids=[m[0] for m in MALFORMED if m[0] != STORE_CLASH])
def test_malformed_file_is_rejected(name: str, line: int, record: str | None, field: str | None,
                                    fragment: str) -> None:
    """Read together with the valid records it refers to; no store is involved (nothing is written before
    validation passes, which the store-clash test below checks on both stores)."""
    with pytest.raises(DatasetError) as caught:
        read_graph([VALID, BAD / name])
    assert _reported(caught.value.problems, name, line, record, field, fragment), \
        "\n".join(map(str, caught.value.problems))


def test_an_id_clash_with_the_store_is_rejected_and_nothing_changes(store: Store) -> None:
    name, line, record, field, fragment = next(m for m in MALFORMED if m[0] == STORE_CLASH)
    store.load(read_graph([VALID], store))
    before, digest = store.counts(), store.checksum()
    with pytest.raises(DatasetError) as caught:
        load([BAD / name], store)
    assert _reported(caught.value.problems, name, line, record, field, fragment), \
        "\n".join(map(str, caught.value.problems))
    assert store.counts() == before
    assert store.checksum() == digest


def test_every_problem_is_reported_in_one_run() -> None:
    with pytest.raises(DatasetError) as caught:
        read_graph([VALID, BAD])
    files = {Path(p.file).name for p in caught.value.problems}
    assert files >= {name for name, *_ in MALFORMED}
    assert "nothing was written" in str(caught.value)


def test_valid_file_with_references_into_the_store(store: Store, tmp_path: Path) -> None:
    """A later file may name ids that an earlier load put in the store."""
    store.load(read_graph([VALID], store))
    extra = tmp_path / "agreements.csv"
    extra.write_text(
        "id,name,kind,parties,date,domains,sources\n"
        'bc-loi,B–C letter,letter-of-intent,lab-b|lab-c,2022,education|industry,'
        '"[{""document"": ""doc-a"", ""section"": ""S5"", ""quote"": ""B C""}]"\n', encoding="utf-8")
    graph = read_graph([extra], store)
    store.load(graph)
    node = store.get_node("bc-loi")
    assert node is not None and node.properties["domains"] == ["education", "industry"]
    assert node.properties["date_precision"] == "year"
    assert store.counts().edges["PARTY_TO"] == 6


def test_unknown_document_is_named(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("nations:\n  - id: fr\n    code: FR\n    name: France\n"
                 "    sources: [{document: nowhere, section: s, quote: q}]\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"x.yaml:5, record 'fr', field 'sources\[0\].document': unknown document"):
        read_graph([f])


def test_nation_code_checked_against_iso(tmp_path: Path) -> None:
    f = tmp_path / "n.yaml"
    f.write_text("nations:\n  - id: xq\n    code: XQ\n    name: Nowhere\n    external: true\n"
                 "    external_note: test\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="'XQ' is not an ISO 3166-1 alpha-2 code"):
        read_graph([f])


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "i.yaml"
    f.write_bytes("institutions:\n  - id: a\n    name: 研究所\n".encode("shift_jis"))
    with pytest.raises(DatasetError, match=r"i.yaml:3: not valid UTF-8"):
        read_graph([f])


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    """Spreadsheet programs write a UTF-8 BOM before CSV; it is not part of the data, so it is dropped."""
    f = tmp_path / "institutions.csv"
    f.write_bytes("\ufeffid,name,type,external,external_note\nlab-bom,研究所BOM,company,true,test\n".encode("utf-8"))
    graph = read_graph([f])
    assert [n.id for n in graph.nodes] == ["lab-bom"] and graph.nodes[0].properties["name"] == "研究所BOM"


CITE_CELL = '"[{""document"": ""doc-a"", ""section"": ""S2"", ""quote"": ""q""}]"'


def test_every_row_of_a_bulk_file_is_checked(tmp_path: Path) -> None:
    """Rows are validated a file at a time; one bad row among many is still named, with no other problem, and
    a bad "sources" cell repeated on several rows is reported on each."""
    rows = [f"lab-{i},Lab {i},university,jp,{CITE_CELL}" for i in range(500)]
    rows[321] = "lab-321,Lab 321,castle,jp," + CITE_CELL
    rows[400] = "lab-400,Lab 400,university,jp,[{broken"
    rows[401] = "lab-401,Lab 401,university,jp,[{broken"
    f = tmp_path / "institutions.csv"
    f.write_text("id,name,type,nation,sources\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        read_graph([VALID, f])
    found = [(p.line, p.record, p.field, p.message.split(":")[0]) for p in caught.value.problems]
    assert found == [(323, "lab-321", "type", "Input should be 'government-body', 'national-lab', 'university', "
                      "'company', 'industry-consortium', 'international-organisation', 'funding-agency' or 'other'"),
                     (402, "lab-400", "sources", "must be a JSON list of citations"),
                     (402, "lab-400", "sources", "at least one citation is required (or mark the record external"),
                     (403, "lab-401", "sources", "must be a JSON list of citations"),
                     (403, "lab-401", "sources", "at least one citation is required (or mark the record external"),
                     ], "\n".join(map(str, caught.value.problems))


def test_rows_sharing_a_sources_cell_each_get_the_citations(tmp_path: Path) -> None:
    f = tmp_path / "institutions.csv"
    f.write_text("id,name,type,nation,sources\n" + "".join(f"lab-{i},Lab {i},university,jp,{CITE_CELL}\n"
                                                           for i in range(3)), encoding="utf-8")
    graph = read_graph([VALID, f])
    added = [n for n in graph.nodes if n.id.startswith("lab-") and n.id[4:].isdigit()]
    assert len(added) == 3 and all(n.sources[0].quote == "q" for n in added)
    assert {(e.source, e.target) for e in graph.edges if e.type == "LOCATED_IN" and e.source in {"lab-0", "lab-2"}} \
        == {("lab-0", "jp"), ("lab-2", "jp")}


def test_the_garbage_collector_is_left_as_it_was(tmp_path: Path) -> None:
    """Validation pauses the cyclic garbage collector; it is back on afterwards, also after a failed run, and stays
    off for an application that turned it off."""
    assert gc.isenabled()
    read_graph([VALID])
    assert gc.isenabled()
    with pytest.raises(DatasetError):
        read_graph([BAD / "missing-field.yaml"])
    assert gc.isenabled()
    gc.disable()
    try:
        read_graph([VALID])
        assert not gc.isenabled()
    finally:
        gc.enable()
