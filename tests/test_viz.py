"""The map and the exports without a browser: what the drawing shows, that the page is one self-contained and
escaped file, and that every data export reads back (networkx, igraph, a plain XML parser, csv, json)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import igraph as ig
import networkx as nx
import pytest

from qgraph.loaders import default_data_dir, read_graph
from qgraph.queries import Filters, Queries
from qgraph.schema import SCHEMA
from qgraph.store import Store
from qgraph.stores.memory import MemoryStore
from qgraph.viz import MapOptions, build, export, render_html
from qgraph.viz.i18n import WORDS, script_words, words
from qgraph.viz.synthetic import synthetic_subgraph

from hostile import EVIL_NAME, EVIL_TITLE, hostile_subgraph

@pytest.fixture(scope="module")
def curated() -> Queries:
    import tempfile

    store = MemoryStore(Path(tempfile.mkdtemp()) / "graph.json")
    store.load(read_graph([default_data_dir()], store))
    return Queries(store)


class _Page(HTMLParser):
    """Every tag with its attributes, and the text of each script and style element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in: tuple[str, dict[str, str | None]] | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in = (tag, dict(attrs))
            self.scripts.append((dict(attrs), ""))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in = None
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in and self.scripts:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        if self._in_title:
            self.title += data


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


# ----------------------------------------------------------------------------------------------- the drawing


def test_two_party_agreements_become_one_cited_line_and_bigger_ones_stay_nodes(curated: Queries) -> None:
    result = curated.whole_graph()
    d = build(result)
    ids = {n.id for n in d.nodes}
    parties: dict[str, list[str]] = {}
    for e in result.edges:
        if e.type == "PARTY_TO":
            parties.setdefault(e.target, []).append(e.source)
    for agreement, members in parties.items():
        if len(members) == 2:
            assert agreement not in ids
            line = next(e for e in d.edges if e.rel == "agreement" and {e.source, e.target} == set(members))
            item = next(i for i in line.tip["agreements"] if i["id"] == agreement)
            assert item["cites"] and item["cites"][0]["where"].startswith("measures-2024")
        else:
            assert agreement in ids
            assert sum(1 for e in d.edges if e.rel == "party" and e.target == agreement) == len(members)
    assert all(e.tip.get("cites") for e in d.edges if e.rel == "context")


def test_labels_switch_language_and_search_keys_cover_both(curated: Queries) -> None:
    ego = curated.ego_graph("aist", depth=1)
    en = {n.id: n for n in build(ego).nodes}
    ja = {n.id: n for n in build(ego, MapOptions(lang="ja")).nodes}
    assert en["aist"].label == "AIST"
    assert ja["aist"].label == "産業技術総合研究所"
    assert ja["aist"].tip["title"] == "産業技術総合研究所" and ja["aist"].tip["alt"].startswith("National Institute")
    assert {"産総研", "aist", "産業技術総合研究所"} <= set(en["aist"].search)
    # the tooltip's words are the declaration's labels in the map's language: kind, sub-type field and its value
    institution, itype = SCHEMA.node("Institution"), SCHEMA.enum("InstitutionType")["national-lab"]
    typed = next(f for f in institution.fields if f.name == institution.subtype)
    assert ja["aist"].tip["sub"].startswith(institution.label.ja + " · ")
    assert en["aist"].tip["sub"].startswith(institution.label.en + " · ")
    assert ja["aist"].tip["facts"][0] == f"{typed.label.ja}: {itype.label.ja}"
    assert en["aist"].tip["facts"][0] == f"{typed.label.en}: {itype.label.en}"
    ja_lines = [e for e in build(ego, MapOptions(lang="ja")).edges if e.rel == "agreement"]
    mou = SCHEMA.enum("AgreementKind")["mou"].label
    assert any(e.label.startswith(mou.ja) for e in ja_lines) and not any(mou.en + " " in e.label for e in ja_lines)
    assert all(i["kind_label"] == SCHEMA.enum("AgreementKind")[i["kind"]].label.ja
               for e in ja_lines for i in e.tip["agreements"])


class _Shown(HTMLParser):
    """What a reader sees or hears of a page: text outside scripts and styles, placeholders, labels, titles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")
        self.parts += [v for k, v in attrs if k in ("placeholder", "aria-label", "title") and v]

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def shown(html: str) -> str:
    page = _Shown()
    page.feed(html)
    return "\n".join(page.parts)


def test_a_japanese_map_says_everything_in_japanese(curated: Queries) -> None:
    """The page's headings and controls, its notices and subtitle, and its script's words follow MapOptions.lang."""
    ego = curated.ego_graph("aist", depth=1)
    en, ja = render_html(ego), render_html(ego, MapOptions(lang="ja"))
    en_text, ja_text = shown(en), shown(ja)
    used = [k for k, (e, _) in WORDS.items() if k.startswith("page.") and "{" not in e and e in en_text]
    assert len(used) >= 20, used
    for key in used:
        english, japanese = WORDS[key]
        assert japanese in ja_text and english not in ja_text, key
    assert words("ja", "page.show", label=SCHEMA.node("Institution").label.ja) in ja_text
    assert "Find" not in ja_text and "Agreements" not in ja_text
    subtitle = build(ego, MapOptions(lang="ja")).subtitle
    assert subtitle[0].startswith("照会：aist を中心とするネットワーク（深さ 1）") and "データ版" in subtitle[1]
    assert build(ego).subtitle[0].startswith("Query: ego network of aist, depth 1")
    island = next(text for attrs, text in parse(ja).scripts if attrs.get("id") == "qgraph-data")
    assert json.loads(island)["ui"] == script_words("ja") and script_words("ja")["focused"] == "表示中：{name}"


def test_layout_is_deterministic_and_large_views_turn_physics_off() -> None:
    r = synthetic_subgraph(600)
    a, b = build(r, MapOptions(physics_max=1000)), build(r, MapOptions(physics_max=1000))
    assert [(n.id, n.x, n.y) for n in a.nodes] == [(n.id, n.x, n.y) for n in b.nodes]
    assert a.physics
    small = build(r, MapOptions(physics_max=100))
    assert not small.physics and any("physics off" in n for n in small.notices)


@pytest.mark.parametrize("by", ["nation", "kind"])
def test_aggregation_groups_and_says_so(by: str) -> None:
    r = synthetic_subgraph(400)
    d = build(r, MapOptions(aggregate_over=100 if by == "nation" else 10_000, aggregate="auto" if by == "nation" else by))
    assert d.aggregated_by == by
    assert any(f"Aggregated by {by}" in n for n in d.notices)
    assert all(n.kind == "Group" for n in d.nodes)
    assert len(d.nodes) < len(r.nodes) / 4
    if by == "nation":  # every agreement between two groups is counted on their line
        assert sum(len(e.items) for e in d.edges) > 0
    else:  # agreements inside one group are counted on the group
        assert any("agreements among members" in f for n in d.nodes for f in n.tip["facts"])
    assert "Aggregated by" in render_html(r, MapOptions(aggregate=by))  # type: ignore[arg-type]


def test_brokerage_sizes_the_bridge_largest(curated: Queries) -> None:
    d = build(curated.path_graph("kriss", "nrc-canada"), MapOptions(size_by="brokerage"))
    sizes = {n.id: n.size for n in d.nodes}
    assert max(sizes, key=sizes.__getitem__) == "aist"


# ----------------------------------------------------------------------------------------------- the page


def test_map_is_one_file_with_no_external_reference(curated: Queries) -> None:
    html = render_html(curated.ego_graph("aist", depth=2))
    page = parse(html)
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "data", "poster"):
            assert not attrs.get(name), f"<{tag} {name}={attrs.get(name)!r}> refers outside the file"
    assert not any(tag in ("link", "iframe", "object", "embed", "base") for tag, _ in page.tags)
    assert "sourceMappingURL" not in html
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "bootstrap" not in html.lower()


def test_csp_allows_exactly_the_inline_scripts(curated: Queries) -> None:
    html = render_html(curated.ego_graph("aist"))
    page = parse(html)
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp and "default-src 'none'" in csp and "unsafe-eval" not in csp
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)  # type: ignore[union-attr]
    assert "unsafe-inline" not in script_src
    executable = [text for attrs, text in page.scripts if attrs.get("type") != "application/json"]
    assert len(executable) == 2
    for text in executable:
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in script_src


def test_every_user_string_is_escaped() -> None:
    html = render_html(hostile_subgraph())
    page = parse(html)
    # no element came from the data: only the template's own tags exist
    assert not any(tag in ("img", "b", "i") for tag, _ in page.tags)
    assert not any(tag == "svg" and "onload" in attrs for tag, attrs in page.tags)
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    assert page.title == EVIL_TITLE  # shown as text
    assert "&lt;script&gt;window.__pwned=2&lt;/script&gt;" in html
    # the data island holds the strings JSON-escaped: no "<" at all inside it, so it cannot end early
    island = next(text for attrs, text in page.scripts if attrs.get("type") == "application/json")
    assert "<" not in island and json.loads(island)["nodes"]
    assert any(n["tip"]["title"] == EVIL_NAME for n in json.loads(island)["nodes"])


def test_html_is_utf8_bytes_with_japanese_labels(curated: Queries) -> None:
    data = export(curated.ego_graph("aist"), "html", MapOptions(lang="ja"))
    text = data.decode("utf-8")
    assert "産総研" in text and '<html lang="ja">' in text


# ----------------------------------------------------------------------------------------------- data exports


def test_gexf_reads_back_with_networkx_and_a_plain_xml_parser(curated: Queries) -> None:
    result = curated.ego_graph("aist", depth=2)
    data = export(result, "gexf")
    g = nx.read_gexf(io.BytesIO(data))
    assert g.number_of_nodes() == len(result.nodes) and g.number_of_edges() == len(result.edges)
    assert g.nodes["aist"]["name_ja"] == "産業技術総合研究所"
    assert g.nodes["aist"]["kind"] == "Institution" and "measures-2024" in g.nodes["aist"]["citations"]
    root = ET.fromstring(data)
    ns = {"g": root.tag.split("}")[0].strip("{")}
    xml_nodes = root.findall(".//g:nodes/g:node", ns)
    assert len(xml_nodes) == len(result.nodes)
    assert len(root.findall(".//g:edges/g:edge", ns)) == len(result.edges)
    assert {n.get("label") for n in xml_nodes} >= {"National Institute of Advanced Industrial Science and Technology"}
    colour = "{" + ns["g"] + "/viz}color"  # Gephi draws these colours
    assert all(n.find(colour) is not None for n in xml_nodes)


def test_graphml_reads_back_with_networkx_and_igraph(curated: Queries, tmp_path: Path) -> None:
    result = curated.path_graph("kriss", "nrc-canada")
    data = export(result, "graphml")
    g = nx.read_graphml(io.BytesIO(data))
    assert set(g.nodes) == {n.id for n in result.nodes}
    (tmp_path / "p.graphml").write_bytes(data)
    h = ig.Graph.Read_GraphML(str(tmp_path / "p.graphml"))
    assert h.vcount() == len(result.nodes) and h.ecount() == len(result.edges)
    by_id = {v["id"]: v for v in h.vs}
    assert by_id["aist"]["name_ja"] == "産業技術総合研究所"
    assert {e["type"] for e in h.es} == {"PARTY_TO"}


def test_csv_zip_and_json_hold_every_node_edge_and_citation(curated: Queries) -> None:
    result = curated.nation_graph("KR")
    with zipfile.ZipFile(io.BytesIO(export(result, "csv"))) as z:
        assert sorted(z.namelist()) == ["edges.csv", "nodes.csv"]
        nodes = list(csv.DictReader(io.StringIO(z.read("nodes.csv").decode("utf-8-sig"))))
        edges = list(csv.DictReader(io.StringIO(z.read("edges.csv").decode("utf-8-sig"))))
    assert {r["id"] for r in nodes} == {n.id for n in result.nodes}
    assert len(edges) == len(result.edges)
    assert all(json.loads(r["sources_json"]) for r in edges)
    body = json.loads(export(result, "json"))
    assert body == result.model_dump(mode="json")


def test_pictures_are_png_and_svg(curated: Queries) -> None:
    from PIL import Image

    result = curated.ego_graph("aist")
    png = export(result, "png", MapOptions(lang="ja"))
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and im.width > 800 and im.height > 600
    svg = export(result, "svg")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert not root.findall(".//{http://www.w3.org/2000/svg}script")


@pytest.mark.neo4j
def test_exports_agree_on_both_stores(memory_store: Store, neo4j_store: Store) -> None:
    """The same view from memory and from Neo4j exports the same graph: nodes with their attributes, and edges."""
    exported = []
    for store in (memory_store, neo4j_store):
        store.load(read_graph([default_data_dir()], store))
        result = Queries(store).ego_graph("aist", depth=2, filters=Filters(since="2023"))
        g = nx.read_graphml(io.BytesIO(export(result, "graphml")))
        assert "aist" in g and g.number_of_nodes() == len(result.nodes) > 3
        assert set(g.edges()) == {(e.source, e.target) for e in result.edges}
        exported.append((dict(g.nodes(data=True)), sorted((u, v, sorted(d.items())) for u, v, d in g.edges(data=True)),
                         json.loads(export(result, "json"))))
    (mem_nodes, mem_edges, mem_json), (neo_nodes, neo_edges, neo_json) = exported
    assert mem_nodes == neo_nodes
    assert mem_edges == neo_edges
    assert mem_json == neo_json


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_japanese_labels_render_with_a_font_cache_that_predates_the_cjk_fonts(
        curated: Queries, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A matplotlib font cache built before fonts-noto-cjk was installed knows no Japanese face; the export registers
    the font files by path, so no glyph is missing (matplotlib warns "Glyph … missing from font(s)" for each box)."""
    import warnings

    from matplotlib import font_manager

    from qgraph.viz import style

    if not any(Path(p).is_file() for p in style.CJK_FONT_FILES):
        pytest.skip("no Noto CJK (or other Japanese) font file installed (scripts/bootstrap --browser installs it)")
    stale = [f for f in font_manager.fontManager.ttflist if f.fname not in style.CJK_FONT_FILES and "CJK" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    font_manager.fontManager._findfont_cached.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = export(curated.ego_graph("aist"), fmt, MapOptions(lang="ja"))
    font_manager.fontManager._findfont_cached.cache_clear()
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing[:3]
    assert len(data) > 1000
