"""From a queried subgraph to a drawing: what the HTML map and the picture show, decided once for both.

Invariants:
- the drawing invents no relation. An agreement with exactly two parties in the view becomes one line between them
  (the agreements of one pair share a line whose tooltip lists them all); an agreement with more (or fewer) parties
  in the view stays a diamond joined to each party. Every other edge of the subgraph (located in, hosted by …) is a
  thin dashed "context" line. Every line and node carries the citations it rests on.
- nothing here is HTML: names, quotes and titles are plain strings; the renderers escape them (Jinja autoescaping)
  or put them into the page with ``textContent``.
- bounded: a tooltip lists at most ``MAX_TIP_ITEMS`` agreements and ``MAX_CITES`` citations; past
  ``MapOptions.aggregate_over`` nodes the entities are grouped (by nation, or by kind) and ``notices`` says so.
- deterministic: the layout is seeded and the input is sorted, so one subgraph always gives the same drawing;
- in the drawing's language: kind, sub-type, status and field labels are the schema declaration's (``style``), the
  words of the drawing's own are ``qgraph.viz.i18n``'s; which fields a tooltip lists, and which field holds a kind's
  sub-type, follow from the declaration too (``_fact_fields``, ``Schema.subtype``).
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import networkx as nx

from qgraph import cancel
from qgraph.model import Citation, NodeKind
from qgraph.results import GraphEdge, GraphNode, SubgraphResult
from qgraph.schema import SCHEMA, FieldSpec
from qgraph.text import search_keys
from qgraph.viz import style
from qgraph.viz.i18n import WORDS, words

MAX_TIP_ITEMS = 12
MAX_CITES = 3
SEED = 42
#: betweenness is exact up to this many drawn nodes, then estimated from this many sampled sources (seeded)
BROKERAGE_SAMPLE = 500

Lang = Literal["en", "ja"]
SizeBy = Literal["degree", "brokerage"]
Aggregate = Literal["auto", "nation", "kind", "none"]

#: "source <words> target" in a tooltip, the declaration's phrase of each edge type
_RELATION_WORDS = {t: spec.phrase for t, spec in SCHEMA.edges.items()}


def _fact_fields(kind: str) -> tuple[FieldSpec, ...]:
    """The fields a tooltip lists for a kind: its sub-type first, then every single-valued date, text or enum
    field that is not a link (links are drawn as lines), in the declaration's order."""
    spec = SCHEMA.nodes.get(str(kind))
    if spec is None:
        return ()
    links = {link.field for link in spec.links}
    shown = [f for f in spec.fields if not f.list and f.name not in links
             and (f.type in ("date", "text") or f.type in SCHEMA.enums)]
    return tuple(sorted(shown, key=lambda f: f.name != spec.subtype))


_FACT_FIELDS = {k: _fact_fields(k) for k in SCHEMA.nodes}


def agreement_kind(node: GraphNode) -> str:
    """An agreement's kind (its declared sub-type), "other" when it has none."""
    return str(SCHEMA.subtype(node.kind, node.properties) or "other")


@dataclass(frozen=True)
class MapOptions:
    """How to draw. ``aggregate="auto"`` groups by nation only past ``aggregate_over`` nodes; physics (a live
    force layout in the browser) is on only up to ``physics_max`` nodes, beyond that the precomputed layout stands."""

    lang: Lang = "en"
    size_by: SizeBy = "degree"
    aggregate: Aggregate = "auto"
    aggregate_over: int = 2_500
    physics_max: int = 300
    edge_labels_max: int = 250

    def __post_init__(self) -> None:
        if self.lang not in ("en", "ja"):
            raise ValueError(f"lang: {self.lang!r} is not en or ja")
        if self.size_by not in ("degree", "brokerage"):
            raise ValueError(f"size_by: {self.size_by!r} is not degree or brokerage")
        if self.aggregate not in ("auto", "nation", "kind", "none"):
            raise ValueError(f"aggregate: {self.aggregate!r} is not auto, nation, kind or none")


@dataclass
class DNode:
    id: str
    kind: str
    label: str
    colour: str
    shape: str
    tip: dict[str, Any]
    search: list[str]
    agreement_kind: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    #: the nation the entity sits in (a nation: itself), so the explorer can cluster by nation
    nation: str | None = None
    value: float = 0.0
    size: float = 14.0
    x: float = 0.0
    y: float = 0.0


@dataclass
class DEdge:
    id: str
    source: str
    target: str
    rel: Literal["agreement", "party", "context", "group"]
    colour: str
    width: float
    label: str
    tip: dict[str, Any]
    dashes: bool = False
    #: the agreements a line stands for (kind and dates), so the page can filter lines by kind and date
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Drawing:
    title: str
    subtitle: list[str]
    notices: list[str]
    nodes: list[DNode]
    edges: list[DEdge]
    physics: bool
    edge_labels: bool
    lang: Lang
    size_by: SizeBy
    aggregated_by: str | None
    source_counts: tuple[int, int]
    entity_kinds: list[str]
    agreement_kinds: list[str]
    generated_at: str
    #: with ``changes_since``: the point, and the names of the new nodes and lines (highlighted, in the legend)
    new_since: str | None = None
    new_items: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------- text helpers


def _names(node: GraphNode, lang: Lang) -> tuple[str, str | None]:
    """(name in the chosen language, name in the other one if it differs)."""
    en, ja = node.name, node.name_ja
    main, other = (ja or en, en) if lang == "ja" else (en, ja)
    return main, (other if other and other != main else None)


def short_label(node: GraphNode, lang: Lang) -> str:
    """A label short enough for a map: the name, or a short alias of the same language when the name is long."""
    name, _ = _names(node, lang)
    limit = 14 if lang == "ja" else 26
    if node.kind == NodeKind.AGREEMENT:
        kind = style.member_label("AgreementKind", agreement_kind(node), lang)
        date = node.properties.get("date")
        return f"{kind} {date}" if date else kind
    if len(name) <= limit:
        return name
    aliases = [a for a in node.properties.get("aliases", []) if isinstance(a, str)]
    same_script = [a for a in aliases if a.isascii() == (lang == "en") and len(a) < len(name)]
    if same_script:
        return min(same_script, key=lambda a: (len(a), a))
    return name[: limit - 1].rstrip() + "…"


#: the tooltip's mark of a record that rests on general knowledge
EXTERNAL_SUB = WORDS["external"][0]


def cite(c: Citation) -> dict[str, str]:
    where = c.place
    return {"where": where, "quote": c.quote}


def _cites(lang: Lang, sources: list[Citation], *external: GraphNode | None) -> list[dict[str, str]]:
    """The citations to show; with none, what the record rests on instead (its ``external_note``)."""
    if not sources:
        notes = [n.properties.get("external_note") for n in external if n and n.properties.get("external")]
        return [{"where": words(lang, "no_source"), "quote": "; ".join(str(x) for x in notes if x)}]
    out = [cite(c) for c in sources[:MAX_CITES]]
    if len(sources) > MAX_CITES:
        out.append({"where": words(lang, "more_cites", n=len(sources) - MAX_CITES), "quote": ""})
    return out


def _date_range(dates: list[str], lang: Lang = "en") -> str:
    dates = sorted(d for d in dates if d)
    if not dates:
        return words(lang, "undated")
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]}–{dates[-1]}"


# --------------------------------------------------------------------------------------------------- building


class _Builder:
    def __init__(self, result: SubgraphResult, opts: MapOptions) -> None:
        self.r, self.o = result, opts
        self.by_id = {n.id: n for n in result.nodes}
        self.parties: dict[str, list[str]] = defaultdict(list)
        self.party_edge: dict[tuple[str, str], GraphEdge] = {}
        self.framework_of: dict[str, str] = {}
        for e in result.edges:
            if e.source not in self.by_id or e.target not in self.by_id:
                continue
            if e.type == "PARTY_TO":
                self.parties[e.target].append(e.source)
                self.party_edge[(e.source, e.target)] = e
            elif e.type == "UNDER":
                self.framework_of[e.source] = e.target
        self.agreements = sorted(n.id for n in result.nodes if n.kind == NodeKind.AGREEMENT)
        self.bilateral = {a for a in self.agreements if len(self.parties[a]) == 2}

    def name(self, node_id: str) -> str:
        node = self.by_id.get(node_id)
        return _names(node, self.o.lang)[0] if node else node_id

    def nation_name(self, nation: str | None) -> str | None:
        if not nation:
            return None
        node = self.by_id.get(nation)
        return self.name(nation) if node else nation.upper()

    def item(self, agreement_id: str) -> dict[str, Any]:
        """One agreement as a tooltip entry (and a filter key: kind, first and last day)."""
        node = self.by_id[agreement_id]
        p = node.properties
        name, other = _names(node, self.o.lang)
        framework = self.framework_of.get(agreement_id)
        kind, lang = agreement_kind(node), self.o.lang
        return {"id": node.id, "name": name, "alt": other, "kind": kind,
                "kind_label": style.member_label("AgreementKind", kind, lang),
                "date": p.get("date"),
                "status": style.member_label("AgreementStatus", p["status"], lang) if p.get("status") else None,
                "from": p.get("date_from"), "to": p.get("date_to"), "domains": list(p.get("domains", [])),
                "parties": [self.name(x) for x in sorted(self.parties[agreement_id])],
                "framework": self.name(framework) if framework else None, "cites": _cites(lang, node.sources, node),
                "external": bool(p.get("external"))}

    def facts(self, node: GraphNode) -> list[str]:
        """"Type: National laboratory", "Founded: 2001" …: the kind's fact fields (``_fact_fields``), labelled and
        valued in the drawing's language."""
        lang, out = self.o.lang, []
        for f in _FACT_FIELDS.get(node.kind, ()):
            value = node.properties.get(f.name)
            if not value:
                continue
            shown = style.member_label(f.type, value, lang) if f.type in SCHEMA.enums else value
            out.append(f"{f.label.ja if lang == 'ja' else f.label.en}: {shown}")
        return out

    # -------------------------------------------------------------- one node per entity

    def entity_nodes(self) -> list[DNode]:
        agreements_of: dict[str, list[str]] = defaultdict(list)
        for a in self.agreements:
            for party in self.parties[a]:
                agreements_of[party].append(a)
        out = []
        for node in sorted(self.r.nodes, key=lambda n: n.id):
            if node.id in self.bilateral:
                continue
            p = node.properties
            lang = self.o.lang
            name, other = _names(node, lang)
            nation = self.nation_name(node.nation) if node.kind != NodeKind.NATION else None
            external = words(lang, "external") if p.get("external") else None
            tip: dict[str, Any] = {
                "title": name, "alt": other,
                "sub": " · ".join(x for x in (style.entity_label(node.kind, lang), nation, external) if x),
                "aliases": [a for a in p.get("aliases", []) if a not in (name, other)][:8],
                "text": p.get("description"), "facts": self.facts(node), "cites": _cites(lang, node.sources, node)}
            if node.kind == NodeKind.AGREEMENT:
                item = self.item(node.id)
                tip["agreements"] = [item]
                tip["facts"] = []
                colour = style.AGREEMENT_COLOUR.get(item["kind"], style.MIXED_COLOUR)
            else:
                mine = agreements_of.get(node.id, [])
                tip["agreements"] = [self.item(a) for a in mine[:MAX_TIP_ITEMS]]
                if len(mine) > MAX_TIP_ITEMS:
                    tip["more"] = words(lang, "more", n=len(mine) - MAX_TIP_ITEMS)
                colour = style.ENTITY_COLOUR.get(node.kind, style.GROUP_COLOUR)
            out.append(DNode(
                id=node.id, kind=node.kind, label=short_label(node, self.o.lang), colour=colour,
                shape=style.SHAPE.get(node.kind, "dot"), tip=tip,
                search=search_keys([node.name, node.name_ja, *p.get("aliases", []), node.id, p.get("code")]),
                agreement_kind=agreement_kind(node) if node.kind == NodeKind.AGREEMENT else None,
                date_from=p.get("date_from"), date_to=p.get("date_to"),
                nation=node.id if node.kind == NodeKind.NATION else node.nation))
        return out

    def entity_edges(self) -> list[DEdge]:
        edges: list[DEdge] = []
        lines: dict[tuple[str, str], list[str]] = defaultdict(list)
        for a in sorted(self.bilateral):
            x, y = sorted(self.parties[a])
            lines[(x, y)].append(a)
        for (x, y), ids in sorted(lines.items()):
            items = sorted((self.item(a) for a in ids), key=lambda i: (i["from"] or "9999", i["id"]))
            kinds = {i["kind"] for i in items}
            colour = style.AGREEMENT_COLOUR.get(kinds.pop(), style.MIXED_COLOUR) if len(kinds) == 1 else \
                style.MIXED_COLOUR
            lang = self.o.lang
            label = (f"{items[0]['kind_label']} {items[0]['date'] or words(lang, 'undated')}" if len(items) == 1 else
                     words(lang, "lines", n=len(items), dates=_date_range([i['date'] for i in items], lang)))
            tip = {"title": f"{self.name(x)} — {self.name(y)}", "sub": label,
                   "agreements": items[:MAX_TIP_ITEMS],
                   "more": words(lang, "more_short", n=len(items) - MAX_TIP_ITEMS) if len(items) > MAX_TIP_ITEMS
                   else None}
            edges.append(DEdge(id="", source=x, target=y, rel="agreement", colour=colour,
                               width=1.5 + min(len(items), 6), label=label, tip=tip,
                               items=[{"id": i["id"], "kind": i["kind"], "from": i["from"], "to": i["to"]} for i in items]))
        for e in sorted(self.r.edges, key=lambda e: (e.type, e.source, e.target)):
            if e.source not in self.by_id or e.target not in self.by_id:
                continue
            if e.source in self.bilateral or e.target in self.bilateral:
                continue
            lang = self.o.lang
            spec = SCHEMA.edges.get(e.type)
            relation = (spec.label.ja if lang == "ja" else spec.phrase) if spec else e.type.lower().replace("_", " ")
            tip = {"title": words(lang, "relation", a=self.name(e.source), words=relation, b=self.name(e.target)),
                   "sub": (spec.label.ja if lang == "ja" else spec.label.en) if spec else e.type,
                   "cites": _cites(lang, e.sources, self.by_id.get(e.source), self.by_id.get(e.target))}
            if e.type == "PARTY_TO":
                kind = agreement_kind(self.by_id[e.target])
                p = self.by_id[e.target].properties
                edges.append(DEdge(id="", source=e.source, target=e.target, rel="party",
                                   colour=style.AGREEMENT_COLOUR.get(kind, style.MIXED_COLOUR), width=1.5, label="",
                                   tip=tip, items=[{"id": e.target, "kind": kind, "from": p.get("date_from"),
                                                                   "to": p.get("date_to")}]))
            else:
                edges.append(DEdge(id="", source=e.source, target=e.target, rel="context",
                                   colour=style.CONTEXT_COLOUR, width=1.0, label="", tip=tip, dashes=True))
        return edges

    # -------------------------------------------------------------- one node per group

    def grouped(self, by: Literal["nation", "kind"]) -> tuple[list[DNode], list[DEdge]]:
        def group_of(node: GraphNode) -> str:
            if by == "nation" and node.kind == NodeKind.NATION:
                return node.id
            if by == "nation" and node.nation:
                return node.nation
            return f"kind:{node.kind}"

        members: dict[str, list[GraphNode]] = defaultdict(list)
        for node in sorted(self.r.nodes, key=lambda n: n.id):
            if node.kind != NodeKind.AGREEMENT:
                members[group_of(node)].append(node)
        pair_items: dict[tuple[str, str], list[str]] = defaultdict(list)
        inside: Counter[str] = Counter()
        for a in self.agreements:
            groups = sorted({group_of(self.by_id[p]) for p in self.parties[a]})
            if len(groups) == 1:
                inside[groups[0]] += 1
            for i, g1 in enumerate(groups):
                for g2 in groups[i + 1:]:
                    pair_items[(g1, g2)].append(a)

        lang = self.o.lang

        def group_name(g: str) -> str:
            if g.startswith("kind:"):
                return style.entity_label(g[5:], lang) + ("" if by == "kind" else words(lang, "no_nation"))
            return self.nation_name(g) or g

        nodes = []
        for g, ms in sorted(members.items()):
            kinds = Counter(m.kind for m in ms)
            colour = style.ENTITY_COLOUR[NodeKind.NATION] if not g.startswith("kind:") else \
                style.ENTITY_COLOUR.get(g[5:], style.GROUP_COLOUR)
            names = [_names(m, self.o.lang)[0] for m in ms]
            tip = {"title": words(lang, "group1", name=group_name(g)) if len(ms) == 1 else
                   words(lang, "group", name=group_name(g), n=len(ms)),
                   "sub": ", ".join(f"{style.entity_label(k, lang)} {n}" for k, n in sorted(kinds.items())),
                   "text": words(lang, "members") + ", ".join(names[:15])
                   + (words(lang, "members_more", n=len(names) - 15) if len(names) > 15 else ""),
                   "facts": [words(lang, "inside", n=inside[g])] if inside[g] else []}
            keys = search_keys([group_name(g)])
            for m in ms:
                keys.extend(search_keys([m.name, m.name_ja, *m.properties.get("aliases", []), m.id]))
            nodes.append(DNode(id=f"group:{g}", kind="Group", label=f"{group_name(g)} ({len(ms)})", colour=colour,
                               shape="dot", tip=tip, search=list(dict.fromkeys(keys)), value=len(ms)))
        edges = []
        for (g1, g2), ids in sorted(pair_items.items()):
            items = [self.item(a) for a in ids]
            tip = {"title": f"{group_name(g1)} — {group_name(g2)}",
                   "sub": words(lang, "between", n=len(items), dates=_date_range([i['date'] for i in items], lang)),
                   "agreements": items[:MAX_TIP_ITEMS],
                   "more": words(lang, "more_short", n=len(items) - MAX_TIP_ITEMS) if len(items) > MAX_TIP_ITEMS
                   else None}
            edges.append(DEdge(id="", source=f"group:{g1}", target=f"group:{g2}", rel="group", colour=style.MIXED_COLOUR,
                               width=1 + min(8.0, math.log2(1 + len(items))), label=str(len(items)), tip=tip,
                               items=[{"id": i["id"], "kind": i["kind"], "from": i["from"], "to": i["to"]} for i in items]))
        return nodes, edges


# --------------------------------------------------------------------------------------------------- sizes, layout

_LAYOUT_LOCK = threading.Lock()


def _fr(g: Any, rng: random.Random) -> list[tuple[float, float]]:
    if g.vcount() == 1:
        return [(0.0, 0.0)]
    # start spread over a sqrt(n)-wide square, as igraph does: packed tighter, the grid variant degrades to O(n²)
    spread = math.sqrt(g.vcount())
    start = [[rng.uniform(-spread, spread), rng.uniform(-spread, spread)] for _ in range(g.vcount())]
    coords = g.layout_fruchterman_reingold(seed=start, niter=500, grid="auto").coords
    # scale so that the median line is one unit long, whatever the component's size
    lengths = sorted(math.dist(coords[a], coords[b]) for a, b in g.get_edgelist())
    unit = lengths[len(lengths) // 2] if lengths and lengths[len(lengths) // 2] > 0 else 1.0
    return [(x / unit, y / unit) for x, y in coords]


def layout(nodes: list[DNode], edges: list[DEdge]) -> None:
    """Fruchterman–Reingold positions (igraph's, grid-accelerated: 5,000 nodes take about a second, where networkx's
    spring_layout takes about a minute), one connected component at a time, the components then packed in rows,
    largest first (FR alone flings unconnected nodes to the rim and squeezes the rest into the middle). Seeded."""
    if not nodes:
        return
    import igraph as ig  # here, not at module level: importing igraph costs 0.6 s (it loads matplotlib)

    index = {n.id: i for i, n in enumerate(nodes)}
    g = ig.Graph(n=len(nodes), edges=[(index[e.source], index[e.target]) for e in edges])
    g.simplify()
    components = sorted(g.connected_components(), key=lambda c: (-len(c), c[0]))
    placed: list[tuple[list[int], list[tuple[float, float]], float, float]] = []
    with _LAYOUT_LOCK:  # igraph's random source is process-wide: keep concurrent layouts reproducible
        ig.set_random_number_generator(random.Random(SEED))
        try:
            rng = random.Random(SEED)
            for members in components:
                coords = _fr(g.induced_subgraph(members), rng)
                xs, ys = [c[0] for c in coords], [c[1] for c in coords]
                coords = [(x - min(xs), y - min(ys)) for x, y in coords]
                placed.append((members, coords, max(xs) - min(xs), max(ys) - min(ys)))
        finally:
            ig.set_random_number_generator(random)
    # shelf packing: rows as wide as the largest component or the square root of the total area
    gap = 1.5
    row_width = max(max(w for _, _, w, _ in placed), math.sqrt(sum((w + gap) * (h + gap) for _, _, w, h in placed)))
    x = y = row_height = 0.0
    unit = 140.0  # pixels between neighbours
    for members, coords, w, h in placed:
        if x > 0 and x + w > row_width:
            x, y, row_height = 0.0, y + row_height + gap, 0.0
        for i, (cx, cy) in zip(members, coords, strict=True):
            nodes[i].x, nodes[i].y = (x + cx) * unit, (y + cy) * unit
        x += w + gap
        row_height = max(row_height, h)
    mx = (max(n.x for n in nodes) + min(n.x for n in nodes)) / 2
    my = (max(n.y for n in nodes) + min(n.y for n in nodes)) / 2
    for n in nodes:
        n.x, n.y = round(n.x - mx, 1), round(n.y - my, 1)


def size_nodes(nodes: list[DNode], edges: list[DEdge], size_by: SizeBy) -> None:
    """Node size by (agreement-weighted) degree, or by brokerage: betweenness over the partnership lines only."""
    if size_by == "brokerage":
        g = nx.Graph()
        g.add_nodes_from(n.id for n in nodes)
        g.add_edges_from((e.source, e.target) for e in edges if e.rel in ("agreement", "party", "group"))
        k = BROKERAGE_SAMPLE if g.number_of_nodes() > BROKERAGE_SAMPLE else None
        values = nx.betweenness_centrality(g, k=k, seed=SEED) if g.number_of_edges() else {}
        for n in nodes:
            n.value = round(values.get(n.id, 0.0), 6)
    elif not any(n.value for n in nodes):
        weight: Counter[str] = Counter()
        for e in edges:
            w = max(1, len(e.items)) if e.rel != "context" else 0.5
            weight[e.source] += w
            weight[e.target] += w
        for n in nodes:
            n.value = weight[n.id]
    top = max((n.value for n in nodes), default=0) or 1
    for n in nodes:
        n.size = round(10 + 26 * math.sqrt(n.value / top), 1)


# --------------------------------------------------------------------------------------------------- entry point


def describe(result: SubgraphResult, lang: str = "en") -> str:
    """What was asked, in words: 'ego network of aist, depth 2'."""
    q = result.query
    view = q.get("view")
    if view == "ego":
        return words(lang, "query.ego", id=q.get("id"), depth=q.get("depth"))
    if view == "path":
        return words(lang, "query.path", source=q.get("source"), target=q.get("target"), k=q.get("k"),
                     hops=q.get("max_hops"))
    if view == "nation":
        return words(lang, "query.nation", code=str(q.get("code", "")).upper())
    if view == "all":
        return words(lang, "query.all")
    return words(lang, "query.agreements") if view == "agreements" else str(view or "subgraph")


def filters_text(filters: dict[str, Any], lang: str = "en") -> str:
    if not filters:
        return words(lang, "filters.none")
    return "; ".join(f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in sorted(filters.items()))


def build(result: SubgraphResult, opts: MapOptions = MapOptions(), *, now: datetime | None = None) -> Drawing:
    b = _Builder(result, opts)
    node_count = len(result.nodes)
    group_by: str | None = None
    if opts.aggregate in ("nation", "kind"):
        group_by = opts.aggregate
    elif opts.aggregate == "auto" and node_count > opts.aggregate_over:
        group_by = "nation"
    lang = opts.lang
    notices = []
    external = sorted(n.name for n in result.nodes if n.properties.get("external"))
    if external:
        notices.append(words(lang, "notice.external", names=", ".join(external[:20]),
                             more=words(lang, "notice.external_more", n=len(external) - 20) if len(external) > 20
                             else ""))
    if result.truncated:
        notices.append(words(lang, "notice.truncated"))
    if group_by:
        nodes, edges = b.grouped(group_by)  # type: ignore[arg-type]
        notices.append(words(lang, "notice.aggregated", by=words(lang, f"by.{group_by}"), count=f"{node_count:,}",
                             groups=f"{len(nodes):,}"))
    else:
        nodes, edges = b.entity_nodes(), b.entity_edges()
    cancel.check()  # between the stages: a served map stops when its request's deadline passes (qgraph.cancel)
    for i, e in enumerate(edges):
        e.id = f"e{i}"
    new_items = _mark_new(result, b, nodes, edges) if result.new_since and not group_by else []
    size_nodes(nodes, edges, "degree" if group_by else opts.size_by)
    layout(nodes, edges)
    cancel.check()
    physics = len(nodes) <= opts.physics_max and not group_by
    if not physics and not group_by:
        notices.append(words(lang, "notice.static", n=f"{len(nodes):,}"))
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    subtitle = [words(lang, "subtitle.query", query=describe(result, lang), filters=filters_text(result.filters, lang)),
                words(lang, "subtitle.version", version=result.data_version or words(lang, "unknown"), stamp=stamp,
                      nodes=f"{len(result.nodes):,}", edges=f"{len(result.edges):,}")]
    return Drawing(
        title=result.title, subtitle=subtitle, notices=notices, nodes=nodes, edges=edges, physics=physics,
        edge_labels=len(edges) <= opts.edge_labels_max, lang=opts.lang,
        size_by="degree" if group_by else opts.size_by, aggregated_by=group_by,
        source_counts=(len(result.nodes), len(result.edges)),
        entity_kinds=sorted({n.kind for n in nodes}, key=lambda k: list(style.ENTITY_COLOUR).index(k)
                            if k in style.ENTITY_COLOUR else 99),
        agreement_kinds=[k for k in style.AGREEMENT_COLOUR
                         if any(i["kind"] == k for e in edges for i in e.items) or
                         any(n.agreement_kind == k for n in nodes)],
        generated_at=stamp, new_since=result.new_since.since if result.new_since else None, new_items=new_items)


def _mark_new(result: SubgraphResult, b: _Builder, nodes: list[DNode], edges: list[DEdge]) -> list[str]:
    """Highlight the nodes and lines that are new since ``result.new_since`` (colour ``NEW_COLOUR``, wider lines,
    "new" in the tooltip); their names, for the legend. A line between two parties is new when one of the
    agreements it stands for is new."""
    assert result.new_since is not None
    new_nodes = set(result.new_since.nodes)
    new_edges = {tuple(k) for k in result.new_since.edges}
    names: list[str] = []
    for n in nodes:
        if n.id in new_nodes:
            n.colour = style.NEW_COLOUR
            n.tip["sub"] = "new · " + str(n.tip.get("sub", ""))
            names.append(b.name(n.id))
    for e in edges:
        if e.rel == "agreement":
            agreements = [i["id"] for i in e.tip.get("agreements", [])]
            fresh = [a for a in agreements if a in new_nodes]
            if fresh:
                names += [b.name(a) for a in fresh]
        else:
            fresh = [e.id] if any(k[1:] == (e.source, e.target) for k in new_edges) else []
            if fresh:
                names.append(f"{b.name(e.source)} — {b.name(e.target)}")
        if fresh:
            e.colour = style.NEW_COLOUR
            e.width += 2
            e.tip["sub"] = "new · " + str(e.tip.get("sub", ""))
    return sorted(dict.fromkeys(names))
