"""What changed in the graph between two versions, folded and grouped for a briefing; and each entity's history.

Written once over ``Store.changesets`` (and a few reads of the current graph for partnerships), so both stores give
the same answers.

- A point in history is given as a changeset number (``12``: the graph after changeset 12; ``0``: before the first),
  a data version (16 hex digits: the graph after the latest changeset that produced it) or a date/time (``2026-11``,
  ``2026-11-01``, ``2026-11-01T09:00:00``: the graph as it was at the start of that moment for ``since``, at its end
  for ``until``). A bare year is refused (it would read as a changeset number): write ``2026-01``.
- The diff between two points is folded (``qgraph.history.fold``): each fact's value before the first changeset and
  after the last; an agreement added then removed does not appear.
- Grouping: agreements and entities added, removed and changed (each changed property with old and new value; an
  agreement's parties and framework are its PARTY_TO / UNDER edges), partnerships (pairs of parties that came to
  share an agreement, or no longer share any), and the other relations; each item carries its citations.
"""

from __future__ import annotations

import re
from collections import defaultdict
from itertools import combinations
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qgraph.history import Changeset, EdgeChange, NodeChange, PropertyChange, fold, property_changes
from qgraph.model import Citation, DateSpan, Node, NodeKind
from qgraph.queries import BadParameter, NotFound
from qgraph.results import EntityRef
from qgraph.store import ChangesetPoint, Store

_VERSION = re.compile(r"^[0-9a-f]{16}$")
_NUMBER = re.compile(r"^[0-9]{1,12}$")
_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-]00:00)?)?)?$")
#: most changesets a listing returns at once
MAX_PAGE = 500


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Point(_Out):
    """A point in the history: the graph after changeset ``number`` (0: before the first)."""

    number: int
    data_version: str | None
    time: str | None = Field(default=None, description="When that changeset was committed.")


class ChangesetInfo(_Out):
    number: int
    id: str
    time: str
    actor: str
    message: str
    dataset: str | None
    documents: list[str]
    data_version_before: str
    data_version: str
    reverts: int | None = None
    summary: bool
    counts: dict[str, int]


class PartyChange(_Out):
    entity: EntityRef
    sources: list[Citation]


class ItemChange(_Out):
    """An entity or agreement added, removed or changed."""

    id: str
    kind: str
    name: str
    name_ja: str | None = None
    op: Literal["added", "removed", "changed"]
    changes: list[PropertyChange] = Field(default=[], description="Changed properties with old and new values "
                                                                  "(``sources``: the citations).")
    parties: list[EntityRef] = Field(default=[], description="An added agreement's parties.")
    parties_added: list[PartyChange] = []
    parties_removed: list[PartyChange] = []
    framework: dict[str, str | None] | None = Field(default=None, description="Framework id before and after, when "
                                                                              "it changed.")
    sources: list[Citation] = Field(description="The citations of the fact (after the change; before it for a "
                                                "removal).")
    external: bool = False


class Partnership(_Out):
    parties: list[EntityRef]
    agreements: list[str] = Field(description="The agreements that connect them (after; before for disconnected).")
    sources: list[Citation]


class RelationChange(_Out):
    type: str
    source: str
    target: str
    op: Literal["added", "removed", "changed"]
    sources: list[Citation]
    sources_before: list[Citation] = []


class Grouped(_Out):
    added: list[ItemChange] = []
    removed: list[ItemChange] = []
    changed: list[ItemChange] = []


class Partnerships(_Out):
    connected: list[Partnership] = []
    disconnected: list[Partnership] = []


class ChangesBriefing(_Out):
    """The graph's net change between two points."""

    since: Point
    until: Point
    changesets: list[ChangesetInfo]
    agreements: Grouped
    entities: Grouped
    partnerships: Partnerships
    relations: list[RelationChange]
    summarised: list[str] = Field(default=[], description="Facts that a summary changeset touched: their values are "
                                                          "not known, so they are listed by id only.")


class HistoryPage(_Out):
    total: int
    limit: int
    offset: int
    changesets: list[ChangesetInfo]


class EntityChange(_Out):
    """What one changeset did to an entity or to one of its agreements."""

    fact: str
    op: Literal["added", "removed", "changed"]
    changes: list[PropertyChange]


class EntityHistoryItem(_Out):
    changeset: ChangesetInfo
    changes: list[EntityChange]


class EntityHistory(_Out):
    id: str
    entity: EntityRef | None = Field(description="The entity as it is now (None: it no longer exists).")
    changesets: list[EntityHistoryItem]


def info(cs: Changeset) -> ChangesetInfo:
    return ChangesetInfo(**cs.header())


# ------------------------------------------------------------------------------------------- points


def resolve(store: Store, text: str | None, param: str, *, end: bool = False,
            points: list[ChangesetPoint] | None = None) -> Point:
    """The point ``text`` names (see the module docstring); None: the latest (``until``) or 0 (``since``)."""
    points = store.changeset_points() if points is None else points
    last = len(points)
    if text is None or text == "":
        n = last if end else 0
    elif _NUMBER.match(text) and len(text) != 16:
        n = int(text)
        if n > last:
            raise BadParameter(param, f"there is no changeset {n} (the last is {last})")
    elif _VERSION.match(text):
        found = [p.number for p in points if p.data_version == text]
        if not found:
            raise BadParameter(param, f"no changeset produced data version {text}")
        n = found[-1]
    elif _DATETIME.match(text):
        if "T" in text:
            moment = text.replace("Z", "").replace("+00:00", "")
            moment = moment if len(moment) == 19 else moment + ":00"
            first = last_ = moment
        else:
            try:
                span = DateSpan.parse(text)
            except ValueError as exc:
                raise BadParameter(param, str(exc)) from None
            first, last_ = span.first + "T00:00:00", span.last + "T23:59:59"
        times = [p.time[:19] for p in points]
        n = sum(1 for t in times if t <= last_) if end else sum(1 for t in times if t < first)
    else:
        raise BadParameter(param, f"{text!r} is not a changeset number, a data version (16 hex digits) or a date "
                                  "(YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC)")
    if n == 0:
        return Point(number=0, data_version=points[0].data_version_before if points else None)
    p = points[n - 1]
    return Point(number=n, data_version=p.data_version, time=p.time)


# ------------------------------------------------------------------------------------------- briefing


def _ref(node: Node | None, fallback: EntityRef | None, node_id: str) -> EntityRef:
    if fallback is not None:
        return fallback
    if node is None:
        return EntityRef(id=node_id, kind="unknown", name=node_id)
    p = node.properties
    return EntityRef(id=node.id, kind=node.kind.value, name=p.get("name", node.id), name_ja=p.get("name_ja"),
                     nation=node.id if node.kind is NodeKind.NATION else None)


def briefing(store: Store, since: str | None, until: str | None = None) -> ChangesBriefing:
    """The net change from ``since`` to ``until`` (default: now), grouped for a briefing."""
    points = store.changeset_points()
    start = resolve(store, since, "since", points=points)
    stop = resolve(store, until, "until", end=True, points=points)
    if stop.number < start.number:
        raise BadParameter("until", f"is before since (changeset {stop.number} < {start.number})")
    window = store.changesets(after=start.number, until=stop.number) if stop.number > start.number else []
    folded = fold(window)
    nodes = {c.id: c for c in folded.nodes.values()}
    edges = list(folded.edges.values())
    # Names: from the diff's values, else from the current graph (a fact known only by id in a summary).
    node_values: dict[str, Node] = {}
    for c in nodes.values():
        if c.after or c.before:
            node_values[c.id] = c.after or c.before  # type: ignore[assignment]
    for cs in window:
        for n in cs.nodes:
            for v in (n.before, n.after):
                if v is not None:
                    node_values.setdefault(n.id, v)
    ends = {i for e in edges for i in (e.source, e.target)} | set(nodes)
    current = store.entity_refs(ends)

    def ref(i: str) -> EntityRef:
        return _ref(node_values.get(i), current.get(i), i)

    agreement_ids = {i for i, c in nodes.items() if c.kind == NodeKind.AGREEMENT.value}
    agreement_ids |= {e.target for e in edges if e.type == "PARTY_TO"} | {e.source for e in edges if e.type == "UNDER"}
    items: dict[str, dict[str, Any]] = {}

    def item(i: str) -> dict[str, Any]:
        if i not in items:
            c = nodes.get(i)
            value = (c.after or c.before) if c else node_values.get(i)
            r = ref(i)
            items[i] = {"id": i, "kind": value.kind.value if value else r.kind, "name": r.name, "name_ja": r.name_ja,
                        "op": c.op if c else "changed", "changes": property_changes(c.before, c.after) if c and
                        c.op == "changed" else [], "parties": [], "parties_added": [], "parties_removed": [],
                        "framework": None, "sources": list(value.sources) if value else [],
                        "external": bool(value and value.properties.get("external"))}
        return items[i]

    for i in nodes:
        item(i)
    relations: list[RelationChange] = []
    for e in edges:
        value = e.after or e.before
        cites = list(value.sources) if value else []
        if e.type == "PARTY_TO" and e.target in agreement_ids:
            it = item(e.target)
            if it["op"] == "added" and e.op == "added":
                it["parties"].append(ref(e.source))
            elif it["op"] == "removed" and e.op == "removed":
                it["parties"].append(ref(e.source))
            elif e.op == "added":
                it["parties_added"].append(PartyChange(entity=ref(e.source), sources=cites))
            elif e.op == "removed":
                it["parties_removed"].append(PartyChange(entity=ref(e.source), sources=cites))
            else:
                it["changes"].append(PropertyChange(field=f"party {e.source} sources",
                                                    old=[c.model_dump(exclude_none=True) for c in e.before.sources]
                                                    if e.before else None,
                                                    new=[c.model_dump(exclude_none=True) for c in cites]))
            continue
        if e.type == "UNDER" and item(e.source)["op"] == "changed":
            fw = item(e.source)["framework"] or {"before": None, "after": None}
            if e.op != "added":
                fw["before"] = e.target
            if e.op != "removed":
                fw["after"] = e.target
            item(e.source)["framework"] = fw
            continue
        relations.append(RelationChange(type=e.type, source=e.source, target=e.target, op=e.op, sources=cites,
                                        sources_before=list(e.before.sources) if e.before and e.op == "changed"
                                        else []))
    for it in items.values():
        if it["op"] == "changed" and it["framework"] and it["framework"]["before"] == it["framework"]["after"]:
            it["framework"] = None
    grouped: dict[str, dict[str, list[ItemChange]]] = {"agreements": defaultdict(list), "entities": defaultdict(list)}
    for i in sorted(items):
        it = items[i]
        if it["op"] == "changed" and not (it["changes"] or it["parties_added"] or it["parties_removed"]
                                          or it["framework"]):
            continue
        group = "agreements" if it["kind"] == NodeKind.AGREEMENT.value else "entities"
        grouped[group][it["op"]].append(ItemChange(**it))
    return ChangesBriefing(
        since=start, until=stop, changesets=[info(cs) for cs in window],
        agreements=Grouped(**grouped["agreements"]), entities=Grouped(**grouped["entities"]),
        partnerships=_partnerships(store, window, stop.number, len(points), ref, node_values),
        relations=sorted(relations, key=lambda r: (r.type, r.source, r.target)), summarised=folded.summarised)


def _partnerships(store: Store, window: list[Changeset], stop: int, last: int, ref: Any,
                  node_values: dict[str, Node]) -> Partnerships:
    """Pairs of parties that came to share an agreement in the window, or stopped sharing any.

    Party–agreement membership at the window's end is the current graph with the later changesets' PARTY_TO changes
    undone, and at its start that with the window's undone too; only the parties of agreements whose parties changed
    are looked at."""
    changed = [e for cs in window for e in cs.edges if e.type == "PARTY_TO"]
    if not changed:
        return Partnerships()
    later = store.changesets(after=stop) if stop < last else []
    affected = {e.target for e in changed}
    parties = {e.source for e in changed}
    parties |= store.neighbour_ids(affected, ("PARTY_TO",))
    parties |= {e.source for cs in later for e in cs.edges if e.type == "PARTY_TO" and e.target in affected}
    agreements_now = store.neighbour_ids(parties, ("PARTY_TO",))
    member: set[tuple[str, str]] = {(e.source, e.target) for e in store.subgraph_edges(parties | agreements_now)
                                    if e.type == "PARTY_TO"}

    def undo(changesets: list[Changeset], edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
        out = set(edges)
        for cs in reversed(changesets):
            for e in reversed(cs.edges):
                if e.type != "PARTY_TO" or e.source not in parties:
                    continue
                if e.op == "added":
                    out.discard((e.source, e.target))
                elif e.op == "removed":
                    out.add((e.source, e.target))
        return out

    at_end = undo(later, member)
    at_start = undo(window, at_end)

    def by_party(edges: set[tuple[str, str]]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for p, a in edges:
            out[p].add(a)
        return out

    start, end = by_party(at_start), by_party(at_end)
    candidates: set[tuple[str, str]] = set()
    for a in affected:
        members = sorted({p for p, x in at_start | at_end if x == a})
        candidates.update(combinations(members, 2))
    agreement_nodes = store.get_nodes(affected)

    def cites(agreements: set[str]) -> list[Citation]:
        out: list[Citation] = []
        for a in sorted(agreements):
            node = agreement_nodes.get(a) or node_values.get(a)
            for c in node.sources if node else []:
                if c not in out:
                    out.append(c)
        return out

    connected, disconnected = [], []
    for x, y in sorted(candidates):
        before, after = start.get(x, set()) & start.get(y, set()), end.get(x, set()) & end.get(y, set())
        if after and not before:
            connected.append(Partnership(parties=[ref(x), ref(y)], agreements=sorted(after), sources=cites(after)))
        elif before and not after:
            disconnected.append(Partnership(parties=[ref(x), ref(y)], agreements=sorted(before),
                                            sources=cites(before)))
    return Partnerships(connected=connected, disconnected=disconnected)


# ------------------------------------------------------------------------------------------- history


def history_page(store: Store, limit: int = 50, offset: int = 0) -> HistoryPage:
    """Changesets, newest first, one page."""
    if not 1 <= limit <= MAX_PAGE:
        raise BadParameter("limit", f"must be between 1 and {MAX_PAGE}")
    if offset < 0:
        raise BadParameter("offset", "must not be negative")
    total = store.history_count()
    top = total - offset
    page = store.changesets(after=max(0, top - limit), until=top) if top > 0 else []
    return HistoryPage(total=total, limit=limit, offset=offset, changesets=[info(cs) for cs in reversed(page)])


def changeset_detail(store: Store, number: int) -> Changeset:
    cs = store.changeset(number) if number >= 1 else None
    if cs is None:
        raise NotFound("changeset", str(number))
    return cs


def entity_history(store: Store, entity_id: str) -> EntityHistory:
    """Every changeset that touched the entity or an agreement it is (or was) a party to, oldest first."""
    history = store.changesets()
    agreements = set(store.neighbour_ids([entity_id], ("PARTY_TO",)))
    for cs in history:
        for e in cs.edges:
            if e.type == "PARTY_TO" and e.source == entity_id:
                agreements.add(e.target)
    seen = any(n.id == entity_id for cs in history for n in cs.nodes)
    ref = store.entity_refs([entity_id]).get(entity_id)
    if ref is None and not seen:
        raise NotFound("entity", entity_id)
    out = []
    for cs in history:
        changes: list[EntityChange] = []
        for n in cs.nodes:
            if n.id == entity_id or n.id in agreements:
                changes.append(_node_change(n))
        for e in cs.edges:
            if entity_id in (e.source, e.target) or e.target in agreements or e.source in agreements:
                changes.append(_edge_change(e))
        if changes:
            out.append(EntityHistoryItem(changeset=info(cs), changes=changes))
    return EntityHistory(id=entity_id, entity=ref, changesets=out)


def _node_change(n: NodeChange) -> EntityChange:
    return EntityChange(fact=n.fact, op=n.op, changes=property_changes(n.before, n.after))


def _edge_change(e: EdgeChange) -> EntityChange:
    return EntityChange(fact=e.fact, op=e.op, changes=property_changes(e.before, e.after))


def new_since(store: Store, since: str) -> tuple[Point, set[str], set[tuple[str, str, str]]]:
    """The nodes and edges that exist now and were added after ``since`` (folded: added then removed is not new)."""
    point = resolve(store, since, "changes_since")
    folded = fold(store.changesets(after=point.number))
    return (point, {c.id for c in folded.nodes.values() if c.op == "added"},
            {(c.type, c.source, c.target) for c in folded.edges.values() if c.op == "added"})
