"""Outage and recovery against a real, second Neo4j server that this test starts, freezes, stops and restarts.

The API is built from settings (as ``qgraph serve`` builds it) and is never restarted: while Neo4j is hung
(SIGSTOP) or stopped it answers 503 with a clear JSON message, after the first failure in milliseconds (the circuit
breaker, ``qgraph.breaker``); once Neo4j is back it answers again by itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qgraph.api import create_app
from qgraph.config import Settings

from conftest import REPO

pytestmark = pytest.mark.neo4j
SCRIPT = REPO / "scripts" / "neo4j-local"


class Server:
    """A throw-away Neo4j on its own port and folder, sharing the jars the test script already resolved."""

    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        self.env = {**os.environ, "QGRAPH_CACHE_DIR": str(root), "QGRAPH_NEO4J_PORT": str(port)}

    def run(self, command: str) -> str:
        done = subprocess.run([str(SCRIPT), command], env=self.env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    @property
    def pid(self) -> int:
        return int((self.root / "neo4j" / "run" / "pid").read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    lib = Path(os.environ.get("QGRAPH_CACHE_DIR", REPO / ".cache")) / "neo4j" / "lib"
    if not lib.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no Neo4j jars at {lib}: scripts/test resolves them before the suite runs")
        pytest.skip(f"no Neo4j jars at {lib}; run scripts/neo4j-local start once")
    (tmp_path / "neo4j").mkdir()
    (tmp_path / "neo4j" / "lib").symlink_to(lib)
    srv = Server(tmp_path, free_port())
    srv.run("start")
    try:
        yield srv
    finally:
        try:
            os.kill(srv.pid, signal.SIGCONT)
        except (OSError, ValueError):
            pass
        srv.run("stop")


def timed_get(client: TestClient, url: str) -> tuple[int, dict, float]:
    start = time.monotonic()
    response = client.get(url)
    return response.status_code, response.json(), time.monotonic() - start


def fast_failures(client: TestClient, url: str, n: int = 20) -> list[float]:
    """``n`` requests during the outage: each a 503, and how long each took."""
    times = []
    for _ in range(n):
        status, body, seconds = timed_get(client, url)
        assert status == 503 and body["error"] == "store_unavailable", body
        times.append(seconds)
    return times


def until_ok(client: TestClient, url: str, within: float) -> float:
    """Seconds until ``url`` answers 200 again, polling; fails after ``within``."""
    start = time.monotonic()
    while True:
        if client.get(url).status_code == 200:
            return time.monotonic() - start
        assert time.monotonic() - start < within, f"{url} did not recover within {within} s"
        time.sleep(0.05)


def load_curated(port: int) -> None:
    """Load the curated data into the fresh server from a store handle of its own, with a long timeout: the API's
    3 s query timeout (short, so that a hung server is noticed quickly) is too short for a load on a busy machine."""
    from qgraph.loaders import default_data_dir, read_graph
    from qgraph.stores.neo4j import Neo4jStore

    with Neo4jStore.from_settings(Settings(store="neo4j", neo4j_uri=f"bolt://127.0.0.1:{port}",
                                           neo4j_timeout=120)) as store:
        store.ensure_schema()
        store.load(read_graph([default_data_dir()], store))


def test_hung_and_stopped_neo4j_give_503_then_the_api_recovers(server: Server) -> None:
    settings = Settings(store="neo4j", neo4j_uri=f"bolt://127.0.0.1:{server.port}", neo4j_timeout=3,
                        request_timeout=20, breaker_window=1)
    with TestClient(create_app(settings=settings), raise_server_exceptions=False) as client:
        load_curated(server.port)
        until_ok(client, "/entities/aist/partners", within=60)  # a cold server's first query may pass the 3 s

        # Hung: the process is frozen; the driver notices through the server's keep-alive hint, or the deadline.
        os.kill(server.pid, signal.SIGSTOP)
        status, body, seconds = timed_get(client, "/entities/aist/partners")
        assert status == 503 and body["error"] in ("store_unavailable", "timeout"), body
        assert seconds < 25
        # After the first failure the breaker is open: while the server stays frozen every request fails fast,
        # across several windows (each window's probe hangs in the background, not in a request).
        times = fast_failures(client, "/search?q=aist", 10)
        time.sleep(1.2)
        times += fast_failures(client, "/entities/aist", 10)
        assert max(times) < 1.0 and sorted(times)[len(times) // 2] < 0.05, times
        os.kill(server.pid, signal.SIGCONT)
        until_ok(client, "/entities/aist/partners", within=10)
        status, body, _ = timed_get(client, "/entities/aist/partners")
        assert status == 200 and {p["partner"]["id"] for p in body["partners"]} >= {"nist", "kriss"}

        # Stopped: connections are refused at once.
        server.run("stop")
        status, body, seconds = timed_get(client, "/entities/aist/partners")
        assert status == 503 and body["error"] == "store_unavailable"
        assert body["detail"] == "The graph database cannot be reached right now; try again shortly."
        # ... and once one request has seen it, the next ones cost milliseconds (they took the driver's whole
        # retry time, 15 s by default, before the breaker), /health included.
        times = fast_failures(client, "/entities/aist/partners", 20)
        time.sleep(1.2)  # past the window: the probe is refused too, and the requests still fail fast
        times += fast_failures(client, "/agreements", 20)
        assert max(times) < 1.0 and sorted(times)[len(times) // 2] < 0.05, times
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["reachable"] is False

        # Back (a fresh, empty server on the same port): the same app reconnects by itself.
        server.run("start")
        until_ok(client, "/health", within=5)
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["reachable"] is True
        load_curated(server.port)
        until_ok(client, "/entities/aist/partners", within=60)  # a cold server's first query may pass the 3 s
