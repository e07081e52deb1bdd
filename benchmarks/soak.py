"""Soak: many concurrent clients against the API on Neo4j, for a bounded time, on loopback only.

    .venv/bin/python benchmarks/soak.py [--clients 200] [--seconds 60] [--workers 2]

Uses NEO4J_URI when set, otherwise starts a local Neo4j with scripts/neo4j-local (and stops it afterwards); loads the
curated dataset; starts ``qgraph serve`` on a free 127.0.0.1 port; drives it with ``--clients`` concurrent
httpx clients until ``--seconds`` pass or ``--max-requests`` are sent; prints errors (target 0), p50/p99 latency per
endpoint and overall, and throughput. The load generator shares the machine's cores with the API and Neo4j: the
figures are for that setup, not for the server alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
QGRAPH = Path(sys.executable).with_name("qgraph")

URLS = [
    ("search", "/search?q=aist"), ("search", "/search?q=%E7%94%A3%E7%B7%8F%E7%A0%94"),
    ("entity", "/entities/aist"), ("partners", "/entities/aist/partners"),
    ("partners", "/entities/uchicago/partners?since=2023-06"), ("paths", "/paths?source=kriss&target=nrc-canada"),
    ("paths", "/paths?source=yonsei-university&target=tohoku-university"),
    ("agreements", "/agreements?since=2023-11&until=2023-11"), ("nations", "/nations/JP/partners"),
    ("timeline", "/timeline?granularity=month"), ("health", "/health"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def drive(base: str, clients: int, seconds: float, max_requests: int) -> tuple[dict, dict, int, float]:
    latencies: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, int] = defaultdict(int)
    sent = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        async def client(seed: int) -> None:
            nonlocal sent
            rng = random.Random(seed)
            while time.monotonic() < deadline and sent < max_requests:
                sent += 1
                name, url = rng.choice(URLS)
                start = time.perf_counter()
                try:
                    response = await http.get(url)
                    outcomes[f"{response.status_code}"] += 1
                except httpx.HTTPError as exc:
                    outcomes[type(exc).__name__] += 1
                    continue
                latencies[name].append((time.perf_counter() - start) * 1000)

        began = time.monotonic()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.monotonic() - began
    return latencies, outcomes, sent, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="hard cap on requests sent")
    args = parser.parse_args()
    if not (1 <= args.clients <= 1000 and 0 < args.seconds <= 600):
        parser.error("--clients must be 1..1000 and --seconds 0..600 (this is a bounded soak)")

    env = dict(os.environ)
    started_neo4j = False
    if not env.get("NEO4J_URI"):
        out = subprocess.run([str(REPO / "scripts" / "neo4j-local"), "start"], check=True, capture_output=True,
                             text=True).stdout
        env["NEO4J_URI"] = out.strip().splitlines()[-1].removeprefix("NEO4J_URI=")
        started_neo4j = True
    env["QGRAPH_STORE"] = "neo4j"
    port = free_port()
    server = None
    try:
        subprocess.run([str(QGRAPH), "load", "--json"], env=env, check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen([str(QGRAPH), "serve", "--host", "127.0.0.1", "--port", str(port),
                                   "--workers", str(args.workers)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the API did not come up")

        print(f"soak: {args.clients} clients for {args.seconds:g} s against {base} "
              f"({args.workers} workers, Neo4j at {env['NEO4J_URI']}), {os.cpu_count()} cores")
        latencies, outcomes, sent, elapsed = asyncio.run(drive(base, args.clients, args.seconds, args.max_requests))
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if started_neo4j:
            subprocess.run([str(REPO / "scripts" / "neo4j-local"), "stop"], check=False)

    done = sum(len(v) for v in latencies.values())
    errors = sum(n for k, n in outcomes.items() if not k.isdigit() or int(k) >= 500)
    every = [x for v in latencies.values() for x in v]
    print(f"{'endpoint':<12}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name in sorted(latencies):
        v = latencies[name]
        print(f"{name:<12}{len(v):>10}{statistics.median(v):>10.1f}{percentile(v, 0.99):>10.1f}")
    print(f"{'all':<12}{done:>10}{statistics.median(every):>10.1f}{percentile(every, 0.99):>10.1f}")
    print(f"outcomes: {dict(sorted(outcomes.items()))}")
    print(f"requests sent: {sent}, answered: {done}, errors (5xx or transport): {errors}, "
          f"throughput: {done / elapsed:.0f} req/s over {elapsed:.1f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
