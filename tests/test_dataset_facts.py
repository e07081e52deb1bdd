"""Facts from 「量子産業の創出・発展に向けた推進方策」 (measures-2024) that the curated dataset must hold.

Reads the shipped dataset through the loader (the records as the data files give them, by section), so that the
sections and link fields are the schema declaration's, not restated here.
"""

from pathlib import Path

import pytest

from qgraph.loaders import default_data_dir, read_graph
from qgraph.loaders.files import discover, read_files
from qgraph.model import RECORD_BY_PLURAL

DATA = default_data_dir()
SOURCE = Path(__file__).parent.parent.parent / "shared" / "sources" / "quantum-industry-measures-2024.ja.txt"


def _load():
    paths, problems = discover([DATA])
    assert not problems, problems
    records = {}
    duplicates = []
    for raws, problems in read_files(paths):
        assert not problems, problems
        for raw in raws:
            if raw.data["id"] in records:
                duplicates.append(raw.data["id"])
            records[raw.data["id"]] = (raw.section, raw.data)
    return records, duplicates


RECORDS, DUPLICATES = _load()


def record(kind, rid):
    assert rid in RECORDS, f"no record {rid!r}"
    actual_kind, rec = RECORDS[rid]
    assert actual_kind == kind, f"{rid} is a {actual_kind}, expected {kind}"
    return rec


def records_of(kind):
    return [r for k, r in RECORDS.values() if k == kind]


def _norm(value):
    return set(value) if isinstance(value, (list, tuple, set)) else value


# (kind, id, {field: expected}); list fields are compared as sets.
FIELD_FACTS = [
    # --- III(1) 国際連携の進展: institution-level agreements ---
    ("agreements", "aist-nist-mou-2023-11",
     {"kind": "mou", "parties": {"aist", "nist"}, "date": "2023-11", "status": "revised",
      "framework": "jp-us-economic-2plus2"}),
    ("agreements", "aist-nrc-canada-mou-2023-11",
     {"kind": "mou", "parties": {"aist", "nrc-canada"}, "date": "2023-11", "status": "revised"}),
    ("agreements", "aist-kriss-mou-2024-01",
     {"kind": "mou", "parties": {"aist", "kriss"}, "date": "2024-01", "status": "revised",
      "framework": "jp-kr-quantum-rd-framework"}),
    ("agreements", "utokyo-uchicago-ibm-agreement-2023-05",
     {"kind": "agreement", "parties": {"utokyo", "uchicago", "ibm"}, "date": "2023-05"}),
    ("agreements", "utokyo-uchicago-google-agreement-2023-05",
     {"kind": "agreement", "parties": {"utokyo", "uchicago", "google"}, "date": "2023-05"}),
    ("agreements", "tohoku-uchicago-alliance-2023-06",
     {"kind": "alliance", "parties": {"tohoku-university", "uchicago"}, "date": "2023-06", "status": "launched"}),
    ("agreements", "keio-utokyo-uchicago-yonsei-snu-ibm-education-2023-12",
     {"parties": {"keio-university", "utokyo", "uchicago", "yonsei-university", "seoul-national-university", "ibm"},
      "date": "2023-12", "domains": {"education"}}),
    ("agreements", "jp-us-kr-university-cooperation-document-2024-01",
     {"kind": "cooperation-document", "date": "2024-01",
      # the source names no university: placeholders, not the three governments (no government-level tie)
      "parties": {"unnamed-jp-universities", "unnamed-us-universities", "unnamed-kr-universities"}}),
    ("institutions", "unnamed-jp-universities", {"type": "university", "nation": "jp"}),
    ("institutions", "unnamed-us-universities", {"type": "university", "nation": "us"}),
    ("institutions", "unnamed-kr-universities", {"type": "university", "nation": "kr"}),
    # --- III(1) 国際連携の進展: government-level items ---
    ("agreements", "jp-us-summit-2023-05", {"parties": {"jp", "us"}, "date": "2023-05"}),
    ("agreements", "jucip-2nd-ministerial-joint-statement",
     {"kind": "joint-statement", "parties": {"jp", "us"}, "framework": "jucip"}),
    ("agreements", "jucip-director-level-visit-2023-05", {"date": "2023-05", "framework": "jucip"}),
    ("agreements", "jp-us-economic-2plus2-2nd-ministerial-2023-11",
     {"parties": {"jp", "us"}, "date": "2023-11-16", "status": "agreed", "framework": "jp-us-economic-2plus2"}),
    ("agreements", "jp-eu-quantum-computing-workshop-2023-05",
     {"parties": {"jp", "eu"}, "date": "2023-05", "framework": "jp-eu-digital-partnership"}),
    ("agreements", "jp-eu-quantum-computing-workshop-2023-12",
     {"parties": {"jp", "eu"}, "date": "2023-12", "framework": "jp-eu-digital-partnership"}),
    ("agreements", "jp-ca-industrial-technology-moc-2023-09",
     {"kind": "moc", "parties": {"jp", "ca", "meti", "ised"}, "date": "2023-09", "status": "signed"}),  # footnote 4
    # --- VI(1): Japan's stated intention to work with ASEAN ---
    ("agreements", "jp-asean-quantum-cooperation-intent", {"parties": {"jp", "asean"}, "status": "announced"}),
    # --- VI(2): JTC3 is the joint committee of ISO and IEC ---
    ("institutions", "iso", {"members": {"iso-iec-jtc3"}}),
    ("institutions", "iec", {"members": {"iso-iec-jtc3"}}),
    ("agreements", "jp-kr-leaders-quantum-announcement-2023-11",
     {"parties": {"jp", "kr"}, "date": "2023-11-17", "status": "announced",
      "framework": "jp-kr-quantum-rd-framework"}),
    # --- Q-STAR's overseas MOU: counterparts from general knowledge, so external ---
    ("agreements", "icqia-mou-2023-01",
     {"kind": "mou", "parties": {"q-star", "qed-c", "quic", "quantum-industry-canada"}, "external": True}),
    # --- frameworks ---
    ("frameworks", "jucip", {"members": {"jp", "us"}, "framework_type": "partnership"}),
    ("frameworks", "jp-us-economic-2plus2", {"members": {"jp", "us"}, "framework_type": "dialogue"}),
    ("frameworks", "jp-eu-digital-partnership", {"members": {"jp", "eu"}}),
    ("frameworks", "jp-us-kr-sti-cooperation-framework", {"members": {"jp", "us", "kr"}}),
    ("frameworks", "jp-kr-quantum-rd-framework", {"members": {"jp", "kr"}, "established": "2023-11-17"}),
    # --- 巻末 各国の量子技術戦略 ---
    ("strategies", "jp-quantum-future-industry-strategy", {"nation": "jp", "date": "2023-04"}),
    ("strategies", "us-nqi-act", {"nation": "us", "date": "2018-12"}),
    ("strategies", "us-nqi-reauthorization-act", {"nation": "us", "date": "2023-11"}),
    ("strategies", "us-nqi-supplement-fy2024",
     {"nation": "us", "date": "2023-12", "budget": "9 億 6,800 万米ドル（約 1,452 億円）（要求予算）",
      "budget_amount": 968000000, "currency": "USD"}),
    ("strategies", "gb-national-quantum-strategy", {"nation": "gb", "date": "2023-03"}),
    # the table lists the GBP 2.5 billion under the five missions of 2023-12
    ("strategies", "gb-quantum-missions",
     {"nation": "gb", "date": "2023-12", "budget": "25億英ポンド（約4,750億円）", "currency": "GBP",
      "budget_amount": 2500000000, "period": "2024-2033"}),
    ("strategies", "au-national-quantum-strategy", {"nation": "au", "date": "2023-05"}),
    ("strategies", "ca-national-quantum-strategy",
     {"nation": "ca", "date": "2023-01", "budget": "3億6,000万カナダドル（約396億円）", "currency": "CAD",
      "budget_amount": 360000000, "period": "2021-2027"}),
    ("strategies", "kr-quantum-science-technology-strategy",
     {"nation": "kr", "date": "2023-06", "name_ja": "韓国量子科学技術戦略", "budget": "3兆韓国ウォン（約330億円）以上",
      "currency": "KRW", "period": "until 2035 (2035年まで)"}),
    ("strategies", "dk-quantum-strategy",
     {"nation": "dk", "date": "2023-06", "budget": "10億デンマーク・クローネ（約218億円）", "currency": "DKK",
      "period": "2023-2027"}),
    ("strategies", "de-quantum-technologies-action-concept",
     {"nation": "de", "date": "2023-04", "budget": "約 21 億 8,000 万ユーロ（約 3,480 億円）", "currency": "EUR",
      "period": "2023-2026"}),
    ("strategies", "fi-quantum-technology-recommendations", {"nation": "fi", "date": "2023-02"}),
    # --- other strategies and laws named in the text ---
    ("strategies", "jp-quantum-technology-innovation-strategy", {"nation": "jp", "date": "2020-02"}),
    ("strategies", "jp-quantum-future-society-vision", {"nation": "jp", "date": "2022-04"}),
    ("strategies", "jp-5th-st-basic-plan", {"nation": "jp", "date": "2016"}),
    ("strategies", "kr-quantum-industry-act", {"nation": "kr", "date": "2023-12"}),
    ("strategies", "us-ndaa-fy2024", {"nation": "us", "date": "2023-12"}),
    ("strategies", "nato-quantum-strategy", {"adopter": "nato", "date": "2023-11"}),
    ("strategies", "cn-industry-plan-2024", {"nation": "cn", "date": "2024"}),
    ("strategies", "jp-semiconductor-digital-industry-strategy", {"nation": "jp", "date": "2021-06"}),
    # --- VI(4) Quantum Technology Innovation Hubs ---
    ("hubs", "g-quat", {"host": "aist", "nation": "jp", "name_ja": "量子・AI融合技術ビジネス開発グローバル拠点"}),
    ("hubs", "riken-quantum-computation-hub", {"host": "riken", "name_ja": "量子コンピュテーション開拓拠点"}),
    ("hubs", "nict-quantum-security-hub", {"host": "nict", "name_ja": "量子セキュリティ拠点"}),
    ("hubs", "qst-quantum-technology-foundation-hub", {"host": "qst", "name_ja": "量子技術基盤拠点"}),
    ("hubs", "qst-quantum-life-hub", {"host": "qst", "name_ja": "量子生命拠点"}),
    ("hubs", "osaka-quantum-software-hub", {"host": "osaka-university", "name_ja": "量子ソフトウェア研究拠点"}),
    # --- facilities ---
    ("facilities", "riken-ei",
     {"name_ja": "叡", "operators": {"riken"}, "date": "2023-03", "facility_type": "quantum-computer"}),
    ("facilities", "abci-q", {"operators": {"aist"}, "facility_type": "supercomputer"}),
    ("facilities", "nict-qkd-testbed", {"operators": {"nict"}, "date": "2024-03", "facility_type": "testbed"}),
    ("facilities", "quantum-sensing-testbed", {"operators": {"qst", "aist"}, "facility_type": "testbed"}),
    # --- institutions ---
    ("institutions", "q-star", {"type": "industry-consortium", "nation": "jp", "name_ja": "量子技術による新産業創出協議会"}),
    ("institutions", "aist", {"type": "national-lab", "nation": "jp"}),
    ("institutions", "nist", {"type": "national-lab", "nation": "us"}),
    ("institutions", "nrc-canada", {"nation": "ca"}),
    ("institutions", "kriss", {"nation": "kr"}),
    ("institutions", "yonsei-university", {"type": "university", "nation": "kr"}),
    ("institutions", "seoul-national-university", {"type": "university", "nation": "kr"}),
    ("institutions", "uchicago", {"type": "university", "nation": "us"}),
    ("institutions", "ibm", {"type": "company", "nation": "us"}),
    ("institutions", "ised", {"type": "government-body", "nation": "ca", "name_ja": "カナダ革新・科学・産業省"}),
    ("institutions", "meti", {"type": "government-body", "nation": "jp"}),
    ("institutions", "nato", {"type": "international-organisation"}),
    ("institutions", "qed-c", {"external": True, "nation": "us"}),
    ("nations", "gb", {"code": "GB", "name_ja": "英国"}),
    ("nations", "eu", {"code": "EU"}),
]


@pytest.mark.parametrize("kind,rid,expected", FIELD_FACTS, ids=[f"{f[0]}:{f[1]}" for f in FIELD_FACTS])
def test_field_fact(kind, rid, expected):
    rec = record(kind, rid)
    for field, value in expected.items():
        assert _norm(rec.get(field)) == _norm(value), f"{rid}.{field}: {rec.get(field)!r} != {value!r}"


# Agreements looked up by their party set alone (independent of ids).
PARTY_FACTS = [
    ({"aist", "nist"}, {"kind": "mou", "date": "2023-11"}),
    ({"aist", "nrc-canada"}, {"kind": "mou", "date": "2023-11"}),
    ({"aist", "kriss"}, {"kind": "mou", "date": "2024-01"}),
    ({"tohoku-university", "uchicago"}, {"kind": "alliance", "date": "2023-06"}),
    ({"jp", "ca", "meti", "ised"}, {"kind": "moc", "date": "2023-09"}),  # the signatories of footnote 4 are parties
]


@pytest.mark.parametrize("parties,expected", PARTY_FACTS, ids=["-".join(sorted(p)) for p, _ in PARTY_FACTS])
def test_agreement_by_parties(parties, expected):
    matches = [a for a in records_of("agreements") if set(a["parties"]) == parties]
    assert matches, f"no agreement with parties {sorted(parties)}"
    assert any(all(a.get(k) == v for k, v in expected.items()) for a in matches), matches


# (id, footnote or None, substring of a cited quote)
CITATION_FACTS = [
    ("q-star", None, "2021 年 9 月 1 日"),
    ("q-star", 1, "2022 年 5 月に一般社団法人化"),
    ("g-quat", 6, "2023 年 7 月に開設"),
    ("jp-us-economic-2plus2-2nd-ministerial-2023-11", 3, "2023年11月16日"),
    ("jp-ca-industrial-technology-moc-2023-09", 4, "カナダ革新・科学・産業省"),
    ("jp-kr-leaders-quantum-announcement-2023-11", 5, "日本時間 18 日"),
    ("jp-quantum-technology-innovation-strategy", 2, "量子技術イノベーション戦略（2020 年 2 月）"),
    ("aist", 8, "2024年2月現在"),
    ("riken-quantum-computation-hub", None, "ヘッドクオーター"),
]


@pytest.mark.parametrize("rid,footnote,text", CITATION_FACTS, ids=[f"{c[0]}:{c[1]}" for c in CITATION_FACTS])
def test_citation_fact(rid, footnote, text):
    assert rid in RECORDS, rid
    sources = RECORDS[rid][1].get("sources") or []
    assert any(
        text in s["quote"] and (footnote is None or s.get("footnote") == footnote) and s["document"] == "measures-2024"
        for s in sources
    ), f"{rid}: no citation (footnote {footnote}) quoting {text!r}"


def test_all_named_nations_present():
    assert {"jp", "us", "gb", "au", "ca", "kr", "dk", "de", "fi", "cn", "eu"} <= {r["id"] for r in records_of("nations")}


def test_strategy_table_rows_complete():
    """Every row of the end table (日本, 米国, 英国, オーストラリア, カナダ, 韓国, デンマーク, ドイツ, フィンランド) has a strategy."""
    nations = {s.get("nation") for s in records_of("strategies")}
    assert {"jp", "us", "gb", "au", "ca", "kr", "dk", "de", "fi"} <= nations


def test_ids_unique():
    assert not DUPLICATES


def test_references_resolve():
    graph = read_graph([DATA])  # the loader refuses an unknown id, naming file, record and field
    assert {n.id for n in graph.nodes} | {d.id for d in graph.documents} == set(RECORDS)
    for kind, rec in RECORDS.values():
        refs = [s["document"] for s in rec.get("sources") or []]
        for field in RECORD_BY_PLURAL[kind].links if kind in RECORD_BY_PLURAL else ():
            value = rec.get(field)
            refs.extend(value if isinstance(value, list) else [value] if value else [])
        missing = [r for r in refs if r not in RECORDS]
        assert not missing, f"{rec['id']}: unknown ids {missing}"


def test_sources_or_external():
    for kind, rec in RECORDS.values():
        if kind == "documents":
            continue
        if rec.get("external"):
            assert rec.get("external_note"), rec["id"]
        else:
            assert rec.get("sources"), f"{rec['id']} has no sources"


@pytest.mark.skipif(not SOURCE.exists(), reason="source document not available")
def test_quotes_are_verbatim():
    text = SOURCE.read_text(encoding="utf-8")
    for kind, rec in RECORDS.values():
        for s in rec.get("sources") or []:
            assert len(s["quote"]) <= 400, rec["id"]
            assert s["quote"] in text, f"{rec['id']}: quote not found verbatim: {s['quote'][:50]}"


def test_audit_notes_keep_what_the_fields_cannot():
    """Denmark's second date, the UK budget's place, and days taken from footnotes whose marker sits elsewhere."""
    assert "2023-09" in record("strategies", "dk-quantum-strategy")["description"]
    assert "budget" not in record("strategies", "gb-national-quantum-strategy")
    for rid, footnote in (("jp-us-economic-2plus2-2nd-ministerial-2023-11", "footnote 3"),
                          ("jp-kr-leaders-quantum-announcement-2023-11", "footnote 5")):
        note = record("agreements", rid)["description"]
        assert f"the day is taken from {footnote}, whose marker sits on" in note, rid
    assert "inferred" in record("agreements", "jp-ca-industrial-technology-moc-2023-09")["description"]
