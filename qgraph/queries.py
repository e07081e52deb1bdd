"""The questions qgraph answers, written once over the store interface.

Each method checks its arguments, asks the store's primitives (``Store.search``, ``Store.agreements``,
``Store.shortest_paths`` …) and shapes a result model from ``qgraph.results``. Because all shaping happens here, the
memory store and Neo4j give the same answers as long as their primitives do (the contract suite checks both).

Bounds: every list is paged or capped (``MAX_LIMIT``, ``SCAN_CAP``, ``PATH_CAP``); paths are at most ``MAX_HOPS``
agreements long. Unknown ids raise ``NotFound``; bad arguments raise ``BadParameter`` naming the parameter.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

import networkx as nx
import pycountry

from qgraph import cancel
from qgraph.model import SLUG_PATTERN, AgreementKind, DateSpan, Domain, NodeKind
from qgraph.results import (AgreementSummary, AgreementsResult, Broker, BrokersResult, CommunitiesResult,
                            Community, EntityDetail, EntityRef, GraphEdge, GraphNode, NationPartner, NationPartnersResult, Page, Partner,
                            PartnersResult, PartnershipPath, PathsResult, PathStep, Relation, Resolution, SearchHit,
                            SearchResult, SubgraphResult, Completion, Suggestion, SuggestResult, TimelineBucket,
                            TimelineResult)
from qgraph.schema import SCHEMA
from qgraph.search import (CANDIDATE_CAP, EXACT_CAP, BadText, Plan, Ranked, check_text, plan, rank, relaxed)
from qgraph.store import AgreementFilter, AgreementRow, FilterFields, Store, entity_ref
from qgraph.text import normalise

_SLUG = re.compile(SLUG_PATTERN)
MAX_LIMIT = 500
#: deepest page: far past any real graph, far below Neo4j's 64-bit longs (offset + limit must not overflow there)
MAX_OFFSET = 1_000_000
MAX_HOPS = 8
MAX_K = 20
#: most agreements one partners / nation / timeline / analysis query looks at
SCAN_CAP = 20_000
#: most shortest paths fetched before sorting and keeping k
PATH_CAP = 1_000
#: betweenness is exact up to this many nodes, then estimated from a seeded sample of this many sources
BROKER_SAMPLE = 2_000
#: most work one analysis may do, in node and edge visits (one breadth-first search from one source visits each node
#: and edge once): past it betweenness samples fewer sources, and communities are refused (narrow the filters)
ANALYSIS_WORK = 5_000_000
#: fewest sources a betweenness estimate uses, whatever the graph's size
MIN_BROKER_SOURCES = 10
#: most nodes a drawn or exported view holds
MAX_NODES = 20_000
MAX_DEPTH = 4
#: edges that give a view its context: where entities sit, which framework an agreement falls under, hosts, machines
CONTEXT_TYPES = ("LOCATED_IN", "UNDER", "HOSTED_BY", "OPERATES")
SEED = 42
#: a resolution's clear match must score this much, and lead the next candidate by MATCH_LEAD
MATCH_SCORE = 50
MATCH_LEAD = 5
#: candidates an autocomplete query ranks (the first in the fixed order: entities first, by name)
SUGGEST_CAP = 100
#: candidates ranked for the closest names of a query that matches nothing (``did_you_mean``, a resolution's
#: suggestions): a short list, as autocomplete's, from as many candidates (its relaxed words are prefixes, often broad)
CLOSEST_CAP = SUGGEST_CAP
#: a query word matching more nodes than this is broad: left out of "any word" candidates when rarer words are there
BROAD_HITS = 2_000
MAX_SUGGEST = 50
#: kinds that can be the end of a partnership path or have partners: every kind but agreements
PARTY_KINDS = tuple(k.value for k in NodeKind if k is not NodeKind.AGREEMENT)


class NotFound(LookupError):
    """Nothing has this id (or name); ``suggestions`` are the closest names, if any."""

    def __init__(self, what: str, ident: str, suggestions: list[Suggestion] | None = None) -> None:
        self.what, self.ident, self.suggestions = what, ident, suggestions or []
        closest = f"; closest: {', '.join(repr(s.entity.name) + ' (' + s.entity.id + ')' for s in self.suggestions)}" \
            if self.suggestions else ""
        super().__init__(f"no {what} with id or name {ident!r}{closest}")


class Ambiguous(LookupError):
    """A name that several entities answer to about as well: ``candidates`` lists them."""

    def __init__(self, param: str, text: str, candidates: list[Suggestion]) -> None:
        self.param, self.text, self.candidates = param, text, candidates
        super().__init__(f"{param}: {text!r} is ambiguous: "
                         + ", ".join(f"{c.entity.name} ({c.entity.id})" for c in candidates))


class TooExpensive(ValueError):
    """The request would need more work than one request may do; the message says how to narrow it."""


def _betweenness(g: nx.Graph, k: int | None) -> dict[str, float]:
    """``nx.betweenness_centrality(g, k=k, normalized=True, seed=SEED)``, the same numbers, with the deadline
    checked between sources (networkx's loop, written out from its helpers of networkx 3.6)."""
    from networkx.algorithms.centrality.betweenness import (_accumulate_basic, _rescale,
                                                            _single_source_shortest_path_basic)

    betweenness = dict.fromkeys(g, 0.0)
    if k == len(g):
        k = None
    nodes = list(g) if k is None else random.Random(SEED).sample(list(g.nodes()), k)
    for source in nodes:
        cancel.check()
        found, preds, sigma, _ = _single_source_shortest_path_basic(g, source)
        betweenness, _ = _accumulate_basic(betweenness, found, preds, sigma, source)
    return _rescale(betweenness, len(g), normalized=True, directed=False, endpoints=False,
                    sampled_nodes=None if k is None else nodes)


class BadParameter(ValueError):
    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(f"{param}: {message}")


def nation_id(code: str, param: str = "nation") -> str:
    """A nation id from an ISO 3166-1 code (alpha-2 or alpha-3, any case) or ``EU``."""
    text = code.strip().upper()
    if text == "EU":
        return "eu"
    country = pycountry.countries.get(alpha_2=text) if len(text) == 2 else \
        pycountry.countries.get(alpha_3=text) if len(text) == 3 else None
    if country is None:
        raise BadParameter(param, f"{code!r} is not an ISO 3166-1 country code")
    return country.alpha_2.lower()


def _span(value: str | None, param: str) -> DateSpan | None:
    if value is None or value == "":
        return None
    try:
        return DateSpan.parse(value.strip())
    except ValueError as exc:
        raise BadParameter(param, str(exc)) from None


@dataclass(frozen=True)
class Filters(FilterFields):
    """What a user may narrow a query by (the fields of ``FilterFields``, as given). Dates at any precision: ``2023``,
    ``2023-11``, ``2023-11-03``."""

    def echo(self) -> dict[str, Any]:
        """The filters as given, for the result (empty ones left out)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items() if v not in (None, ())}

    def agreement_filter(self, *, with_nation: bool = True) -> AgreementFilter:
        since, until = _span(self.since, "since"), _span(self.until, "until")
        if since and until and since.first > until.last:
            raise BadParameter("until", f"{self.until} is before since={self.since}")
        for kind in self.kinds:
            if kind not in AgreementKind._value2member_map_:
                raise BadParameter("kind", f"{kind!r} is not one of {', '.join(k.value for k in AgreementKind)}")
        for domain in self.domains:
            if domain not in Domain._value2member_map_:
                raise BadParameter("domain", f"{domain!r} is not one of {', '.join(d.value for d in Domain)}")
        values = {f.name: getattr(self, f.name) for f in fields(FilterFields)}
        values.update(nation=nation_id(self.nation) if self.nation and with_nation else None,
                      since=since.first if since else None, until=until.last if until else None)
        return AgreementFilter(**values)


def summarise_agreement(row: AgreementRow) -> AgreementSummary:
    p = row.node.properties
    return AgreementSummary(
        id=row.node.id, name=p.get("name", row.node.id), name_ja=p.get("name_ja"), kind=p.get("kind", "other"),
        date=p.get("date"), date_precision=p.get("date_precision"), status=p.get("status"),
        domains=p.get("domains", []), framework=row.framework, parties=row.parties, sources=row.node.sources,
        external=bool(p.get("external")))


#: how a briefing marks a record that rests on general knowledge rather than the source document
EXTERNAL_MARK = " [external: general knowledge, not in the source document]"


def _label(ref: EntityRef) -> str:
    return ref.name + (f" ({ref.nation.upper()})" if ref.nation and ref.kind != NodeKind.NATION else "") + \
        (EXTERNAL_MARK if ref.external else "")


def _cite(a: AgreementSummary) -> str:
    """The agreement's citations, compact: "measures-2024, III(1) 国際連携の進展, footnote 4"."""
    if not a.sources:
        return "not in the source document"
    places: list[str] = []
    for c in a.sources:
        if c.place not in places:
            places.append(c.place)
    # A footnote is the more precise place: drop a bare section that a footnote of the same section refines.
    refined = [p for p in places if "footnote" in p]
    places = [p for p in places if "footnote" in p or not any(r.startswith(p + ",") for r in refined)]
    return "; ".join(places)


#: briefing words of the declaration: "a memorandum of understanding", what the parties did ("revised", "agreed on")
_KIND_PHRASE = {m.value: m.get("phrase") for m in SCHEMA.enum("AgreementKind").members}
_STATUS_VERB = {m.value: m.get("verb") for m in SCHEMA.enum("AgreementStatus").members}


def path_summary(entities: list[EntityRef], steps: list[PathStep]) -> str:
    """One paragraph of plain English describing a path, for a briefing."""
    first, last = entities[0], entities[-1]
    n = len(steps)
    parts = [f"{_label(first)} is connected to {_label(last)} through {n} agreement{'s' if n != 1 else ''}"
             + (f" via {', '.join(_label(e) for e in entities[1:-1])}" if n > 1 else "") + "."]
    for step in steps:
        a = step.agreement
        when = (f"on {a.date}" if a.date_precision == "day" else f"in {a.date}") if a.date else "(undated)"
        others = [p for p in a.parties if p.id not in (step.source.id, step.target.id)]
        extra = f" together with {', '.join(p.name for p in others)}" if others else ""
        verb = _STATUS_VERB.get(a.status or "", "signed")
        parts.append(f"{step.source.name} and {step.target.name}{extra} {verb} {_KIND_PHRASE.get(a.kind, 'an agreement')}"
                     f" — {a.name}{EXTERNAL_MARK if a.external else ''} — {when}" + (f" under {a.framework.name}" if a.framework else "")
                     + f" ({_cite(a)}).")
    return " ".join(parts)


@dataclass(frozen=True)
class Queries:
    store: Store

    # ------------------------------------------------------------------ helpers

    def _require(self, node_id: str, what: str = "entity", param: str = "id",
                 kinds: tuple[str, ...] = ()) -> EntityRef:
        """The entity with this id, or else the one this name resolves to (``NotFound`` / ``Ambiguous``); a nation
        is asked for by its code only."""
        ref = self.store.entity_refs([node_id]).get(node_id)
        if ref is None and what == "nation":
            raise NotFound(what, node_id)
        if ref is None:
            ident = self.lookup(node_id, param=param, what=what, kinds=kinds)
            ref = self.store.entity_refs([ident])[ident]
        return ref

    def _named(self, text: str, param: str, what: str = "entity", kinds: tuple[str, ...] = ()) -> str:
        """The id a text names, for a text that is no id (``NotFound`` with suggestions, ``Ambiguous``)."""
        return self.lookup(text, param=param, what=what, kinds=kinds)

    @staticmethod
    def _page(limit: int, offset: int) -> tuple[int, int]:
        if not 1 <= limit <= MAX_LIMIT:
            raise BadParameter("limit", f"must be between 1 and {MAX_LIMIT}")
        if not 0 <= offset <= MAX_OFFSET:
            raise BadParameter("offset", f"must be between 0 and {MAX_OFFSET}")
        return limit, offset

    def _scan(self, f: AgreementFilter) -> list[AgreementSummary]:
        _, rows = self.store.agreements(f, SCAN_CAP, 0)
        return [summarise_agreement(r) for r in rows]

    # ------------------------------------------------------------------ queries

    @staticmethod
    def _text(param: str, text: str | None) -> str:
        try:
            return check_text(text)
        except BadText as exc:
            raise BadParameter(param, str(exc)) from None

    @staticmethod
    def _kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
        for kind in kinds:
            if kind not in NodeKind._value2member_map_:
                raise BadParameter("kind", f"{kind!r} is not one of {', '.join(k.value for k in NodeKind)}")
        return kinds

    def _rare(self, p: Plan, kinds: tuple[str, ...]) -> Plan:
        """The plan's words that match at most ``BROAD_HITS`` nodes each, when some are broader (all of them when
        none is, or all are): for "any word" candidates. A common word ("quantum" in most names of a large graph)
        would make the first ``cap`` candidates in the fixed order an arbitrary slice of the graph, hiding the nodes
        that hold the rarer words, and would cost every store a sort of most of its nodes. The dropped words still
        count in the ranking, which uses the whole plan."""
        if len(p.clauses) < 2:
            return p
        hits = self.store.clause_hits(p, kinds, BROAD_HITS)
        # A word that matches nothing is no rarer word: left alone, it would stand for a broad word it replaced.
        rare = tuple(c for c, n in zip(p.clauses, hits) if 0 < n <= BROAD_HITS)
        return replace(p, clauses=rare) if rare and len(rare) < len(p.clauses) else p

    def _find(self, p: Plan, kinds: tuple[str, ...], cap: int, *, count: bool = True) -> tuple[int, list[Ranked]]:
        """Every required word (or, when no node has them all and no exact name matches, any of its rarer words:
        ``_rare``), ranked; with their number (``count`` false: perhaps a lower bound, ``Store.search_candidates``)."""
        exact, total, cands = self.store.search_candidates(p, "all", kinds, cap, EXACT_CAP, count=count)
        if not exact and not total and len(p.clauses) > 1:
            exact, total, cands = self.store.search_candidates(self._rare(p, kinds), "any", kinds, cap, EXACT_CAP,
                                                               count=count)
        ids = {c.id for c in cands}
        # Exact names outside the word matches count too (known only when every word match was returned).
        extra = len({e.id for e in exact} - ids) if total <= len(cands) else 0
        return total + extra, rank(p, [*exact, *cands])

    def _refs(self, ranked: list[Ranked]) -> dict[str, EntityRef]:
        """The entity references of these hits: those the store read with the candidates, the others asked for."""
        refs = {r.id: EntityRef(**r.ref) for r in ranked if r.ref is not None}
        missing = [r.id for r in ranked if r.ref is None]
        if missing:
            refs.update(self.store.entity_refs(missing))
        return refs

    def _suggestions(self, ranked: list[Ranked], n: int = 5) -> list[Suggestion]:
        top = ranked[:n]
        refs = self._refs(top)
        return [Suggestion(entity=refs[r.id], score=r.score, field=r.field, matched=r.matched)
                for r in top if r.id in refs]

    def _closest(self, p: Plan, kinds: tuple[str, ...], n: int = 5) -> list[Suggestion]:
        """The closest names when nothing matches: the best of the nearest relaxed plan that matches something
        (``qgraph.search.relaxed``). The nearest is tried first because it is closer, and cheaper: the first half of
        a word as a prefix ("shi" of "shits") matches many names, which cost a store a sort of their order."""
        for level in (0, 1):
            loose = relaxed(p, level)
            if not loose.clauses:
                continue
            _, _, cands = self.store.search_candidates(self._rare(loose, kinds), "any", kinds, CLOSEST_CAP,
                                                       EXACT_CAP, count=False)
            ranked = rank(loose, cands)
            if ranked:
                return self._suggestions(ranked, n)
        return []

    def search(self, q: str, *, kinds: tuple[str, ...] = (), limit: int = 20, offset: int = 0) -> SearchResult:
        """Entities by name, alias or description, in English or Japanese, ranked as ``qgraph.search`` says; when
        nothing matches, ``did_you_mean`` holds the closest names."""
        limit, offset = self._page(limit, offset)
        self._text("q", q)
        kinds = self._kinds(kinds)
        p = plan(q)
        total, ranked = self._find(p, kinds, min(max(CANDIDATE_CAP, offset + limit), 5_000))
        page = ranked[offset:offset + limit]
        refs = self._refs(page)
        hits = [SearchHit(entity=refs[r.id], aliases=list(r.aliases), score=r.score, field=r.field, matched=r.matched,
                          why=r.why) for r in page if r.id in refs]
        return SearchResult(query=q, normalised=p.normalised, page=Page(total=total, limit=limit, offset=offset),
                            hits=hits, did_you_mean=[] if ranked else self._closest(p, kinds))

    def resolve(self, text: str, kinds: tuple[str, ...] = (), *, param: str = "q") -> Resolution:
        """What entity a text (an id, a name, an alias, as a person or a document writes it) names: ``match`` when
        one candidate is exact (and alone) or scores at least ``MATCH_SCORE`` and leads the next by ``MATCH_LEAD``;
        ``ambiguous`` with the candidates as good as the best; ``none`` with the closest names."""
        self._text(param, text)
        kinds = self._kinds(kinds)
        ident = text.strip()
        # Every stored id is a slug (qgraph.model validates each node): a text that is none names no id, unasked.
        ref = self.store.entity_refs([ident]).get(ident) if _SLUG.fullmatch(ident) else None
        if ref is not None and (not kinds or ref.kind in kinds):
            return Resolution(query=text, verdict="match", match=ref,
                              candidates=[Suggestion(entity=ref, score=100.0, field="id", matched=ident)])
        p = plan(text)
        _, ranked = self._find(p, kinds, CANDIDATE_CAP, count=False)
        strong = [r for r in ranked if r.score >= MATCH_SCORE]
        if not strong:
            closest = self._suggestions(ranked) if ranked else self._closest(p, kinds)
            return Resolution(query=text, verdict="none", match=None, candidates=closest)
        top = strong[0]
        # An entity is not made ambiguous by agreements named after it ("Tohoku University – … alliance").
        rivals = [r for r in strong if r.kind != "Agreement"] if top.kind != "Agreement" else strong
        if top.score >= 100:
            tied = [r for r in rivals if r.score >= 100]
        else:
            tied = [r for r in rivals if top.score - r.score < MATCH_LEAD]
        if len(tied) == 1:
            cands = self._suggestions(strong)
            return Resolution(query=text, verdict="match", match=cands[0].entity, candidates=cands)
        return Resolution(query=text, verdict="ambiguous", match=None, candidates=self._suggestions(tied, 10))

    def lookup(self, text: str, *, param: str, what: str = "entity", kinds: tuple[str, ...] = ()) -> str:
        """The id of the entity a text names (an id or a name); ``NotFound`` with the closest names, or
        ``Ambiguous`` with the candidates."""
        r = self.resolve(text, kinds, param=param)
        if r.match is not None:
            return r.match.id
        if r.verdict == "ambiguous":
            raise Ambiguous(param, text, r.candidates)
        raise NotFound(what, text, r.candidates)

    def suggest(self, q: str, *, limit: int = 10, kinds: tuple[str, ...] = ()) -> SuggestResult:
        """Autocomplete: entities whose names or aliases (either language) hold the typed words, the last one as a
        prefix; best first."""
        if not 1 <= limit <= MAX_SUGGEST:
            raise BadParameter("limit", f"must be between 1 and {MAX_SUGGEST}")
        self._text("q", q)
        kinds = self._kinds(kinds)
        p = plan(q, autocomplete=True)
        exact, _, cands = self.store.search_candidates(p, "all", kinds, SUGGEST_CAP, EXACT_CAP, count=False)
        # A name or alias that begins with the typed text first (what autocomplete is for), entities before
        # agreements, then by rank.
        typed = p.normalised.replace(" ", "")
        ranked = rank(p, [*exact, *cands])
        ranked.sort(key=lambda r: (not normalise(r.matched).replace(" ", "").startswith(typed), r.kind == "Agreement"))
        page = ranked[:limit]
        refs = self._refs(page)
        return SuggestResult(query=q, suggestions=[
            Completion(id=r.id, kind=r.kind, name=refs[r.id].name, name_ja=refs[r.id].name_ja,
                       nation=refs[r.id].nation, matched=r.matched, external=refs[r.id].external)
            for r in page if r.id in refs])

    def entity(self, node_id: str, *, relation_limit: int = 200) -> EntityDetail:
        node = self.store.get_node(node_id)
        if node is None:
            node_id = self._named(node_id, "entity_id")
            node = self.store.get_node(node_id)
            assert node is not None
        degree, rels = self.store.relations(node_id, relation_limit)
        ref = self.store.entity_refs([node_id])[node_id]
        return EntityDetail(
            entity=ref, properties=node.properties, aliases=node.properties.get("aliases", []), sources=node.sources,
            degree=degree, relations_truncated=degree > len(rels),
            relations=[Relation(type=e.type, direction="out" if e.source == node_id else "in", other=o,
                                sources=e.sources) for e, o in rels])

    def partners(self, node_id: str, filters: Filters = Filters()) -> PartnersResult:
        """The entity's counterparts in agreements, with those agreements; ``nation`` filters the counterparts."""
        f = filters.agreement_filter(with_nation=False)
        partner_nation = nation_id(filters.nation) if filters.nation else None
        found = self.store.party_agreements(node_id, f, SCAN_CAP, 0)
        if found.party is None:
            node_id = self._named(node_id, "entity_id", kinds=PARTY_KINDS)
            found = self.store.party_agreements(node_id, f, SCAN_CAP, 0)
        grouped: dict[str, list[AgreementSummary]] = defaultdict(list)
        refs: dict[str, EntityRef] = {}
        for a in map(summarise_agreement, found.rows):
            for p in a.parties:
                if p.id != node_id and (partner_nation is None or p.nation == partner_nation):
                    grouped[p.id].append(a)
                    refs[p.id] = p
        partners = [Partner(partner=refs[pid], agreement_count=len(items), agreements=items,
                            first_date=min((a.date for a in items if a.date), default=None),
                            last_date=max((a.date for a in items if a.date), default=None))
                    for pid, items in grouped.items()]
        partners.sort(key=lambda p: (-p.agreement_count, p.partner.name, p.partner.id))
        return PartnersResult(entity=found.party, filters=filters.echo(), partner_count=len(partners),
                              partners=partners)

    def paths(self, source: str, target: str, *, k: int = 3, max_hops: int = 6,
              filters: Filters = Filters()) -> PathsResult:
        """Up to k shortest partnership paths (entity → agreement → entity …), ordered by the ids along them."""
        if not 1 <= max_hops <= MAX_HOPS:
            raise BadParameter("max_hops", f"must be between 1 and {MAX_HOPS}")
        if not 1 <= k <= MAX_K:
            raise BadParameter("k", f"must be between 1 and {MAX_K}")
        f = filters.agreement_filter(with_nation=False)
        found = self.store.find_paths(source, target, f, max_hops, k, PATH_CAP)
        if found.source is None or found.target is None:
            # Names instead of ids: resolve them (entities only: an agreement is no end of a path), and ask again.
            source = source if found.source is not None else self._named(source, "source", kinds=PARTY_KINDS)
            target = target if found.target is not None else self._named(target, "target", kinds=PARTY_KINDS)
            found = self.store.find_paths(source, target, f, max_hops, k, PATH_CAP)
            assert found.source is not None and found.target is not None
        if source == target:
            raise BadParameter("target", "must differ from source")
        refs, agreements = found.refs, {i: summarise_agreement(r) for i, r in found.agreements.items()}
        out = []
        for path in found.paths:
            entities = [refs[i] for i in path[0::2]]
            steps = [PathStep(source=refs[path[i - 1]], agreement=agreements[path[i]], target=refs[path[i + 1]])
                     for i in range(1, len(path), 2)]
            out.append(PartnershipPath(hops=len(steps), entities=entities, steps=steps,
                                       summary=path_summary(entities, steps)))
        return PathsResult(source=found.source, target=found.target, filters=filters.echo(), max_hops=max_hops,
                           paths=out)

    def agreements(self, filters: Filters = Filters(), *, limit: int = 100, offset: int = 0) -> AgreementsResult:
        """Agreements passing the filters, by date (undated last)."""
        limit, offset = self._page(limit, offset)
        f = filters.agreement_filter()
        if f.party:
            found = self.store.party_agreements(f.party, f, limit, offset)
            if found.party is None:
                found = self.store.party_agreements(self._named(f.party, "party", kinds=PARTY_KINDS), f, limit, offset)
            total, rows = found.total, found.rows
        else:
            total, rows = self.store.agreements(f, limit, offset)
        return AgreementsResult(filters=filters.echo(), page=Page(total=total, limit=limit, offset=offset),
                                agreements=[summarise_agreement(r) for r in rows])

    def nation_partners(self, code: str, filters: Filters = Filters()) -> NationPartnersResult:
        """Counterpart nations of a nation: agreements with a party of this nation and a party of another."""
        nid = nation_id(code, "code")
        ref = self._require(nid, "nation")
        f = replace(filters, nation=nid).agreement_filter()
        grouped: dict[str, list[AgreementSummary]] = defaultdict(list)
        for a in self._scan(f):
            nations = {p.nation for p in a.parties if p.nation}
            if nid not in nations:
                continue
            for other in sorted(nations - {nid}):
                grouped[other].append(a)
        refs = self.store.entity_refs(grouped)
        partners = [NationPartner(nation=refs.get(n) or EntityRef(id=n, kind="Nation", name=n.upper(), nation=n),
                                  agreement_count=len(items), agreements=items) for n, items in grouped.items()]
        partners.sort(key=lambda p: (-p.agreement_count, p.nation.id))
        return NationPartnersResult(nation=ref, filters=filters.echo(), partners=partners)

    def timeline(self, filters: Filters = Filters(), *,
                 granularity: Literal["year", "month"] = "year") -> TimelineResult:
        """Agreements and strategies per year or month. A date known only to the year sits in the year's bucket."""
        if granularity not in ("year", "month"):
            raise BadParameter("granularity", "must be year or month")
        f = filters.agreement_filter()
        width = 4 if granularity == "year" else 7
        buckets: dict[str, tuple[list[AgreementSummary], list[EntityRef]]] = defaultdict(lambda: ([], []))
        for a in self._scan(f):
            if a.date:
                buckets[a.date[:width]][0].append(a)
        if not (filters.kinds or filters.domains or filters.framework or filters.party):
            for node, adopter in sorted(self.store.strategies(), key=lambda s: s[0].id):
                date = node.properties.get("date")
                if not date or not AgreementFilter(since=f.since, until=f.until).passes(node.properties):
                    continue
                if f.nation and (adopter is None or adopter.nation != f.nation):
                    continue
                buckets[date[:width]][1].append(entity_ref(node, adopter.nation if adopter else None))
        return TimelineResult(granularity=granularity, filters=filters.echo(),
                              buckets=[TimelineBucket(period=k, agreements=v[0], strategies=v[1])
                                       for k, v in sorted(buckets.items())])

    def brokers(self, filters: Filters = Filters(), *, limit: int = 20) -> BrokersResult:
        """Who bridges otherwise separate groups: betweenness centrality of parties in the party–agreement graph.

        Bounded before it starts: exact up to ``BROKER_SAMPLE`` nodes if that fits ``ANALYSIS_WORK``, else estimated
        from as many seeded sources as fit (the answer says which). Cancellable: the deadline is checked between
        sources (``qgraph.cancel``)."""
        limit, _ = self._page(limit, 0)
        cancel.check()  # a request that waited for its place until its deadline starts nothing
        edges = sorted(self.store.party_edges(filters.agreement_filter(), SCAN_CAP * 6))
        cancel.check()
        g = nx.Graph(edges)
        cancel.check()
        agreements = {a for _, a in edges}
        n, size = g.number_of_nodes(), g.number_of_nodes() + g.number_of_edges()
        affordable = max(MIN_BROKER_SOURCES, ANALYSIS_WORK // max(size, 1))
        sample = None if n <= min(BROKER_SAMPLE, affordable) else min(BROKER_SAMPLE, affordable, n)
        centrality = _betweenness(g, sample)
        parties = [n for n in g if n not in agreements]
        ranked = sorted(parties, key=lambda n: (-round(centrality[n], 9), n))[:limit]
        refs = self.store.entity_refs(ranked)
        algorithm = ("betweenness centrality (networkx, normalised) on the bipartite party–agreement graph"
                     + (f", estimated from {sample} sampled sources of {n} (seed {SEED}; bounded to "
                        f"{ANALYSIS_WORK:,} steps per request)" if sample else ", exact"))
        return BrokersResult(algorithm=algorithm, filters=filters.echo(), exact=sample is None,
                             brokers=[Broker(entity=refs[n], betweenness=round(centrality[n], 9),
                                             agreement_count=g.degree(n)) for n in ranked])

    def communities(self, filters: Filters = Filters(), *, min_size: int = 2) -> CommunitiesResult:
        """Groups of parties tied by shared agreements: Louvain on the weighted party projection.

        Bounded before it starts: a projection larger than ``ANALYSIS_WORK`` / 40 pairs (Louvain makes several
        passes over it per level) is refused with ``TooExpensive``; narrow the filters. Cancellable between levels."""
        cancel.check()  # a request that waited for its place until its deadline starts nothing
        edges = sorted(self.store.party_edges(filters.agreement_filter(), SCAN_CAP * 6))
        cancel.check()
        by_agreement: dict[str, list[str]] = defaultdict(list)
        for party, agreement in edges:
            by_agreement[agreement].append(party)
        pairs = sum(len(m) * (len(m) - 1) // 2 for m in by_agreement.values())
        if pairs > ANALYSIS_WORK // 40:
            raise TooExpensive(f"the party graph of these filters has {pairs:,} pairs of parties, more than the "
                               f"{ANALYSIS_WORK // 40:,} one request may analyse; narrow it with since, until, kind, "
                               "domain, framework or nation")
        g = nx.Graph()
        for i, agreement in enumerate(sorted(by_agreement)):
            if not i & 1023:
                cancel.check()
            members = sorted(by_agreement[agreement])
            g.add_nodes_from(members)
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    w = g.get_edge_data(a, b, {"weight": 0})["weight"]
                    g.add_edge(a, b, weight=w + 1)
        cancel.check()
        found: list[set[str]] = []
        if g:
            # louvain_communities is the last level of louvain_partitions; walking the levels lets us stop between them
            for level in nx.community.louvain_partitions(g, weight="weight", resolution=1.0, seed=SEED):
                found = level
                cancel.check()
        groups = sorted((sorted(c) for c in found if len(c) >= min_size), key=lambda c: (-len(c), c[0]))
        refs = self.store.entity_refs({m for c in groups for m in c})
        return CommunitiesResult(
            algorithm=f"Louvain (networkx louvain_communities, resolution 1.0, seed {SEED}) on the party graph, "
                      "two parties joined when they share an agreement, weighted by how many they share",
            filters=filters.echo(),
            communities=[Community(id=i, size=len(c), members=[refs[m] for m in c]) for i, c in enumerate(groups)])

    # ------------------------------------------------------------------ views to draw or export

    def _view(self, title: str, query: dict[str, Any], filters: Filters, ids: set[str], focus: list[str],
              truncated: bool, max_nodes: int, context: bool = True) -> SubgraphResult:
        if context and ids:
            extra = self.store.neighbour_ids(ids, CONTEXT_TYPES) - ids
            ids = ids | set(sorted(extra)[: max(0, max_nodes - len(ids))])
            truncated = truncated or len(ids) < len(ids | extra)
        cancel.check()  # a view of 20,000 nodes is several store calls of seconds each: stop between them
        nodes = sorted(self.store.get_nodes(ids).values(), key=lambda n: n.id)
        cancel.check()
        refs = self.store.entity_refs(ids)
        edges = sorted(self.store.subgraph_edges(ids), key=lambda e: e.key)
        cancel.check()
        return SubgraphResult(
            title=title, query=query, filters=filters.echo(), data_version=self.store.meta().get("data_version"),
            focus=focus, truncated=truncated,
            nodes=[GraphNode(id=n.id, kind=n.kind.value, name=refs[n.id].name, name_ja=refs[n.id].name_ja,
                             nation=refs[n.id].nation, properties=n.properties, sources=n.sources) for n in nodes],
            edges=[GraphEdge(type=e.type, source=e.source, target=e.target, sources=e.sources) for e in edges])

    @staticmethod
    def _check_max_nodes(max_nodes: int) -> None:
        if not 1 <= max_nodes <= MAX_NODES:
            raise BadParameter("max_nodes", f"must be between 1 and {MAX_NODES}")

    def ego_graph(self, node_id: str, *, depth: int = 1, filters: Filters = Filters(),
                  max_nodes: int = 2_000) -> SubgraphResult:
        """The entity, its agreements (passing the filters) and their parties, repeated ``depth`` times, plus
        context (nations, frameworks, hosts, facilities)."""
        if not 1 <= depth <= MAX_DEPTH:
            raise BadParameter("depth", f"must be between 1 and {MAX_DEPTH}")
        self._check_max_nodes(max_nodes)
        ref = self._require(node_id, param="focus")
        node_id = ref.id
        f = filters.agreement_filter(with_nation=False)
        ids, frontier, truncated = {node_id}, {node_id}, False
        for _ in range(depth):
            agreement_ids = self.store.neighbour_ids(frontier, ("PARTY_TO",)) - ids
            if not agreement_ids:
                break
            _, rows = self.store.agreements(replace(f, ids=tuple(sorted(agreement_ids))),
                                            SCAN_CAP, 0)
            new: set[str] = set()
            for row in rows:
                if len(ids) + len(new) + 1 + len(row.parties) > max_nodes:
                    truncated = True
                    break
                new.add(row.node.id)
                new.update(p.id for p in row.parties)
            frontier = new - ids
            ids |= new
            if truncated:
                break
        return self._view(f"Partners of {ref.name} (depth {depth})", {"view": "ego", "id": node_id, "depth": depth},
                          filters, ids, [node_id], truncated, max_nodes)

    def path_graph(self, source: str, target: str, *, k: int = 3, max_hops: int = 6,
                   filters: Filters = Filters()) -> SubgraphResult:
        """The nodes and edges of the shortest partnership paths between two entities."""
        result = self.paths(source, target, k=k, max_hops=max_hops, filters=filters)
        source, target = result.source.id, result.target.id
        ids = {source, target} | {s.agreement.id for p in result.paths for s in p.steps} | \
            {e.id for p in result.paths for e in p.entities}
        return self._view(f"{result.source.name} → {result.target.name}",
                          {"view": "path", "source": source, "target": target, "k": k, "max_hops": max_hops},
                          filters, ids, [source, target], False, MAX_NODES, context=False)

    def agreements_graph(self, filters: Filters = Filters(), *, max_nodes: int = 2_000) -> SubgraphResult:
        """Agreements passing the filters, with their parties."""
        self._check_max_nodes(max_nodes)
        total, rows = self.store.agreements(filters.agreement_filter(), SCAN_CAP, 0)
        ids: set[str] = set()
        truncated = total > len(rows)
        for row in rows:
            if len(ids) + 1 + len(row.parties) > max_nodes:
                truncated = True
                break
            ids.add(row.node.id)
            ids.update(p.id for p in row.parties)
        return self._view("Agreements", {"view": "agreements"}, filters, ids, [], truncated, max_nodes)

    def nation_graph(self, code: str, filters: Filters = Filters(), *, max_nodes: int = 2_000) -> SubgraphResult:
        """A nation's international agreements with their parties."""
        nid = nation_id(code, "code")
        ref = self._require(nid, "nation")
        view = self.agreements_graph(replace(filters, nation=nid), max_nodes=max_nodes)
        return view.model_copy(update={"title": f"International partnerships of {ref.name}",
                                       "query": {"view": "nation", "code": nid}, "focus": [nid]})

    def whole_graph(self, *, max_nodes: int = MAX_NODES) -> SubgraphResult:
        """Everything, up to ``max_nodes`` nodes."""
        self._check_max_nodes(max_nodes)
        nodes, _ = self.store.dump()
        ids = sorted(n.id for n in nodes)
        return self._view("The whole graph", {"view": "all"}, Filters(), set(ids[:max_nodes]), [],
                          len(ids) > max_nodes, max_nodes, context=False)

    def canvas_graph(self, entities: list[str] | tuple[str, ...], *, expand: list[str] | tuple[str, ...] = (),
                     agreements: list[str] | tuple[str, ...] | None = None, filters: Filters = Filters(),
                     max_nodes: int = 2_000) -> SubgraphResult:
        """What the explorer's canvas shows: these entities, plus (for each id in ``expand``) its partners in the
        agreements passing the filters and its context neighbours, and the agreements among them — every agreement
        with at least two parties on the canvas, or exactly ``agreements`` when given (an export of what is shown).

        An agreement id among ``entities`` is kept with its parties. Unknown ids are a ``NotFound`` naming the first;
        more than ``max_nodes`` entities a ``BadParameter``: the canvas asks for ids, it is never cut silently."""
        self._check_max_nodes(max_nodes)
        asked = list(dict.fromkeys([*entities, *expand]))
        if len(asked) > max_nodes:
            raise BadParameter("entities", f"at most {max_nodes} entities on one canvas")
        kinds = self.store.kinds_of(asked)
        for i in asked:
            if i not in kinds:
                raise NotFound("entity", i)
        agreement_kind = NodeKind.AGREEMENT
        ents = {i for i in asked if kinds[i] is not agreement_kind}
        chosen = {i for i in asked if kinds[i] is agreement_kind}
        truncated = False
        f = filters.agreement_filter(with_nation=False)
        for x in expand:
            if kinds[x] is agreement_kind:
                continue
            linked = self.store.neighbour_ids({x}, ("PARTY_TO",))
            if linked:
                _, rows = self.store.agreements(replace(f, ids=tuple(sorted(linked))),
                                                SCAN_CAP, 0)
                for row in rows:
                    new = {p.id for p in row.parties} - ents
                    if len(ents) + len(new) > max_nodes:
                        truncated = True
                        break
                    ents |= new
            context = sorted(self.store.neighbour_ids({x}, CONTEXT_TYPES) - ents)
            context = [c for c, k in self.store.kinds_of(context).items() if k is not agreement_kind]
            room = max(0, max_nodes - len(ents))
            truncated = truncated or len(context) > room
            ents |= set(context[:room])
        if chosen:
            _, rows = self.store.agreements(AgreementFilter(ids=tuple(sorted(chosen))), SCAN_CAP, 0)
            for row in rows:
                ents |= {p.id for p in row.parties}
        candidates = self.store.neighbour_ids(ents, ("PARTY_TO",)) if ents else set()
        if agreements is not None:
            unknown = [a for a in agreements if a not in candidates and a not in chosen]
            if unknown:
                raise BadParameter("agreements", f"{unknown[0]!r} is not an agreement of these entities")
            keep = set(agreements) | chosen
        else:
            # count each agreement's parties on the canvas from the edges alone (no agreement rows to build)
            on_canvas: dict[str, int] = defaultdict(int)
            for e in self.store.subgraph_edges(ents | candidates) if candidates else ():
                if e.type == "PARTY_TO" and e.source in ents:
                    on_canvas[e.target] += 1
            keep = set(chosen) | {a for a, n in on_canvas.items() if n >= 2}
        return self._view(f"Explorer view of {len(ents)} entit{'y' if len(ents) == 1 else 'ies'}",
                          {"view": "canvas", "entities": len(ents), "agreements": len(keep)}, filters,
                          ents | keep, sorted(expand), truncated, max_nodes, context=False)
