"""The explorer at ``/`` in real headless Chromium, acting as a user: search, expand, read a citation, trace paths,
scrub the dates, switch language, export what is shown, reload the link; ``/docs`` and ``/redoc`` offline; an
injected name shown as text everywhere. Every request that is not to loopback is blocked and asserted absent (the
``page`` fixture of tests/chromium.py), and so are console errors, failed requests and dialogs.

Waiting polls ``page.evaluate`` (the page's Content-Security-Policy forbids eval, which ``wait_for_function`` needs).
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from qgraph.loaders import default_data_dir, read_graph
from qgraph.queries import Queries
from qgraph.schema import SCHEMA
from qgraph.store import AgreementFilter, Store
from qgraph.stores.memory import MemoryStore

from chromium import Guard, browser, curated, page, poll  # noqa: F401  (fixtures)
from hostile import EVIL_NAME

pytestmark = pytest.mark.browser
SOURCE_TEXT = Path("/work/shared/sources/quantum-industry-measures-2024.ja.txt")


def serve(store: Store, settings: Any = None) -> Iterator[str]:
    import uvicorn

    from qgraph.api import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, store=store), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    poll(lambda: srv.started, bool, "the API server to start")
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def site(curated: Store) -> Iterator[str]:  # noqa: F811
    yield from serve(curated)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The curated data with KRISS renamed to a piece of markup that would run if it were ever parsed as HTML."""
    data = tmp_path_factory.mktemp("hostile-data")
    for f in default_data_dir().iterdir():
        if f.suffix in (".yaml", ".csv"):
            shutil.copy(f, data / f.name)
    text = (data / "institutions.yaml").read_text(encoding="utf-8")
    line = "    name: Korea Research Institute of Standards and Science\n"
    assert line in text
    (data / "institutions.yaml").write_text(text.replace(line, f"    name: '{EVIL_NAME}'\n"), encoding="utf-8")
    store = MemoryStore(tmp_path_factory.mktemp("hostile") / "graph.json")
    store.load(read_graph([data], store))
    yield from serve(store)


def ready(pg: Any) -> None:
    pg.wait_for_selector("body[data-ready=true][data-stable=true]", state="attached", timeout=30_000)


def stable(pg: Any) -> None:
    poll(lambda: pg.evaluate("qgraph.stable && document.body.dataset.stable === 'true'"), bool, "a stable canvas")


def idle(pg: Any) -> None:
    """No request of the page still open (before navigating away, which would abort it)."""
    poll(lambda: pg.evaluate("document.body.dataset.busy || '0'"), lambda v: v == "0", "the page's requests to end")


def entities(pg: Any) -> list[str]:
    return sorted(pg.evaluate("qgraph.state.entities"))


def click_node(pg: Any, node_id: str) -> None:
    pg.evaluate(f"qgraph.network.focus({node_id!r}, {{scale: 1.2}})")
    box = pg.locator("#canvas").bounding_box()
    p = pg.evaluate(f"qgraph.network.canvasToDOM(qgraph.network.getPosition({node_id!r}))")
    pg.mouse.click(box["x"] + p["x"], box["y"] + p["y"])


def node_at(pg: Any, node_id: str) -> dict[str, float]:
    """Where a node is on the canvas (DOM pixels of the canvas element)."""
    return pg.evaluate(f"qgraph.network.canvasToDOM(qgraph.network.getPosition({node_id!r}))")


def hover_tip(pg: Any, at: dict[str, float], text: str) -> str:
    """Rest the pointer at a canvas point; the text of the tooltip shown there, once it holds ``text``."""
    box = pg.locator("#canvas").bounding_box()
    pg.mouse.move(box["x"] + at["x"] + 1, box["y"] + at["y"] + 1)
    pg.mouse.move(box["x"] + at["x"], box["y"] + at["y"])
    tip = pg.locator("#canvas div.vis-tooltip")
    return poll(lambda: tip.inner_text() if tip.count() and tip.is_visible() else "",
                lambda t: squash(text) in squash(t), f"a tooltip holding {text!r}")


def squash(text: str) -> str:
    """Text without white space (innerText breaks lines between a tooltip's rows, textContent does not)."""
    return "".join(text.split())


def download(pg: Any, fmt: str, tmp_path: Path) -> Path:
    if not pg.evaluate("document.getElementById('export').open"):
        pg.click("#export summary")
    with pg.expect_download() as info:
        pg.click(f"button[data-export={fmt}]")
    d = info.value
    path = tmp_path / d.suggested_filename
    d.save_as(path)
    return path


def test_a_user_session_search_expand_cite_paths_dates_language_export_reload(
        page: tuple[Any, Guard], site: str, curated: Store, tmp_path: Path) -> None:  # noqa: F811
    pg, guard = page
    pg.set_viewport_size({"width": 1280, "height": 720})
    pg.goto(site + "/")
    ready(pg)
    assert pg.locator("#canvas-help").is_visible()

    # search in Japanese: the suggestion list offers AIST; Enter puts it on the canvas
    pg.fill("#search", "産総研")
    pg.wait_for_selector("#suggestions li.suggestion[data-id=aist]", timeout=10_000)
    assert "National Institute of Advanced Industrial Science and Technology" in pg.locator("#suggestions").inner_text()
    pg.press("#search", "Enter")
    poll(lambda: entities(pg), lambda e: e == ["aist"], "AIST on the canvas")
    stable(pg)
    assert pg.evaluate("qgraph.nodes.getIds()") == ["aist"]
    poll(lambda: pg.locator("#details-h").inner_text(), lambda s: s.startswith("National Institute of Advanced"),
         "AIST's panel")

    # expand: its partners (KRISS, NIST, NRC Canada) and its context join the canvas
    pg.click("#act-expand")
    poll(lambda: entities(pg), lambda e: {"kriss", "nist", "nrc-canada", "aist"} <= set(e), "AIST's partners")
    stable(pg)
    expected = Queries(curated).canvas_graph(["aist"], expand=["aist"])
    assert sorted(pg.evaluate("qgraph.nodes.getIds()")) == sorted(
        n["id"] for n in _drawn_ids(expected))
    undo_ready = pg.locator("#undo").is_enabled()
    assert undo_ready

    # KRISS's panel: names in both languages, and a verbatim citation from the source document
    click_node(pg, "kriss")
    poll(lambda: pg.get_attribute("#details", "data-entity"), lambda v: v == "kriss", "KRISS's panel")
    poll(lambda: pg.locator("#details blockquote.cite").count(), lambda n: n > 0, "KRISS's citations")
    assert pg.locator("#details-h").inner_text() == "Korea Research Institute of Standards and Science"
    assert "韓国標準科学研究院" in pg.locator("#details-body .aliases").inner_text()  # its Japanese name is an alias
    quote = pg.locator("#details li.agreement blockquote.cite .quote").first.inner_text()
    assert quote and quote in SOURCE_TEXT.read_text(encoding="utf-8")
    assert "measures-2024" in pg.locator("#details li.agreement blockquote.cite .where").first.inner_text()
    assert "2024-01" in pg.locator("#details li.agreement .a-meta").first.inner_text()

    # paths KRISS → NRC Canada by name: highlighted, the rest dimmed, the briefing beside with a copy button
    pg.fill("#path-a", "KRISS")
    pg.fill("#path-b", "NRC Canada")
    pg.click("#path-form button[type=submit]")
    poll(lambda: pg.evaluate("qgraph.path && qgraph.path.nodes"), lambda v: v == ["aist", "kriss", "nrc-canada"],
         "the path highlighted")
    assert len(pg.evaluate("qgraph.path.edges")) == 2
    summary = pg.locator("#path-summary").inner_text()
    assert "through 2 agreements via National Institute of Advanced Industrial Science and Technology" in summary
    assert pg.locator("#path-copy").is_visible()
    assert pg.evaluate("qgraph.nodes.get('nist').color.background") == "#e6e9ed"  # dimmed
    assert pg.evaluate("qgraph.nodes.get('kriss').color.background") != "#e6e9ed"

    # the date range from 2024 on: only the 2024 agreements stay
    months = pg.evaluate("qgraph.months()")
    index = months.index("2024-01")
    assert index > 0
    pg.locator("#since").evaluate("(e, i) => { e.value = String(i); e.dispatchEvent(new Event('input')); }", index)
    shown = pg.evaluate("qgraph.visibleAgreements")
    everything = _drawn_agreements(expected, curated)
    want = sorted(a for a, props in everything if AgreementFilter(since="2024-01-01").passes(props))
    assert shown == want and shown, (shown, want)
    assert all(_date(curated, a).startswith("2024") for a in shown)
    assert "since=2024-01" in pg.url
    # the paths follow the filters: the AIST–NRC Canada MOU is of 2023-11, so no path is left, and the page says so
    poll(lambda: pg.evaluate("qgraph.path"), lambda v: v is None, "the path to go with the 2023 agreement")
    assert "No partnership path between" in pg.locator("#path-result").inner_text()

    # Japanese: every UI string and the labels
    pg.select_option("#lang", "ja")
    poll(lambda: pg.locator("#filters-h").inner_text(), lambda s: s == "凡例と絞り込み", "Japanese UI")
    stable(pg)
    poll(lambda: pg.evaluate("qgraph.nodes.get('aist').label"), lambda s: s == "産業技術総合研究所", "Japanese labels")
    assert pg.evaluate("document.documentElement.lang") == "ja"
    # the labels are the declaration's, in Japanese: legend, tooltip, panel (kind, field names and enum values)
    mou = SCHEMA.enum("AgreementKind")["mou"].label.ja
    institution = SCHEMA.node("Institution")
    assert pg.locator("label[for=f-akind-mou] .name").inner_text() == mou
    assert pg.locator("label[for=f-kind-Institution] .name").inner_text() == institution.legend.ja
    tip = pg.evaluate("qgraph.tipText('aist')")
    assert institution.label.ja + " · " in tip and " · " + mou + " · " in tip and " · MOU · " not in tip
    poll(lambda: pg.locator("#details-sub").inner_text(), lambda s: s.startswith(institution.label.ja), "KRISS in ja")
    kriss_type = SCHEMA.enum("InstitutionType")[str(curated.get_node("kriss").properties["type"])].label.ja
    props = pg.locator("#details-body dl.props").inner_text()
    assert next(f.label.ja for f in institution.fields if f.name == "type") in props and kriss_type in props
    assert pg.evaluate("qgraph.visibleAgreements") == want  # the filters survived the redraw

    # export exactly the view: PNG and GEXF
    png = download(pg, "png", tmp_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    gexf = download(pg, "gexf", tmp_path)
    g = nx.read_gexf(gexf)
    visible = pg.evaluate("qgraph.nodes.get({filter: n => !n.hidden}).map(n => n.id)")
    assert set(g.nodes) == set(visible) | set(want)
    assert "aist-nrc-canada-mou-2023-11" not in g.nodes  # 2023: filtered out, so not exported

    # reload the link: the same view
    url = pg.url
    before = {"entities": entities(pg), "lang": pg.evaluate("qgraph.state.lang"), "sel": pg.evaluate("qgraph.state.sel"),
              "since": pg.evaluate("qgraph.state.since")}
    idle(pg)
    pg.reload()
    ready(pg)
    poll(lambda: pg.locator("#path-result").inner_text(), lambda s: "協定 6 件以内の経路はありません" in s,
         "the same (empty) paths after reload")
    assert pg.url == url
    assert {"entities": entities(pg), "lang": pg.evaluate("qgraph.state.lang"), "sel": pg.evaluate("qgraph.state.sel"),
            "since": pg.evaluate("qgraph.state.since")} == before
    assert pg.evaluate("qgraph.visibleAgreements") == want
    assert pg.locator("#filters-h").inner_text() == "凡例と絞り込み"
    idle(pg)
    guard.assert_clean()
    assert all(u.startswith(site) or u.startswith("blob:") or u.startswith("data:") for u in guard.requests)


def _drawn_ids(result: Any) -> list[dict[str, str]]:
    """The node ids the canvas draws for a result: entities, and agreements with other than two parties."""
    from qgraph.viz import MapOptions, build

    return [{"id": n.id} for n in build(result, MapOptions(aggregate="none")).nodes]


def _drawn_agreements(result: Any, store: Store) -> list[tuple[str, dict[str, Any]]]:
    return [(n.id, n.properties) for n in result.nodes if n.kind == "Agreement"]


def _date(store: Store, agreement: str) -> str:
    node = store.get_node(agreement)
    assert node is not None
    return str(node.properties.get("date"))


def test_undo_hide_back_button_and_entry_points(page: tuple[Any, Guard], site: str) -> None:
    pg, guard = page
    pg.goto(site + "/?focus=" + "産総研")  # a name works as an entry point
    ready(pg)
    poll(lambda: entities(pg), lambda e: {"aist", "kriss", "nist"} <= set(e), "the focus entry point expanded")
    assert pg.evaluate("qgraph.state.sel") == "aist"
    first = entities(pg)
    pg.evaluate("qgraph.hide('nist')")
    poll(lambda: entities(pg), lambda e: "nist" not in e, "NIST hidden")
    pg.click("#undo")
    poll(lambda: entities(pg), lambda e: e == first, "undo brings NIST back")
    pg.evaluate("qgraph.hide('kriss')")
    poll(lambda: entities(pg), lambda e: "kriss" not in e, "KRISS hidden")
    pg.go_back()
    poll(lambda: entities(pg), lambda e: e == first, "the back button brings KRISS back")
    stable(pg)
    poll(lambda: pg.evaluate("qgraph.nodes.length"), lambda n: n == len(first), "KRISS drawn again")

    idle(pg)
    pg.goto(site + "/?source=kriss&target=nrc-canada")
    ready(pg)
    poll(lambda: pg.evaluate("qgraph.path && qgraph.path.nodes"), lambda v: v == ["aist", "kriss", "nrc-canada"],
         "the paths entry point")
    assert "through 2 agreements" in pg.locator("#path-summary").inner_text()

    # an unknown name: suggestions in the page, never raw JSON
    idle(pg)
    pg.goto(site + "/?focus=National%20Institute%20of%20Zzz")
    ready(pg)
    text = pg.locator("#path-result").inner_text()
    assert "No entity called" in text and "{" not in text
    assert pg.locator("#path-result button.candidate").count() > 0
    idle(pg)
    guard.assert_clean()


def open_still(pg: Any, site: str) -> None:
    """AIST and its partners on the canvas, the layout stopped and the whole canvas in view."""
    pg.set_viewport_size({"width": 1280, "height": 720})
    pg.goto(site + "/?focus=aist")
    ready(pg)
    poll(lambda: entities(pg), lambda e: {"aist", "kriss", "nist"} <= set(e), "AIST and its partners")
    stable(pg)
    pg.evaluate("qgraph.network.stopSimulation(); qgraph.network.fit()")


def test_one_tooltip_element_follows_the_pointer(page: tuple[Any, Guard], site: str) -> None:
    """The canvas's single tooltip element shows what the pointer rests on: a node, another node, then a line."""
    pg, guard = page
    open_still(pg, site)
    for node in ("aist", "kriss"):
        expected = pg.evaluate(f"qgraph.tipText({node!r})")
        assert squash(hover_tip(pg, node_at(pg, node), expected)) == squash(expected)
    line = pg.evaluate("""() => { const net = qgraph.network;
      for (const e of qgraph.edges.get()) {
        const a = net.getPosition(e.from), b = net.getPosition(e.to);
        const m = net.canvasToDOM({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
        if (net.getNodeAt(m) === undefined && net.getEdgeAt(m) === e.id) return { id: e.id, x: m.x, y: m.y };
      }
      return null; }""")
    assert line is not None
    expected = pg.evaluate(f"qgraph.tipText({line['id']!r}, 'edge')")
    assert squash(hover_tip(pg, line, expected)) == squash(expected)
    assert pg.locator("#canvas div.vis-tooltip .tip").count() == 1
    idle(pg)
    guard.assert_clean()


def test_a_drag_on_the_background_pans_and_tooltips_come_back(page: tuple[Any, Guard], site: str) -> None:
    """While a button is held the page keeps mouse moves from vis-network's hover handler; the pan, which follows
    pointer events, still moves the view by as much as the pointer moved, and hovering works again afterwards."""
    pg, guard = page
    open_still(pg, site)
    free = pg.evaluate("""() => { const net = qgraph.network, c = document.querySelector("#canvas canvas");
      for (let y = 40; y < c.clientHeight - 80; y += 10) for (let x = 40; x < c.clientWidth - 140; x += 10)
        if (net.getNodeAt({ x, y }) === undefined && net.getEdgeAt({ x, y }) === undefined) return { x, y };
      return null; }""")
    assert free is not None
    before, scale = pg.evaluate("qgraph.network.getViewPosition()"), pg.evaluate("qgraph.network.getScale()")
    box = pg.locator("#canvas").bounding_box()
    pg.mouse.move(box["x"] + free["x"], box["y"] + free["y"])
    # mouse moves that reach vis-network's canvas element, where its hover handler listens
    pg.evaluate("window.__moves = 0; document.querySelector('#canvas canvas')"
                ".addEventListener('mousemove', () => { window.__moves++; })")
    pg.mouse.down()
    for i in range(1, 11):
        pg.mouse.move(box["x"] + free["x"] + 10 * i, box["y"] + free["y"] + 5 * i)
    pg.mouse.up()
    assert pg.evaluate("window.__moves") == 0
    after = pg.evaluate("qgraph.network.getViewPosition()")
    assert abs((before["x"] - after["x"]) * scale - 100) < 2 and abs((before["y"] - after["y"]) * scale - 50) < 2
    expected = pg.evaluate("qgraph.tipText('nist')")
    assert squash(hover_tip(pg, node_at(pg, "nist"), expected)) == squash(expected)
    assert pg.evaluate("window.__moves") > 0
    idle(pg)
    guard.assert_clean()


def test_nodes_filled_without_save_restore_draw_the_same_pixels(page: tuple[Any, Guard], site: str) -> None:
    """The page's fill of nodes, without vis-network's two save()/restore() pairs around each, draws the very pixels
    vis-network's own does, a selected node's border included."""
    pg, guard = page
    open_still(pg, site)
    assert pg.evaluate("qgraph.fastFill") is True  # the shipped vis-network has the method the page replaces
    same = pg.evaluate("""() => {
      const net = qgraph.network, canvas = document.querySelector("#canvas canvas"), ctx = canvas.getContext("2d");
      net.selectNodes(["aist"]);
      let base = Object.getPrototypeOf(Object.values(net.body.nodes)[0].shape);
      while (!Object.prototype.hasOwnProperty.call(base, "performFill")) base = Object.getPrototypeOf(base);
      const shot = () => {
        let saves = 0;
        const save = ctx.save;
        ctx.save = function () { saves++; return save.call(this); };
        net.redraw();
        ctx.save = save;
        return [canvas.toDataURL(), saves];
      };
      const fast = shot(), patched = base.performFill;
      base.performFill = patched.original;
      const slow = shot();
      base.performFill = patched;
      return { same: fast[0] === slow[0], saves: [fast[1], slow[1]], nodes: net.body.nodeIndices.length };
    }""")
    assert same["same"]
    assert same["saves"][1] - same["saves"][0] == 2 * same["nodes"]  # two save()s per node fewer
    idle(pg)
    guard.assert_clean()


def test_store_outage_shows_a_banner(page: tuple[Any, Guard], site: str) -> None:
    pg, guard = page
    body = json.dumps({"error": "store_unavailable",
                       "detail": "The graph database cannot be reached right now; try again shortly."})
    pg.route("**/explorer/graph", lambda r: r.fulfill(status=503, body=body, content_type="application/json"))
    pg.goto(site + "/?e=aist")
    ready(pg)
    banner = pg.locator("#banner")
    assert banner.is_visible()
    assert "cannot be reached" in banner.inner_text() and "{" not in banner.inner_text()
    guard.errors[:] = [e for e in guard.errors if "503" not in e]  # the browser logs the refused request itself
    idle(pg)
    guard.assert_clean()


def test_injected_name_shows_as_text_everywhere(page: tuple[Any, Guard], hostile_site: str) -> None:
    pg, guard = page
    pg.goto(hostile_site + "/?focus=aist")
    ready(pg)
    poll(lambda: entities(pg), lambda e: "kriss" in e, "KRISS on the canvas")
    pg.fill("#search", "KRISS")
    pg.wait_for_selector("#suggestions li.suggestion[data-id=kriss]", timeout=10_000)
    assert EVIL_NAME in pg.locator("#suggestions li.suggestion[data-id=kriss]").inner_text()
    pg.press("#search", "Escape")
    click_node(pg, "kriss")
    poll(lambda: pg.get_attribute("#details", "data-entity"), lambda v: v == "kriss", "the panel")
    assert pg.locator("#details-h").inner_text() == EVIL_NAME
    pg.fill("#path-a", "KRISS")
    pg.fill("#path-b", "nrc-canada")
    pg.click("#path-form button[type=submit]")
    poll(lambda: pg.locator("#path-summary").count(), bool, "the briefing")
    assert EVIL_NAME in pg.locator("#path-summary").inner_text()
    pg.evaluate("qgraph.network.stopSimulation()")
    assert EVIL_NAME in hover_tip(pg, node_at(pg, "kriss"), EVIL_NAME)  # the canvas's tooltip too
    assert pg.locator("img").count() == 0
    assert pg.evaluate("window.__pwned === undefined")
    idle(pg)
    guard.assert_clean()


def test_docs_and_redoc_render_offline(page: tuple[Any, Guard], site: str) -> None:
    pg, guard = page
    pg.goto(site + "/docs")
    pg.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "qgraph" in pg.locator(".swagger-ui .info .title").inner_text()
    assert pg.locator(".opblock-summary-path", has_text="/paths").count() >= 1
    pg.goto(site + "/redoc")
    pg.wait_for_selector("h1", timeout=30_000)
    poll(lambda: pg.locator("h1").first.inner_text(), lambda s: "qgraph" in s, "ReDoc's heading")
    idle(pg)
    guard.assert_clean()
    assert all(u.startswith(site) or u.startswith("data:") or u.startswith("blob:") for u in guard.requests)


def test_export_post_gives_exactly_the_listed_view(site: str, curated: Store, tmp_path: Path) -> None:  # noqa: F811
    """Not a browser test: POST /export takes the canvas's ids (too many for a URL) and exports just those."""
    import httpx

    body = {"entities": ["aist", "kriss", "nrc-canada"], "agreements": ["aist-kriss-mou-2024-01"], "lang": "ja"}
    r = httpx.post(site + "/export/csv", json=body)
    assert r.status_code == 200
    (tmp_path / "v.zip").write_bytes(r.content)
    with zipfile.ZipFile(tmp_path / "v.zip") as z:
        names = [line.split(",")[0] for line in z.read("nodes.csv").decode("utf-8-sig").splitlines()[1:]]
    assert sorted(names) == ["aist", "aist-kriss-mou-2024-01", "kriss", "nrc-canada"]
    bad = httpx.post(site + "/export/csv", json={**body, "agreements": ["jucip-2nd-ministerial-joint-statement"]})
    assert bad.status_code == 422 and "agreements" in bad.text


def test_cluster_by_nation_play_the_timeline_and_filter_from_the_legend(page: tuple[Any, Guard], site: str) -> None:
    pg, guard = page
    pg.goto(site + "/?focus=aist")
    ready(pg)
    poll(lambda: entities(pg), lambda e: "kriss" in e, "AIST's partners")
    stable(pg)
    pg.click("#cluster")
    assert pg.evaluate("qgraph.network.isCluster('cluster:jp')") is True
    assert pg.get_attribute("#cluster", "aria-pressed") == "true" and "cluster=nation" in pg.url
    pg.click("#cluster")
    assert pg.evaluate("Object.keys(qgraph.network.body.nodes).some(id => qgraph.network.isCluster(id))") is False

    # the legend is the filter: unticking Facility hides every facility at once
    facilities = pg.evaluate("qgraph.nodes.get({filter: n => n.kind === 'Facility'}).length")
    assert facilities > 0
    shown = pg.evaluate("qgraph.visibleNodes")
    pg.uncheck("#f-kind-Facility")
    assert pg.evaluate("qgraph.visibleNodes") == shown - facilities and "xk=Facility" in pg.url
    pg.click("#reset-filters")
    assert pg.evaluate("qgraph.visibleNodes") == shown

    # play: the end of the range steps month by month from the first month, then stops on the whole range
    months = pg.evaluate("qgraph.months()")
    assert len(months) >= 2
    pg.click("#play")
    assert pg.evaluate("qgraph.state.until") == months[0]
    first = pg.evaluate("qgraph.visibleAgreements.length")
    poll(lambda: pg.evaluate("qgraph.state.until"), lambda v: v is None, "the timeline to reach its end", tries=200)
    assert pg.get_attribute("#play", "aria-pressed") == "false"
    assert pg.evaluate("qgraph.visibleAgreements.length") > first
    idle(pg)
    guard.assert_clean()


def test_every_control_has_a_label_and_the_page_fits_1280x720(page: tuple[Any, Guard], site: str) -> None:
    pg, guard = page
    pg.set_viewport_size({"width": 1280, "height": 720})
    pg.goto(site + "/?focus=aist&lang=ja")
    ready(pg)
    poll(lambda: pg.get_attribute("#details", "data-entity"), lambda v: v == "aist", "AIST's panel")
    unnamed = pg.evaluate("""Array.from(document.querySelectorAll('input, select, button, [role=combobox]')).filter(e => {
        const byFor = e.id && document.querySelector('label[for="' + e.id + '"]');
        const name = (e.getAttribute('aria-label') || (byFor && byFor.textContent) || e.textContent || '').trim();
        return !name; }).map(e => e.outerHTML.slice(0, 80))""")
    assert unnamed == []
    # no UI string left in English when Japanese is chosen (the keys all have a Japanese text)
    assert pg.locator("#act-expand").inner_text() == "連携先を展開"
    assert pg.evaluate("document.documentElement.scrollWidth <= 1280")
    for part in ("#filters", "#canvas", "#side", "#search"):
        box = pg.locator(part).bounding_box()
        assert box and box["width"] > 150 and box["x"] + box["width"] <= 1280, part
    # keyboard: Tab reaches the search box first (after the skip link), and the focus is visible
    pg.keyboard.press("Tab")
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.id") == "search"
    assert pg.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    idle(pg)
    guard.assert_clean()


EDITOR = "editor-token-0123456789abcdef012"


@pytest.fixture(scope="module")
def editable_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    """The curated data in a store of its own, served with an editor token (the edits change it)."""
    from qgraph.config import Settings

    store = MemoryStore(tmp_path_factory.mktemp("editable") / "graph.json")
    store.load(read_graph([default_data_dir()], store))
    for url in serve(store, Settings(tokens=f"bob:editor:{EDITOR}")):
        yield url, store


def test_edit_in_place_is_a_changeset_shown_at_once_and_undone(page: tuple[Any, Guard],
                                                               editable_site: tuple[str, Store]) -> None:
    pg, guard = page
    site, store = editable_site
    pg.goto(site + "/?focus=kriss")
    ready(pg)
    poll(lambda: pg.get_attribute("#details", "data-entity"), lambda v: v == "kriss", "KRISS's panel")
    poll(lambda: pg.locator("#details-history li").count(), bool, "KRISS's history")
    assert pg.locator("#details-history button.undo-edit").count() == 0  # the load is no explorer edit
    pg.click("#edit summary")

    # an alias from general knowledge: one changeset by the token's name, shown at once, marked external
    pg.fill("#edit-token", EDITOR)
    pg.select_option("#edit-action", "add_alias")
    pg.fill("#edit-alias", "KRISS Daejeon")
    pg.check("#edit-cite-general")
    pg.fill("#edit-note", "its usual name in Korea")
    pg.click("#edit-form button[type=submit]")
    poll(lambda: pg.locator("#edit-status").inner_text(), lambda s: s.startswith("Saved as changeset"), "the save")
    alias_cs = store.changesets()[-1]
    assert alias_cs.actor == "bob" and alias_cs.dataset == "explorer"
    assert "KRISS Daejeon" in pg.locator("#details-body .aliases").inner_text()
    assert pg.locator("#details-body [data-external=true]").count() > 0
    poll(lambda: pg.locator(f"#details-history button[data-undo='{alias_cs.number}']").count(), bool, "its Undo")

    # an agreement with AIST (on the canvas), citing the source document: drawn at once
    pg.select_option("#edit-action", "add_agreement")
    pg.select_option("#edit-with", "aist")
    pg.select_option("#edit-kind", "mou")
    pg.fill("#edit-date", "2024-03")
    pg.check("#edit-cite-doc")
    pg.fill("#edit-doc", "measures-2024")
    pg.fill("#edit-section", "III(1) 国際連携の進展")
    pg.fill("#edit-quote", "産総研と KRISS (韓国)⁵の量子分野を含む MOU の改訂")
    pg.click("#edit-form button[type=submit]")
    poll(lambda: pg.evaluate("qgraph.lastEdit && qgraph.lastEdit.entity"), lambda v: v and v.startswith("kriss-aist"),
         "the new agreement")
    new = pg.evaluate("qgraph.lastEdit.entity")
    poll(lambda: pg.evaluate("qgraph.visibleAgreements"), lambda v: new in v, "the new agreement on the canvas")
    # its own record (a line on the canvas, no node) opens from KRISS's panel, with its history and the edit form
    poll(lambda: pg.locator(f"#details li.agreement[data-agreement='{new}'] button.open-record").count(), bool,
         "the new agreement in KRISS's panel")
    pg.click(f"#details li.agreement[data-agreement='{new}'] button.open-record")
    poll(lambda: pg.get_attribute("#details", "data-entity"), lambda v: v == new, "the agreement's record")
    poll(lambda: pg.locator("#details-history li").count(), bool, "the agreement's history")
    assert "date" in pg.evaluate("[...document.getElementById('edit-field').options].map(o => o.value)")
    pg.evaluate("qgraph.add('kriss')")  # back to KRISS for the rest
    poll(lambda: pg.get_attribute("#details", "data-entity"), lambda v: v == "kriss", "KRISS's panel again")

    # a refused edit says why in the page (the field named), and nothing is written
    count = len(store.changesets())
    pg.select_option("#edit-action", "set")
    pg.select_option("#edit-field", "founded")
    pg.fill("#edit-value", "last spring")
    pg.click("#edit-form button[type=submit]")
    poll(lambda: pg.locator("#edit-status").inner_text(), lambda s: "founded" in s, "the refusal")
    assert len(store.changesets()) == count

    # undo the alias from the history: gone at once, recorded as its own changeset
    pg.click(f"#details-history button[data-undo='{alias_cs.number}']")
    poll(lambda: pg.evaluate("qgraph.lastUndo && qgraph.lastUndo.undone"), lambda v: v == alias_cs.number, "undo")
    poll(lambda: pg.locator("#details-body").inner_text(), lambda s: "KRISS Daejeon" not in s, "the alias gone")
    assert store.changesets()[-1].reverts == alias_cs.number
    idle(pg)
    guard.errors[:] = [e for e in guard.errors if "422" not in e]  # the browser logs the refused request itself
    guard.assert_clean()
