"""Ingest over HTTP on both stores: POST /ingest (a named token with the editor role, multipart, size limit, type by
content) stores a review in the store (a second app over the same store — another replica — sees it), GET
/review/{id}, decisions and POST /review/{id}/apply (one changeset whose actor is the token's name, idempotent);
refusals name what is wrong.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ingest_extra import EN_RELEASE, require

require()

from conftest import REPO  # noqa: E402

from qgraph.api import create_app  # noqa: E402
from qgraph.config import Settings  # noqa: E402
from qgraph.loaders import read_graph  # noqa: E402
from qgraph.store import Store  # noqa: E402

TOKEN = "editor-token-0123456789abcdef"
ADMIN = "admin-token-0123456789abcdef00"


def client(store: Store, **settings: object) -> TestClient:
    # an editor (not an admin) token: the ingest routes need the editor role, and its name is the actor
    config = Settings(store=store.kind, tokens=f"erin:editor:{TOKEN},root:admin:{ADMIN}", **settings)  # type: ignore[arg-type]
    return TestClient(create_app(config, store=store))


AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def loaded(store: Store) -> Store:
    store.load(read_graph([REPO / "data" / "nations.yaml", REPO / "data" / "documents.yaml"]))
    return store


def upload(c: TestClient, name: str, data: bytes, **form: str):  # noqa: ANN201
    return c.post("/ingest", headers=AUTH, files={"file": (name, data, "application/octet-stream")}, data=form)


def test_ingest_review_apply_over_http(loaded: Store) -> None:
    with client(loaded) as c:
        r = upload(c, "release.md", EN_RELEASE.encode(), lang="en", url="https://example.org/r")
        assert r.status_code == 200, r.text
        review_id = r.json()["review"]
        assert r.json()["candidates"]["agreements"] == 2
    # another replica over the same store answers: the review is in the store, not in the process
    with client(loaded) as other:
        got = other.get(f"/review/{review_id}", headers=AUTH)
        assert got.status_code == 200
        body = got.json()
        assert body["texts"][body["header"]["documents"][0]] == EN_RELEASE
        inst = {r["name"]: r for r in body["sections"]["institutions"]}
        decisions = {f"institutions/{inst[n]['id']}": {"status": "accepted"}
                     for n in ("National Institute of Advanced Industrial Science and Technology",
                               "National Institute of Standards and Technology")}
        decisions[f"institutions/{inst['University of Chicago']['id']}"] = {
            "status": "edited", "fields": {"name": "The University of Chicago"}}
        mou = next(a for a in body["sections"]["agreements"] if a["kind"] == "mou")
        decisions[f"agreements/{mou['id']}"] = {"status": "accepted"}
        before = loaded.counts().nodes.get("Institution", 0)
        applied = other.post(f"/review/{review_id}/apply", headers=AUTH, json={"decisions": decisions})
        assert applied.status_code == 200, applied.text
        assert applied.json()["written"] == {"Institution": 3, "Agreement": 1}
        cs = loaded.changeset(applied.json()["changeset"])
        assert cs.actor == "erin" and cs.documents == body["header"]["documents"] and cs.message
        # the decisions were saved with the review: applying it again records nothing
        again = other.post(f"/review/{review_id}/apply", headers=AUTH)
        assert again.status_code == 200 and again.json()["changeset"] is None
        assert loaded.history_count() == cs.number
        assert loaded.counts().nodes["Institution"] == before + 3
        assert loaded.get_node(inst["University of Chicago"]["id"]).properties["name"] == "The University of Chicago"
        assert loaded.get_node(mou["id"]).sources[0].quote == mou["sources"][0]["quote"]
        # an admin reverts the applied changeset like any other
        undone = other.post(f"/admin/revert/{cs.number}", headers={"Authorization": f"Bearer {ADMIN}"})
        assert undone.status_code == 200, undone.text
        assert loaded.get_node(mou["id"]) is None and loaded.counts().nodes.get("Institution", 0) == before


def test_ingest_needs_the_editor_token(loaded: Store) -> None:
    with client(loaded) as c:
        r = c.post("/ingest", files={"file": ("a.txt", b"hello world", "text/plain")})
        assert r.status_code == 401
        assert c.get("/review/rev-0123456789ab").status_code == 401
        assert c.post("/review/rev-0123456789ab/apply", headers={"Authorization": "Bearer wrong-token-000000000000000"}
                      ).status_code == 401
        # the editor role writes reviews, not the admin's routes
        assert c.post("/admin/revert/1", headers=AUTH).status_code == 403


def test_ingest_refusals_name_the_file(loaded: Store) -> None:
    with client(loaded, ingest_max_bytes=2048) as c:
        r = upload(c, "big.txt", b"a" * 4096)
        assert r.status_code == 413 and "big.txt" in r.json()["detail"]
        r = upload(c, "report.pdf", b"<html><body><p>not a pdf at all</p></body></html>")
        assert r.status_code == 422 and "report.pdf: the name says .pdf but the content is HTML" in r.json()["detail"]
        assert c.get("/review/rev-000000000000", headers=AUTH).status_code == 404
        assert c.get("/review/not-a-review", headers=AUTH).status_code == 422


def test_apply_with_a_broken_decision_writes_nothing(loaded: Store) -> None:
    with client(loaded) as c:
        review_id = upload(c, "release.md", EN_RELEASE.encode(), lang="en").json()["review"]
        body = c.get(f"/review/{review_id}", headers=AUTH).json()
        decisions = {f"agreements/{a['id']}": {"status": "accepted"} for a in body["sections"]["agreements"]}
        before = loaded.checksum()
        r = c.post(f"/review/{review_id}/apply", headers=AUTH, json={"decisions": decisions})
        assert r.status_code == 422
        assert any("field 'parties'" in p and "unknown id" in p for p in r.json()["detail"])
        assert loaded.checksum() == before
