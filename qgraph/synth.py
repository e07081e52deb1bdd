"""A deterministic synthetic world-scale partnership network, written in the loader's CSV form.

``generate(out_dir, entities=N, agreements=M, seed=S)`` writes one CSV file per kind (``docs/dataset.md``, "CSV form"):
about 200 nations, institutions of every type with heavy-tailed partner counts (a few hubs with thousands of
agreements, most with a handful), innovation hubs, facilities, national strategies, frameworks, and ``M`` agreements
of every kind and domain, each with 2–6 parties, dated 1990–2026 at year, month or day precision.

Nothing here is a fact. Every record cites one dedicated document, ``synthetic-s<seed>`` (declared in
``documents.csv``, titled as synthetic), and is also marked ``external: true`` with an ``external_note`` saying it was
generated — so the loader accepts the records and no reader can take them for the curated data.

Invariants:
- the same (entities, agreements, seed) gives byte-identical files, on any machine (one ``random.Random(seed)``, no
  set or hash ordering, fixed CSV dialect);
- ``entities`` counts every node that is not an agreement (nations, institutions, hubs, facilities, strategies,
  frameworks); with the default party-count mix an agreement has 3.33 parties on average, so 100k entities and
  300k agreements give about 1M ``PARTY_TO`` edges;
- a kind's rows are split into files of at most ``rows_per_file`` rows (``agreements-0001.csv`` …), so that no file
  reaches the loader's size limit.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import pycountry

from qgraph.model import Domain, FacilityType, FrameworkType, InstitutionType
from qgraph.schema import SCHEMA

#: research-heavy nations first: nation weights fall off with this rank (Zipf), the rest follow in code order
LEADING_NATIONS = ("US", "CN", "JP", "DE", "GB", "FR", "KR", "CA", "IN", "IT", "AU", "NL", "CH", "ES", "SE", "IL",
                   "SG", "TW", "FI", "DK", "AT", "BE", "NO", "PL", "BR", "IE", "PT", "CZ", "NZ", "TR")
NATIONS = 200
#: Zipf exponents: institution partner weights (0.65 puts a few thousand agreements on the top institutions at
#: 100k entities / 300k agreements) and nation sizes
INSTITUTION_ALPHA = 0.65
NATION_ALPHA = 1.0
#: probability that a further party comes from the first party's nation
SAME_NATION = 0.45
#: parties per agreement: 2..6 with these weights (mean 3.33)
PARTY_COUNTS = (2, 3, 4, 5, 6)
PARTY_WEIGHTS = (0.36, 0.25, 0.18, 0.12, 0.09)
YEARS = (1990, 2026)
ROWS_PER_FILE = 100_000

_KANA = ("ka", "カ"), ("ki", "キ"), ("ku", "ク"), ("ke", "ケ"), ("ko", "コ"), ("sa", "サ"), ("shi", "シ"), \
    ("su", "ス"), ("se", "セ"), ("so", "ソ"), ("ta", "タ"), ("chi", "チ"), ("tsu", "ツ"), ("te", "テ"), ("to", "ト"), \
    ("na", "ナ"), ("ni", "ニ"), ("no", "ノ"), ("ha", "ハ"), ("hi", "ヒ"), ("fu", "フ"), ("ho", "ホ"), ("ma", "マ"), \
    ("mi", "ミ"), ("mu", "ム"), ("me", "メ"), ("mo", "モ"), ("ya", "ヤ"), ("yu", "ユ"), ("yo", "ヨ"), ("ra", "ラ"), \
    ("ri", "リ"), ("ru", "ル"), ("re", "レ"), ("ro", "ロ"), ("wa", "ワ"), ("ga", "ガ"), ("go", "ゴ"), ("da", "ダ"), \
    ("do", "ド"), ("ba", "バ"), ("be", "ベ"), ("bi", "ビ"), ("po", "ポ"), ("zen", "ゼン"), ("ran", "ラン"), \
    ("kan", "カン"), ("ten", "テン"), ("lin", "リン"), ("vel", "ヴェル")

#: institution type -> [(English template, Japanese template)] for a generated name; {p} is a generated place name. A
#: type without templates (one added to the declaration) is named "{p} <its label>"
_NAME_TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "university": [("University of {p}", "{p}大学"), ("{p} Institute of Technology", "{p}工科大学"),
                   ("{p} National University", "国立{p}大学"), ("{p} University", "{p}大学")],
    "company": [("{p} Quantum Inc.", "{p}量子株式会社"), ("{p} Photonics Ltd", "{p}フォトニクス"),
                ("{p} Qubit Systems", "{p}キュービットシステムズ"), ("{p} Instruments", "{p}計測")],
    "national-lab": [("{p} National Laboratory", "{p}国立研究所"), ("{p} Institute for Quantum Science", "{p}量子科学研究所")],
    "government-body": [("{p} Ministry of Science", "{p}科学省"), ("{p} Office of Technology Policy", "{p}技術政策局")],
    "funding-agency": [("{p} Research Foundation", "{p}研究財団"), ("{p} Science Agency", "{p}科学振興機構")],
    "industry-consortium": [("{p} Quantum Industry Consortium", "{p}量子産業協議会")],
    "international-organisation": [("International {p} Quantum Organisation", "国際{p}量子機構")],
    "other": [("{p} Quantum Centre", "{p}量子センター")],
}
#: how often each institution type is drawn (the declaration's ``share``) and how it is named
_TYPES: dict[InstitutionType, tuple[float, list[tuple[str, str]]]] = {
    InstitutionType(m.value): (float(m.get("share")), _NAME_TEMPLATES.get(m.value)
                               or [("{p} " + m.label.en, "{p}" + m.label.ja)])
    for m in SCHEMA.enum("InstitutionType").members}
#: how often each kind, status and institution type is drawn: the declaration's relative ``share`` of each member, so
#: a kind added to the schema is generated too
_KIND_WEIGHTS = {m.value: float(m.get("share")) for m in SCHEMA.enum("AgreementKind").members}
#: the kind's noun in a generated name, English and Japanese (the schema declaration's)
_KIND_WORDS = {m.value: (m.get("noun")["en"], m.get("noun")["ja"]) for m in SCHEMA.enum("AgreementKind").members}
_STATUS_WEIGHTS = {m.value: float(m.get("share")) for m in SCHEMA.enum("AgreementStatus").members}
#: a domain in a generated name ("… on quantum computing"), the schema declaration's
_DOMAIN_WORDS = {m.value: m.get("phrase") for m in SCHEMA.enum("Domain").members}
_FOCUS = ("superconducting qubits", "trapped ions", "photonic computing", "quantum networks", "quantum sensing",
          "quantum materials", "quantum software", "neutral atoms", "quantum-safe cryptography")
_CURRENCIES = ("USD", "EUR", "JPY", "GBP", "CNY", "KRW", "CAD", "AUD", "INR", "CHF")


@dataclass
class SynthReport:
    out_dir: Path
    seed: int
    files: list[Path] = field(default_factory=list)
    nodes: dict[str, int] = field(default_factory=dict)
    party_edges: int = 0
    #: agreements per party: the heaviest few, and the median over parties with at least one
    top_degrees: list[int] = field(default_factory=list)
    median_degree: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "seed": self.seed, "files": [p.name for p in self.files],
                "nodes": self.nodes, "entities": sum(v for k, v in self.nodes.items() if k != "Agreement"),
                "party_edges": self.party_edges, "top_degrees": self.top_degrees, "median_degree": self.median_degree}


class _Weighted:
    """Draw items with fixed weights (cumulative weights + bisect: O(log n) a draw)."""

    def __init__(self, items: list[str], weights: list[float]) -> None:
        self.items = items
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1] if self.cum else 0.0

    def draw(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total, 0, len(self.items) - 1)]


class _Writer:
    """CSV rows of one kind, split over numbered files when there are many."""

    def __init__(self, out_dir: Path, kind: str, columns: list[str], total: int, rows_per_file: int,
                 report: SynthReport) -> None:
        self.out_dir, self.kind, self.columns = out_dir, kind, columns
        self.split = total > rows_per_file
        self.rows_per_file, self.report = rows_per_file, report
        self.count, self.part = 0, 0
        self.fh: Any = None
        self.writer: Any = None

    def _open(self) -> None:
        if self.fh:
            self.fh.close()
        self.part += 1
        path = self.out_dir / (f"{self.kind}-{self.part:04d}.csv" if self.split else f"{self.kind}.csv")
        self.fh = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.fh, lineterminator="\n")
        self.writer.writerow(self.columns)
        self.report.files.append(path)

    def row(self, values: dict[str, Any]) -> None:
        if self.fh is None or self.count % self.rows_per_file == 0:
            self._open()
        self.count += 1
        self.writer.writerow(["|".join(v) if isinstance(v, list) else "" if v is None else
                              ("true" if v is True else str(v)) for v in (values.get(c) for c in self.columns)])

    def close(self) -> None:
        if self.fh:
            self.fh.close()


def _slug(text: str) -> str:
    out, dash = [], False
    for ch in text.lower():
        if "a" <= ch <= "z" or "0" <= ch <= "9":
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-")[:60].strip("-")


def _place(rng: random.Random) -> tuple[str, str]:
    parts = [_KANA[rng.randrange(len(_KANA))] for _ in range(rng.choice((2, 2, 3, 3, 3, 4)))]
    return "".join(p[0] for p in parts).capitalize(), "".join(p[1] for p in parts)


def _acronym(name: str) -> str:
    return "".join(w[0] for w in name.replace("-", " ").split() if w[0].isupper())


def _date(rng: random.Random) -> str:
    # More agreements in recent years: the year's weight grows linearly from 1990 to 2026.
    lo, hi = YEARS
    year = lo + int((hi - lo + 1) * rng.random() ** 0.6)
    year = min(year, hi)
    r = rng.random()
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return f"{year}" if r < 0.15 else f"{year}-{month:02d}" if r < 0.5 else f"{year}-{month:02d}-{day:02d}"


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _plan(entities: int) -> dict[str, int]:
    """How many of each non-agreement kind make up ``entities``."""
    nations = min(NATIONS, max(2, entities // 5))
    frameworks = min(200, max(2, entities // 2000))
    strategies = min(nations, max(1, int(nations * 0.6))) if entities >= 50 else 0
    hubs = min(300, max(1, entities // 1000))
    facilities = min(2000, max(1, entities // 500))
    institutions = entities - nations - frameworks - strategies - hubs - facilities
    if institutions < 2:
        raise ValueError(f"--entities {entities} is too small: give at least 20")
    return {"Nation": nations, "Framework": frameworks, "Strategy": strategies, "Hub": hubs,
            "Facility": facilities, "Institution": institutions}


def generate(out_dir: Path | str, *, entities: int, agreements: int, seed: int = 42,
             rows_per_file: int = ROWS_PER_FILE) -> SynthReport:
    """Write the synthetic network's CSV files into ``out_dir`` (created; existing ``*.csv`` there are removed)."""
    if entities < 20:
        raise ValueError(f"--entities {entities} is too small: give at least 20")
    if agreements < 1:
        raise ValueError("--agreements must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.csv"):
        old.unlink()
    rng = random.Random(seed)
    plan = _plan(entities)
    report = SynthReport(out, seed)
    doc_id = f"synthetic-s{seed}"
    sources = json.dumps([{"document": doc_id, "section": "synthetic",
                           "quote": "generated record, not a fact"}], ensure_ascii=False)
    common = {"sources": sources, "external": True,
              "external_note": f"synthetic: generated by qgraph synth (seed {seed}); not a fact"}
    tail = ["sources", "external", "external_note"]

    def writer(kind: str, columns: list[str], total: int) -> _Writer:
        return _Writer(out, kind, columns + tail, total, rows_per_file, report)

    w = writer("documents", ["id", "title", "title_en", "publisher", "date"], 1)
    w.row({"id": doc_id, "title": f"合成データ (seed {seed})", "date": "2026",
           "title_en": f"SYNTHETIC world-scale partnership network (qgraph synth, seed {seed}); not facts",
           "publisher": "qgraph synth (generated)"})
    w.close()

    # ---- nations: the leading research nations first, then the others by code
    codes = [c for c in LEADING_NATIONS]
    codes += sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in LEADING_NATIONS)
    codes = codes[:plan["Nation"]]
    nation_ids = [c.lower() for c in codes]
    w = writer("nations", ["id", "code", "name", "aliases"], len(codes))
    for code in codes:
        country = pycountry.countries.get(alpha_2=code)
        name = getattr(country, "common_name", None) or country.name
        w.row({"id": code.lower(), "code": code, "name": name, "aliases": [country.alpha_3], **common})
    w.close()
    nation_pick = _Weighted(nation_ids, [1 / (i + 1) ** NATION_ALPHA for i in range(len(nation_ids))])

    # ---- institutions
    n_inst = plan["Institution"]
    type_pick = {t: share for t, (share, _) in _TYPES.items()}
    inst_ids: list[str] = []
    inst_nation: dict[str, str] = {}
    inst_short: dict[str, tuple[str, str | None]] = {}
    consortia: list[str] = []
    rows: list[dict[str, Any]] = []
    for i in range(n_inst):
        itype = _pick(rng, type_pick)
        en_t, ja_t = rng.choice(_TYPES[itype][1])
        place, place_ja = _place(rng)
        name = en_t.format(p=place)
        nation = nation_pick.draw(rng) if itype is not InstitutionType.INTERNATIONAL_ORGANISATION else None
        ja = ja_t.format(p=place_ja) if rng.random() < (0.9 if nation == "jp" else 0.3) else None
        iid = f"{_slug(name)}-{i + 1}"
        acronym = _acronym(name)
        short = acronym + str(i % 97) if rng.random() < 0.6 and len(acronym) > 1 else None
        aliases = [short] if short else []
        if ja and rng.random() < 0.3:
            aliases.append(place_ja)
        row = {"id": iid, "name": name, "name_ja": ja, "aliases": aliases, "type": itype.value, "nation": nation,
               "founded": str(rng.randint(1850, 2022)) if rng.random() < 0.5 else None, **common}
        rows.append(row)
        inst_ids.append(iid)
        if nation:
            inst_nation[iid] = nation
        inst_short[iid] = (short or place, place_ja if ja else None)
        if itype is InstitutionType.INDUSTRY_CONSORTIUM:
            consortia.append(iid)
    # Heavy tail: partner weights by a random rank (Zipf), so hubs are spread over types and nations.
    ranks = list(range(n_inst))
    rng.shuffle(ranks)
    inst_weight = [1 / (r + 1) ** INSTITUTION_ALPHA for r in ranks]
    global_pick = _Weighted(inst_ids, inst_weight)
    by_nation: dict[str, tuple[list[str], list[float]]] = {}
    for iid, wgt in zip(inst_ids, inst_weight, strict=True):
        if iid in inst_nation:
            ids, ws = by_nation.setdefault(inst_nation[iid], ([], []))
            ids.append(iid)
            ws.append(wgt)
    nation_inst = {n: _Weighted(ids, ws) for n, (ids, ws) in by_nation.items()}
    consortium_set = set(consortia)
    for row in rows:
        if row["id"] in consortium_set:
            members = {global_pick.draw(rng) for _ in range(rng.randint(3, 20))} - consortium_set
            row["members"] = sorted(members)
    w = writer("institutions", ["id", "name", "name_ja", "aliases", "type", "nation", "members", "founded"], n_inst)
    for row in rows:
        w.row(row)
    w.close()
    del rows

    # ---- hubs (hosted by heavy institutions), facilities, strategies, frameworks
    hub_ids: list[str] = []
    w = writer("hubs", ["id", "name", "name_ja", "host", "nation", "focus", "designated"], plan["Hub"])
    for i in range(plan["Hub"]):
        host = global_pick.draw(rng)
        place, place_ja = _place(rng)
        hid = f"{_slug(place)}-quantum-hub-{i + 1}"
        hub_ids.append(hid)
        w.row({"id": hid, "name": f"{place} Quantum Innovation Hub", "name_ja": f"{place_ja}量子イノベーション拠点",
               "host": host, "nation": inst_nation.get(host), "focus": rng.choice(_FOCUS),
               "designated": _date(rng), **common})
    w.close()
    w = writer("facilities", ["id", "name", "facility_type", "operators", "nation", "date", "status"],
               plan["Facility"])
    for i in range(plan["Facility"]):
        ftype = rng.choice(list(FacilityType))
        operators = sorted({global_pick.draw(rng) for _ in range(rng.choice((1, 1, 2)))})
        place, _ = _place(rng)
        w.row({"id": f"{_slug(place)}-{ftype.value}-{i + 1}", "name": f"{place} {ftype.value.replace('-', ' ')}",
               "facility_type": ftype.value, "operators": operators, "nation": inst_nation.get(operators[0]),
               "date": _date(rng), "status": rng.choice(("operating", "planned", "under-construction")), **common})
    w.close()
    w = writer("strategies", ["id", "name", "nation", "date", "budget", "budget_amount", "currency", "period"],
               plan["Strategy"])
    for i, nation in enumerate(nation_ids[:plan["Strategy"]]):
        amount = round(rng.uniform(0.05, 30.0), 2)
        currency = rng.choice(_CURRENCIES)
        start = rng.randint(2015, 2025)
        w.row({"id": f"{nation}-quantum-strategy-{i + 1}", "name": f"National quantum strategy ({nation.upper()})",
               "nation": nation, "date": str(start), "budget": f"about {amount} billion {currency}",
               "budget_amount": amount * 1e9, "currency": currency, "period": f"{start}-{start + 10}", **common})
    w.close()
    framework_ids: list[str] = []
    w = writer("frameworks", ["id", "name", "framework_type", "members", "established"], plan["Framework"])
    for i in range(plan["Framework"]):
        members = sorted({nation_pick.draw(rng) for _ in range(rng.randint(2, 5))})
        ftype = rng.choice(list(FrameworkType))
        fid = f"{'-'.join(members[:3])}-{ftype.value}-{i + 1}"
        framework_ids.append(fid)
        w.row({"id": fid, "name": f"{'–'.join(m.upper() for m in members)} quantum {ftype.value} #{i + 1}",
               "framework_type": ftype.value, "members": members, "established": _date(rng), **common})
    w.close()

    # ---- agreements: 2–6 distinct parties; mostly institutions (heavy-tailed), some nations, some hubs
    degree: Counter[str] = Counter()
    w = writer("agreements", ["id", "name", "name_ja", "kind", "parties", "date", "status", "domains", "framework"],
               agreements)
    kinds, kind_w = list(_KIND_WEIGHTS), list(_KIND_WEIGHTS.values())
    statuses, status_w = list(_STATUS_WEIGHTS), list(_STATUS_WEIGHTS.values())
    domains = [d.value for d in Domain]
    hub_pick = _Weighted(hub_ids, [1.0] * len(hub_ids)) if hub_ids else global_pick
    for i in range(agreements):
        want = rng.choices(PARTY_COUNTS, weights=PARTY_WEIGHTS)[0]
        r = rng.random()
        # An agreement between governments (nations only), one led by an innovation hub, or (mostly) institutions,
        # whose further parties often come from the first one's nation.
        first, others = (nation_pick, nation_pick) if r < 0.05 else \
            (hub_pick, global_pick) if r < 0.08 else (global_pick, global_pick)
        parties = [first.draw(rng)]
        home = inst_nation.get(parties[0]) if first is global_pick else None
        tries = 0
        while len(parties) < want and tries < 50:
            tries += 1
            if home and rng.random() < SAME_NATION:
                candidate = nation_inst[home].draw(rng)
            else:
                candidate = others.draw(rng)
            if candidate not in parties:
                parties.append(candidate)
        if len(parties) < 2:
            parties.append(next(p for p in inst_ids if p not in parties))
        degree.update(parties)
        kind = rng.choices(kinds, weights=kind_w)[0]
        date = _date(rng)
        doms = sorted(rng.sample(domains, rng.choice((1, 1, 2, 2, 3))), key=domains.index)
        a, b = parties[0], parties[1]
        short_a, short_b = inst_short.get(a, (a.upper(), None)), inst_short.get(b, (b.upper(), None))
        more = f" and {len(parties) - 2} others" if len(parties) > 2 else ""
        kind_en, kind_ja = _KIND_WORDS[kind]
        name = f"{short_a[0]}–{short_b[0]}{more} {kind_en} on {_DOMAIN_WORDS[doms[0]]} ({date[:4]})"
        name_ja = f"{short_a[1]}と{short_b[1]}の{kind_ja}" if short_a[1] and short_b[1] else None
        w.row({"id": f"{kind}-{date[:4]}-{i + 1}", "name": name, "name_ja": name_ja, "kind": kind,
               "parties": parties, "date": date, "status": rng.choices(statuses, weights=status_w)[0],
               "domains": doms,
               "framework": rng.choice(framework_ids) if framework_ids and rng.random() < 0.08 else None,
               **common})
    w.close()

    report.nodes = {**plan, "Agreement": agreements}
    report.party_edges = sum(degree.values())
    report.top_degrees = [d for _, d in degree.most_common(5)]
    report.median_degree = float(median(degree.values())) if degree else 0.0
    return report
