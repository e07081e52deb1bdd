"""What a client may send before its request exists (issue #12, item 9), against a real uvicorn on loopback
configured as ``qgraph serve`` configures it: header size and count, request-line length, body size, and the time a
client may take to send its headers. Each test is bounded to seconds; ``benchmarks/abuse.py`` runs the full-size
100 MB header beside a /health client and prints the figures SECURITY.md quotes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from qgraph.api import create_app
from qgraph.config import Settings
from qgraph.store import Store
from qgraph.stores.memory import MemoryStore

from live_server import live_server, raw_request, read_response

SETTINGS = Settings(max_header_bytes=16 * 1024, max_headers=50, max_request_line=4096, max_body_bytes=64 * 1024,
                    ingest_max_bytes=2048, header_timeout=1.0, admin_token="limits-test-token-0123456789abcdef")


@pytest.fixture(scope="module")
def server(memory_curated: Store) -> Iterator[tuple[str, int]]:
    with live_server(create_app(settings=SETTINGS, store=memory_curated), SETTINGS) as address:
        yield address


def connect(address: tuple[str, int]) -> socket.socket:
    return socket.create_connection(address, timeout=10)


def send_until_refused(sock: socket.socket, head: bytes, filler: bytes, most: int) -> tuple[int, int]:
    """Send ``head`` then ``filler`` up to ``most`` bytes or until the server answers and closes; the bytes it took
    and the status it answered."""
    sock.sendall(head)
    sent = len(head)
    sock.settimeout(10)
    try:
        while sent < most:
            sock.sendall(filler)
            sent += len(filler)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        status = read_response(sock)[0]
    except (ConnectionError, OSError):
        status = 0
    return sent, status


def test_one_huge_header_is_refused_early_and_health_stays_fast(server: tuple[str, int]) -> None:
    """A 20 MB header (100 MB in the benchmark) is cut off at the limit with 431, while another client's /health
    keeps answering in milliseconds."""
    result: dict[str, tuple[int, int]] = {}
    latencies: list[float] = []
    done = threading.Event()

    def attacker() -> None:
        with connect(server) as sock:
            result["huge"] = send_until_refused(sock, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ",
                                                b"a" * 65536, 20 * 2**20)
        done.set()

    def health() -> None:
        with connect(server) as sock:
            while not done.is_set() or len(latencies) < 20:
                start = time.monotonic()
                assert raw_request(sock, "/health")[0] == 200
                latencies.append(time.monotonic() - start)

    threads = [threading.Thread(target=attacker), threading.Thread(target=health)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    sent, status = result["huge"]
    assert status in (431, 0), status
    assert sent < 20 * 2**20, "the server read the whole 20 MB header"
    assert max(latencies) < 1.0, f"/health took {max(latencies):.2f} s beside the huge header"


def test_a_header_over_the_limit_in_one_piece_is_431(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        status, headers, _ = raw_request(sock, "/health", headers={"X-Big": "b" * 20_000})
    assert status == 431 and headers["connection"] == "close"


def test_too_many_headers_is_431(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        status, _, body = raw_request(sock, "/health", headers={f"X-H{i}": "v" for i in range(60)})
    assert status == 431 and b"More than 50 request headers" in body


def test_a_long_request_line_is_414(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        status, headers, _ = raw_request(sock, "/search?q=" + "a" * 5000)
    assert status == 414 and headers["connection"] == "close"


def test_just_under_the_limits_is_answered(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        assert raw_request(sock, "/search?q=aist&x=" + "a" * 3000, headers={"X-Big": "b" * 8000,
                                                                            **{f"X-H{i}": "v" for i in range(40)}})[0] == 200
        assert raw_request(sock, "/health")[0] == 200  # and the connection is still good


def test_a_body_over_the_limit_is_413_by_its_length(server: tuple[str, int]) -> None:
    auth = f"Authorization: Bearer {SETTINGS.admin_token.get_secret_value()}\r\n"  # type: ignore[union-attr]
    with connect(server) as sock:
        sock.sendall(f"POST /admin/reload HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Length: 100000000\r\n\r\n"
                     .encode())
        status, headers, _ = read_response(sock)
        assert status == 413 and headers["connection"] == "close"



def test_headers_that_never_finish_time_out(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        for _ in range(3):  # a byte now and then, as slowloris does
            time.sleep(0.2)
            sock.sendall(b"z")
        status, headers, _ = read_response(sock)
        assert status == 408 and headers["connection"] == "close"
        assert time.monotonic() - start < 3
    with connect(server) as sock:  # a connection that never sends a byte is closed too
        start = time.monotonic()
        assert read_response(sock)[0] == 408
        assert time.monotonic() - start < 3


def test_a_slow_client_does_not_delay_a_request_that_finished_its_headers(tmp_path) -> None:
    """The head timer stops at the end of the headers: a request whose route takes longer than the header timeout
    still gets its answer (here: a store call slower than the 1 s header timeout)."""
    class Slow(MemoryStore):
        def counts(self):  # type: ignore[no-untyped-def]
            time.sleep(1.5)
            return super().counts()

    with live_server(create_app(settings=SETTINGS, store=Slow(tmp_path / "g.json")), SETTINGS) as address, \
            connect(address) as sock:
        assert raw_request(sock, "/health")[0] == 200
        assert raw_request(sock, "/health")[0] == 200
