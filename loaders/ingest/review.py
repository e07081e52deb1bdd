"""Stages 4 and 5: candidates -> a review file (the data/ YAML format plus review fields) -> one validated write.

A review file is a data file: the sections of ``data/`` (``documents``, ``institutions``, ``agreements`` …) whose
records carry, besides their data fields, one ``review`` mapping: ``status`` (``proposed`` | ``accepted`` |
``rejected`` | ``edited``), ``match`` (the id of an existing entity this candidate is), ``note``, and what proposed the
candidate (``rule``, ``model``, ``confidence``, character offsets ``start``/``end``, ``page``, ``footnote``). The
review fields sit in their own mapping because ``status`` is also a data field (an agreement's ``signed`` …). A
top-level ``review`` mapping says which run made the file. ``apply`` strips the review fields and validates the accepted and edited records with the very loader of the
curated data (``loaders.validate.build_graph``: every problem with file, line, record and field), then writes them as
one changeset through ``write_changeset`` (``Store.commit``: all-or-nothing, under the store's writer lock, with the
actor, the message and the source documents; dataset ``ingest``, so a replace load of the curated data leaves it).

Invariants:
- nothing with status ``proposed`` or ``rejected`` is written; a file with no decision writes nothing;
- an accepted ``match: X`` writes no new entity: X gains the candidate's spellings as aliases and its citation, and
  every reference to the candidate's id in the file means X; X stays its dataset's, and that dataset's next load
  keeps what the match added (``Store._merge_others``);
- the documents cited by what is written are written with it (their registration is part of the same write) and are
  the changeset's source documents;
- applying the same decisions again changes nothing and records nothing (``ApplyResult.changeset`` is None); the
  applied changeset can be reverted like any other (``qgraph revert N``, ``POST /admin/revert/N``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from qgraph.loaders.errors import DatasetError, Problem
from qgraph.loaders import yaml_events
from qgraph.loaders.files import SECTIONS, Origin, RawRecord
from qgraph.loaders.validate import build_graph
from qgraph.model import RECORD_BY_KIND, Citation, Graph, Node, NodeKind
from qgraph.store import CommitResult, LoadReport, Store, Write, default_actor

STATUSES = ("proposed", "accepted", "rejected", "edited")
REVIEW_KEY = "review"
#: top-level keys of a review file that are not data sections
REVIEW_KEYS = ("review", "mentions")


@dataclass
class Review:
    """A review in memory: its header and its sections (lists of plain records with review fields)."""

    header: dict[str, Any]
    sections: dict[str, list[dict[str, Any]]]
    mentions: list[dict[str, Any]] = field(default_factory=list)
    #: the documents' texts by document id (for the review page; not written to the review file)
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.header["id"]

    def counts(self) -> dict[str, int]:
        return {section: len(records) for section, records in self.sections.items() if records}

    def to_yaml(self) -> str:
        head = ("# qgraph review file: candidates proposed by `qgraph ingest`, in the format of data/.\n"
                "# Decide each record in its review: mapping: status: accepted | edited | rejected (proposed =\n"
                "# undecided, never written); match: <existing id> says the candidate is that entity (its\n"
                "# spellings become aliases); note: free text.\n"
                "# Then: qgraph review apply THIS_FILE\n")
        body: dict[str, Any] = {"review": self.header}
        for section in SECTIONS:
            if self.sections.get(section):
                body[section] = self.sections[section]
        if self.mentions:
            body["mentions"] = self.mentions
        return head + dump(body)

    def as_json(self) -> dict[str, Any]:
        return {"review": self.header, **{s: r for s, r in self.sections.items() if r}, "mentions": self.mentions}


class _Dumper(yaml.SafeDumper):
    """Never anchors and aliases (the data loader refuses them): a value used twice is written twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)


def new_review_id(documents: Iterable[str], created: str) -> str:
    digest = hashlib.sha256(("|".join(sorted(documents)) + created).encode()).hexdigest()
    return f"rev-{digest[:12]}"


# ------------------------------------------------------------------------------------------------ reading


def parse_review(text: str, file: str) -> tuple[dict[str, Any], list[tuple[RawRecord, dict[str, Any]]], list[Problem]]:
    """The header and every record with its review fields (split off), each remembering its lines. Read like data
    files (``loaders.yaml_events``: no aliases, no deep nesting, no tags, dates kept as text)."""
    problems: list[Problem] = []
    try:
        doc, key_lines = yaml_events.parse(text.encode("utf-8"))
    except yaml_events.YamlRefused as exc:
        return {}, [], [Problem(file, exc.line, None, None, exc.message)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        return {}, [], [Problem(file, mark.line + 1 if mark else None, None, None, f"YAML syntax error: {exc}")]
    if not isinstance(doc, dict):
        return {}, [], [Problem(file, 1, None, None, "a review file is a mapping (review:, documents:, …)")]
    header = doc.pop(REVIEW_KEY, None)
    header = header if isinstance(header, dict) else {}
    doc.pop("mentions", None)
    records: list[tuple[RawRecord, dict[str, Any]]] = []
    for section, items in doc.items():
        if section not in SECTIONS:
            problems.append(Problem(file, key_lines.get(section), None, None,
                                    f"unknown section {section!r}; expected one of: {', '.join(SECTIONS)}"))
            continue
        if not isinstance(items, list):
            problems.append(Problem(file, key_lines.get(section), None, section, "must be a list of records"))
            continue
        for index, item in enumerate(items):
            if not isinstance(item, yaml_events.Mapped):
                problems.append(Problem(file, key_lines.get(section), f"{section}[{index}]", None,
                                        "a record must be a mapping of fields"))
                continue
            data = dict(item.data)
            review = data.pop(REVIEW_KEY, None)
            if not isinstance(review, dict):
                review = {"status": review} if isinstance(review, str) else {}
            records.append((RawRecord(section, data, Origin(file, item.line, item.field_lines)), review))
    return header, records, problems


# ------------------------------------------------------------------------------------------------ applying


@dataclass
class ApplyResult:
    review: str | None
    written: dict[str, int]
    aliases_added: dict[str, list[str]]
    skipped: dict[str, int]
    report: LoadReport | None
    message: str
    #: the number of the changeset recorded, None when nothing was written (no decision, or already applied)
    changeset: int | None = None


def build_changes(text: str, file: str, store: Store) -> tuple[Graph, dict[str, list[str]], dict[str, int], dict[str, Any]]:
    """Validate the decided records of a review file into one Graph (raises DatasetError, writes nothing)."""
    header, records, problems = parse_review(text, file)
    chosen: list[RawRecord] = []
    skipped: dict[str, int] = {}
    matches: dict[str, tuple[str, RawRecord]] = {}  # candidate id -> existing id
    for raw, review in records:
        status = review.get("status", "proposed")
        rid = raw.data.get("id") if isinstance(raw.data.get("id"), str) else None
        if status not in STATUSES:
            problems.append(Problem(file, raw.origin.line_of(REVIEW_KEY), rid, "review.status",
                                    f"{status!r} is not one of {', '.join(STATUSES)}"))
            continue
        if raw.section == "documents":
            continue  # written with what cites them
        if status in ("proposed", "rejected"):
            skipped[status] = skipped.get(status, 0) + 1
            continue
        if review.get("match"):
            if rid:
                matches[rid] = (str(review["match"]), raw)
            continue
        chosen.append(raw)
    # matches: the existing entity gains the spellings and the citation
    existing = store.get_nodes(target for target, _ in matches.values())
    alias_nodes: dict[str, Node] = {}
    aliases_added: dict[str, list[str]] = {}
    for cand_id, (target, raw) in matches.items():
        node = alias_nodes.get(target) or existing.get(target)
        if node is None:
            problems.append(Problem(file, raw.origin.line_of(REVIEW_KEY), cand_id, "review.match",
                                    f"no entity {target!r} in the store"))
            continue
        props = dict(node.properties)
        known = {props.get("name"), props.get("name_ja"), *props.get("aliases", [])}
        new = [s for s in [raw.data.get("name"), raw.data.get("name_ja"), *(raw.data.get("aliases") or [])]
               if isinstance(s, str) and s.strip() and s not in known]
        if new:
            props["aliases"] = [*props.get("aliases", []), *dict.fromkeys(new)]
            aliases_added.setdefault(target, []).extend(dict.fromkeys(new))
        try:
            cites = [Citation.model_validate(c) for c in raw.data.get("sources") or []]
        except ValueError as exc:
            problems.append(Problem(file, raw.origin.line_of("sources"), cand_id, "sources", str(exc)))
            continue
        sources = list(node.sources) + [c for c in cites if c not in node.sources]
        alias_nodes[target] = Node(id=node.id, kind=node.kind, properties=props, sources=sources)
    rename = {cand: target for cand, (target, _) in matches.items()}
    cited_docs: set[str] = set()
    for raw in chosen:
        for key, value in list(raw.data.items()):
            if isinstance(value, str) and value in rename and key != "id":
                raw.data[key] = rename[value]
            elif isinstance(value, list) and key != "aliases":
                raw.data[key] = [rename.get(v, v) if isinstance(v, str) else v for v in value]
        for c in raw.data.get("sources") or []:
            if isinstance(c, dict) and isinstance(c.get("document"), str):
                cited_docs.add(c["document"])
    for node in alias_nodes.values():
        cited_docs.update(c.document for c in node.sources)
    documents = [raw for raw, _ in records if raw.section == "documents" and raw.data.get("id") in cited_docs]
    if problems:
        raise DatasetError(problems)
    graph = build_graph([*documents, *chosen], store)
    if alias_nodes:
        kinds = store.kinds_of(alias_nodes)
        graph = Graph(nodes=[*graph.nodes, *alias_nodes.values()], edges=graph.edges, documents=graph.documents)
        del kinds
    return graph, aliases_added, skipped, header


EDITABLE = ("name", "name_ja", "date", "nation", "type", "kind", "parties", "framework", "host", "facility_type",
            "operators")


def with_decisions(text: str, decisions: dict[str, dict[str, Any]]) -> str:
    """The review file with decisions made elsewhere (the review page): ``{"section/id": {"status", "match",
    "note", "fields": {…}}}``. Only the review fields and the fields of ``EDITABLE`` change; the file is then
    validated as usual when applied."""
    doc = yaml.safe_load(text) or {}
    for key, decision in decisions.items():
        section, _, rid = key.partition("/")
        for record in doc.get(section) or []:
            if isinstance(record, dict) and record.get("id") == rid:
                review = record.setdefault(REVIEW_KEY, {})
                for field in ("status", "match", "note"):
                    if decision.get(field) not in (None, ""):
                        review[field] = decision[field]
                for field, value in (decision.get("fields") or {}).items():
                    if field in EDITABLE:
                        record[field] = value
    head = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    return head + dump(doc)


def write_changeset(store: Store, graph: Graph, *, actor: str, message: str,
                    documents: Iterable[str] = ()) -> CommitResult:
    """The one write of ingested facts: one changeset (``Store.commit``), all-or-nothing and idempotent, with the
    actor, message and source documents."""
    # One changeset of the dataset "ingest": a later `qgraph load --replace` of the curated data leaves it alone.
    return store.commit(Write(graph=graph, dataset="ingest"), actor=actor, message=message,
                        documents=tuple(documents))


def apply_review(text: str, file: str, store: Store, *, actor: str | None = None,
                 message: str | None = None) -> ApplyResult:
    """Validate the decided records of a review file and write them as one changeset (``actor``: who decided, by
    default the OS user). Raises DatasetError (nothing written) when a record is wrong."""
    graph, aliases, skipped, header = build_changes(text, file, store)
    written: dict[str, int] = {}
    for node in graph.nodes:
        written[node.kind.value] = written.get(node.kind.value, 0) + 1
    review_id = header.get("id") if isinstance(header, dict) else None
    documents = [d.id for d in graph.documents]
    msg = message or f"review {review_id or file}: {sum(written.values())} records from {', '.join(documents) or 'no document'}"
    if not graph.nodes:
        return ApplyResult(review_id, {}, {}, skipped, None, "nothing accepted: nothing written")
    result = write_changeset(store, graph, actor=actor or default_actor(), message=msg, documents=documents)
    if result.changeset is None:
        return ApplyResult(review_id, {}, {}, skipped, result.report,
                           "nothing changed: these decisions are already in the graph (no changeset recorded)")
    return ApplyResult(review_id, written, aliases, skipped, result.report, msg, result.changeset.number)


def accept_all(review: Review) -> Review:
    """Mark every candidate accepted: for tests and benchmarks only (nothing a person decided)."""
    for records in review.sections.values():
        for record in records:
            review_fields = record.setdefault(REVIEW_KEY, {})
            # a record that lacks a required field no rule could fill stays proposed (a person must supply it)
            if review_fields.get("status", "proposed") == "proposed" and not review_fields.get("needs"):
                review_fields["status"] = "accepted"
    review.header["accept_all"] = "every candidate was accepted without review (tests and benchmarks only)"
    return review


def review_document_json(review: Review) -> str:
    return json.dumps(review.as_json(), ensure_ascii=False)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


__all__ = ["REVIEW_KEY", "STATUSES", "ApplyResult", "Review", "accept_all", "apply_review", "build_changes", "new_review_id",
           "parse_review", "write_changeset", "RECORD_BY_KIND", "NodeKind"]
