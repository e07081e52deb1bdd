"""Outage and recovery against a real, second Neo4j server that this test starts, freezes, stops and restarts.

The API is built from settings (as ``qgraph serve`` builds it) and is never restarted: while Neo4j is hung
(SIGSTOP) or stopped it answers 503 with a clear JSON message; once Neo4j is back it answers again by itself.
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
TOKEN = "outage-test-token-0123456789abcdef"


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


def test_hung_and_stopped_neo4j_give_503_then_the_api_recovers(server: Server) -> None:
    settings = Settings(store="neo4j", neo4j_uri=f"bolt://127.0.0.1:{server.port}", neo4j_timeout=3,
                        request_timeout=20, admin_token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(settings=settings), raise_server_exceptions=False) as client:
        assert client.post("/admin/reload", headers=auth).status_code == 200
        assert timed_get(client, "/entities/aist/partners")[0] == 200

        # Hung: the process is frozen; the driver notices through the server's keep-alive hint, or the deadline.
        os.kill(server.pid, signal.SIGSTOP)
        status, body, seconds = timed_get(client, "/entities/aist/partners")
        assert status == 503 and body["error"] in ("store_unavailable", "timeout"), body
        assert seconds < 25
        os.kill(server.pid, signal.SIGCONT)
        status, body, _ = timed_get(client, "/entities/aist/partners")
        assert status == 200 and {p["partner"]["id"] for p in body["partners"]} >= {"nist", "kriss"}

        # Stopped: connections are refused at once.
        server.run("stop")
        status, body, seconds = timed_get(client, "/entities/aist/partners")
        assert status == 503 and body == {"error": "store_unavailable",
                                          "detail": "The graph database cannot be reached right now; try again "
                                                    "shortly."}
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["reachable"] is False

        # Back (a fresh, empty server on the same port): the same app reconnects by itself.
        server.run("start")
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["reachable"] is True
        assert client.post("/admin/reload", headers=auth).status_code == 200
        assert timed_get(client, "/entities/aist/partners")[0] == 200
