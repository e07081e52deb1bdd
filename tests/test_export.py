"""``qgraph export`` and the export endpoints, on both stores: every format, the views, the errors, stdout, and an
export under an ASCII locale (LANG=C without Python's UTF-8 coercion) with Japanese names."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qgraph.api import create_app
from qgraph.cli import app
from qgraph.config import get_settings
from qgraph.loaders import default_data_dir, read_graph
from qgraph.store import Store
from qgraph.stores.memory import MemoryStore
from qgraph.viz import FORMATS

runner = CliRunner()
QGRAPH = Path(sys.executable).parent / "qgraph"
MAGIC = {"html": b"<!DOCTYPE html>", "gexf": b"<?xml", "graphml": b"<?xml", "csv": b"PK\x03\x04", "json": b"{",
         "png": b"\x89PNG", "svg": b"<?xml"}


@pytest.fixture
def cli_store(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The curated dataset in the test's store, and the CLI's settings pointing at it."""
    monkeypatch.setenv("QGRAPH_STORE", store.kind)
    monkeypatch.setenv("QGRAPH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    store.load(read_graph([default_data_dir()], store))
    yield store
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, bytes, str]:
    result = runner.invoke(app, ["export", *args])
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_from_the_cli(cli_store: Store, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"ego.{FORMATS[fmt].extension}"
    code, _, err = run("--focus", "aist", "--depth", "2", "--format", fmt, "-o", str(out))
    assert code == 0, err
    assert out.read_bytes().startswith(MAGIC[fmt])
    assert "nodes" in err


def test_views_filters_and_format_from_the_file_name(cli_store: Store, tmp_path: Path) -> None:
    code, _, err = run("--path", "kriss", "nrc-canada", "-o", str(tmp_path / "p.graphml"))
    assert code == 0, err
    g = nx.read_graphml(tmp_path / "p.graphml")
    assert {"kriss", "aist", "nrc-canada"} <= set(g.nodes)
    code, _, err = run("--nation", "KR", "--since", "2024", "-o", str(tmp_path / "kr.json"))
    assert code == 0, err
    body = json.loads((tmp_path / "kr.json").read_text(encoding="utf-8"))
    assert body["query"]["view"] == "nation" and body["filters"] == {"since": "2024", "nation": "kr"}
    assert all(n["properties"]["date_to"] >= "2024" for n in body["nodes"] if n["kind"] == "Agreement")
    code, _, err = run("--all", "-f", "csv", "-o", str(tmp_path / "folder") + "/")
    assert code == 0, err
    assert (tmp_path / "folder" / "nodes.csv").read_text(encoding="utf-8-sig").startswith("id,kind,name")
    assert (tmp_path / "folder" / "edges.csv").exists()


def test_stdout_and_errors(cli_store: Store) -> None:
    code, out, err = run("--focus", "aist", "-f", "json", "-o", "-")
    assert code == 0, err
    assert json.loads(out.decode("utf-8"))["focus"] == ["aist"]
    code, out, _ = run("--focus", "aist", "-f", "gexf", "-o", "-")
    assert code == 0 and out.startswith(b"<?xml")
    code, _, err = run("--focus", "aist", "--all")
    assert code == 2 and "choose one view" in err
    code, _, err = run("--focus", "no-such-id")
    assert code == 2 and "no-such-id" in err
    code, _, err = run("--focus", "aist", "-f", "pdf")
    assert code == 2


def test_export_under_an_ascii_locale_keeps_japanese(tmp_path: Path) -> None:
    """LANG=C with Python's UTF-8 mode and locale coercion off: files and stdout still carry Japanese as UTF-8.
    The control run shows the trap is real there: pyvis's own writer fails on the same names."""
    store = MemoryStore(tmp_path / "graph.json")
    store.load(read_graph([default_data_dir()], store))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHON"))}
    env.update(LANG="C", LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0", QGRAPH_STORE="memory",
               QGRAPH_DATA_DIR=str(tmp_path))
    control = subprocess.run(
        [sys.executable, "-c", "import locale, sys\nprint(locale.getpreferredencoding(False))\n"
         "from pyvis.network import Network\nn = Network(cdn_resources='in_line')\n"
         f"n.add_node(1, label={ascii('産総研')})\n"
         f"n.write_html({str(tmp_path / 'pyvis.html')!r})"], env=env, capture_output=True, text=True, timeout=120)
    assert control.stdout.strip().lower() in ("ansi_x3.4-1968", "ascii", "us-ascii")
    assert control.returncode != 0 and "UnicodeEncodeError" in control.stderr
    # every format in one process (the CLI's own code path; one interpreter start instead of seven)
    program = ("from qgraph.cli import app\n"
               f"for fmt, ext in {[(f, FORMATS[f].extension) for f in FORMATS]!r}:\n"
               "    app(['export', '--focus', 'aist', '--lang', 'ja', '-f', fmt, '-o', "
               f"{str(tmp_path)!r} + '/ja.' + ext], standalone_mode=False)\n")
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert done.stderr.decode("ascii", "replace").count("wrote ") == len(FORMATS)
    assert "産業技術総合研究所" in (tmp_path / "ja.html").read_text(encoding="utf-8")
    assert nx.read_gexf(tmp_path / "ja.gexf").nodes["aist"]["name_ja"] == "産業技術総合研究所"
    assert nx.read_graphml(tmp_path / "ja.graphml").nodes["aist"]["name_ja"] == "産業技術総合研究所"
    with zipfile.ZipFile(tmp_path / "ja.zip") as z:
        assert "産総研" in z.read("nodes.csv").decode("utf-8-sig")
    done = subprocess.run([str(QGRAPH), "export", "--focus", "aist", "-f", "json", "-o", "-"], env=env,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert "産業技術総合研究所" in done.stdout.decode("utf-8")


# ------------------------------------------------------------------------------------------------ API


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    store.load(read_graph([default_data_dir()], store))
    with TestClient(create_app(store=store)) as c:
        yield c


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_over_http(client: TestClient, fmt: str) -> None:
    r = client.get(f"/export/{fmt}", params={"focus": "aist", "depth": 2, "lang": "ja"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == FORMATS[fmt].media_type.split(";")[0]
    assert r.headers["content-disposition"] == f'attachment; filename="qgraph-ego-aist-d2.{FORMATS[fmt].extension}"'
    assert r.content.startswith(MAGIC[fmt])


def test_map_html_is_shown_inline_with_a_csp_and_downloads_on_request(client: TestClient) -> None:
    r = client.get("/export/map.html", params={"source": "kriss", "target": "nrc-canada"})
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("inline;")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "Korea Research Institute of Standards and Science → National Research Council Canada" in r.text
    r = client.get("/export/map.html", params={"nation": "JP", "since": "2023", "download": "true"})
    assert r.headers["content-disposition"] == 'attachment; filename="qgraph-nation-jp.html"'


def test_http_views_and_filters_match_the_queries(client: TestClient) -> None:
    body = client.get("/export/json", params={"kind": "mou", "since": "2023"}).json()
    assert body["query"] == {"view": "agreements"} and body["filters"] == {"since": "2023", "kinds": ["mou"]}
    assert {n["properties"]["kind"] for n in body["nodes"] if n["kind"] == "Agreement"} == {"mou"}
    with zipfile.ZipFile(io.BytesIO(client.get("/export/csv", params={"all": "true"}).content)) as z:
        assert z.read("nodes.csv").decode("utf-8-sig").count("\r\n") - 1 == len(client.get(
            "/export/json", params={"all": "true"}).json()["nodes"])


@pytest.mark.parametrize(("params", "status", "param"), [
    ({"focus": "no-such-id"}, 404, None),
    ({"focus": "aist", "all": "true"}, 422, "all"),
    ({"source": "kriss"}, 422, "target"),
    ({"focus": "aist", "depth": 9}, 422, "depth"),
    ({"all": "true", "max_nodes": 10**6}, 422, "max_nodes"),
    ({"focus": "aist", "lang": "fr"}, 422, "lang"),
])
def test_http_errors_name_the_parameter(client: TestClient, params: dict[str, object], status: int,
                                        param: str | None) -> None:
    r = client.get("/export/json", params=params)
    assert r.status_code == status, r.text
    if param:
        assert param in json.dumps(r.json()["detail"])


def test_exports_are_read_only(client: TestClient) -> None:
    for url in ("/export/map.html", "/", "/explorer/graph"):
        assert client.delete(url).status_code == 405
    assert client.post("/").status_code == 405
    assert client.post("/export/map.html").status_code == 422  # not a format: nothing is written either way
    # POST /export/{format} is the explorer's canvas export: a read that needs its list of ids
    assert client.post("/export/json").status_code == 422
    assert client.get("/export/exe").status_code == 422


def test_explorer_page_allows_only_its_own_origin(client: TestClient) -> None:
    r = client.get("/", params={"focus": "<script>alert(1)</script>"})
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "alert(1)" not in r.text  # the page echoes nothing: the script reads the URL and uses textContent
    scripts = re.findall(r"<script[^>]*>", r.text)
    # every script is a file of this origin; the one inline element is the schema's labels, a JSON data block
    assert scripts and all(' src="/static/' in tag or tag == '<script type="application/json" id="qgraph-schema">'
                           for tag in scripts)
    assert len([tag for tag in scripts if "src=" not in tag]) == 1
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] in ("text/javascript", "text/css"), url
    for module in ("api.js", "i18n.js"):
        assert client.get(f"/static/explorer/{module}").status_code == 200


def test_explorer_graph_draws_a_canvas_and_expands(client: TestClient) -> None:
    r = client.post("/explorer/graph", json={"entities": ["aist"], "expand": ["aist"], "lang": "ja"})
    assert r.status_code == 200, r.text
    body = r.json()
    ids = {n["id"] for n in body["data"]["nodes"]}
    assert {"aist", "kriss", "nist", "nrc-canada"} <= ids
    assert set(body["entities"]) == ids - set(body["agreements"])
    aist = next(n for n in body["data"]["nodes"] if n["id"] == "aist")
    assert aist["label"] == "産業技術総合研究所" and aist["nation"] == "jp" and aist["shape"] == "dot"
    kriss = body["agreements"]["aist-kriss-mou-2024-01"]
    assert kriss["date"] == "2024-01" and kriss["sources"][0]["document"] == "measures-2024"
    line = next(e for e in body["data"]["edges"] if {e["from"], e["to"]} == {"aist", "kriss"})
    assert [i["id"] for i in line["items"]] == ["aist-kriss-mou-2024-01"]
    # filters narrow what expand adds
    r = client.post("/explorer/graph", json={"entities": [], "expand": ["aist"], "filters": {"since": "2024"}})
    assert {"kriss"} <= set(r.json()["entities"]) and "nist" not in r.json()["entities"]
    assert client.post("/explorer/graph", json={"entities": ["no-such-entity"]}).status_code == 404
    assert client.post("/explorer/graph", json={"entities": ["x"] * 2001}).status_code == 422
    assert client.post("/explorer/graph", json={"entities": ["<b>"]}).status_code == 422
