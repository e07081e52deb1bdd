"""Domain model: the records of the curated dataset and the property graph they become.

Invariants:
- every record is validated by a pydantic model with ``extra="forbid"``: an unknown field is an error, not ignored;
- ids are lowercase slugs, unique over the whole dataset (all kinds share one id space);
- every node and every edge carries ``sources`` (citations); only records marked ``external`` may have none, and
  they must say what they rest on in ``external_note``;
- node kinds (labels) and edge types come only from ``NodeKind`` and ``EDGE_SPECS``: stores may put a label or a
  relationship type into query text only after checking it against these whitelists;
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


class NodeKind(StrEnum):
    """Node labels. The only labels a store ever writes or queries."""

    NATION = "Nation"
    INSTITUTION = "Institution"
    HUB = "Hub"
    FACILITY = "Facility"
    STRATEGY = "Strategy"
    FRAMEWORK = "Framework"
    AGREEMENT = "Agreement"


class InstitutionType(StrEnum):
    GOVERNMENT_BODY = "government-body"
    NATIONAL_LAB = "national-lab"
    UNIVERSITY = "university"
    COMPANY = "company"
    INDUSTRY_CONSORTIUM = "industry-consortium"
    INTERNATIONAL_ORGANISATION = "international-organisation"
    FUNDING_AGENCY = "funding-agency"
    OTHER = "other"


class AgreementKind(StrEnum):
    MOU = "mou"
    MOC = "moc"
    ALLIANCE = "alliance"
    JOINT_STATEMENT = "joint-statement"
    COOPERATION_DOCUMENT = "cooperation-document"
    AGREEMENT = "agreement"
    LETTER_OF_INTENT = "letter-of-intent"
    OTHER = "other"


class AgreementStatus(StrEnum):
    SIGNED = "signed"
    REVISED = "revised"
    RENEWED = "renewed"
    ANNOUNCED = "announced"
    LAUNCHED = "launched"
    AGREED = "agreed"
    #: a meeting, workshop or visit that took place (the source lists them among cooperation items)
    HELD = "held"


class Domain(StrEnum):
    COMPUTING = "computing"
    SECURITY_NETWORK = "security-network"
    SENSING_MATERIALS = "sensing-materials"
    EDUCATION = "education"
    INDUSTRY = "industry"


class FacilityType(StrEnum):
    QUANTUM_COMPUTER = "quantum-computer"
    SUPERCOMPUTER = "supercomputer"
    TESTBED = "testbed"
    FABRICATION = "fabrication"
    OTHER = "other"


class FacilityStatus(StrEnum):
    OPERATING = "operating"
    PLANNED = "planned"
    UNDER_CONSTRUCTION = "under-construction"


class FrameworkType(StrEnum):
    DIALOGUE = "dialogue"
    PARTNERSHIP = "partnership"
    SUMMIT = "summit"
    ORGANISATION = "organisation"
    PROGRAMME = "programme"
    OTHER = "other"


# --------------------------------------------------------------------------------------------------- records


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Citation(_Strict):
    """Where a fact stands in a source document."""

    document: Slug
    section: Text
    footnote: int | None = Field(default=None, ge=1, le=999)
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


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


class Record(_Strict):
    """Fields shared by every entity record."""

    kind: ClassVar[NodeKind]
    plural: ClassVar[str]
    #: field name -> (edge type, direction): "out" means record -[TYPE]-> target, "in" means target -[TYPE]-> record
    links: ClassVar[dict[str, tuple[str, Literal["out", "in"]]]] = {}

    id: Slug
    name: Text
    name_ja: Text | None = None
    aliases: list[Text] = Field(default_factory=list)
    description: Text | None = None
    sources: list[Citation] = Field(default_factory=list)
    external: bool = False
    external_note: Text | None = None

    @model_validator(mode="after")
    def _cited_or_external(self) -> Record:
        if self.external and not self.external_note:
            raise ValueError("external_note: required when external is true (say what the record rests on)")
        if not self.external and not self.sources:
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


class Nation(Record):
    kind = NodeKind.NATION
    plural = "nations"

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]

    @model_validator(mode="after")
    def _iso_code(self) -> Nation:
        if self.code != "EU" and pycountry.countries.get(alpha_2=self.code) is None:
            raise ValueError(f"code: {self.code!r} is not an ISO 3166-1 alpha-2 code")
        if self.id != self.code.lower():
            raise ValueError(f"id: a nation's id is its code in lower case ({self.code.lower()!r}), not {self.id!r}")
        return self


class Institution(Record):
    kind = NodeKind.INSTITUTION
    plural = "institutions"
    links = {"nation": ("LOCATED_IN", "out"), "members": ("MEMBER_OF", "in")}

    type: InstitutionType
    nation: Slug | None = None
    members: list[Slug] = Field(default_factory=list)
    founded: PartialDate | None = None
    url: str | None = None


class Hub(Record):
    kind = NodeKind.HUB
    plural = "hubs"
    links = {"host": ("HOSTED_BY", "out"), "nation": ("LOCATED_IN", "out")}

    host: Slug
    nation: Slug | None = None
    focus: Text | None = None
    designated: PartialDate | None = None


class Facility(Record):
    kind = NodeKind.FACILITY
    plural = "facilities"
    links = {"operators": ("OPERATES", "in"), "nation": ("LOCATED_IN", "out")}

    facility_type: FacilityType
    operators: list[Slug] = Field(default_factory=list)
    nation: Slug | None = None
    date: PartialDate | None = None
    status: FacilityStatus | None = None


class Strategy(Record):
    kind = NodeKind.STRATEGY
    plural = "strategies"
    links = {"nation": ("ADOPTED", "in"), "adopter": ("ADOPTED", "in")}

    nation: Slug | None = None
    adopter: Slug | None = None
    date: PartialDate | None = None
    budget: Text | None = None
    budget_amount: float | None = Field(default=None, ge=0)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    period: Text | None = None

    @model_validator(mode="after")
    def _one_adopter(self) -> Strategy:
        if (self.nation is None) == (self.adopter is None):
            raise ValueError("nation: give exactly one of nation (a nation id) or adopter (an institution id)")
        if self.currency and pycountry.currencies.get(alpha_3=self.currency) is None:
            raise ValueError(f"currency: {self.currency!r} is not an ISO 4217 code")
        return self


class Framework(Record):
    kind = NodeKind.FRAMEWORK
    plural = "frameworks"
    links = {"members": ("MEMBER_OF", "in")}

    framework_type: FrameworkType
    members: list[Slug] = Field(default_factory=list)
    established: PartialDate | None = None


class Agreement(Record):
    kind = NodeKind.AGREEMENT
    plural = "agreements"
    links = {"parties": ("PARTY_TO", "in"), "framework": ("UNDER", "out")}

    kind_: AgreementKind = Field(alias="kind")
    parties: Annotated[list[Slug], Field(min_length=2)]
    date: PartialDate | None = None
    status: AgreementStatus | None = None
    domains: list[Domain] = Field(default_factory=list)
    framework: Slug | None = None

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _distinct_parties(self) -> Agreement:
        if len(set(self.parties)) != len(self.parties):
            raise ValueError("parties: a party is listed twice")
        return self

    def properties(self) -> dict[str, Any]:
        props = super().properties()
        props["kind"] = props.pop("kind_")
        return props


RECORD_TYPES: tuple[type[Record], ...] = (Nation, Institution, Hub, Facility, Strategy, Framework, Agreement)
RECORD_BY_PLURAL: dict[str, type[Record]] = {cls.plural: cls for cls in RECORD_TYPES}
RECORD_BY_KIND: dict[NodeKind, type[Record]] = {cls.kind: cls for cls in RECORD_TYPES}

# --------------------------------------------------------------------------------------------------- graph

PARTY_KINDS = frozenset({NodeKind.NATION, NodeKind.INSTITUTION, NodeKind.HUB})


@dataclass(frozen=True, slots=True)
class EdgeSpec:
    """Which node kinds an edge type may join: the relationship-type whitelist."""

    sources: frozenset[NodeKind]
    targets: frozenset[NodeKind]


EDGE_SPECS: dict[str, EdgeSpec] = {
    "PARTY_TO": EdgeSpec(PARTY_KINDS, frozenset({NodeKind.AGREEMENT})),
    "LOCATED_IN": EdgeSpec(frozenset({NodeKind.INSTITUTION, NodeKind.HUB, NodeKind.FACILITY}),
                           frozenset({NodeKind.NATION})),
    "HOSTED_BY": EdgeSpec(frozenset({NodeKind.HUB}), frozenset({NodeKind.INSTITUTION})),
    "OPERATES": EdgeSpec(frozenset({NodeKind.INSTITUTION, NodeKind.HUB}), frozenset({NodeKind.FACILITY})),
    "ADOPTED": EdgeSpec(frozenset({NodeKind.NATION, NodeKind.INSTITUTION}), frozenset({NodeKind.STRATEGY})),
    "UNDER": EdgeSpec(frozenset({NodeKind.AGREEMENT}), frozenset({NodeKind.FRAMEWORK})),
    "MEMBER_OF": EdgeSpec(frozenset({NodeKind.NATION, NodeKind.INSTITUTION}),
                          frozenset({NodeKind.FRAMEWORK, NodeKind.INSTITUTION})),
}


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
    return Node(id=record.id, kind=record.kind, properties=record.properties(), sources=record.sources)


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
