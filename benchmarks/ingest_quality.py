"""Ingest quality and speed on the source document of the curated data (issue #14).

The store holds only the curated nations (and the document list); the source document is ingested into it; the gold
answer is the curated dataset: ``data/agreements.yaml`` and ``data/institutions.yaml``. Printed:

- agreement recall (a gold agreement is found when a candidate has the same set of parties and the same date, an
  undated one when the candidate is undated too) and precision (a candidate is right when it is such a match for some
  gold agreement), every miss one by one with why; recall is also given over the gold records the text can yield
  (without those marked ``external``: their facts come from general knowledge, not from the document);
- institution recall (a gold institution is found when a proposed entity has one of its names or aliases, after
  ``qgraph.text.normalise``), the misses one by one, also without the ``external`` ones;
- facility recall against ``data/facilities.yaml``: exactly by name, and loosely (a proposed facility's name contains
  a gold name or is contained in one, four characters at least: facilities have descriptive names that a document
  writes with more or fewer qualifiers), the misses one by one;
- that every candidate's quote stands verbatim at its offsets in the document;
- speed: KB of Japanese text per second after the model is loaded (the text's UTF-8 bytes over the extraction time,
  one process, one core), the model's load time and the peak RSS.

Run: ``.venv/bin/python benchmarks/ingest_quality.py [--json] [PATH]`` (default: the shared source document). Needs
``qgraph[ingest]``. Candidates are matched to gold entities through names only: no rule knows this document's names.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent.parent / "shared" / "sources" / "quantum-industry-measures-2024.ja.txt"
for candidate in (REPO.parent / "shared" / "sources", REPO.parent.parent / "shared" / "sources", Path("/work/shared/sources")):
    if (candidate / "quantum-industry-measures-2024.ja.txt").is_file():
        DEFAULT = candidate / "quantum-industry-measures-2024.ja.txt"
        break


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--ner-scope", choices=["relations", "all"], default="relations",
                        help="which sentences GiNZA reads: those with an act word (default) or all")
    args = parser.parse_args()

    from qgraph.loaders import read_graph
    from qgraph.loaders.ingest.extract import GinzaModel
    from qgraph.loaders.ingest.formats import read_source
    from qgraph.loaders.ingest.pipeline import DocumentInfo, Input, ingest
    from qgraph.loaders.ingest.segment import segment
    from qgraph.stores.memory import MemoryStore
    from qgraph.text import normalise

    data = REPO / "data"
    store = MemoryStore(Path(tempfile.mkdtemp()) / "graph.json")
    store.load(read_graph([data / "nations.yaml", data / "documents.yaml"]))

    t0 = time.perf_counter()
    GinzaModel()
    load_s = time.perf_counter() - t0

    source = read_source(args.path)
    seg = segment(source)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    review = ingest([Input(name=args.path, path=Path(args.path))], store, info=DocumentInfo(),
                    ner_scope=args.ner_scope)
    extract_s = time.perf_counter() - t0
    extract_cpu = time.process_time() - cpu0
    kb = len(source.text.encode()) / 1024
    text = source.text

    gold_inst = yaml.safe_load((data / "institutions.yaml").read_text())["institutions"]
    gold_agr = yaml.safe_load((data / "agreements.yaml").read_text())["agreements"]
    gold_fac = yaml.safe_load((data / "facilities.yaml").read_text())["facilities"]

    def names(r: dict) -> set[str]:
        # the store's search keys: normalised, and without spaces (as qgraph.text.search_keys makes them)
        return {k for n in [r.get("name"), r.get("name_ja"), *(r.get("aliases") or [])] if n
                for k in (normalise(n), normalise(n).replace(" ", ""))}

    proposed = [r for plural in ("institutions", "hubs", "facilities", "frameworks")
                for r in review.sections.get(plural, [])]
    cand_to_gold: dict[str, str] = {}
    inst_found, inst_missed = [], []
    for g in gold_inst:
        gnames = names(g)
        hits = [c for c in proposed if names(c) & gnames]
        for c in hits:
            cand_to_gold.setdefault(c["id"], g["id"])
        (inst_found if hits else inst_missed).append(g)
    agreements = review.sections.get("agreements", [])

    def gold_date(g: dict) -> str | None:
        return None if g.get("date") is None else str(g["date"])

    def mapped(c: dict) -> frozenset[str]:
        return frozenset(cand_to_gold.get(p, p) for p in c["parties"])

    right, wrong = [], []
    found: dict[str, dict] = {}
    for c in agreements:
        same = [g for g in gold_agr if frozenset(g["parties"]) == mapped(c) and gold_date(g) == c.get("date")]
        # one candidate finds one gold agreement: the first one not found yet (two meetings of the same parties in
        # the same month are two agreements)
        match = next((g for g in same if g["id"] not in found), same[0] if same else None)
        if match:
            right.append(c)
            found.setdefault(match["id"], c)
        else:
            wrong.append(c)
    misses = []
    for g in gold_agr:
        if g["id"] in found:
            continue
        same_parties = [c for c in agreements if mapped(c) == frozenset(g["parties"])]
        if g.get("external"):
            why = "external: the document does not name these parties (general knowledge)"
        elif same_parties:
            why = f"party set found, date {', '.join(str(c.get('date')) for c in same_parties)} instead of {g.get('date')}"
        else:
            overlapping = [c for c in agreements if mapped(c) & frozenset(g["parties"]) and c.get("date") == gold_date(g)]
            why = ("no candidate with these parties" if not overlapping else
                   "same date, parties " + "; ".join(",".join(sorted(mapped(c))) for c in overlapping))
        misses.append({"id": g["id"], "parties": g["parties"], "date": str(g.get("date")), "why": why})

    facilities = review.sections.get("facilities", [])
    fac_exact, fac_loose, fac_missed = [], [], []
    for g in gold_fac:
        gnames = {n for n in names(g) if len(n) >= 4}  # for containment: 「叡」 is in too many names
        cnames = [names(c) for c in facilities]
        if any(cn & names(g) for cn in cnames):
            fac_exact.append(g)
            fac_loose.append(g)
        elif any(len(n) >= 4 and any(n in gn or gn in n for gn in gnames) for cn in cnames for n in cn):
            fac_loose.append(g)
        else:
            fac_missed.append(g)

    quotes_bad = []
    for plural, records in review.sections.items():
        for r in records:
            meta = r.get("review")
            if not meta or "start" not in meta:
                continue
            quote = r["sources"][0]["quote"]
            if text[meta["start"]:meta["end"]] != quote or quote not in text:
                quotes_bad.append((plural, r["id"]))

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    recall = len(found) / len(gold_agr)
    precision = len(right) / len(agreements) if agreements else 0.0
    inst_recall = len(inst_found) / len(gold_inst)
    agr_textual = [g for g in gold_agr if not g.get("external")]
    inst_textual = [g for g in gold_inst if not g.get("external")]
    result = {
        "document": str(args.path), "kb": round(kb, 1), "sentences": len(seg.sentences),
        "model": review.header["model"], "model_load_s": round(load_s, 2), "extract_s": round(extract_s, 2),
        "extract_cpu_s": round(extract_cpu, 2), "kb_per_s": round(kb / extract_s, 1),
        "kb_per_cpu_s": round(kb / extract_cpu, 1), "peak_rss_mb": round(rss_mb),
        "agreements": {"gold": len(gold_agr), "candidates": len(agreements), "found": len(found),
                       "recall": round(recall, 3), "precision": round(precision, 3),
                       "gold_in_text": len(agr_textual),
                       "found_in_text": sum(1 for g in agr_textual if g["id"] in found)},
        "institutions": {"gold": len(gold_inst), "found": len(inst_found), "recall": round(inst_recall, 3),
                         "proposed_entities": len(proposed), "gold_in_text": len(inst_textual),
                         "found_in_text": sum(1 for g in inst_textual if g in inst_found)},
        "facilities": {"gold": len(gold_fac), "proposed": len(facilities), "found_exact": len(fac_exact),
                       "found_loose": len(fac_loose)},
        "quotes_not_verbatim": quotes_bad,
        "agreement_misses": misses,
        "wrong_candidates": [{"id": c["id"], "parties": sorted(mapped(c)), "date": c.get("date"),
                              "quote": c["sources"][0]["quote"][:80]} for c in wrong],
        "institution_misses": [{"id": g["id"], "names": sorted(names(g)), "external": bool(g.get("external"))}
                               for g in inst_missed],
        "facility_misses": [{"id": g["id"], "names": sorted(names(g))} for g in fac_missed],
        "facility_candidates": [c.get("name_ja") or c["name"] for c in facilities],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    a, i, f = result["agreements"], result["institutions"], result["facilities"]
    print(f"document: {result['document']} ({result['kb']} KB, {result['sentences']} sentences)")
    print(f"agreements: recall {a['found']}/{a['gold']} = {a['recall']:.1%} (target 90%), precision "
          f"{len(right)}/{a['candidates']} = {a['precision']:.1%} (target 80%)")
    print(f"  of the {a['gold_in_text']} the text states (not external): {a['found_in_text']}/{a['gold_in_text']} = "
          f"{a['found_in_text'] / a['gold_in_text']:.1%}")
    print(f"institutions: recall {i['found']}/{i['gold']} = {i['recall']:.1%} (target 90%); "
          f"{i['proposed_entities']} entities proposed")
    print(f"  of the {i['gold_in_text']} the text names (not external): {i['found_in_text']}/{i['gold_in_text']} = "
          f"{i['found_in_text'] / i['gold_in_text']:.1%}")
    print(f"facilities: {f['proposed']} proposed; recall {f['found_exact']}/{f['gold']} = "
          f"{f['found_exact'] / f['gold']:.1%} by exact name, {f['found_loose']}/{f['gold']} = "
          f"{f['found_loose'] / f['gold']:.1%} by name containment")
    print(f"quotes not verbatim: {len(quotes_bad)}")
    print(f"speed: {result['kb_per_s']} KB/s wall, {result['kb_per_cpu_s']} KB/s per CPU-second (target 20) after "
          f"loading {result['model']} in {load_s:.1f} s; extraction {extract_s:.1f} s wall, {extract_cpu:.1f} s CPU; "
          f"peak RSS {result['peak_rss_mb']} MB")
    print("agreement misses:")
    for m in misses:
        print(f"  - {m['id']} ({', '.join(m['parties'])}; {m['date']}): {m['why']}")
    print("wrong agreement candidates:")
    for c in result["wrong_candidates"]:
        print(f"  - {c['id']} ({', '.join(c['parties'])}; {c['date']}): 「{c['quote']}」")
    print("institution misses:")
    for m in result["institution_misses"]:
        print(f"  - {m['id']}{' (external)' if m['external'] else ''}: {' / '.join(m['names'])}")
    print("facility misses:")
    for m in result["facility_misses"]:
        print(f"  - {m['id']}: {' / '.join(m['names'])}")
    print("facility candidates: " + "; ".join(result["facility_candidates"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
