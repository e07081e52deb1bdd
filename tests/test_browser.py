"""Exported maps in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright;
``scripts/bootstrap --browser`` installs it), with every request that is not to a file or to loopback blocked at the
browser and recorded: each test ends by asserting that none was made and none failed.

Without Chromium these tests skip locally and fail under CI=true (as the Neo4j tests do without NEO4J_URI).
Playwright's ``launch`` gives every run a fresh temporary profile (its own --user-data-dir).
Waiting is done on DOM state (``body[data-stable=true]``) or by polling ``page.evaluate``: the maps' Content-Security-
Policy forbids eval, which Playwright's ``wait_for_function`` would need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qgraph.queries import Queries
from qgraph.store import Store
from qgraph.viz import MapOptions, build
from qgraph.viz.synthetic import synthetic_subgraph

from chromium import (Guard, allowed, browser, curated, hover_node, node_count, open_map,  # noqa: F401  (fixtures)
                      page, poll)
from hostile import EVIL_NAME, EVIL_TITLE, hostile_subgraph

pytestmark = pytest.mark.browser

# ------------------------------------------------------------------------------------------------ maps


def test_the_guard_catches_what_pyvis_in_line_output_would_fetch(page: tuple[Any, Guard], tmp_path: Path) -> None:
    """Control: pyvis's own "in_line" page still links Bootstrap from a CDN, and the guard sees it."""
    from pyvis.network import Network

    pg, guard = page
    net = Network(cdn_resources="in_line")
    net.add_node(1, label="one")
    (tmp_path / "pyvis.html").write_bytes(net.generate_html().encode("utf-8"))
    pg.goto((tmp_path / "pyvis.html").as_uri())
    assert any("cdn.jsdelivr.net" in u for u in guard.blocked)
    guard.errors.clear()
    with pytest.raises(AssertionError, match="would have left the machine"):
        guard.assert_clean()



def test_ego_map_offline_node_count_search_and_tooltip(page: tuple[Any, Guard], curated: Store, tmp_path: Path) -> None:
    pg, guard = page
    result = Queries(curated).ego_graph("aist", depth=2)
    open_map(pg, tmp_path, result)
    assert node_count(pg) == len(build(result).nodes) == pg.evaluate("qgraph.nodes.length")
    assert pg.locator("h1").inner_text() == result.title

    pg.fill("#search", "産総研")
    pg.press("#search", "Enter")
    assert pg.evaluate("qgraph.network.getSelectedNodes()") == ["aist"]
    assert pg.locator("#status").inner_text() == "Focused: AIST"
    # the view moves to the node (focus animates)
    poll(lambda: pg.evaluate("(() => { const v = qgraph.network.getViewPosition(), p = qgraph.network.getPosition('aist');"
                             " return Math.hypot(v.x - p.x, v.y - p.y); })()"), lambda d: d < 5, "view centred on aist")
    pg.fill("#search", "ｎｉｓｔ")  # full-width: folded like the API's search
    pg.press("#search", "Enter")
    assert pg.evaluate("qgraph.focused") == "nist"

    text = hover_node(pg, "aist")
    assert "産業技術総合研究所" in text and "Source: measures-2024" in text
    edge = pg.evaluate("qgraph.edges.get({filter: e => e.rel === 'agreement' && [e.from, e.to].includes('nist')})[0].id")
    tip = pg.evaluate(f"qgraph.tipFor('edge', {edge!r}).textContent")
    assert "MOU" in tip and "2023-11" in tip and "Source: measures-2024" in tip
    guard.assert_clean()
    assert all(allowed(u) and not u.startswith("http") for u in guard.requests)


def test_a_japanese_map_speaks_japanese(page: tuple[Any, Guard], curated: Store, tmp_path: Path) -> None:
    """The script's messages and the tooltips' words follow the map's language (qgraph.viz.i18n)."""
    pg, guard = page
    open_map(pg, tmp_path, Queries(curated).ego_graph("aist", depth=1), MapOptions(lang="ja"))
    assert pg.locator("h2").first.inner_text() == "検索"
    pg.fill("#search", "AIST")
    pg.press("#search", "Enter")
    assert pg.locator("#status").inner_text() == "表示中：産業技術総合研究所"
    pg.fill("#search", "zzzz")
    pg.press("#search", "Enter")
    assert pg.locator("#status").inner_text() == "「zzzz」に一致するものはありません"
    assert "出典：measures-2024" in hover_node(pg, "aist")
    assert pg.locator("#counts").inner_text().startswith("ノード ")
    guard.assert_clean()


def test_injected_names_show_as_text_and_run_nothing(page: tuple[Any, Guard], tmp_path: Path) -> None:
    pg, guard = page
    open_map(pg, tmp_path, hostile_subgraph())
    assert pg.evaluate("window.__pwned === undefined")
    assert pg.title() == EVIL_TITLE and pg.locator("h1").inner_text() == EVIL_TITLE
    text = hover_node(pg, "evil")
    assert EVIL_NAME in text and "<svg onload" in text
    assert pg.locator("div.vis-tooltip img, div.vis-tooltip svg, div.vis-tooltip b, div.vis-tooltip script").count() == 0
    pg.fill("#search", "悪い")
    pg.press("#search", "Enter")
    assert pg.evaluate("qgraph.focused") == "evil"
    assert pg.locator("#search-results button").first.inner_text() == "<svg onload=window.__pwned=3>"  # its label
    assert pg.evaluate("window.__pwned === undefined")
    guard.assert_clean()


def test_legend_filters_path_view_and_physics(page: tuple[Any, Guard], curated: Store, tmp_path: Path) -> None:
    pg, guard = page
    result = Queries(curated).whole_graph()
    d = build(result)
    open_map(pg, tmp_path, result)
    total = len(d.nodes)
    assert node_count(pg) == total
    kinds = {k: sum(1 for n in d.nodes if n.kind == k) for k in d.entity_kinds}

    pg.click("button[data-select-kind=Nation]")
    assert sorted(pg.evaluate("qgraph.network.getSelectedNodes()")) == sorted(n.id for n in d.nodes if n.kind == "Nation")
    pg.click("button[data-select-akind=mou]")
    selected = pg.evaluate("qgraph.network.getSelectedEdges()")
    assert selected and all(pg.evaluate(f"qgraph.edges.get({e!r}).items.some(i => i.kind === 'mou')") for e in selected)

    pg.uncheck("input[data-filter-kind=Strategy]")
    assert pg.evaluate("qgraph.visibleNodes") == total - kinds["Strategy"]
    line = "!!qgraph.edges.get({filter: e => e.rel === 'agreement' && [e.from, e.to].sort().join() === %r})[0].hidden"
    assert pg.evaluate(line % "aist,nrc-canada") is False
    pg.fill("#date-since", "2024")  # the AIST–NRC MOU is 2023-11, the AIST–KRISS revision 2024-01
    assert pg.evaluate(line % "aist,nrc-canada") is True and pg.evaluate(line % "aist,kriss") is False
    pg.click("#reset-filters")
    assert pg.evaluate("qgraph.visibleNodes") == total

    pg.fill("#path-a", "KRISS")
    pg.fill("#path-b", "NRC")
    pg.click("#path-form button[type=submit]")
    assert sorted(pg.evaluate("qgraph.path.nodes")) == ["aist", "kriss", "nrc-canada"]
    assert pg.evaluate("qgraph.visibleNodes") == 3
    assert "KRISS → NRC" in pg.locator("#path-status").inner_text()
    pg.click("#path-clear")
    assert pg.evaluate("qgraph.visibleNodes") == total

    physics = "qgraph.network.physics.options.enabled"
    before = pg.evaluate(physics)
    pg.click("#physics")
    assert pg.evaluate(physics) is (not before)
    guard.assert_clean()


def test_large_views_use_the_precomputed_layout_or_aggregate(page: tuple[Any, Guard], tmp_path: Path) -> None:
    pg, guard = page
    big = synthetic_subgraph(1_500)
    open_map(pg, tmp_path, big, name="big.html")
    assert node_count(pg) == len(build(big).nodes) > 500
    assert pg.evaluate("qgraph.network.physics.options.enabled") is False
    assert "physics off" in pg.locator(".notice").inner_text()
    huge = synthetic_subgraph(3_000)
    open_map(pg, tmp_path, huge, name="huge.html")
    assert node_count(pg) == len(build(huge).nodes) < 300
    assert "Aggregated by nation" in pg.locator(".notice").first.inner_text()
    pg.fill("#search", "Institute 7")  # a member's name finds its group
    pg.press("#search", "Enter")
    assert pg.evaluate("qgraph.focused").startswith("group:")
    guard.assert_clean()

# The explorer page at / is tested in test_explorer.py (with these fixtures).
