"""Domain model: the records of the curated dataset and the property graph they become.

Invariants:
- every record is validated by a pydantic model with ``extra="forbid"``: an unknown field is an error, not ignored;
- ids are lowercase slugs, unique over the whole dataset (all kinds share one id space);
- every node and every edge carries ``sources`` (citations); only records marked ``external`` may have none, and
  they must say what they rest on in ``external_note``;
- node kinds (labels) and edge types come only from ``NodeKind`` and ``EDGE_SPECS``: stores may put a label or a
  relationship type into query text only after checking it against these whitelists;
- both, the enums and the record models are built from the one schema declaration (``qgraph.schema``,
  ``qgraph/schema.yaml``): a kind, field, link or enum member is added there, not here;
- dates keep the precision the source gives (year, month or day) and are compared as intervals
  ``[date_from, date_to]`` of ISO day strings, which sort correctly as text in both stores.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

import pycountry
from pydantic import (AfterValidator, BeforeValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter,
                      model_validator)

from qgraph.schema import SCHEMA, FieldSpec, NodeSpec, SchemaError

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


# --------------------------------------------------------------------------------------------------- dates

_DATE_RE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$", re.ASCII)


@dataclass(frozen=True, slots=True)
class DateSpan:
    """A date at year, month or day precision, as the first and last day it covers."""

    text: str
    precision: Literal["year", "month", "day"]
    first: str
    last: str

    @classmethod
    def parse(cls, text: str) -> DateSpan:
        # Bulk data repeats the same dates many times: remember the parsed ones (valid dates only; errors are
        # raised anew each time).
        span = _PARSED_DATES.get(text)
        if span is None:
            span = cls._parse(text)
            if len(_PARSED_DATES) < 200_000:
                _PARSED_DATES[text] = span
        return span

    @classmethod
    def _parse(cls, text: str) -> DateSpan:
        m = _DATE_RE.match(text)
        if not m:
            hint = " (it has full-width or other non-ASCII digits)" if any(c.isdigit() and not c.isascii()
                                                                            for c in text) else ""
            raise ValueError(f"{text!r} is not a date{hint}: use YYYY, YYYY-MM or YYYY-MM-DD")
        y, mo, d = (int(g) if g else None for g in m.groups())
        if not 1000 <= y <= 2999:
            raise ValueError(f"{text!r}: year {y} is out of range")
        if mo is None:
            return cls(text, "year", f"{y:04d}-01-01", f"{y:04d}-12-31")
        if not 1 <= mo <= 12:
            raise ValueError(f"{text!r}: month {mo} does not exist")
        last_day = calendar.monthrange(y, mo)[1]
        if d is None:
            return cls(text, "month", f"{y:04d}-{mo:02d}-01", f"{y:04d}-{mo:02d}-{last_day:02d}")
        try:
            date(y, mo, d)
        except ValueError:
            raise ValueError(f"{text!r}: day {d} does not exist in {y:04d}-{mo:02d}") from None
        return cls(text, "day", text, text)


_PARSED_DATES: dict[str, DateSpan] = {}


def _year_as_text(value: Any) -> Any:
    # YAML reads an unquoted year (2023) as a number; it means the same as "2023".
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _check_date(value: str) -> str:
    DateSpan.parse(value)
    return value


PartialDate = Annotated[str, BeforeValidator(_year_as_text), AfterValidator(_check_date)]


# --------------------------------------------------------------------------------------------------- enums
# Built from the schema declaration (qgraph/schema.yaml): a member's Python name is its value in upper case with "-"
# as "_" (``AgreementKind.LETTER_OF_INTENT == "letter-of-intent"``, ``NodeKind.NATION == "Nation"``).


def _member_name(value: str) -> str:
    return value.upper().replace("-", "_")


def _make_enum(name: str, values: Iterable[str], doc: str) -> type[StrEnum]:
    enum = StrEnum(name, [(_member_name(v), v) for v in values], module=__name__, qualname=name)  # type: ignore[misc]
    enum.__doc__ = doc
    return enum


#: Node labels: the only labels a store ever writes or queries.
NodeKind = _make_enum("NodeKind", SCHEMA.nodes, "Node labels. The only labels a store ever writes or queries.")
#: Relationship types, from the declaration's edges (their endpoints are in ``EDGE_SPECS``).
EdgeType = _make_enum("EdgeType", SCHEMA.edges, "Relationship types. The only types a store ever writes or queries.")
#: every enumeration of the declaration, by name
ENUMS: dict[str, type[StrEnum]] = {
    name: _make_enum(name, spec.values, f"{name}: declared in qgraph/schema.yaml.") for name, spec in SCHEMA.enums.items()}


def _enum(name: str) -> type[StrEnum]:
    if name not in ENUMS:
        raise SchemaError(SCHEMA.source, [f"enums.{name}: missing (the code uses it)"])
    return ENUMS[name]


InstitutionType = _enum("InstitutionType")
AgreementKind = _enum("AgreementKind")
AgreementStatus = _enum("AgreementStatus")
Domain = _enum("Domain")
FacilityType = _enum("FacilityType")
FacilityStatus = _enum("FacilityStatus")
FrameworkType = _enum("FrameworkType")


# --------------------------------------------------------------------------------------------------- records


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Citation(_Strict):
    """Where a fact stands in a source document."""

    document: Slug
    section: Text
    footnote: int | None = Field(default=None, ge=1, le=999)
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]

    @property
    def place(self) -> str:
        """Where it is, in words: "measures-2024, III(1) 国際連携の進展, footnote 4"."""
        return f"{self.document}, {self.section}" + (f", footnote {self.footnote}" if self.footnote else "")


class Document(_Strict):
    """A source document that citations point to."""

    id: Slug
    title: Text
    title_en: Text
    publisher: Text
    date: PartialDate
    url: str | None = None
    file: str | None = None
    #: ingested documents (``qgraph ingest``): the language of the text and the SHA-256 of the file's bytes, by
    #: which the same document ingested twice is recognised
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None


#: the schema's basic field types as pydantic annotations (enum names map to the enums above)
FIELD_TYPES: dict[str, Any] = {
    "slug": Slug,
    "text": Text,
    "date": PartialDate,
    "url": str,
    "number": Annotated[float, Field(ge=0)],
    "country-code": Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")],
    "currency-code": Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")],
    "boolean": bool,
    "citation": Citation,
}


class _RecordBase(_Strict):
    """What every entity record does; its fields come from ``record_fields`` of the declaration (``Record``)."""

    node_kind: ClassVar[NodeKind]
    plural: ClassVar[str]
    #: field name -> (edge type, direction): "out" means record -[TYPE]-> target, "in" means target -[TYPE]-> record
    links: ClassVar[dict[str, tuple[str, Literal["out", "in"]]]] = {}

    @model_validator(mode="after")
    def _cited_or_external(self) -> Any:
        values = self.__dict__
        if values["external"] and not values["external_note"]:
            raise ValueError("external_note: required when external is true (say what the record rests on)")
        if not values["external"] and not values["sources"]:
            raise ValueError("sources: at least one citation is required (or mark the record external: true)")
        return self

    def properties(self) -> dict[str, Any]:
        """Flat node properties (scalars and lists of scalars); links and sources are not included."""
        props: dict[str, Any] = {}
        values = self.__dict__  # the field values (iterating the model gives the same, at a cost per call)
        for name in self._property_fields():
            value = values[name]
            if value is None or value == []:
                continue
            if isinstance(value, list):
                value = list(map(str, value))
            elif isinstance(value, StrEnum):
                value = value.value
            props[name] = value
        if isinstance(props.get("date"), str):
            span = DateSpan.parse(props["date"])
            props.update(date_from=span.first, date_to=span.last, date_precision=span.precision)
        return props

    @classmethod
    @functools.cache
    def _property_fields(cls) -> tuple[str, ...]:
        """The fields that are node properties, in declaration order: all but the id, the citations and the link
        fields (they become edges)."""
        return tuple(name for name in cls.model_fields if name not in {"id", "sources", *cls.links})


# Record-level checks the declaration names (``checks: [...]``): what one field's type cannot say.

def _check_nation_code(self: Any) -> Any:
    if self.code != "EU" and pycountry.countries.get(alpha_2=self.code) is None:
        raise ValueError(f"code: {self.code!r} is not an ISO 3166-1 alpha-2 code")
    if self.id != self.code.lower():
        raise ValueError(f"id: a nation's id is its code in lower case ({self.code.lower()!r}), not {self.id!r}")
    return self


def _check_one_adopter(self: Any) -> Any:
    if (self.nation is None) == (self.adopter is None):
        raise ValueError("nation: give exactly one of nation (a nation id) or adopter (an institution id)")
    if self.currency and pycountry.currencies.get(alpha_3=self.currency) is None:
        raise ValueError(f"currency: {self.currency!r} is not an ISO 4217 code")
    return self


def _check_distinct_parties(self: Any) -> Any:
    if len(set(self.parties)) != len(self.parties):
        raise ValueError("parties: a party is listed twice")
    return self


CHECKS: dict[str, Any] = {"nation-code": _check_nation_code, "one-adopter": _check_one_adopter,
                          "distinct-parties": _check_distinct_parties}


def _annotations(fields: Iterable[FieldSpec]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pydantic annotations and defaults for declared fields."""
    annotations: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for f in fields:
        base = ENUMS[f.type] if f.type in ENUMS else FIELD_TYPES[f.type]
        if f.list:
            annotations[f.name] = Annotated[list[base], Field(min_length=f.min_items)] if f.min_items else list[base]
            if not f.required:
                defaults[f.name] = Field(default_factory=list)
        elif f.required:
            annotations[f.name] = base
        else:
            annotations[f.name] = base | None if base is not bool else bool
            defaults[f.name] = False if base is bool else None
    return annotations, defaults


def _record_base() -> type[_RecordBase]:
    annotations, defaults = _annotations(SCHEMA.record_fields)
    return type("Record", (_RecordBase,), {"__module__": __name__, "__qualname__": "Record",
                                           "__doc__": "Fields shared by every entity record.",
                                           "__annotations__": annotations, **defaults})


Record = _record_base()


def _record_type(spec: NodeSpec) -> type[Record]:
    unknown = [c for c in spec.checks if c not in CHECKS]
    if unknown:
        raise SchemaError(SCHEMA.source, [f"nodes.{spec.kind}.checks: unknown check {c!r} (known: "
                                          f"{', '.join(sorted(CHECKS))})" for c in unknown])
    annotations, defaults = _annotations(spec.fields)
    namespace: dict[str, Any] = {
        "__module__": __name__, "__qualname__": spec.kind, "__doc__": f"A {spec.label.en} record ({spec.plural}).",
        "__annotations__": annotations, **defaults,
        "node_kind": NodeKind(spec.kind), "plural": spec.plural,
        "links": {link.field: (link.edge, link.direction) for link in spec.links},
        **{f"_check_{c.replace('-', '_')}": model_validator(mode="after")(CHECKS[c]) for c in spec.checks},
    }
    return type(spec.kind, (Record,), namespace)


RECORD_TYPES: tuple[type[Record], ...] = tuple(_record_type(spec) for spec in SCHEMA.nodes.values())
RECORD_BY_PLURAL: dict[str, type[Record]] = {cls.plural: cls for cls in RECORD_TYPES}
RECORD_BY_KIND: dict[NodeKind, type[Record]] = {cls.node_kind: cls for cls in RECORD_TYPES}
globals().update({cls.__name__: cls for cls in RECORD_TYPES})  # importable by name (qgraph.model.Agreement), picklable

# --------------------------------------------------------------------------------------------------- graph


@dataclass(frozen=True, slots=True)
class EdgeSpec:
    """Which node kinds an edge type may join: the relationship-type whitelist."""

    sources: frozenset[NodeKind]
    targets: frozenset[NodeKind]


#: relationship types and the kinds they join, from the links of every kind in the declaration
EDGE_SPECS: dict[str, EdgeSpec] = {
    t: EdgeSpec(frozenset(map(NodeKind, spec.sources)), frozenset(map(NodeKind, spec.targets)))
    for t, spec in SCHEMA.edges.items()}
#: the kinds that may be party to an agreement
PARTY_KINDS = EDGE_SPECS["PARTY_TO"].sources


class Node(_Strict):
    """A validated node, as stores receive and return it."""

    id: Slug
    kind: NodeKind
    properties: dict[str, Any]
    sources: list[Citation]


class Edge(_Strict):
    """A validated edge; (type, source, target) identifies it."""

    type: str
    source: Slug
    target: Slug
    sources: list[Citation]

    @model_validator(mode="after")
    def _known_type(self) -> Edge:
        if self.type not in EDGE_SPECS:
            raise ValueError(f"type: {self.type!r} is not a known relationship type")
        return self

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.type, self.source, self.target)


class Graph(_Strict):
    """A whole validated load: nodes and the edges between them (every edge end is a node here or in the store)."""

    nodes: list[Node] = []
    edges: list[Edge] = []
    documents: list[Document] = []


def record_node(record: Record) -> Node:
    """The node a record becomes."""
    return Node(id=record.id, kind=record.node_kind, properties=record.properties(), sources=record.sources)


def record_links(record: Record) -> list[tuple[str, tuple[str, str, str]]]:
    """The edges the record's link fields declare, as (link field, (edge type, source, target))."""
    links: list[tuple[str, tuple[str, str, str]]] = []
    for field, (edge_type, direction) in record.links.items():
        value = getattr(record, field)
        targets = value if isinstance(value, list) else [value] if value else []
        for other in targets:
            src, dst = (record.id, other) if direction == "out" else (other, record.id)
            links.append((field, (edge_type, src, dst)))
    return links


_EDGE_LIST = TypeAdapter(list[Edge])


def edges_of(cited: Iterable[tuple[tuple[str, str, str], list[Citation]]]) -> list[Edge]:
    """The edges ``(type, source, target)`` carrying their citations, validated in one pydantic-core call (cheaper
    than an ``Edge(...)`` each, at a million edges)."""
    return _EDGE_LIST.validate_python([{"type": edge_type, "source": source, "target": target, "sources": sources}
                                       for (edge_type, source, target), sources in cited])
