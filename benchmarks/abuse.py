"""Full-size runs of the abuse cases of issue #12 (items 2 and 9) against ``qgraph serve`` on loopback, memory store.

    .venv/bin/python benchmarks/abuse.py header [--mb 100] [--plain]
    .venv/bin/python benchmarks/abuse.py pileup [--entities 20000 --agreements 60000] [--brokers 45 --exports 8]
                                                [--data-dir DIR]   # DIR: a memory store already loaded (skips synth)
    .venv/bin/python benchmarks/abuse.py leave  [--entities … --agreements …] [--clients 2 --after 3] [--data-dir DIR]

``header``: one client sends a request whose single header is ``--mb`` MB while another calls /health in a loop;
prints how many bytes the server took before it answered, its status, and /health's latency (p50 / max).

``pileup``: a synthetic graph (``qgraph synth``), then ``--brokers`` concurrent /analysis/brokers and ``--exports``
concurrent /export/html?all=true&max_nodes=20000&aggregate=none while /health is called in a loop; prints the
statuses, /health's latency, and the server's CPU seconds while the requests ran and in the 5 s after the last
answer, second by second, with the /health loop stopped (from /proc: the work must stop with its request).

``leave``: ``--clients`` concurrent /analysis/brokers whose clients go away after ``--after`` seconds (long before
the deadline); prints the server's CPU in each of the 5 s after they left (the work must stop with its client).

The tests (tests/test_server_limits.py,
tests/test_expensive.py) run the same scenarios bounded to seconds.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
QGRAPH = Path(sys.executable).with_name("qgraph")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


PLAIN = False  # --plain: bare uvicorn with its defaults (no qgraph serve limits), for the figures before the fix


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = ([sys.executable, "-m", "uvicorn", "qgraph.api.app:create_app", "--factory"] if PLAIN
               else [str(QGRAPH), "serve"]) + ["--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/health", timeout=5).status_code in (200, 503):
                return proc, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit("qgraph serve did not start")
        time.sleep(0.2)


class HealthWatch(threading.Thread):
    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.latencies, self.stop = base, [], threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as c:
            while not self.stop.is_set():
                start = time.monotonic()
                c.get("/health")
                self.latencies.append(time.monotonic() - start)
                time.sleep(0.05)

    def summary(self) -> str:
        ordered = sorted(self.latencies) or [float("nan")]
        return (f"/health: {len(ordered)} calls, p50 {ordered[len(ordered) // 2] * 1000:.0f} ms, "
                f"p99 {ordered[int(0.99 * (len(ordered) - 1))] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")


def header(args: argparse.Namespace, env: dict[str, str]) -> None:
    proc, base = serve(env)
    try:
        watch = HealthWatch(base)
        watch.start()
        time.sleep(0.5)
        port = int(base.rsplit(":", 1)[1])
        sent, status, start = 0, "closed without an answer", time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
            chunk = b"a" * 2**20
            try:
                while sent < args.mb * 2**20:
                    sock.sendall(chunk)
                    sent += len(chunk)
                sock.sendall(b"\r\n\r\n")
            except OSError:
                pass
            try:
                status = sock.recv(200).split(b"\r\n", 1)[0].decode() or status
            except OSError:
                pass
        took = time.monotonic() - start
        time.sleep(0.5)
        watch.stop.set()
        watch.join(30)
        print(f"{args.mb} MB header: the server took {sent / 2**20:.1f} MB in {took:.2f} s and answered {status!r}")
        print(watch.summary())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def cpu_after(pid: int, seconds: int = 5) -> list[float]:
    """The server's CPU seconds in each of the next ``seconds`` seconds."""
    out, last = [], cpu_seconds(pid)
    for _ in range(seconds):
        time.sleep(1)
        now = cpu_seconds(pid)
        out.append(now - last)
        last = now
    return out


def synth_store(args: argparse.Namespace, env: dict[str, str]) -> dict[str, str]:
    """The environment of a server on ``--data-dir``, or on a new synthetic graph of the given size."""
    data_dir = args.data_dir
    if data_dir is None:
        work = Path(tempfile.mkdtemp(prefix="qgraph-pileup-"))
        data_dir = work / "store"
        env = {**env, "QGRAPH_DATA_DIR": str(data_dir)}
        subprocess.run([str(QGRAPH), "synth", "-o", str(work / "synth"), "--entities", str(args.entities),
                        "--agreements", str(args.agreements), "--seed", "42"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([str(QGRAPH), "load", str(work / "synth"), "--quiet"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        print(f"synthetic graph in {data_dir} (--data-dir to reuse it)")
    return {**env, "QGRAPH_DATA_DIR": str(data_dir)}


def leave(args: argparse.Namespace, env: dict[str, str]) -> None:
    """``--clients`` /analysis/brokers requests whose clients go away after ``--after`` seconds, long before the
    deadline: the server's CPU in the seconds after they left (the work must stop with its client)."""
    env = synth_store(args, env)
    proc, base = serve(env)
    try:
        httpx.get(base + "/search?q=lab", timeout=120)
        outcomes: Counter[str] = Counter()

        def one(i: int) -> None:
            try:
                httpx.get(base + f"/analysis/brokers?limit={i + 1}", timeout=args.after)
                outcomes["answered before the client left"] += 1
            except httpx.TimeoutException:
                outcomes["client left"] += 1

        cpu0 = cpu_seconds(proc.pid)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        cpu1 = cpu_seconds(proc.pid)
        after = cpu_after(proc.pid)
        print(f"{args.clients} /analysis/brokers, clients gone after {args.after:g} s: {dict(outcomes)}")
        print(f"server CPU: {cpu1 - cpu0:.1f} s before they left, {sum(after):.2f} s in the 5 s after "
              f"(per second: {', '.join(f'{x:.2f}' for x in after)})")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def pileup(args: argparse.Namespace, env: dict[str, str]) -> None:
    env = synth_store(args, env)
    proc, base = serve(env)
    try:
        httpx.get(base + "/search?q=lab", timeout=120)  # the index is built before the clock starts
        watch = HealthWatch(base)
        watch.start()
        outcomes: Counter[str] = Counter()
        urls = (["/analysis/brokers"] * args.brokers
                + ["/export/html?all=true&max_nodes=20000&aggregate=none"] * args.exports)

        def one(url: str) -> None:
            try:
                r = httpx.get(base + url, timeout=120)
                outcomes[f"{url.split('?')[0]} {r.status_code} {r.json().get('error', '') if r.status_code >= 400 else ''}"] += 1
            except httpx.HTTPError as exc:
                outcomes[f"{url.split('?')[0]} {type(exc).__name__}"] += 1

        cpu0, start = cpu_seconds(proc.pid), time.monotonic()
        threads = [threading.Thread(target=one, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        answered, cpu1 = time.monotonic(), cpu_seconds(proc.pid)
        watch.stop.set()  # /health itself costs CPU (its counts walk the graph): stop it before measuring what is left
        watch.join(60)
        after = cpu_after(proc.pid)
        print(f"{args.brokers} brokers + {args.exports} exports, all answered in {answered - start:.1f} s:")
        for key, n in sorted(outcomes.items()):
            print(f"  {n:3d} x {key}")
        print(f"server CPU: {cpu1 - cpu0:.1f} s while they ran, {sum(after):.2f} s in the 5 s after the last answer "
              f"(per second: {', '.join(f'{x:.2f}' for x in after)}; /health no longer called)")
        print(watch.summary())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="case", required=True)
    h = sub.add_parser("header")
    h.add_argument("--mb", type=int, default=100)
    h.add_argument("--plain", action="store_true", help="bare uvicorn, without qgraph serve's limits")
    p = sub.add_parser("pileup")
    p.add_argument("--entities", type=int, default=20_000)
    p.add_argument("--agreements", type=int, default=60_000)
    p.add_argument("--brokers", type=int, default=45)
    p.add_argument("--exports", type=int, default=8)
    p.add_argument("--data-dir", type=Path, default=None)
    lv = sub.add_parser("leave")
    lv.add_argument("--entities", type=int, default=20_000)
    lv.add_argument("--agreements", type=int, default=60_000)
    lv.add_argument("--clients", type=int, default=2)
    lv.add_argument("--after", type=float, default=3.0)
    lv.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    global PLAIN
    PLAIN = getattr(args, "plain", False)
    env = {**os.environ, "QGRAPH_STORE": "memory"}
    if args.case == "header":
        work = Path(tempfile.mkdtemp(prefix="qgraph-header-"))
        env["QGRAPH_DATA_DIR"] = str(work)
        subprocess.run([str(QGRAPH), "load", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
        header(args, env)
    elif args.case == "leave":
        leave(args, env)
    else:
        pileup(args, env)


if __name__ == "__main__":
    main()
