"""The one schema declaration (``qgraph/schema.yaml``), read once and cross-checked in one pass.

Why a YAML file rather than a Python table: the schema is data that people other than programmers review (labels in
two languages, colours, briefing phrases), it has the same shape as the dataset's own YAML, and other tools (docs,
the ingest review, a future editor) can read it without importing qgraph. followthemoney keeps its schema the same
way (``schema/*.yaml`` + ``model.py``). What YAML cannot say stays in Python and is *named* from the file: field
types are a small vocabulary (``FIELD_TYPES`` in ``qgraph.model``) and record-level checks are named functions
(``CHECKS`` there); an unknown name is an error of the check below like any other.

Invariants:
- ``SCHEMA`` is loaded once, at import, from ``QGRAPH_SCHEMA`` when that is set and not empty (a copy to try an
  extension on; tests use it in a subprocess), else from the file shipped in the package;
- ``check`` runs over the whole declaration and raises one ``SchemaError`` listing every problem (a node kind or a
  field without a plural, colour or label in both languages; an enum member without a label in both languages or without what its
  enum ``requires``; a link to an unknown kind or edge type; an edge type no link uses; a field of unknown type) —
  nothing derived from a half-valid schema is ever built;
- what a kind is, is said here once: ``qgraph.model`` builds the enums, record models and the label/type whitelist
  (``NodeKind``, ``EDGE_SPECS``) from it, and the loaders, styles, explorer, briefing phrases and synthetic
  generator read it through those or through ``SCHEMA``.

Naming: "kind" is a node's label (``Node.kind``, ``Record.node_kind``); an agreement's own ``kind`` field (MOU, MOC …)
is its sub-type, as ``type`` is an institution's and ``facility_type`` / ``framework_type`` a facility's and a
framework's. Those field names are the data files' columns, the API's property names and the exports' attributes, so
renaming them would change every answer and every data file; each kind's ``subtype`` names its sub-type field instead,
so code can find it without knowing the spelling. Neo4j keeps the node label in ``_kind`` (an internal property that
no answer shows) so that a stored property can never clash with a data field.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml

#: the environment variable naming another declaration file (empty: the shipped one)
SCHEMA_ENV = "QGRAPH_SCHEMA"
#: field types that are not enums, and the entity shapes both renderers (vis-network and matplotlib) can draw
BASIC_TYPES = frozenset({"slug", "text", "date", "url", "number", "country-code", "currency-code", "boolean",
                         "citation"})
SHAPES = frozenset({"hexagon", "dot", "star", "square", "triangle", "triangleDown", "diamond"})
LANGUAGES = ("en", "ja")


class SchemaError(ValueError):
    """The declaration is incomplete or inconsistent; the message lists every problem, one per line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: the schema declaration has {len(problems)} problem(s):\n"
                         + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Names:
    en: str
    ja: str


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool = False
    list: bool = False
    min_items: int | None = None
    #: what a panel or tooltip calls the field, in both languages
    label: Names = Names("", "")


@dataclass(frozen=True)
class LinkSpec:
    """A link field: ``record -[edge]-> target`` when ``direction`` is "out", ``target -[edge]-> record`` when "in"."""

    field: str
    edge: str
    direction: Literal["out", "in"]
    targets: tuple[str, ...]


@dataclass(frozen=True)
class NodeSpec:
    kind: str
    plural: str
    label: Names
    #: the legend entry (the label unless the declaration says more, as "Agreement (3+ parties)")
    legend: Names
    colour: str
    shape: str
    fields: tuple[FieldSpec, ...]
    links: tuple[LinkSpec, ...]
    checks: tuple[str, ...]
    subtype: str | None


@dataclass(frozen=True)
class EdgeTypeSpec:
    type: str
    label: Names
    #: "source <phrase> target" in words ("is located in")
    phrase: str
    sources: frozenset[str]
    targets: frozenset[str]


@dataclass(frozen=True)
class MemberSpec:
    value: str
    label: Names
    #: everything else the declaration says of the member (noun, phrase, verb, colour …)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.extra.get(key, default)


@dataclass(frozen=True)
class EnumSpec:
    name: str
    members: tuple[MemberSpec, ...]

    def __getitem__(self, value: str) -> MemberSpec:
        for m in self.members:
            if m.value == value:
                return m
        raise KeyError(value)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(m.value for m in self.members)


@dataclass(frozen=True)
class Schema:
    source: str
    record_fields: tuple[FieldSpec, ...]
    nodes: dict[str, NodeSpec]
    edges: dict[str, EdgeTypeSpec]
    enums: dict[str, EnumSpec]

    def node(self, kind: str) -> NodeSpec:
        return self.nodes[kind]

    def enum(self, name: str) -> EnumSpec:
        return self.enums[name]

    @property
    def plurals(self) -> tuple[str, ...]:
        return tuple(n.plural for n in self.nodes.values())

    def subtype(self, kind: str, properties: Mapping[str, Any]) -> Any:
        """A record's sub-type value (an institution's ``type``, an agreement's ``kind`` …: the field its kind's
        ``subtype`` names); None when the kind declares none or the record lacks it."""
        spec = self.nodes.get(str(kind))
        return properties.get(spec.subtype) if spec is not None and spec.subtype else None

    def client_view(self) -> dict[str, Any]:
        """What a client shows of the declaration, as JSON: every node kind's labels, legend, colour, shape,
        sub-type field, its fields (the record fields too: labels, type, list, required) and which of them hold an
        enum member; every
        enum member's labels (and colour where declared); every edge type's labels. The explorer page embeds it, so
        it names no label of its own."""
        def names(n: Names) -> dict[str, str]:
            return {"en": n.en, "ja": n.ja}

        return {
            "nodes": {k: {"label": names(n.label), "legend": names(n.legend), "colour": n.colour, "shape": n.shape,
                          "subtype": n.subtype,
                          "fields": {f.name: {**names(f.label), "type": f.type, "list": f.list,
                                              "required": f.required} for f in (*self.record_fields, *n.fields)},
                          "enums": {f.name: f.type for f in (*self.record_fields, *n.fields) if f.type in self.enums}}
                      for k, n in self.nodes.items()},
            "enums": {name: {m.value: {"label": names(m.label), **({"colour": m.get("colour")} if m.get("colour")
                                                                   else {})} for m in e.members}
                      for name, e in self.enums.items()},
            "edges": {t: {"label": names(e.label)} for t, e in self.edges.items()},
        }

    @property
    def list_fields(self) -> frozenset[str]:
        """Fields that hold lists, over every kind (CSV columns separated by "|")."""
        return frozenset(f.name for f in self.record_fields if f.list and f.type != "citation") | frozenset(
            f.name for n in self.nodes.values() for f in n.fields if f.list)


def default_path() -> Path:
    """The declaration in use: ``QGRAPH_SCHEMA`` when set and not empty, else the one shipped in the package."""
    chosen = os.environ.get(SCHEMA_ENV, "").strip()
    return Path(chosen) if chosen else Path(str(files("qgraph").joinpath("schema.yaml")))


def load(path: Path | str | None = None) -> Schema:
    """Read and check a declaration (default: ``default_path()``); raises ``SchemaError`` naming every problem."""
    source = Path(path) if path is not None else default_path()
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SchemaError(str(source), [f"cannot read it: {exc}"]) from None
    return check(raw, str(source))


def _names(value: Any, where: str, problems: list[str]) -> Names:
    value = value if isinstance(value, dict) else {}
    for lang in LANGUAGES:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            problems.append(f"{where}: no {lang} label")
    return Names(str(value.get("en", "")), str(value.get("ja", "")))


def _fields(raw: Any, where: str, enums: set[str], problems: list[str]) -> tuple[FieldSpec, ...]:
    out = []
    for name, spec in (raw or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        ftype = spec.get("type")
        if ftype not in BASIC_TYPES and ftype not in enums:
            problems.append(f"{where}.{name}: unknown field type {ftype!r} (a basic type or an enum name)")
        unknown = set(spec) - {"type", "required", "list", "min_items", "label"}
        if unknown:
            problems.append(f"{where}.{name}: unknown key(s) {', '.join(sorted(unknown))}")
        out.append(FieldSpec(str(name), str(ftype), bool(spec.get("required", False)), bool(spec.get("list", False)),
                             spec.get("min_items"), _names(spec.get("label"), f"{where}.{name}", problems)))
    return tuple(out)


def check(raw: Any, source: str = "schema") -> Schema:
    """Build the ``Schema`` from a parsed declaration, checking everything in one pass."""
    problems: list[str] = []
    raw = raw if isinstance(raw, dict) else {}
    for section in ("record_fields", "nodes", "edges", "enums"):
        if not isinstance(raw.get(section), dict) or not raw[section]:
            problems.append(f"{section}: missing or empty")
    raw_enums = raw.get("enums") if isinstance(raw.get("enums"), dict) else {}
    enum_names = set(raw_enums)

    enums: dict[str, EnumSpec] = {}
    for name, spec in raw_enums.items():
        spec = spec if isinstance(spec, dict) else {}
        requires = tuple(spec.get("requires", ()))
        members = []
        if not spec.get("members"):
            problems.append(f"enums.{name}: no members")
        for value, m in (spec.get("members") or {}).items():
            m = m if isinstance(m, dict) else {}
            where = f"enums.{name}.{value}"
            label = _names(m.get("label"), where, problems)
            for key in requires:
                if m.get(key) in (None, "", {}):
                    problems.append(f"{where}: no {key} (every {name} member needs one)")
                elif key == "noun":
                    _names(m.get(key), f"{where}.noun", problems)
                elif key == "share" and (isinstance(m[key], bool) or not isinstance(m[key], (int, float))
                                         or m[key] <= 0):
                    problems.append(f"{where}: share {m[key]!r} is not a positive number")
            members.append(MemberSpec(str(value), label, {k: v for k, v in m.items() if k != "label"}))
        enums[name] = EnumSpec(str(name), tuple(members))

    record_fields = _fields(raw.get("record_fields"), "record_fields", enum_names, problems)
    raw_nodes = raw.get("nodes") if isinstance(raw.get("nodes"), dict) else {}
    raw_edges = raw.get("edges") if isinstance(raw.get("edges"), dict) else {}
    nodes: dict[str, NodeSpec] = {}
    plurals: dict[str, str] = {}
    for kind, spec in raw_nodes.items():
        spec = spec if isinstance(spec, dict) else {}
        where = f"nodes.{kind}"
        for key in ("plural", "colour", "shape"):
            if not isinstance(spec.get(key), str) or not spec[key]:
                problems.append(f"{where}: no {key}")
        if spec.get("shape") and spec["shape"] not in SHAPES:
            problems.append(f"{where}: shape {spec['shape']!r} is not one of {', '.join(sorted(SHAPES))}")
        plural = str(spec.get("plural", ""))
        if plural in plurals:
            problems.append(f"{where}: plural {plural!r} is also {plurals[plural]}'s")
        plurals[plural] = str(kind)
        label = _names(spec.get("label"), where, problems)
        fields = _fields(spec.get("fields"), f"{where}.fields", enum_names, problems)
        names = {f.name for f in fields} | {f.name for f in record_fields}
        links = []
        for fname, link in (spec.get("links") or {}).items():
            link = link if isinstance(link, dict) else {}
            lwhere = f"{where}.links.{fname}"
            if fname not in names:
                problems.append(f"{lwhere}: no field {fname!r} to hold the link")
            if link.get("edge") not in raw_edges:
                problems.append(f"{lwhere}: unknown edge type {link.get('edge')!r}")
            if link.get("direction") not in ("out", "in"):
                problems.append(f"{lwhere}: direction must be out or in")
            targets = tuple(link.get("targets") or ())
            if not targets:
                problems.append(f"{lwhere}: no target kinds")
            for t in targets:
                if t not in raw_nodes:
                    problems.append(f"{lwhere}: unknown target kind {t!r}")
            links.append(LinkSpec(str(fname), str(link.get("edge")), link.get("direction", "out"), targets))
        subtype = spec.get("subtype")
        if subtype is not None and subtype not in names:
            problems.append(f"{where}: subtype {subtype!r} is not one of its fields")
        legend = _names(spec["legend"], f"{where}.legend", problems) if "legend" in spec else label
        nodes[str(kind)] = NodeSpec(str(kind), plural, label, legend,
                                    str(spec.get("colour", "")), str(spec.get("shape", "")), fields, tuple(links),
                                    tuple(spec.get("checks") or ()), subtype)

    edges: dict[str, EdgeTypeSpec] = {}
    for etype, spec in raw_edges.items():
        spec = spec if isinstance(spec, dict) else {}
        sources: set[str] = set()
        targets: set[str] = set()
        for node in nodes.values():
            for link in node.links:
                if link.edge != etype:
                    continue
                if link.direction == "out":
                    sources.add(node.kind)
                    targets.update(link.targets)
                else:
                    sources.update(link.targets)
                    targets.add(node.kind)
        if not sources:
            problems.append(f"edges.{etype}: no link of any kind uses it")
        if not isinstance(spec.get("phrase"), str) or not spec["phrase"]:
            problems.append(f"edges.{etype}: no phrase")
        edges[str(etype)] = EdgeTypeSpec(str(etype), _names(spec.get("label"), f"edges.{etype}", problems),
                                         str(spec.get("phrase", "")), frozenset(sources), frozenset(targets))

    if problems:
        raise SchemaError(source, problems)
    return Schema(source, record_fields, nodes, edges, enums)


SCHEMA: Schema = load()
