"""Search, resolution and autocomplete on both stores (qgraph.search), on the curated dataset.

Each rule of the engine has a test here that runs on the memory store and on Neo4j; ``test_both_stores_rank_the_
same`` compares the two stores' answers to ``QUERIES`` (top hit equal, first page equal as a set, and in fact equal
whole)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qgraph.api import create_app
from qgraph.queries import Ambiguous, BadParameter, NotFound, Queries
from qgraph.search import Clause, lucene_escape, plan, relaxed, stem, terms, tokens
from qgraph.text import normalise
from qgraph.store import Store

#: the shared list: names as people type them (order, plurals, abbreviations, typos, Japanese with and without
#: spaces, mixed script, ids, partial names, nonsense, Lucene syntax)
QUERIES = [
    "aist", "AIST", "ＡＩＳＴ", "産総研", "産業技術総合研究所", "国立研究開発法人産業技術総合研究所",
    "National Institute of Advanced Industrial Science and Technology", "advanced industrial science",
    "quantum strategy UK", "UK National Quantum Strategy", "national quantum strategies", "Tohoku University",
    "University of Tohoku", "Tohoku Univ.", "Tohoku Universiti", "Tohoku Univresity", "tohoku university's",
    "東北大", "東北大学", "東北", "Nationl Institute of Standards", "NIST", "standards and technology",
    "IBM Japan", "IBM", "量子 戦略", "量子戦略", "国家量子戦略", "量子", "戦略", "AI戦略会議", "AI 戦略", "ai strategy",
    "METI", "経産省", "Ministry of Economy", "economy trade industry ministry", "KRISS", "korea standards science",
    "Seoul National Univ", "ソウル大", "SNU", "University of Chicago", "UChicago", "Chicago", "Keio", "慶應",
    "RIKEN", "理研", "Fugaku", "富岳", "ISO/IEC JTC 3", "JTC3", "jtc 3", "Joint Technical Committee",
    "international organization for standardization", "G-QuAT", "g quat", "quantum hubs", "quantum hub",
    "Quantum Industry Canada", "NRC Canada", "canada", "Denmark", "デンマーク", "South Korea", "ROK", "Republic of Korea",
    "japan us", "日米", "MOU", "memorandum of cooperation", "alliance", "testbeds", "Q-STAR", "QED-C",
    "semiconductor", "nobody here", "zzzzqqq", "Toho", 'AND OR NOT ~ * " \\ :', "(aist)", "aist~", "aist*",
]
SPECIAL = ["+", "-", "&&", "||", "!", "(", ")", "{", "}", "[", "]", "^", '"', "~", "*", "?", ":", "\\", "/",
           "AND", "OR", "NOT"]


@pytest.fixture(scope="module")
def q(curated_store: Store) -> Queries:
    return Queries(curated_store)


def top(q: Queries, text: str, **kw: Any) -> str | None:
    hits = q.search(text, **kw).hits
    return hits[0].entity.id if hits else None


# ------------------------------------------------------------------------------------------ analysis (pure)


def test_analysis_rules() -> None:
    assert stem("universities") == "university" and stem("labs") == "laboratory" and stem("univ") == "university"
    assert stem("standards") == "standard" and stem("class") == "class" and stem("status") == "status"
    assert [t.text for t in tokens("Tohoku University's")] == ["tohoku", "university"]
    assert [t.text for t in tokens("JTC3")] == [t.text for t in tokens("JTC 3")] == ["jtc", "3"]
    assert terms("量子戦略") == ["量子", "子戦", "戦略"]
    assert "子戦" in terms("量子 戦略")  # the bigram across the space: 量子戦略 finds 量子 戦略
    assert terms("日本IBM") == ["日本", "ibm"]
    # organisation-type words are optional in a query
    assert [c.text for c in plan("株式会社東芝").required] == ["東芝"]
    assert [c.edits for c in plan("tohoku universiti").clauses] == [1, 2]
    assert plan("aist").clauses[0].edits == 0


def test_vocabulary_remembers_its_answers_within_a_bound(monkeypatch: Any) -> None:
    """Vocabulary.near keeps its answers (a vocabulary never changes), the NEAR_MEMO most recently used, and a kept
    answer is the one it would compute again; callers may change the list they get."""
    import qgraph.search as search

    monkeypatch.setattr(search, "NEAR_MEMO", 2)
    v = search.Vocabulary.of(["quantum", "quantam", "quanta", "qantum", "strategy", "strategies"])
    first = v.near("quantum", 1)
    assert [v.terms[i] for i in first] == ["qantum", "quantam", "quantum"]
    first.clear()
    assert v.near("quantum", 1) == v._find_near("quantum", 1) and v._near.cache_info().currsize == 1
    computed = []
    monkeypatch.setattr(v, "_find_near", lambda text, edits: computed.append(text) or [])
    v.near("strategy", 1)
    v.near("quantum", 1)  # kept: used again, so the most recent
    v.near("quanta", 1)  # full: "strategy", the least recently used, goes
    v.near("quantum", 1)
    v.near("strategy", 1)
    assert computed == ["strategy", "quanta", "strategy"] and v._near.cache_info().currsize == 2


def test_lucene_query_spells_typos_out_within_a_budget() -> None:
    """With a vocabulary, a typo-tolerant word becomes its exact alternatives (escaped); digits, and a word whose
    alternatives would pass the query's budget (Lucene refuses over 1,024 clauses), keep Lucene's fuzzy query."""
    from qgraph.search import ALTERNATIVES_BUDGET, Vocabulary, lucene_query

    words = Vocabulary.of(["harbour", "harbours", "harbor", "quixotic", "arbour"])
    near = lambda fld, c: [words.terms[i] for i in words.near(c.text, c.edits)]  # noqa: E731
    q = lucene_query(plan("harbour quixotik 12345"), "all", near)
    assert q is not None and "harbour~" not in q and "quixotik~" not in q and "12345~" not in q
    for t in ("harbours", "harbor", "arbour", "quixotic"):
        assert f"search_names:{t}" in q
    assert "search_names:harbour" in q and "search_names:quixotik" in q  # the word itself, always
    many = [f"harbou{chr(97 + i % 26)}{i}" for i in range(ALTERNATIVES_BUDGET + 1)]
    q = lucene_query(plan("harbour"), "all", lambda fld, c: many)
    assert q is not None and "harbour~1" in q and many[0] not in q
    assert lucene_query(plan("harbour"), "all") == lucene_query(plan("harbour"), "all", lambda f, c: None)
    assert "harbour~1" in (lucene_query(plan("harbour"), "all") or "")


@pytest.mark.parametrize("ch", SPECIAL)
def test_lucene_escape_leaves_no_operator(ch: str) -> None:
    escaped = lucene_escape(ch)
    assert escaped.startswith("\\")


# ------------------------------------------------------------------------------------------ the rules, both stores


def test_words_in_any_order(q: Queries) -> None:
    assert top(q, "quantum strategy UK") == top(q, "UK National Quantum Strategy") == "gb-national-quantum-strategy"
    assert top(q, "University of Tohoku") == top(q, "Tohoku University") == "tohoku-university"


def test_stemming_possessive_and_abbreviations(q: Queries) -> None:
    assert top(q, "Tohoku Univ.") == "tohoku-university"
    assert top(q, "tohoku university's") == "tohoku-university"
    assert top(q, "Seoul National Univ") == "seoul-national-university"
    assert "gb-national-quantum-strategy" in [h.entity.id for h in q.search("national quantum strategies").hits]


def test_typos_at_distance_one_and_two(q: Queries) -> None:
    hit = q.search("Nationl Institute of Standards").hits[0]
    assert hit.entity.id == "nist" and "typo" in hit.why and "nationl→national" in hit.why
    assert top(q, "Tohoku Universiti") == "tohoku-university"  # 1 edit
    assert top(q, "Tohoku Unevirsity") == "tohoku-university"  # 2 edits, a 10-letter word
    assert top(q, "Tohoku Univresity") == "tohoku-university"  # a swap counts as one edit
    # a six-letter word is forgiven one edit, not two; below five letters none
    assert top(q, "Tohuku") == "tohoku-university"
    assert q.search("Tahaku").page.total == 0
    assert q.search("Kiso").page.total == 0  # "keio" at 1 edit, but four letters


def test_japanese_with_and_without_spaces_and_partial(q: Queries) -> None:
    spaced = {h.entity.id for h in q.search("量子 戦略").hits}
    joined = {h.entity.id for h in q.search("量子戦略").hits}
    assert {"gb-national-quantum-strategy", "nato-quantum-strategy"} <= joined <= spaced
    assert top(q, "東北大") == "tohoku-university"   # an alias, and a partial name of 東北大学
    assert top(q, "東北大学") == "tohoku-university"
    assert top(q, "国立研究開発法人産業技術総合研究所") == "aist"
    assert top(q, "産業技術総合研究所") == "aist"


def test_mixed_script_both_ways(q: Queries) -> None:
    assert top(q, "AI戦略会議") == top(q, "AI 戦略会議") == "ai-strategy-council"
    assert top(q, "ai strategy council") == "ai-strategy-council"
    assert top(q, "IBM Japan") == "ibm"  # IBM is there; "Japan" is not part of its name: a partial match


def test_ranking_order(q: Queries) -> None:
    exact = q.search("METI").hits[0]
    assert exact.entity.id == "meti" and exact.score == 100 and exact.field == "alias" and "exact" in exact.why
    hits = q.search("semiconductor").hits
    fields = [h.field for h in hits]
    assert "name" in fields and "description" in fields
    assert fields.index("name") < fields.index("description")
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert [h.entity.id for h in q.search("Tohoku University").hits][:2] == [
        "tohoku-university", "tohoku-uchicago-alliance-2023-06"]


def test_entities_before_agreements_at_equal_score_and_every_hit_explained(q: Queries) -> None:
    for text in QUERIES:
        hits = q.search(text).hits
        for a, b in zip(hits, hits[1:]):
            if a.score == b.score:
                assert not (a.entity.kind == "Agreement" and b.entity.kind != "Agreement"), text
        for h in hits:
            assert h.field in ("name", "alias", "id", "names", "description") and h.matched and h.why, text


@pytest.mark.parametrize("ch", SPECIAL)
def test_lucene_syntax_is_searched_literally(q: Queries, ch: str) -> None:
    # Alone, then beside a name: never a parse error, never an operator (aist is still found).
    q.search(ch)
    if ch.isalpha():  # AND, OR, NOT are words like any other: "aist NOT" looks for both words, literally
        assert q.search(f"aist {ch}") == q.search(f"aist {ch.lower()}").model_copy(update={"query": f"aist {ch}"})
        assert all("aist" not in h.entity.id for h in q.search(f"{ch}aist{ch}").hits)
    else:
        assert top(q, f"aist {ch}") == "aist"
        assert top(q, f"{ch}aist{ch}") == "aist"


def test_bad_query_text(q: Queries) -> None:
    for text in ("", "   ", "x" * 501, "aist\x00", "ai\x07st", "\ud800aist"):
        with pytest.raises(BadParameter) as exc:
            q.search(text)
        assert exc.value.param == "q"
    assert q.search("x" * 500).page.total == 0


def test_did_you_mean(q: Queries) -> None:
    result = q.search("Toho")
    assert result.hits == [] and "tohoku-university" in [s.entity.id for s in result.did_you_mean]
    assert q.search("aist").did_you_mean == []
    # The nearest first: names with a word that the typed one begins ("univers…") or at two edits ("united"), not
    # those with a word of its first half alone ("uni…": the European Union).
    near = q.search("Univers").did_you_mean
    assert near and "univers" in normalise(near[0].matched) and "eu" not in [s.entity.id for s in near]
    # The nearest plan leaves out what the plan that matched nothing asked already: "unive" at one edit, CJK words.
    assert relaxed(plan("Unive"), 0).clauses == (Clause("unive", False, False, 0, True),)
    assert relaxed(plan("量糸"), 0).clauses == ()
    cjk = q.search("量糸").did_you_mean  # then the loosest: the first character, 量
    assert cjk and all("量" in s.matched for s in cjk)


def test_both_stores_rank_the_same(memory_curated: Store, neo4j_curated: Store) -> None:
    assert len(QUERIES) >= 60
    a, b = Queries(memory_curated), Queries(neo4j_curated)
    for text in QUERIES:
        ra, rb = a.search(text), b.search(text)
        assert [h.entity.id for h in ra.hits][:1] == [h.entity.id for h in rb.hits][:1], text
        assert {h.entity.id for h in ra.hits} == {h.entity.id for h in rb.hits}, text
        assert ra == rb, text
        assert a.resolve(text) == b.resolve(text), text
        assert a.suggest(text) == b.suggest(text), text


def _count_reads(store: Store, monkeypatch: Any) -> list[str]:
    reads: list[str] = []
    real = store.read  # type: ignore[attr-defined]

    def read(name: str, **params: Any) -> Any:
        reads.append(name)
        return real(name, **params)
    monkeypatch.setattr(store, "read", read)
    return reads


@pytest.mark.neo4j
def test_neo4j_reads_the_page_names_with_the_candidates(memory_curated: Store, neo4j_curated: Store,
                                                        monkeypatch: Any) -> None:
    """A search, a suggestion list and a resolution on Neo4j are one query: the candidates come with their entity
    references (REF_CAP of them at most), so the page needs no second query, and a text that is no slug is not looked
    up as an id; past REF_CAP the page's references are asked for after ranking. Either way the answers are the memory
    store's."""
    from qgraph.stores import neo4j as neo

    q, m = Queries(neo4j_curated), Queries(memory_curated)
    q.search("aist")  # the vocabulary is read once per process
    reads = _count_reads(neo4j_curated, monkeypatch)
    assert q.search("Tohoku University").hits and reads == ["search_entities"]
    reads.clear()
    assert q.suggest("Toh").suggestions and reads == ["search_entities"]
    reads.clear()  # a text that is no id (ids are slugs) is not looked up as one
    assert q.resolve("Tohoku University").verdict == "match" and reads == ["search_entities"]
    reads.clear()
    assert q.resolve("tohoku-university").verdict == "match" and reads == ["entity_refs"]
    monkeypatch.setattr(neo, "REF_CAP", 0)
    reads.clear()
    assert q.search("quantum strategy UK").hits and reads == ["search_entities", "entity_refs"]
    for text in QUERIES:
        assert q.search(text) == m.search(text) and q.suggest(text) == m.suggest(text), text



@pytest.mark.neo4j
@pytest.mark.parametrize(("walk_max", "lucene_cap", "term_walk_max", "long_walk_hits"),
                         [(10_000, 50_000, 2_500, 20_000), (7, 50_000, 2_500, 20_000), (10_000, 1, 2_500, 20_000),
                          (7, 1, 2_500, 20_000), (10_000, 1, 3, 20_000), (7, 1, 3, 20_000), (10_000, 50_000, 2_500, 1),
                          (7, 1, 3, 1)])
def test_neo4j_walks_the_fixed_order_for_broad_words(memory_curated: Store, neo4j_curated: Store, monkeypatch: Any,
                                                     walk_max: int, lucene_cap: int, term_walk_max: int,
                                                     long_walk_hits: int) -> None:
    """Broad words are not sorted on Neo4j: search_entities.cypher walks the range index entity_sort in order, keeping
    the nodes among the hits (or, when Lucene stopped at LUCENE_CAP hits because they need not be counted, the nodes
    whose terms the words match), and sorts the hits only when the walk found fewer than the cap within WALK_MAX
    nodes. Walking always (WALK_SPREAD 0), with a cap small enough for the walk to fill it, the candidates and every
    answer are the memory store's; with WALK_MAX 7 the walk mostly falls short and the sort answers; with LUCENE_CAP 1
    an uncounted search walks the terms (TERM_WALK_MAX nodes at most: with 3 that walk mostly falls short, and every
    hit is asked for); with LONG_WALK_HITS 1 every word takes the long walk (of three times WALK_MAX here: with
    WALK_MAX 7 it too mostly falls short). Uncounted, the number of hits is at most the true one and at least the
    candidates'."""
    from qgraph.stores import neo4j as neo

    monkeypatch.setattr(neo, "WALK_SPREAD", 0)
    monkeypatch.setattr(neo, "WALK_MAX", walk_max)
    monkeypatch.setattr(neo, "LUCENE_CAP", lucene_cap)
    monkeypatch.setattr(neo, "TERM_WALK_MAX", term_walk_max)
    monkeypatch.setattr(neo, "LONG_WALK_HITS", long_walk_hits)
    monkeypatch.setattr(neo, "LONG_WALK_MAX", 3 * walk_max)
    texts = ["university", "quantum strategy UK", "Tohoku Universiti", "量子", "national institute", "ministry"]
    limited = 0
    for text in texts:
        for p in (plan(text), plan(text, autocomplete=True), relaxed(plan(text), 0), relaxed(plan(text))):
            for mode in ("all", "any"):
                for kinds in ((), ("Institution",), ("Agreement", "Nation")):
                    for cap in (1, 3, 400):
                        want = memory_curated.search_candidates(p, mode, kinds, cap, 5)
                        assert neo4j_curated.search_candidates(p, mode, kinds, cap, 5) == want, (text, mode, kinds, cap)
                        exact, total, cands = neo4j_curated.search_candidates(p, mode, kinds, cap, 5, count=False)
                        assert (exact, cands) == (want[0], want[2]), (text, mode, kinds, cap)
                        assert len(cands) <= total <= want[1], (text, mode, kinds, cap)
                        limited += total < want[1]
    # With LUCENE_CAP 1, Lucene stopped early (and the walk matched the terms) for some of these.
    assert (limited > 0) == (lucene_cap == 1)
    q, m = Queries(neo4j_curated), Queries(memory_curated)
    for text in QUERIES:
        assert q.search(text) == m.search(text) and q.suggest(text) == m.suggest(text), text


# ------------------------------------------------------------------------------------------ resolution


def test_resolution_verdicts(q: Queries) -> None:
    r = q.resolve("Tohoku Univ")
    assert r.verdict == "match" and r.match and r.match.id == "tohoku-university"
    assert q.resolve("KRISS").match.id == "kriss"  # type: ignore[union-attr]
    assert q.resolve("aist").candidates[0].field == "id"
    assert q.resolve("Nationl Institute of Standards").match.id == "nist"  # type: ignore[union-attr]
    amb = q.resolve("university")
    assert amb.verdict == "ambiguous" and amb.match is None and len(amb.candidates) >= 3
    assert {"tohoku-university", "keio-university"} <= {c.entity.id for c in amb.candidates}
    none = q.resolve("Toho")
    assert none.verdict == "none" and none.match is None and "tohoku-university" in [c.entity.id for c in none.candidates]
    assert len(none.candidates) <= 5
    assert q.resolve("zzzzqqq").verdict == "none"
    assert q.resolve("Tohoku", kinds=("Agreement",)).match.id == "tohoku-uchicago-alliance-2023-06"  # type: ignore[union-attr]


def test_names_accepted_where_ids_are(q: Queries) -> None:
    paths = q.paths("Tohoku Univ", "KRISS")
    assert paths.source.id == "tohoku-university" and paths.target.id == "kriss"
    assert q.partners("東北大").entity.id == "tohoku-university"
    assert q.entity("産総研").entity.id == "aist"
    assert q.ego_graph("東北大").focus == ["tohoku-university"]
    assert q.agreements(__import__("qgraph.queries", fromlist=["Filters"]).Filters(party="AIST")).page.total >= 3
    with pytest.raises(NotFound) as nf:
        q.paths("Toho", "kriss")
    assert "tohoku-university" in [s.entity.id for s in nf.value.suggestions]
    with pytest.raises(Ambiguous) as amb:
        q.paths("university", "kriss")
    assert amb.value.param == "source" and len(amb.value.candidates) >= 3


def test_suggest_prefixes_in_either_language(q: Queries) -> None:
    assert q.suggest("toh").suggestions[0].id == "tohoku-university"
    assert q.suggest("東北").suggestions[0].id == "tohoku-university"
    assert q.suggest("tohoku univ").suggestions[0].id == "tohoku-university"
    assert q.suggest("産総").suggestions[0].id == "aist"
    assert "nrc-canada" in [s.id for s in q.suggest("nrc c").suggestions]
    assert len(q.suggest("qu", limit=3).suggestions) == 3


# ------------------------------------------------------------------------------------------ HTTP


@pytest.fixture(scope="module")
def client(curated_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store=curated_store)) as c:
        yield c


def test_http_resolve_suggest_search_shapes(client: TestClient) -> None:
    r = client.get("/resolve", params={"q": "Tohoku Univ"}).json()
    assert set(r) == {"query", "verdict", "match", "candidates"} and r["verdict"] == "match"
    assert set(r["candidates"][0]) == {"entity", "score", "field", "matched"}
    s = client.get("/suggest", params={"q": "toh", "limit": 5}).json()
    assert set(s) == {"query", "suggestions"}
    assert set(s["suggestions"][0]) == {"id", "kind", "name", "name_ja", "nation", "matched", "external"}
    assert client.get("/search", params={"q": "Toho"}).json()["did_you_mean"]
    assert client.get("/resolve", params={"q": "Tohoku", "kind": "Agreement"}).json()["match"]["kind"] == "Agreement"


@pytest.mark.parametrize("url", ["/search", "/resolve", "/suggest"])
@pytest.mark.parametrize("text", ["", "   ", "x" * 501, "ai\x01st"])
def test_http_bad_text_is_422_naming_q(client: TestClient, url: str, text: str) -> None:
    response = client.get(url, params={"q": text})
    assert response.status_code == 422, response.text
    assert "q" in response.json()["detail"][0]["loc"]


def test_http_names_404_409(client: TestClient) -> None:
    ok = client.get("/paths", params={"source": "Tohoku Univ", "target": "KRISS"})
    assert ok.status_code == 200 and ok.json()["source"]["id"] == "tohoku-university"
    assert client.get("/entities/東北大").json()["entity"]["id"] == "tohoku-university"
    assert client.get("/entities/東北大/partners").json()["entity"]["id"] == "tohoku-university"
    missing = client.get("/paths", params={"source": "Toho", "target": "kriss"})
    assert missing.status_code == 404 and 1 <= len(missing.json()["suggestions"]) <= 5
    amb = client.get("/paths", params={"source": "university", "target": "kriss"})
    assert amb.status_code == 409 and amb.json()["error"] == "ambiguous" and len(amb.json()["candidates"]) >= 3
    assert client.get("/export/json", params={"focus": "東北大"}).status_code == 200


@pytest.mark.parametrize("ch", SPECIAL)
def test_http_lucene_syntax(client: TestClient, ch: str) -> None:
    for url in ("/search", "/suggest", "/resolve"):
        response = client.get(url, params={"q": f"aist {ch}"})
        assert response.status_code == 200, (url, ch, response.text)


# ------------------------------------------------------------------------------------------ the external mark


def test_external_is_marked_in_every_answer(q: Queries) -> None:
    """The ICQIA MOU and its overseas counterparts rest on general knowledge: each kind of answer says so."""
    from qgraph.queries import Filters
    from qgraph.viz import MapOptions, build, export

    hit = q.search("QED-C").hits[0]
    assert hit.entity.id == "qed-c" and hit.entity.external
    assert q.search("aist").hits[0].entity.external is False
    assert q.entity("qed-c").entity.external
    assert next(s for s in q.suggest("qed").suggestions if s.id == "qed-c").external
    assert q.resolve("QED-C").match.external  # type: ignore[union-attr]
    partners = {p.partner.id: p for p in q.partners("q-star").partners}
    assert partners["qed-c"].partner.external and partners["qed-c"].agreements[0].external
    icqia = next(a for a in q.agreements(Filters(party="q-star")).agreements if a.id == "icqia-mou-2023-01")
    assert icqia.external and {p.id: p.external for p in icqia.parties}["quic"]
    us = next(p for p in q.nation_partners("JP").partners if p.nation.id == "us")
    assert all(a.external is (a.id == "icqia-mou-2023-01") for a in us.agreements)
    path = q.paths("q-star", "quic").paths[0]
    assert path.steps[0].agreement.external and path.entities[-1].external
    assert "[external: general knowledge, not in the source document]" in path.summary
    view = q.ego_graph("q-star")
    drawing = build(view, MapOptions())
    assert any(n.startswith("External (general knowledge") and "QED-C" in n or "Quantum Economic" in n
               for n in drawing.notices)
    tip = next(n.tip for n in drawing.nodes if n.id == "qed-c")
    assert "external" in tip["sub"]
    html = export(view, "html", MapOptions()).decode()
    assert "External (general knowledge, not in the source document)" in html
    rows = export(view, "json", MapOptions()).decode()
    assert '"external":true' in rows.replace(" ", "")
    import io, zipfile
    with zipfile.ZipFile(io.BytesIO(export(view, "csv", MapOptions()))) as z:
        nodes_csv = z.read("nodes.csv").decode("utf-8-sig")
    header, *lines = nodes_csv.splitlines()
    assert "external" in header.split(",")
    assert any(line.startswith("qed-c,") and ",True," in line for line in lines)


def test_memory_search_index_is_saved_beside_its_file_and_read_only_for_that_file(
        memory_curated: Store, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The memory store's search index is saved as graph.json.search, tagged with the graph file's digest: a new
    process on the same file reads it instead of building it; a different file, or a damaged index, is rebuilt."""
    import json
    import shutil

    from qgraph.stores import memory_search
    from qgraph.stores.memory import MemoryStore

    answer = Queries(memory_curated).search("Tohoku Univ")
    saved = memory_curated.path.with_name("graph.json.search")  # type: ignore[attr-defined]
    assert saved.is_file()
    copy = tmp_path / "graph.json"
    shutil.copy(memory_curated.path, copy)  # type: ignore[attr-defined]
    shutil.copy(saved, tmp_path / "graph.json.search")
    built: list[int] = []
    build = memory_search.SearchIndex.__init__
    monkeypatch.setattr(memory_search.SearchIndex, "__init__", lambda self, nodes: built.append(1) or build(self, nodes))
    assert Queries(MemoryStore(copy)).search("Tohoku Univ") == answer and built == []  # read, not built
    doc = json.loads(copy.read_text(encoding="utf-8"))
    doc["meta"]["loaded_at"] = "2000-01-01T00:00:00+00:00"  # another file (same nodes): its index is not this one
    copy.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert Queries(MemoryStore(copy)).search("Tohoku Univ") == answer and built == [1]
    assert Queries(MemoryStore(copy)).search("Tohoku Univ") == answer and built == [1]  # saved again, read again
    (tmp_path / "graph.json.search").write_bytes(b"PK\x03\x04 not a zip")
    assert Queries(MemoryStore(copy)).search("Tohoku Univ") == answer and built == [1, 1]


def test_node_sets_are_deduplicated_the_same_by_either_method() -> None:
    """The memory index's union of postings: a long array goes through a bitmap (memory_search._unique), a short one
    through np.unique; both give the sorted distinct values."""
    import numpy as np

    from qgraph.stores.memory_search import BITMAP_FROM, _unique

    rng = np.random.default_rng(7)
    for size, top in ((10, 50), (BITMAP_FROM - 1, 10**6), (BITMAP_FROM, 100), (200_000, 400_000), (50_000, 3)):
        values = rng.integers(0, top, size=size, dtype=np.int32)
        got = _unique(values)
        assert got.dtype == values.dtype and got.tolist() == np.unique(values).tolist()


def test_sorted_node_sets_are_intersected_as_numpy_does() -> None:
    """The memory index's intersection of posting lists (memory_search._intersect, a binary search of the shorter in
    the longer) equals np.intersect1d, either side shorter, empty sides included."""
    import numpy as np

    from qgraph.stores.memory_search import _intersect

    rng = np.random.default_rng(11)
    for na, nb, top in ((0, 10, 50), (10, 0, 50), (5, 300_000, 400_000), (300_000, 5, 400_000), (1_000, 1_000, 1_500),
                        (40, 40, 60)):
        a = np.unique(rng.integers(0, top, size=na, dtype=np.int32))
        b = np.unique(rng.integers(0, top, size=nb, dtype=np.int32))
        got = _intersect(a, b)
        assert got.dtype == np.int32 and got.tolist() == np.intersect1d(a, b, assume_unique=True).tolist()


# ------------------------------------------------------------------------------------------ Neo4j's vocabulary


def _lab(node_id: str, name: str) -> Any:
    from qgraph.model import Citation, Node, NodeKind

    return Node(id=node_id, kind=NodeKind.INSTITUTION, sources=[Citation(document="doc-a", section="S9", quote="q")],
                properties={"name": name, "type": "university"})


@pytest.mark.neo4j
def test_neo4j_spells_typos_out_from_the_vocabulary_its_writers_record(neo4j_store: Store, monkeypatch: Any,
                                                                       caplog: Any) -> None:
    """A typo-tolerant word reaches Lucene as the exact terms within its edits, found in the vocabulary every write
    records in its own transaction (no Lucene fuzzy query, whose expansion was the slow part at 100k): a replica whose
    copy is older reads the new chunks and asks again; past VOCAB_CHUNKS chunks a writer merges them; a database made
    before the vocabulary existed falls back to Lucene's fuzzy query until a writer records its first chunk."""
    from conftest import neo4j_settings
    from qgraph.model import Graph
    from qgraph.search import lucene_query
    from qgraph.store import Write
    from qgraph.stores import neo4j as neo
    from qgraph.stores.neo4j import Neo4jStore

    store = neo4j_store
    store.load(Graph(nodes=[_lab("lab-q", "Quixotic Harbour University")]))
    p = plan("Quixotik Harbour Universiti")
    Queries(store).search("x")  # this process reads the vocabulary
    spelled = lucene_query(p, "all", store._vocab.now.near)  # type: ignore[attr-defined]
    assert spelled is not None and "~" not in spelled  # nothing left to Lucene's fuzzy expansion
    assert "search_names:quixotic" in spelled and "search_names:university" in spelled
    assert top(Queries(store), "Quixotik Harbour Universiti") == "lab-q"

    with Neo4jStore.from_settings(neo4j_settings()) as replica:
        rq = Queries(replica)
        assert top(rq, "Quixotik Harbour") == "lab-q"  # the replica has read chunk 1
        store.commit(Write(graph=Graph(nodes=[_lab("lab-z", "Zyzzogeton Institute")])), actor="tester")
        assert top(rq, "Zyzzogetom") == "lab-z"  # a newer chunk: read, and the query asked again
        assert top(rq, "Quixotik") == "lab-q"  # the older terms are kept

        monkeypatch.setattr(neo, "VOCAB_CHUNKS", 3)
        words = ["Marmalade", "Pemberton", "Gallimaufry", "Brouhahaly", "Kerfuffled"]
        for i, w in enumerate(words):
            store.commit(Write(graph=Graph(nodes=[_lab(f"lab-{i}", f"{w} Academy")])), actor="tester")
        chunks = store.driver.execute_query("MATCH (v:QgraphVocab) RETURN count(v) AS n").records[0]["n"]  # type: ignore[attr-defined]
        assert chunks <= 3
        for i, w in enumerate(words + ["Quixotic", "Zyzzogeton"]):
            typo = w[:3] + ("x" if w[3] != "x" else "y") + w[4:]
            assert top(rq, typo) is not None, typo  # the replica started over from the merged chunk

    # A database made before the vocabulary: no chunk. Readers fall back to Lucene's fuzzy query, the same answers.
    store.driver.execute_query("MATCH (v:QgraphVocab) DELETE v")  # type: ignore[attr-defined]
    with Neo4jStore.from_settings(neo4j_settings()) as old:
        oq = Queries(old)
        assert top(oq, "Quixotik Harbour Universiti") == "lab-q"
        assert old._vocab.now.seq is None and "~" in lucene_query(p, "all", old._vocab.now.near)  # type: ignore[attr-defined]
        # A writer of this version records the first chunk before it writes (with a message), then its own.
        with caplog.at_level("WARNING", logger="qgraph.neo4j"):
            old.commit(Write(graph=Graph(nodes=[_lab("lab-n", "Nebuchadnezzar College")])), actor="tester")
        assert any("search vocabulary of" in r.getMessage() for r in caplog.records)
        assert top(oq, "Quixotik Harbour Universiti") == "lab-q" and top(oq, "Nebuchadnezzer") == "lab-n"
        assert old._vocab.now.seq is not None  # type: ignore[attr-defined]


def test_any_word_candidates_leave_out_broad_words(store: Store, monkeypatch: Any) -> None:
    """When no node holds every word, the candidates are the nodes holding the plan's rarer words: a word matching
    more than BROAD_HITS nodes is left out of the candidates (not of the ranking), on both stores alike; clause_hits
    counts each word's nodes up to the limit, kinds included."""
    import qgraph.queries as queries
    from qgraph.model import Graph

    names = ["Alpha Quantum Centre", "Beta Quantum Lab", "Gamma Quantum Works", "Delta Quantum Hall",
             "Epsilon Quantum Forge", "Velmoni Quantum Centre", "Velmoni Harbour"]
    store.load(Graph(nodes=[_lab(f"lab-{i}", n) for i, n in enumerate(names)]))
    assert store.clause_hits(plan("quantum velmoni zzzzz"), (), 3) == [4, 2, 0]
    assert store.clause_hits(plan("quantum velmoni"), ("Institution",), 10) == [6, 2]
    assert store.clause_hits(plan("quantum velmoni"), ("Agreement",), 10) == [0, 0]
    monkeypatch.setattr(queries, "BROAD_HITS", 3)
    r = Queries(store).search("Velmoni Quantum Cextre")  # "centre" is stored as "center": two edits from "cextre"
    assert [h.entity.id for h in r.hits] == ["lab-5", "lab-6"]  # both hold velmoni; the one with quantum first
    assert r.page.total == 2 and "2 of 3 query words" in r.hits[0].why
    # A word matching nothing is no rarer word: the broad word's nodes are the candidates then, not none.
    r = Queries(store).search("Quantum Zzzzzq")
    assert r.page.total == 6 and {h.entity.id for h in r.hits} == {f"lab-{i}" for i in range(6)}
    monkeypatch.setattr(queries, "BROAD_HITS", 100)  # nothing broad: every word's nodes are candidates
    assert Queries(store).search("Velmoni Quantum Cextre").page.total == 7

