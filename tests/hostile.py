"""A subgraph whose every string tries to inject markup or script: shared by the export tests (test_viz) and the
browser tests (test_browser), which import it from here rather than from each other."""

from __future__ import annotations

from qgraph.model import Citation
from qgraph.results import GraphEdge, GraphNode, SubgraphResult

EVIL_NAME = '<img src=x onerror="window.__pwned=1">'
EVIL_TITLE = "<script>window.__pwned=2</script> & 'map'"
CITE = [Citation(document="measures-2024", section="III(1) 国際連携の進展", quote='“</script><b>quoted</b>”')]


def hostile_subgraph() -> SubgraphResult:
    """Names, aliases, quotes and the title try to inject markup and script; one name is Japanese."""
    def node(i: str, node_kind: str, name: str, **props: object) -> GraphNode:
        return GraphNode(id=i, kind=node_kind, name=name, name_ja=props.pop("name_ja", None), nation="jp",  # type: ignore[arg-type]
                         properties={"name": name, **props}, sources=CITE)

    nodes = [node("evil", "Institution", EVIL_NAME, aliases=["<svg onload=window.__pwned=3>"], name_ja="悪い<研究所>"),
             node("aist", "Institution", "National Institute of Advanced Industrial Science and Technology",
                  name_ja="産業技術総合研究所", aliases=["産総研", "AIST"]),
             node("jp", "Nation", "Japan", name_ja="日本", code="JP"),
             node("deal", "Agreement", "<b>Deal</b>", kind="mou", date="2023-05", date_from="2023-05-01",
                  date_to="2023-05-31")]
    edges = [GraphEdge(type="PARTY_TO", source="evil", target="deal", sources=CITE),
             GraphEdge(type="PARTY_TO", source="aist", target="deal", sources=CITE),
             GraphEdge(type="LOCATED_IN", source="aist", target="jp", sources=CITE),
             GraphEdge(type="LOCATED_IN", source="evil", target="jp", sources=CITE)]
    return SubgraphResult(title=EVIL_TITLE, query={"view": "ego", "id": "evil", "depth": 1},
                          filters={"since": "<i>2020</i>"}, data_version="abc", focus=["evil"], nodes=nodes, edges=edges)
