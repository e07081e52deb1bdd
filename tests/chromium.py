"""Headless Chromium for the browser tests (test_browser, test_explorer, test_ingest_browser): the ``browser`` and
``page`` fixtures, the ``Guard`` that records every request and blocks those not to a file or to loopback, and small
helpers for maps. Debian's /usr/bin/chromium driven by Playwright (``scripts/bootstrap --browser`` installs it);
without it the tests skip locally and fail under CI=true."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from qgraph.loaders import default_data_dir, read_graph
from qgraph.results import SubgraphResult
from qgraph.store import Store
from qgraph.stores.memory import MemoryStore
from qgraph.viz import MapOptions, render_html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}: the browser tests must run in CI (scripts/test installs Chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing (scripts/bootstrap --test)")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (scripts/bootstrap --browser installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@dataclass
class Guard:
    """What the page asked for, and what went wrong."""

    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"requests that would have left the machine: {self.blocked}"
        assert self.failed == [], f"failed requests: {self.failed}"
        assert self.errors == [], f"console errors or page errors: {self.errors}"
        assert self.dialogs == [], f"dialogs (injected script?): {self.dialogs}"


def allowed(url: str) -> bool:
    u = urlparse(url)
    return u.scheme in ("file", "data", "blob", "about") or (u.scheme in ("http", "https") and u.hostname in LOOPBACK)


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, Guard]]:
    guard = Guard()
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True,
                                  service_workers="block")

    def route(r: Any) -> None:
        if allowed(r.request.url):
            r.continue_()
        else:
            guard.blocked.append(r.request.url)
            r.abort("blockedbyclient")

    context.route("**/*", route)
    pg = context.new_page()
    pg.on("request", lambda req: guard.requests.append(req.url))
    # a link that turns into a download ends its navigation with ERR_ABORTED: that one is no failure
    pg.on("requestfailed", lambda req: None if "download=true" in req.url and req.failure == "net::ERR_ABORTED"
          else guard.failed.append(f"{req.url}: {req.failure}"))
    pg.on("console", lambda m: guard.errors.append(m.text) if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: guard.errors.append(str(e)))

    def dialog(d: Any) -> None:
        guard.dialogs.append(d.message)
        d.dismiss()

    pg.on("dialog", dialog)
    yield pg, guard
    context.close()


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = MemoryStore(tmp_path_factory.mktemp("browser") / "graph.json")
    store.load(read_graph([default_data_dir()], store))
    return store


def poll(read: Callable[[], Any], until: Callable[[Any], bool], what: str, tries: int = 50) -> Any:
    """Read until the condition holds (an animation or a redraw may still run); fail naming what was awaited."""
    value = None
    for _ in range(tries):
        value = read()
        if until(value):
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: still {value!r}")


def open_map(pg: Any, tmp_path: Path, result: SubgraphResult, opts: MapOptions = MapOptions(),
             name: str = "map.html") -> Path:
    path = tmp_path / name
    path.write_bytes(render_html(result, opts).encode("utf-8"))
    pg.goto(path.as_uri())
    pg.wait_for_selector("body[data-stable=true]", state="attached", timeout=30_000)
    return path


def node_count(target: Any) -> int:
    """The nodes the vis-network instance holds (its body, not our data)."""
    return target.evaluate("qgraph.network.body.nodeIndices.length")


def hover_node(pg: Any, node_id: str) -> str:
    pg.evaluate(f"qgraph.network.focus({node_id!r}, {{scale: 1.2}})")  # in view, whatever the earlier zoom
    box = pg.locator("#map").bounding_box()
    p = pg.evaluate(f"qgraph.network.canvasToDOM(qgraph.network.getPosition({node_id!r}))")
    pg.mouse.move(box["x"] + p["x"] + 1, box["y"] + p["y"] + 1)
    pg.mouse.move(box["x"] + p["x"], box["y"] + p["y"])
    tip = pg.locator("div.vis-tooltip")
    tip.wait_for(state="visible", timeout=5_000)
    return tip.inner_text()
