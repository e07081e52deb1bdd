"""The ingest pipeline, stage by stage (neo4j-graphrag's kg_builder): loader (``formats``) -> splitter (``segment``)
-> extractor and resolver (``extract``, ``resolve``) -> review (``review``); the writer is ``review.apply_review``.

``ingest(inputs, store)`` reads every file first and fails on the first bad one (nothing proposed, nothing written);
then each document is registered in the review (title, publisher, date, language, URL, SHA-256 of its bytes) and its
candidates are proposed, citing it. A document whose bytes the store already holds keeps its registered id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qgraph.config import Settings, get_settings
from qgraph.loaders.ingest.extract import EntityCandidate, Extraction, Extractor, RelationCandidate, find_dates, slug
from qgraph.loaders.ingest.formats import Limits, SourceText, read_source
from qgraph.loaders.ingest.resolve import Resolver
from qgraph.loaders.ingest.review import Review, new_review_id, now
from qgraph.loaders.ingest.segment import Segmented, segment
from qgraph.model import RECORD_BY_KIND, NodeKind
from qgraph.store import Store


@dataclass
class Input:
    """One document to ingest: a path, or uploaded bytes with the name they came under."""

    name: str
    path: Path | None = None
    data: bytes | None = None


@dataclass
class DocumentInfo:
    """What the user says about a document (all optional; the document's own metadata fills the rest)."""

    url: str | None = None
    title: str | None = None
    title_en: str | None = None
    publisher: str | None = None
    date: str | None = None


def limits_of(settings: Settings) -> Limits:
    return Limits(max_bytes=settings.ingest_max_bytes, max_pages=settings.ingest_max_pages,
                  max_unpacked_bytes=settings.ingest_max_unpacked_bytes)


def stored_documents(store: Store | None) -> list[dict[str, Any]]:
    if store is None:
        return []
    return store.documents()


def _document_record(source: SourceText, seg: Segmented, info: DocumentInfo,
                     known: list[dict[str, Any]]) -> tuple[dict[str, Any], str | None]:
    same = next((d for d in known if d.get("sha256") == source.sha256), None)
    if same is not None:
        return dict(same), f"the same bytes were ingested before as document {same['id']!r}"
    first_line = next((line.strip().lstrip("#").strip() for line in source.text.split("\n") if line.strip()), "")
    title = (info.title or source.title or first_line or Path(source.file).name)[:300]
    date = info.date
    if not date:
        head_dates = [d for d in find_dates(source.text[:3000]) if d.year]
        date = (source.date or "")[:10] or (head_dates[0].text() if head_dates else str(datetime.now(UTC).year))
    record: dict[str, Any] = {"id": f"doc-{source.sha256[:12]}", "title": title,
                              "title_en": info.title_en or title, "publisher": info.publisher or source.publisher
                              or "(publisher not given)", "date": date, "language": seg.language,
                              "sha256": source.sha256}
    if info.url:
        record["url"] = info.url
    record["file"] = Path(source.file).name
    return record, None


def _citation(doc_id: str, ev: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"document": doc_id, "section": ev.section[:1000]}
    if ev.footnote is not None:
        out["footnote"] = ev.footnote
    out["quote"] = ev.quote
    return out


def _review_fields(rule: str, confidence: float, ev: Any, model: str, notes: list[str]) -> dict[str, Any]:
    """The record's ``review`` mapping: the decision to make (``status``), and what proposed the candidate."""
    out: dict[str, Any] = {"status": "proposed"}
    if notes:
        out["note"] = "; ".join(notes)
    out.update({"rule": rule, "model": model, "confidence": round(confidence, 2), **ev.as_dict()})
    out.pop("quote", None)
    out.pop("section", None)
    return out


def _strong(cand: EntityCandidate) -> bool:
    """Proposed on its own merits (a pattern or an organisation word), not only by the NER model's label."""
    return not cand.rule.startswith("ner:") or "+suffix" in cand.rule


def _entity_record(cand: EntityCandidate, doc_id: str, model: str) -> dict[str, Any]:
    record: dict[str, Any] = {"id": cand.key, "name": cand.name}
    if cand.name_ja and cand.name_ja != cand.name:
        record["name_ja"] = cand.name_ja
    elif cand.name_ja:
        record["name_ja"] = cand.name_ja
    aliases = [a for a in cand.aliases if a not in (cand.name, cand.name_ja)]
    if aliases:
        record["aliases"] = aliases
    record.update(cand.fields)
    record["sources"] = [_citation(doc_id, cand.evidence)]
    record["review"] = _review_fields(cand.rule, cand.confidence, cand.evidence, model, cand.notes)
    if cand.kind == "Hub" and "host" not in record:
        record["review"]["needs"] = ["host"]  # a required field no rule could fill: a person must
    return record


def _relation_record(cand: RelationCandidate, doc_id: str, model: str, taken: set[str]) -> dict[str, Any]:
    f = dict(cand.fields)
    name = f.pop("name", None) or f.get("name_ja") or cand.evidence.quote
    if cand.kind == "agreement":
        base = slug("-".join([*f["parties"][:3], f["kind"], f.get("date", "")]))
    else:
        base = slug(f"{f.get('nation') or f.get('adopter')}-{name}-{f.get('date', '')}")
    rid = base
    n = 2
    while rid in taken:
        rid, n = f"{base}-{n}", n + 1
    taken.add(rid)
    record: dict[str, Any] = {"id": rid, "name": name[:1000]}
    if f.get("name_ja"):
        record["name_ja"] = f.pop("name_ja")[:1000]
    record.update(f)
    record["sources"] = [_citation(doc_id, ev) for ev in [cand.evidence, *cand.more_evidence]]
    record["review"] = _review_fields(cand.rule, cand.confidence, cand.evidence, model, cand.notes)
    return record


def propose(source: SourceText, seg: Segmented, extraction: Extraction, doc: dict[str, Any],
            sections: dict[str, list[dict[str, Any]]], mentions: list[dict[str, Any]]) -> None:
    """Add one document's candidates to the review's sections."""
    doc_id = doc["id"]
    model = extraction.model
    used = {r for a in extraction.agreements for r in a.party_refs} | \
           {a.fields.get("framework") for a in extraction.agreements} | \
           {s.fields.get("adopter") for s in extraction.strategies} | \
           {c.fields.get("host") for c in extraction.entities.values()} | \
           {r for c in extraction.entities.values() for r in c.fields.get("operators", [])}
    kept: set[str] = set()
    for cand in extraction.entities.values():
        if not (_strong(cand) or cand.key in used):
            continue
        plural = RECORD_BY_KIND[NodeKind(cand.kind)].plural
        sections.setdefault(plural, []).append(_entity_record(cand, doc_id, model))
        kept.add(cand.key)
    taken = {r["id"] for records in sections.values() for r in records}
    for cand in extraction.agreements:
        if all(p in kept or p in extraction.known for p in cand.party_refs):
            sections.setdefault("agreements", []).append(_relation_record(cand, doc_id, model, taken))
    for cand in extraction.strategies:
        sections.setdefault("strategies", []).append(_relation_record(cand, doc_id, model, taken))
    seen: set[tuple[str, int]] = set()
    for m in extraction.mentions:
        if not m.known:
            continue
        start, end = m.sentence.source_span(m.start, m.end)
        if (m.ref, start) in seen:
            continue
        seen.add((m.ref, start))
        mentions.append({"id": m.ref, "text": source.text[start:end], "document": doc_id, "start": start,
                         "end": end})


def ingest(inputs: Sequence[Input], store: Store | None, *, language: str = "auto",
           info: DocumentInfo | None = None, settings: Settings | None = None,
           ner_scope: str = "relations") -> Review:
    """Read, split, extract and propose; returns the Review (nothing is written). Raises IngestError naming the
    first bad file before any work on the others."""
    settings = settings or get_settings()
    info = info or DocumentInfo()
    limits = limits_of(settings)
    sources = [read_source(i.path or i.name, limits, data=i.data, name=i.name) for i in inputs]
    resolver = Resolver(store)
    known_docs = stored_documents(store)
    sections: dict[str, list[dict[str, Any]]] = {"documents": []}
    mentions: list[dict[str, Any]] = []
    texts: dict[str, str] = {}
    notes: list[str] = []
    models: set[str] = set()
    for source in sources:
        seg = segment(source, language)
        doc, note = _document_record(source, seg, info, known_docs)
        if doc["id"] in texts:
            notes.append(f"{source.file}: the same bytes as another file of this run; ingested once")
            continue
        if note:
            notes.append(f"{source.file}: {note}")
        doc["review"] = {"status": "proposed"}
        sections["documents"].append(doc)
        extraction = Extractor(seg, resolver, doc["id"], ner_scope=ner_scope).run()
        models.add(extraction.model)
        propose(source, seg, extraction, doc, sections, mentions)
        texts[doc["id"]] = source.text
    created = now()
    header: dict[str, Any] = {"id": new_review_id(texts, created), "created": created,
                              "documents": list(texts), "language": language,
                              "model": ", ".join(sorted(models)) or "rules",
                              "store": store.kind if store is not None else None}
    if notes:
        header["notes"] = notes
    return Review(header=header, sections={k: v for k, v in sections.items() if v}, mentions=mentions, texts=texts)


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
