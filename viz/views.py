"""Which subgraph an export is about, chosen from the same parameters in the CLI, the API and the explorer.

Exactly one of: ``focus`` (an ego network to ``depth``), ``source`` and ``target`` (the shortest paths), ``nation``
(a nation's international partnerships), ``everything`` (the whole graph); with none of them, the agreements that
pass the filters. Asking for two at once is a ``BadParameter``, never a silent choice.
"""

from __future__ import annotations

from qgraph.queries import BadParameter, Filters, Queries
from qgraph.results import SubgraphResult

DEFAULT_MAX_NODES = 2_000


def subgraph(queries: Queries, *, focus: str | None = None, depth: int = 1, source: str | None = None,
             target: str | None = None, nation: str | None = None, everything: bool = False,
             filters: Filters = Filters(), max_nodes: int = DEFAULT_MAX_NODES, k: int = 3,
             max_hops: int = 6) -> SubgraphResult:
    if (source is None) != (target is None):
        raise BadParameter("target" if target is None else "source", "give both source and target for a path")
    chosen = [name for name, on in (("focus", focus), ("source/target", source), ("nation", nation),
                                    ("all", everything)) if on]
    if len(chosen) > 1:
        raise BadParameter(chosen[1].split("/")[0], f"choose one view, not {' and '.join(chosen)}")
    if focus:
        return queries.ego_graph(focus, depth=depth, filters=filters, max_nodes=max_nodes)
    if source and target:
        return queries.path_graph(source, target, k=k, max_hops=max_hops, filters=filters)
    if nation:
        return queries.nation_graph(nation, filters, max_nodes=max_nodes)
    if everything:
        return queries.whole_graph(max_nodes=max_nodes)
    return queries.agreements_graph(filters, max_nodes=max_nodes)
