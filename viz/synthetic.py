"""A synthetic subgraph of any size, for the viz tests and the benchmark (``benchmarks/viz_bench.py``).

Nothing here is a fact: every node and edge cites the document ``synthetic`` with the quote "synthetic". Deterministic
for a given (nodes, seed): ~5% nations, ~55% institutions (each located in a nation), ~40% agreements of every kind
with 2 parties (three in four) or 3–5, dated 2000–2024.
"""

from __future__ import annotations

import random

from qgraph.model import AgreementKind, Citation
from qgraph.results import GraphEdge, GraphNode, SubgraphResult

CITE = [Citation(document="synthetic", section="synthetic", quote="synthetic")]


def synthetic_subgraph(nodes: int, *, seed: int = 7) -> SubgraphResult:
    rng = random.Random(seed)
    n_nations = max(2, nodes // 20)
    n_agreements = int(nodes * 0.4)
    n_institutions = max(2, nodes - n_nations - n_agreements)
    out_nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    nations = [f"n{i}" for i in range(n_nations)]
    for i, nid in enumerate(nations):
        out_nodes.append(GraphNode(id=nid, kind="Nation", name=f"Nation {i}", name_ja=f"国{i}", nation=nid,
                                   properties={"name": f"Nation {i}", "code": f"N{i}"}, sources=CITE))
    institutions = [f"i{i}" for i in range(n_institutions)]
    nation_weights = [1.0 / (1 + i) for i in range(n_nations)]
    for i, iid in enumerate(institutions):
        nation = rng.choices(nations, nation_weights)[0]
        out_nodes.append(GraphNode(id=iid, kind="Institution", name=f"Institute {i}", name_ja=f"研究所{i}",
                                   nation=nation, properties={"name": f"Institute {i}", "aliases": [f"I{i}"],
                                                              "type": "national-lab"}, sources=CITE))
        edges.append(GraphEdge(type="LOCATED_IN", source=iid, target=nation, sources=CITE))
    kinds = [k.value for k in AgreementKind]
    # a few institutions take many agreements, as in the real network
    weights = [1.0 / (1 + i) ** 0.8 for i in range(n_institutions)]
    for a in range(n_agreements):
        aid = f"a{a}"
        size = 2 if rng.random() < 0.75 else rng.randint(3, 5)
        parties = set()
        while len(parties) < min(size, n_institutions):
            parties.add(rng.choices(institutions, weights)[0])
        year = rng.randint(2000, 2024)
        date = f"{year}-{rng.randint(1, 12):02d}"
        out_nodes.append(GraphNode(id=aid, kind="Agreement", name=f"Agreement {a}", name_ja=f"協定{a}",
                                   properties={"name": f"Agreement {a}", "kind": rng.choice(kinds), "date": date,
                                               "date_precision": "month", "date_from": f"{date}-01",
                                               "date_to": f"{date}-28", "status": "signed"}, sources=CITE))
        for p in sorted(parties):
            edges.append(GraphEdge(type="PARTY_TO", source=p, target=aid, sources=CITE))
    return SubgraphResult(title=f"Synthetic network of {len(out_nodes):,} nodes", query={"view": "synthetic"},
                          filters={}, data_version="synthetic", nodes=out_nodes, edges=edges)
