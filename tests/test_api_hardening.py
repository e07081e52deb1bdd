"""The API's smaller defences (issue #12, items 7, 8 and 15), on both stores where a store is involved:

- every integer parameter has a maximum in the schema, and a too-large one answers 422 naming it (offset ≥ 2^63 was a
  500 on Neo4j);
- a 500 leaves the keep-alive connection usable (a real uvicorn on loopback, a raw socket);
- /health names the store's kind but not its file or server to a caller without a token;
- HEAD works wherever GET does; served maps and SVGs forbid framing by other sites; the Host header is checked.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qgraph.api import create_app
from qgraph.config import Settings
from qgraph.queries import MAX_OFFSET
from qgraph.store import Store

from live_server import live_server, raw_request

TOKEN = "hardening-test-token-0123456789abcdef"
QGRAPH = Path(sys.executable).parent / "qgraph"


@pytest.fixture(scope="module")
def client(curated_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings=Settings(admin_token=TOKEN), store=curated_store)) as c:
        yield c


# ---------------------------------------------------------------------------------------------- 7: integer bounds

def test_every_integer_parameter_has_a_maximum() -> None:
    schema = create_app().openapi()
    unbounded = [f"{method.upper()} {path} {param['name']}"
                 for path, item in schema["paths"].items() for method, op in item.items()
                 for param in op.get("parameters", []) if param["schema"].get("type") == "integer"
                 and "maximum" not in param["schema"]]
    integers = [p for item in schema["paths"].values() for op in item.values() for p in op.get("parameters", [])
                if p["schema"].get("type") == "integer"]
    assert len(integers) >= 10, "the walk found too few integer parameters: the schema's shape changed"
    assert not unbounded, unbounded


@pytest.mark.parametrize("url", ["/agreements?offset={}", "/search?q=aist&offset={}"])
@pytest.mark.parametrize("offset", [2**63, 2**63 - 1, 2**64 + 5, MAX_OFFSET + 1])
def test_huge_offset_is_422_naming_it(client: TestClient, url: str, offset: int) -> None:
    response = client.get(url.format(offset))
    assert response.status_code == 422, response.text
    assert [item["loc"] for item in response.json()["detail"]] == [["query", "offset"]]


@pytest.mark.parametrize("url", ["/agreements?offset={}", "/search?q=aist&offset={}"])
def test_largest_offset_is_an_empty_page(client: TestClient, url: str) -> None:
    body = client.get(url.format(MAX_OFFSET)).json()
    assert body["page"]["offset"] == MAX_OFFSET and body["page"]["total"] > 0
    assert body.get("agreements", body.get("hits")) == []


@pytest.mark.parametrize("url, name", [("/analysis/brokers?limit=10000000000000000000000", "limit"),
                                       ("/paths?source=aist&target=kriss&k=99999999999999999999", "k"),
                                       ("/export/json?all=true&max_nodes=18446744073709551616", "max_nodes"),
                                       ("/analysis/communities?min_size=9223372036854775808", "min_size")])
def test_other_huge_integers_are_422_naming_them(client: TestClient, url: str, name: str) -> None:
    response = client.get(url)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", name]


# ---------------------------------------------------------------------------------------------- 8: keep-alive after 500

class Failing:
    """The store, except that listing agreements fails the way a bug would (an exception the API does not expect)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def agreements(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    @contextmanager
    def pinned(self) -> Iterator[Any]:  # the request's view is this wrapper too (not the store's own view)
        with self._store.pinned() as view:
            yield Failing(view)


def test_a_500_keeps_the_keep_alive_connection_usable(curated_store: Store) -> None:
    app = create_app(settings=Settings(), store=Failing(curated_store))  # type: ignore[arg-type]
    with live_server(app, Settings()) as (host, port), socket.create_connection((host, port), timeout=10) as sock:
        for _ in range(3):
            status, headers, body = raw_request(sock, "/agreements")
            assert status == 500 and b"internal_error" in body and b"a bug" not in body
            # either the connection stays open, or the server says it will close it
            assert headers.get("connection", "").lower() != "close"
            status, _, body = raw_request(sock, "/entities/aist")
            assert status == 200 and b'"aist"' in body


# ---------------------------------------------------------------------------------------------- 15: health, HEAD, CSP, Host

def test_health_says_only_the_store_kind_without_a_token(client: TestClient, curated_store: Store) -> None:
    server = curated_store.ping()
    anonymous = client.get("/health")
    assert anonymous.status_code == 200 and anonymous.json()["store"] == curated_store.kind
    assert anonymous.json()["server"] is None
    for secret in {server, getattr(curated_store, "path", None), getattr(curated_store, "uri", None)} - {None, ""}:
        assert str(secret) not in anonymous.text
    wrong = client.get("/health", headers={"Authorization": "Bearer not-the-token-at-all-0123456789"})
    assert wrong.json()["server"] is None
    authorised = client.get("/health", headers={"Authorization": f"Bearer {TOKEN}"})
    assert authorised.json()["server"] == server


@pytest.mark.parametrize("url", ["/health", "/search?q=aist", "/entities/aist", "/agreements?limit=2",
                                 "/export/map.html?focus=aist", "/openapi.json"])
def test_head_answers_like_get_without_a_body(client: TestClient, url: str) -> None:
    get, head = client.get(url), client.head(url)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


def test_head_on_an_unknown_entity_is_404_and_on_a_post_endpoint_405(client: TestClient) -> None:
    assert client.head("/entities/no-such-entity").status_code == 404
    assert client.head("/admin/reload").status_code == 405


def test_served_maps_and_svgs_may_only_be_framed_by_this_site(client: TestClient) -> None:
    for url in ("/export/map.html?focus=aist", "/export/html?focus=aist", "/export/svg?focus=aist"):
        csp = client.get(url).headers["content-security-policy"]
        assert "frame-ancestors 'self'" in csp, url
    assert client.get("/export/map.html?focus=aist").headers["x-frame-options"] == "SAMEORIGIN"


def test_only_allowed_hosts_are_answered(curated_store: Store) -> None:
    settings = Settings(allowed_hosts=["127.0.0.1", "localhost", "[::1]", "*.example.org"])
    with TestClient(create_app(settings=settings, store=curated_store), base_url="http://127.0.0.1:8000") as c:
        assert c.get("/health").status_code == 200
        for host in ("localhost:8000", "[::1]:8000", "maps.example.org"):
            assert c.get("/health", headers={"Host": host}).status_code == 200, host
        for host in ("attacker.test", "127.0.0.1.attacker.test", "example.org.attacker.test", ""):
            assert c.get("/entities/aist", headers={"Host": host}).status_code == 400, host


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_on_loopback_answers_loopback_names_only(tmp_path: Path) -> None:
    """``qgraph serve`` bound to 127.0.0.1 without QGRAPH_ALLOWED_HOSTS: a page of another site that makes the
    browser resolve its name to 127.0.0.1 (DNS rebinding) is refused."""
    port = free_port()
    env = {**os.environ, "QGRAPH_STORE": "memory", "QGRAPH_DATA_DIR": str(tmp_path)}
    env.pop("QGRAPH_ALLOWED_HOSTS", None)
    proc = subprocess.Popen([str(QGRAPH), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "qgraph serve did not start"
                time.sleep(0.1)
        with sock:
            assert raw_request(sock, "/health", host=f"127.0.0.1:{port}")[0] == 200
            assert raw_request(sock, "/health", host=f"localhost:{port}")[0] == 200
            assert raw_request(sock, "/health", host="rebind.attacker.test")[0] == 400
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(15)
