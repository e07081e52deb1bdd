"""An edit made in place (the explorer's details panel) as one validated ``Write``: correct a field, add an alias,
add or remove an agreement's party, or add an agreement between two entities — each with a citation.

Invariants:
- an edit is validated exactly as a data file is: the entity's record is rebuilt from the store (its properties and
  the links it declares, ``record_of``), changed, and passed through ``loaders.validate.build_graph``, so a bad value
  is refused with the same problems (record, field, message) a data file would get, and nothing is written;
- every edit carries a citation: a passage of a known source document (document, section, verbatim quote), added to
  the record's sources, or "general knowledge", which marks the record ``external`` with the editor's note — the mark
  then shows wherever the record is shown;
- the result is one ``Write`` for ``Store.commit`` (one changeset, with the editor's name and message): the record's
  node and the edges it declares; an edge it no longer declares (a removed party) is removed. The write names the
  node and edges it was computed from (``expect_nodes`` / ``expect_edges``): if another write changed them in the
  meantime, ``Store.commit`` refuses it (``WriteConflict``) rather than undo that change. Edits belong to the
  ``explorer`` dataset, so that a replace-load of the curated files does not silently drop an added agreement, and
  a reload of the files keeps a corrected field, an added alias or a removed party unless the file itself changed
  that field or party since its last load (``Store._merge_others``: the file's new value wins);
- a quote is checked against its document's text where this machine has it (the document's ``file``, relative to
  the data directory's parent, as ``data/documents.yaml`` gives it): a quote not in it (compared after NFKC, ignoring
  whitespace) is refused; where the text is not here the edit is written and says that its quote was not verified;
- what may be edited is what the schema declares: any field of the kind except the id, the citations and the
  external mark (which follow from the citation given).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from qgraph.loaders.files import Origin, RawRecord, default_data_dir
from qgraph.loaders.validate import build_graph
from qgraph.model import Edge, Graph, Node, NodeKind
from qgraph.results import EntityRef
from qgraph.schema import SCHEMA
from qgraph.store import Store, Write

#: the dataset edits belong to (see the module docstring)
DATASET = "explorer"
#: fields an edit may not set directly: they follow from the record's identity and the edit's citation
FIXED = frozenset({"id", "sources", "external", "external_note"})
#: at most this many edges of a record are read back to rebuild its link fields
MAX_LINKS = 10_000

Action = Literal["set", "add_alias", "add_party", "remove_party", "add_agreement"]


class EditRefused(ValueError):
    """The edit cannot be made as asked (unknown entity, a field it may not set …); nothing was written."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class Cite:
    """What an edit rests on: a document passage, or general knowledge (``note`` says which)."""

    document: str | None = None
    section: str | None = None
    footnote: int | None = None
    quote: str | None = None
    general_knowledge: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Edit:
    action: Action
    #: the entity edited (for add_party / remove_party: the agreement; unused for add_agreement)
    entity: str | None = None
    field: str | None = None
    value: Any = None
    #: add_agreement: its parties and fields (name, name_ja, kind, date, status, domains …)
    parties: tuple[str, ...] = ()
    agreement: dict[str, Any] | None = None


def record_of(store: Store, node: Node, relations: list[tuple[Edge, EntityRef]] | None = None) -> dict[str, Any]:
    """The data-file record a stored node came from: its declared fields, its citations, and the link fields it
    declares, read back from its edges (``relations``: the node's edges as ``Store.relations`` gives them, read if
    not given; a link field names the edge type, direction and target kinds)."""
    spec = SCHEMA.node(node.kind.value)
    declared = {f.name for f in (*SCHEMA.record_fields, *spec.fields)}
    record: dict[str, Any] = {k: v for k, v in node.properties.items() if k in declared}
    record["id"] = node.id
    record["sources"] = [c.model_dump(exclude_none=True) for c in node.sources]
    if spec.links:
        if relations is None:
            _, relations = store.relations(node.id, MAX_LINKS)
        for link in spec.links:
            field = next(f for f in spec.fields if f.name == link.field)
            targets = sorted(other.id for edge, other in relations if edge.type == link.edge
                             and (edge.source if link.direction == "out" else edge.target) == node.id
                             and other.kind.value in link.targets)
            if targets:
                record[link.field] = targets if field.list else targets[0]
    return record


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:100].strip("-")


#: a document file larger than this, or not plain text, is not read to check a quote
MAX_TEXT_BYTES = 50_000_000
TEXT_SUFFIXES = frozenset({".txt", ".md"})


def _squeezed(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


@functools.lru_cache(maxsize=8)
def _document_text(path: str, mtime_ns: int) -> str:
    return _squeezed(Path(path).read_text(encoding="utf-8", errors="replace"))


def _document_file(store: Store, document: str) -> Path | None:
    known = {d.get("id"): d for d in store.documents()}
    name = (known.get(document) or {}).get("file")
    if not name:
        return None
    base = default_data_dir()
    for candidate in (Path(name), base.parent / name, base / name):
        if (candidate.is_absolute() and candidate.suffix.lower() in TEXT_SUFFIXES and candidate.is_file()
                and candidate.stat().st_size <= MAX_TEXT_BYTES):
            return candidate.resolve()
    return None


def check_quote(store: Store, cite: Cite) -> bool | None:
    """Whether the citation's quote is in its document's text: True, or None when there is no quote (general
    knowledge) or no text of the document on this machine to check it against. Raises ``EditRefused`` (422) when
    the text is here and the quote is not in it."""
    if cite.general_knowledge or not cite.document or not (cite.quote or "").strip():
        return None
    path = _document_file(store, cite.document)
    if path is None:
        return None
    if _squeezed(cite.quote or "") not in _document_text(str(path), path.stat().st_mtime_ns):
        raise EditRefused(422, f"citation: the quote is not in document {cite.document!r} ({path.name}); quote it "
                               "verbatim (spacing may differ)")
    return True


def _cite(record: dict[str, Any], cite: Cite) -> None:
    if cite.general_knowledge:
        if not (cite.note or "").strip():
            raise EditRefused(422, "citation: say what general knowledge the edit rests on (note)")
        record["external"] = True
        notes = [n for n in (record.get("external_note"), cite.note.strip()) if n]  # type: ignore[union-attr]
        record["external_note"] = "; ".join(dict.fromkeys(notes))
        return
    if not cite.document or not (cite.section or "").strip() or not (cite.quote or "").strip():
        raise EditRefused(422, "citation: give the document, its section and a verbatim quote, or mark it general "
                               "knowledge")
    entry = {"document": cite.document, "section": cite.section or "", "quote": cite.quote}
    if cite.footnote is not None:
        entry["footnote"] = cite.footnote
    if entry not in record["sources"]:
        record["sources"].append(entry)


class Planned(NamedTuple):
    write: Write
    #: the id of the record written (a new agreement's id)
    entity: str
    #: ``check_quote``'s answer: True, or None (no quote, or no text of the document here to check it against)
    quote_verified: bool | None


def plan(store: Store, edit: Edit, cite: Cite, actor: str) -> Planned:
    """The ``Write`` an edit makes, the id of the record it writes and whether its quote was checked. Raises
    ``EditRefused`` or ``DatasetError`` (the problems, as for a data file); reads only."""
    read: dict[tuple[str, str, str], Edge] = {}
    if edit.action == "add_agreement":
        kind, record, node = NodeKind.AGREEMENT, _new_agreement(store, edit), None
        before: set[tuple[str, str, str]] = set()
    else:
        node = store.get_node(edit.entity or "")
        if node is None:
            raise EditRefused(404, f"entity: no entity with id {edit.entity!r}")
        _, relations = store.relations(node.id, MAX_LINKS)
        read = {(str(e.type), e.source, e.target): e for e, _ in relations}
        kind, record = node.kind, record_of(store, node, relations)
        before = _declared_edges(kind, record)
        _change(record, node, edit)
    _cite(record, cite)
    verified = check_quote(store, cite)
    raw = RawRecord(SCHEMA.node(kind.value).plural, record, Origin(f"edit by {actor}", None))
    graph = build_graph([raw], store)
    after = {(str(e.type), e.source, e.target) for e in graph.edges}
    removed = tuple(sorted(before - after))
    # what the edit was computed from: if any of it changes before the write takes the lock, nothing is written
    expect_nodes = ((str(record["id"]), node),)
    expect_edges = tuple((key, read.get(key)) for key in sorted(before | after))
    write = Write(graph=Graph(nodes=graph.nodes, edges=graph.edges), remove_edges=removed, dataset=DATASET,
                  expect_nodes=expect_nodes, expect_edges=expect_edges)
    return Planned(write, str(record["id"]), verified)


def _declared_edges(kind: NodeKind, record: dict[str, Any]) -> set[tuple[str, str, str]]:
    """The edges a record declares (its link fields' edges), as (type, source, target)."""
    out = set()
    for link in SCHEMA.node(kind.value).links:
        value = record.get(link.field)
        for other in value if isinstance(value, list) else [value] if value else []:
            out.add((link.edge, record["id"], other) if link.direction == "out" else (link.edge, other, record["id"]))
    return out


def _change(record: dict[str, Any], node: Node, edit: Edit) -> None:
    spec = SCHEMA.node(node.kind.value)
    fields = {f.name: f for f in (*SCHEMA.record_fields, *spec.fields)}
    if edit.action == "set":
        if edit.field not in fields or edit.field in FIXED:
            editable = ", ".join(sorted(set(fields) - FIXED))
            raise EditRefused(422, f"field: {edit.field!r} cannot be set on a {node.kind.value} (one of {editable})")
        if edit.value is None or edit.value == "" or edit.value == []:
            record.pop(edit.field, None)
        else:
            record[edit.field] = edit.value
    elif edit.action == "add_alias":
        alias = str(edit.value or "").strip()
        if not alias:
            raise EditRefused(422, "value: the alias is empty")
        aliases = list(record.get("aliases") or [])
        if alias not in aliases:
            aliases.append(alias)
        record["aliases"] = aliases
    elif edit.action in ("add_party", "remove_party"):
        if node.kind != NodeKind.AGREEMENT:
            raise EditRefused(422, f"entity: {node.id!r} is a {node.kind.value}; parties are an agreement's")
        party = str(edit.value or "").strip()
        parties = list(record.get("parties") or [])
        if edit.action == "add_party":
            if party in parties:
                raise EditRefused(422, f"value: {party!r} is already a party")
            parties.append(party)
        else:
            if party not in parties:
                raise EditRefused(422, f"value: {party!r} is not a party of {node.id!r}")
            parties.remove(party)
        record["parties"] = parties


def _new_agreement(store: Store, edit: Edit) -> dict[str, Any]:
    fields = dict(edit.agreement or {})
    parties = list(dict.fromkeys(p.strip() for p in edit.parties if p and p.strip()))
    kinds = store.kinds_of(parties)
    unknown = [p for p in parties if p not in kinds]
    if unknown:
        raise EditRefused(404, f"parties: no entity with id {', '.join(map(repr, unknown))}")
    refs = store.entity_refs(parties)
    kind = str(fields.get("kind") or "other")
    if not fields.get("name"):
        noun = SCHEMA.enum("AgreementKind")[kind].get("noun", {}).get("en", kind) \
            if kind in SCHEMA.enum("AgreementKind").values else kind
        fields["name"] = "–".join(refs[p].name for p in parties) + " " + noun
    base = _slug("-".join([*parties, kind, str(fields.get("date") or "")])) or "agreement"
    agreement_id, n = base, 1
    while store.get_node(agreement_id) is not None:
        n += 1
        agreement_id = f"{base}-{n}"
    record = {k: v for k, v in fields.items() if k not in FIXED | {"parties"} and v not in (None, "", [])}
    record.update({"id": agreement_id, "kind": kind, "parties": parties, "sources": []})
    return record
