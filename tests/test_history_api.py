"""History over HTTP on both stores (/changes, /history, /entities/{id}/history, /admin/revert) and who may write
(named tokens with roles, hashed token files, refusals that do not tell whether a token exists)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qgraph import auth
from qgraph.api import create_app
from qgraph.config import Settings
from qgraph.loaders import default_data_dir
from qgraph.store import Store

from scenario import DATED, NEW, SHRUNK, edited_copy

ADMIN = "admin-token-0123456789abcdef0123"
EDITOR = "editor-token-0123456789abcdef012"


def client_for(store: Store, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(**settings), store=store), raise_server_exceptions=False)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_reload_changes_history_and_revert_over_http(store: Store, tmp_path: Path) -> None:
    folder = edited_copy(tmp_path)
    tokens = f"alice:admin:{ADMIN},bob:editor:{EDITOR}"
    with client_for(store, tokens=tokens, reload_paths=[default_data_dir()]) as c:
        first = c.post("/admin/reload", headers=bearer(ADMIN))
        assert first.status_code == 200, first.text
        assert first.json()["changeset"] == 1
        again = c.post("/admin/reload", headers=bearer(ADMIN)).json()
        assert again["recorded"] is False and again["changeset"] is None  # nothing changed: nothing recorded
        v1 = first.json()["data_version"]
    with client_for(store, tokens=tokens, reload_paths=[folder]) as c:
        assert c.post("/admin/reload", headers=bearer(EDITOR)).status_code == 403  # an editor may not reload
        second = c.post("/admin/reload", headers=bearer(ADMIN))
        assert second.status_code == 200 and second.json()["changeset"] == 2
        brief = c.get(f"/changes?since={v1}").json()
        assert [a["id"] for a in brief["agreements"]["added"]] == [NEW]
        assert sorted(a["id"] for a in brief["agreements"]["changed"]) == sorted([DATED, SHRUNK])
        history = c.get("/history?limit=10").json()
        assert [h["number"] for h in history["changesets"]] == [2, 1]
        assert {h["actor"] for h in history["changesets"]} == {"alice"}  # the token's name
        detail = c.get("/history/2").json()
        assert any(n["id"] == DATED and n["before"]["properties"]["date"] == "2023-05" for n in detail["nodes"])
        assert c.get("/history/99").status_code == 404
        ibm = c.get("/entities/ibm/history").json()
        assert [h["changeset"]["number"] for h in ibm["changesets"]] == [1, 2]
        conflict = c.post("/admin/revert/1", headers=bearer(ADMIN))
        assert conflict.status_code == 409 and conflict.json()["later"] == [2]
        assert "2" in conflict.json()["detail"]
        assert c.post("/admin/revert/2", headers=bearer(EDITOR)).status_code == 403
        reverted = c.post("/admin/revert/2", headers=bearer(ADMIN))
        assert reverted.status_code == 200, reverted.text
        assert reverted.json()["data_version"] == v1
        assert c.get("/health").json()["data_version"] == v1
        assert c.get("/agreements?limit=1").headers["x-data-version"] == v1
        assert c.post("/admin/revert/77", headers=bearer(ADMIN)).status_code == 404


def test_refusals_do_not_tell_whether_a_token_exists(memory_store: Store, tmp_path: Path) -> None:
    token_file = tmp_path / "tokens"
    token_file.write_text("# qgraph tokens\n" + auth.hashed_line("carol", "admin", ADMIN) + "\n", encoding="utf-8")
    assert ADMIN not in token_file.read_text(encoding="utf-8")
    with client_for(memory_store, tokens_file=token_file) as c:
        missing = c.post("/admin/reload")
        wrong = c.post("/admin/reload", headers=bearer(EDITOR))
        assert missing.status_code == wrong.status_code == 401
        assert missing.json() == wrong.json()
        ok = c.post("/admin/reload", headers=bearer(ADMIN))
        assert ok.status_code == 200, ok.text
    assert memory_store.changesets()[-1].actor == "carol"
    with client_for(memory_store) as c:  # no token at all: read-only
        assert c.post("/admin/revert/1", headers=bearer(ADMIN)).json()["error"] == "read_only"


def test_the_old_admin_token_is_an_admin_named_admin(memory_store: Store) -> None:
    with client_for(memory_store, admin_token=ADMIN) as c:
        assert c.post("/admin/reload", headers=bearer(ADMIN)).status_code == 200
    assert memory_store.changesets()[-1].actor == "admin"


@pytest.mark.parametrize(("tokens", "error"), [("alice:owner:" + ADMIN, "role"), ("alice:admin:short", "24"),
                                               ("alice", "name:role:token"),
                                               (f"alice:admin:{ADMIN},alice:editor:{EDITOR}", "twice")])
def test_bad_token_settings_stop_the_start(tokens: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Settings(tokens=tokens).token_entries()


def test_a_bad_token_file_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text("carol admin plaintext-token\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        Settings(tokens_file=path).token_entries()


def test_export_marks_what_is_new_since_a_version(store: Store, tmp_path: Path) -> None:
    from scenario import scenario

    scenario(store, tmp_path)
    with client_for(store) as c:
        data = c.get("/export/json?all=true&changes_since=1")
        assert data.status_code == 200, data.text
        new = data.json()["new_since"]
        assert new["nodes"] == [NEW]
        assert sorted(e[1] for e in new["edges"] if e[0] == "PARTY_TO") == ["jp", "quantum-industry-canada"]
        page = c.get("/export/map.html?all=true&changes_since=1")
        assert page.status_code == 200
        assert "New since 1" in page.text
        assert '<li class="new-item"><span style="width:13px"></span><span>A test MOU</span></li>' in page.text
        assert "New since" not in c.get("/export/map.html?all=true").text
        assert c.get("/export/json?all=true&changes_since=99").status_code == 422
