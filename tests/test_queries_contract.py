"""The query layer over both stores, on the small fixture: each query's answer is checked, and the memory and
Neo4j answers are compared whole (``test_every_query_answers_the_same_on_both_stores``)."""

from __future__ import annotations

import pytest

from qgraph.loaders import read_graph
from qgraph.queries import BadParameter, Filters, NotFound, Queries
from qgraph.store import AgreementFilter, Store

from conftest import FIXTURES


@pytest.fixture
def q(store: Store) -> Queries:
    store.load(read_graph([FIXTURES / "valid"], store))
    return Queries(store)


@pytest.mark.parametrize("text", ["研究所A", "lab a", "ＬＡＢ　Ａ", "ラボａ", "LA"])
def test_search_finds_by_any_name_form(q: Queries, text: str) -> None:
    hits = q.search(text).hits
    assert hits and hits[0].entity.id == "lab-a"


def test_search_ranks_exact_before_substring(q: Queries) -> None:
    result = q.search("lab")
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    assert {h.entity.id for h in result.hits} >= {"lab-a", "lab-b", "lab-c"}
    assert q.search("lab", kinds=("Agreement",)).page.total == 0


def test_search_pages(q: Queries) -> None:
    first, second = q.search("lab", limit=1), q.search("lab", limit=1, offset=1)
    assert first.page.total == second.page.total >= 3
    assert first.hits[0].entity.id != second.hits[0].entity.id


def test_entity_detail(q: Queries) -> None:
    detail = q.entity("lab-a")
    assert detail.entity.nation == "jp"
    assert detail.degree == 3
    assert {(r.type, r.direction, r.other.id) for r in detail.relations} == {
        ("LOCATED_IN", "out", "jp"), ("PARTY_TO", "out", "ab-mou"), ("PARTY_TO", "out", "ac-agreement")}
    with pytest.raises(NotFound, match="'nope'"):
        q.entity("nope")


def test_partners_and_filters(q: Queries) -> None:
    result = q.partners("lab-a")
    assert {p.partner.id: [a.id for a in p.agreements] for p in result.partners} == {
        "lab-b": ["ab-mou"], "lab-c": ["ac-agreement"]}
    assert [p.partner.id for p in q.partners("lab-a", Filters(since="2024-01")).partners] == ["lab-c"]
    assert [p.partner.id for p in q.partners("lab-a", Filters(until="2023")).partners] == ["lab-b"]
    assert [p.partner.id for p in q.partners("lab-a", Filters(nation="US")).partners] == ["lab-b"]
    assert [p.partner.id for p in q.partners("lab-a", Filters(kinds=("agreement",))).partners] == ["lab-c"]
    assert [p.partner.id for p in q.partners("lab-a", Filters(domains=("sensing-materials",))).partners] == ["lab-c"]
    assert q.partners("lab-a", Filters(since="2025")).partners == []


def test_bad_filters_name_the_parameter(q: Queries) -> None:
    for filters, param in [(Filters(since="2023-13"), "since"), (Filters(kinds=("treaty",)), "kind"),
                           (Filters(nation="XX"), "nation"), (Filters(since="2024", until="2023"), "until")]:
        with pytest.raises(BadParameter) as caught:
            q.partners("lab-a", filters)
        assert caught.value.param == param


def test_path_runs_through_the_middle(q: Queries) -> None:
    result = q.paths("lab-b", "lab-c")
    assert len(result.paths) == 1
    path = result.paths[0]
    assert [e.id for e in path.entities] == ["lab-b", "lab-a", "lab-c"]
    assert [(s.agreement.id, s.agreement.date) for s in path.steps] == [("ab-mou", "2023-05"),
                                                                      ("ac-agreement", "2024-02-14")]
    assert path.steps[0].agreement.sources[0].footnote == 5
    assert "Lab B (US) is connected to Lab C (KR) through 2 agreements via Lab A (JP)" in path.summary
    assert q.paths("lab-b", "lab-c", max_hops=1).paths == []
    assert q.paths("lab-b", "lab-c", filters=Filters(since="2024")).paths == []
    with pytest.raises(BadParameter):
        q.paths("lab-b", "lab-c", max_hops=9)
    with pytest.raises(NotFound):
        q.paths("lab-b", "ghost")


def test_agreements_sorted_filtered_paged(q: Queries) -> None:
    assert [a.id for a in q.agreements().agreements] == ["ab-mou", "ac-agreement"]
    assert [a.id for a in q.agreements(Filters(framework="fw")).agreements] == ["ab-mou"]
    assert [a.id for a in q.agreements(Filters(nation="KR")).agreements] == ["ac-agreement"]
    assert [a.id for a in q.agreements(Filters(party="lab-b")).agreements] == ["ab-mou"]
    page = q.agreements(limit=1, offset=1)
    assert page.page.total == 2 and [a.id for a in page.agreements] == ["ac-agreement"]
    ab = q.agreements(Filters(framework="fw")).agreements[0]
    assert ab.framework is not None and ab.framework.name == "Framework F"
    assert [p.id for p in ab.parties] == ["lab-a", "lab-b"]


def test_nation_partners(q: Queries) -> None:
    result = q.nation_partners("jpn")
    assert {p.nation.id: p.agreement_count for p in result.partners} == {"us": 1, "kr": 1}
    assert [p.nation.id for p in q.nation_partners("US").partners] == ["jp"]
    with pytest.raises(BadParameter):
        q.nation_partners("ZZ")


def test_timeline(q: Queries) -> None:
    years = q.timeline()
    assert [(b.period, [a.id for a in b.agreements]) for b in years.buckets] == [("2023", ["ab-mou"]),
                                                                                  ("2024", ["ac-agreement"])]
    months = q.timeline(granularity="month")
    assert [b.period for b in months.buckets] == ["2023-05", "2024-02"]


def test_brokers_and_communities(q: Queries) -> None:
    brokers = q.brokers()
    assert brokers.brokers[0].entity.id == "lab-a"
    assert brokers.brokers[0].betweenness > brokers.brokers[1].betweenness
    communities = q.communities()
    assert sum(c.size for c in communities.communities) == 3


def test_every_query_answers_the_same_on_both_stores(memory_store: Store, request: pytest.FixtureRequest) -> None:
    neo4j_store = request.getfixturevalue("neo4j_store")
    answers = []
    for s in (memory_store, neo4j_store):
        s.load(read_graph([FIXTURES / "valid"], s))
        qs = Queries(s)
        answers.append([
            qs.search("lab").model_dump(), qs.entity("lab-a").model_dump(), qs.partners("lab-a").model_dump(),
            qs.paths("lab-b", "lab-c").model_dump(), qs.agreements().model_dump(),
            qs.nation_partners("JP").model_dump(), qs.timeline().model_dump(), qs.brokers().model_dump(),
            qs.communities().model_dump(), s.meta()["data_version"]])
    assert answers[0] == answers[1]


def _all_pairs(store: Store) -> list[tuple[str, str]]:
    parties = sorted({p for p, _ in store.party_edges(AgreementFilter())})
    return [(a, b) for a in parties for b in parties if a < b]


@pytest.mark.parametrize("f", [AgreementFilter(), AgreementFilter(since="2023-01-01"), AgreementFilter(kinds=("mou",))],
                         ids=["any", "since-2023", "mou"])
def test_composite_primitives_equal_their_definition(curated_store: Store, f: AgreementFilter) -> None:
    """``find_paths`` and ``party_agreements`` may be answered in one round trip (Neo4j); they must give exactly
    what the generic definition over the other primitives gives, for every pair of parties in the curated data."""
    store, pairs = curated_store, _all_pairs(curated_store)
    assert len(pairs) > 200
    found_some = 0
    for source, target in pairs + [("aist", "no-such-id"), ("no-such-id", "aist"), ("aist", "aist")]:
        for max_hops, k in ((6, 3), (2, 1)):
            fast = store.find_paths(source, target, f, max_hops, k, 1_000)
            assert fast == Store.find_paths(store, source, target, f, max_hops, k, 1_000), (source, target)
            found_some += bool(fast.paths)
    assert found_some > (50 if f == AgreementFilter() else 10)
    for party in sorted({p for pair in pairs for p in pair})[:40] + ["no-such-id"]:
        assert store.party_agreements(party, f, 5, 1) == Store.party_agreements(store, party, f, 5, 1), party
