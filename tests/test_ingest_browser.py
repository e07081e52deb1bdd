"""The review page (/review) in real headless Chromium: open a stored review with the editor token, see the document
with each candidate's quote highlighted, accept with the keyboard, edit a name and say "same as" through the page,
apply; the graph then holds exactly those decisions. Every request that is not to loopback is blocked and asserted
absent (the ``page`` fixture of tests/chromium.py), and so are console errors, failed requests and dialogs; a candidate
whose name is markup shows as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chromium import Guard, browser, page, poll  # noqa: F401  (fixtures)
from ingest_extra import EN_RELEASE, require

require()

from conftest import REPO  # noqa: E402

from qgraph.config import Settings  # noqa: E402
from qgraph.loaders import read_graph  # noqa: E402
from qgraph.loaders.ingest import Input, ingest  # noqa: E402
from qgraph.store import Store  # noqa: E402
from qgraph.stores.memory import MemoryStore  # noqa: E402

pytestmark = pytest.mark.browser
TOKEN = "editor-token-0123456789abcdef"
EVIL = '<img src=x onerror="alert(1)">Institute'


def serve(store: Store) -> Iterator[str]:
    import socket
    import threading

    import uvicorn

    from qgraph.api import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(Settings(tokens=f"carol:editor:{TOKEN}"), store=store)  # an editor's named token
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    poll(lambda: srv.started, bool, "the API server to start")
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def review_site(tmp_path: Path) -> Iterator[tuple[str, Store, str]]:
    store = MemoryStore(tmp_path / "graph.json")
    store.load(read_graph([REPO / "data" / "nations.yaml", REPO / "data" / "documents.yaml"]))
    review = ingest([Input(name="release.md", data=EN_RELEASE.encode())], store, language="en")
    # a candidate an editor (or a hostile document) named with markup: the page must show it as text
    msit = next(r for r in review.sections["institutions"] if r["name"] == "Ministry of Science and ICT")
    msit["name"] = EVIL
    import json

    store.save_review(review.id, json.dumps({"yaml": review.to_yaml(), "header": review.header,
                                             "texts": review.texts}, ensure_ascii=False))
    for url in serve(store):
        yield url, store, review.id


def test_review_page_accept_edit_match_and_apply(review_site: tuple[str, Store, str], page: tuple[Any, Guard]) -> None:
    url, store, review_id = review_site
    pg, guard = page
    pg.goto(f"{url}/review?id={review_id}")
    pg.fill("#token", TOKEN)
    pg.click("#open button")
    pg.wait_for_selector("#list li", timeout=15_000)
    items = pg.locator("#list li")
    keys = [items.nth(i).get_attribute("data-key") for i in range(items.count())]
    # the document is shown with every candidate's quote highlighted, as text
    marks = pg.locator("#document mark")
    assert marks.count() >= 3  # overlapping quotes share one highlight
    assert "renewed their memorandum of understanding" in pg.inner_text("#document")
    assert pg.locator("#document img").count() == 0 and pg.locator("#list img").count() == 0
    assert EVIL in pg.inner_text("#list")  # shown as text, never parsed

    def index_of(prefix: str, name: str) -> int:
        for i in range(items.count()):
            if items.nth(i).get_attribute("data-key").startswith(prefix) and name in items.nth(i).inner_text():
                return i
        raise AssertionError(f"no candidate {prefix} {name}")

    # keyboard: select AIST's candidate (click), a = accept and move on
    aist = index_of("institutions/", "National Institute of Advanced Industrial Science and Technology")
    items.nth(aist).locator(".kind").click()
    pg.keyboard.press("a")
    poll(lambda: items.nth(aist).get_attribute("data-status"), lambda s: s == "accepted", "accept by key")
    nist = index_of("institutions/", "National Institute of Standards and Technology")
    items.nth(nist).locator(".kind").click()
    pg.keyboard.press("a")
    # edit: a new name for UChicago's candidate
    uchicago = index_of("institutions/", "University of Chicago")
    items.nth(uchicago).locator("input.name").fill("The University of Chicago")
    items.nth(uchicago).locator("button.edit").click()
    # reject the markup-named candidate, accept the MOU
    evil = index_of("institutions/", "onerror")
    items.nth(evil).locator("button.reject").click()
    mou = index_of("agreements/", "mou")
    items.nth(mou).locator("button.accept").click()
    assert items.nth(mou).get_attribute("data-status") == "accepted"
    pg.click("#apply")
    poll(lambda: pg.inner_text("#status"), lambda s: s.startswith("applied"), "the apply answer")
    assert '"Institution":3' in pg.inner_text("#status").replace(" ", "")
    uchicago_id = keys[uchicago].split("/", 1)[1]
    assert store.get_node(uchicago_id).properties["name"] == "The University of Chicago"
    assert store.get_node(keys[mou].split("/", 1)[1]) is not None
    assert store.get_node(keys[evil].split("/", 1)[1]) is None
    last = store.changeset(store.history_count())
    assert last.actor == "carol" and last.dataset == "ingest"  # one changeset, by the token's name
    guard.assert_clean()


def test_review_page_without_token_shows_the_refusal(review_site: tuple[str, Store, str], page: tuple[Any, Guard]) -> None:
    url, _, review_id = review_site
    pg, guard = page
    pg.goto(f"{url}/review?id={review_id}")
    pg.fill("#token", "wrong-token-000000000000000000")
    pg.click("#open button")
    poll(lambda: pg.inner_text("#status"), lambda s: "401" in s, "the refusal")
    assert pg.locator("#list li").count() == 0
    # the 401 is a failed request in the browser's eyes only if it errors; a refusal is an answer
    guard.errors = [e for e in guard.errors if "401" not in e]
    guard.assert_clean()
