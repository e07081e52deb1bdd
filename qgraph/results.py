"""Result shapes of the queries: pydantic models shared by the query layer, the API (response models) and the CLI."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qgraph.model import AgreementKind, AgreementStatus, Citation, Domain, EdgeType, NodeKind


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class EntityRef(_Out):
    """Enough of an entity to name it."""

    id: str
    kind: NodeKind
    name: str
    name_ja: str | None = None
    nation: str | None = Field(default=None, description="Nation id (ISO code in lower case) of the entity, if known.")
    external: bool = Field(default=False, description="True when the record rests on general knowledge, not on the "
                                                      "source document.")


class AgreementSummary(_Out):
    id: str
    name: str
    name_ja: str | None = None
    kind: AgreementKind
    date: str | None = Field(default=None, description="As the source gives it: YYYY, YYYY-MM or YYYY-MM-DD.")
    date_precision: Literal["year", "month", "day"] | None = None
    status: AgreementStatus | None = None
    domains: list[Domain] = []
    framework: EntityRef | None = None
    parties: list[EntityRef]
    sources: list[Citation]
    external: bool = Field(default=False, description="True when the record rests on general knowledge, not on the "
                                                      "source document.")


class Page(_Out):
    total: int
    limit: int
    offset: int


class SearchHit(_Out):
    entity: EntityRef
    aliases: list[str] = []
    score: float = Field(description="100 exact name or alias; 80+ all query words in one name, 60+ in one alias or "
                                     "the id, 50+ across names and aliases, 40+ in the description; below 20 some "
                                     "of the words. Up to 10 more within a tier for coverage and exact words.")
    field: str = Field(description="Which field matched: name, alias, id, names (names and aliases together), "
                                   "description.")
    matched: str = Field(description="The value that matched (a name, an alias …).")
    why: str = Field(description="Why the hit matched and ranked where it is.")


class Suggestion(_Out):
    """A candidate of a resolution, or a closest name when nothing matched."""

    entity: EntityRef
    score: float
    field: str
    matched: str


class SearchResult(_Out):
    query: str
    normalised: str
    page: Page
    hits: list[SearchHit]
    did_you_mean: list[Suggestion] = Field(default=[], description="When there is no hit: the closest names.")


class Resolution(_Out):
    """What a text names: one clear ``match``, ``ambiguous`` (several candidates as good), or ``none`` (the
    candidates are then the closest names)."""

    query: str
    verdict: str = Field(description="match, ambiguous or none.")
    match: EntityRef | None = None
    candidates: list[Suggestion]


class Completion(_Out):
    id: str
    kind: str
    name: str
    name_ja: str | None = None
    nation: str | None = None
    matched: str = Field(description="The name or alias whose words the typed text begins.")
    external: bool = False


class SuggestResult(_Out):
    query: str
    suggestions: list[Completion]


class Relation(_Out):
    type: EdgeType
    direction: Literal["out", "in"] = Field(description="'out' when this entity is the edge's source, else 'in'.")
    other: EntityRef
    sources: list[Citation]


class EntityDetail(_Out):
    entity: EntityRef
    properties: dict[str, Any]
    aliases: list[str] = []
    sources: list[Citation]
    degree: int
    relations: list[Relation]
    relations_truncated: bool = False


class Partner(_Out):
    partner: EntityRef
    agreement_count: int
    first_date: str | None = None
    last_date: str | None = None
    agreements: list[AgreementSummary]


class PartnersResult(_Out):
    entity: EntityRef
    filters: dict[str, Any]
    partner_count: int
    partners: list[Partner]


class PathStep(_Out):
    source: EntityRef
    agreement: AgreementSummary
    target: EntityRef


class PartnershipPath(_Out):
    hops: int
    entities: list[EntityRef]
    steps: list[PathStep]
    summary: str = Field(description="One paragraph in plain English, ready for a briefing.")


class PathsResult(_Out):
    source: EntityRef
    target: EntityRef
    filters: dict[str, Any]
    max_hops: int
    paths: list[PartnershipPath]


class AgreementsResult(_Out):
    filters: dict[str, Any]
    page: Page
    agreements: list[AgreementSummary]


class NationPartner(_Out):
    nation: EntityRef
    agreement_count: int
    agreements: list[AgreementSummary]


class NationPartnersResult(_Out):
    nation: EntityRef
    filters: dict[str, Any]
    partners: list[NationPartner]


class TimelineBucket(_Out):
    period: str
    agreements: list[AgreementSummary]
    strategies: list[EntityRef]


class TimelineResult(_Out):
    granularity: str
    filters: dict[str, Any]
    buckets: list[TimelineBucket]


class Broker(_Out):
    entity: EntityRef
    betweenness: float
    agreement_count: int


class BrokersResult(_Out):
    algorithm: str
    filters: dict[str, Any]
    #: False when estimated from a sample of sources (the graph was too large to compute exactly in one request)
    exact: bool = True
    brokers: list[Broker]


class Community(_Out):
    id: int
    size: int
    members: list[EntityRef]


class CommunitiesResult(_Out):
    algorithm: str
    filters: dict[str, Any]
    communities: list[Community]


class GraphNode(_Out):
    id: str
    kind: str
    name: str
    name_ja: str | None = None
    nation: str | None = None
    properties: dict[str, Any]
    sources: list[Citation]


class GraphEdge(_Out):
    type: str
    source: str
    target: str
    sources: list[Citation]


class SubgraphResult(_Out):
    """A part of the graph to draw or export: what was asked, and the nodes and edges that answer it."""

    title: str
    query: dict[str, Any] = Field(description="What was asked: the view and its arguments.")
    filters: dict[str, Any]
    data_version: str | None = None
    focus: list[str] = Field(default=[], description="Ids the view is about (the ego, the path ends …).")
    truncated: bool = Field(default=False, description="True when max_nodes cut the view short.")
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    new_since: NewSince | None = Field(default=None, description="With changes_since: what in this view is new "
                                                                 "since that point (maps highlight it).")


class NewSince(_Out):
    since: str = Field(description="The point as asked (changeset number, data version or date).")
    data_version: str | None = None
    nodes: list[str] = Field(default=[], description="Ids of the nodes added since then.")
    edges: list[list[str]] = Field(default=[], description="[type, source, target] of the edges added since then.")
