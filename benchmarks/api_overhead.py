"""Where an API request's time goes beyond its store call: a breakdown of ``/entities/{id}/partners`` and ``/paths``.

    QGRAPH_STORE=neo4j NEO4J_URI=bolt://… python benchmarks/api_overhead.py [--samples 200]

Runs uvicorn (one worker, 127.0.0.1) in a child process whose store call (``party_agreements`` / ``find_paths``),
query (``Queries.partners`` / ``Queries.paths``) and whole ASGI app are timed from inside, sends the requests one
after another from this process (httpx), and prints the medians of each layer and what each adds: client latency −
app time = uvicorn's HTTP, the loopback and the client; app − query = FastAPI (parameters, thread pool, response
serialisation); query − store call = the query layer's shaping. The parties and pairs are drawn as in
``python -m benchmarks`` (seed 42) from whatever the store holds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

LAYERS = {"partners": ("party_agreements", "partners"), "paths": ("find_paths", "paths")}


def serve(port: int, out: Path) -> None:
    """The API with timers around the store calls, the queries and the app; medians written to ``out`` on SIGTERM."""
    import uvicorn

    from qgraph.api.app import create_app
    from qgraph.queries import Queries
    from qgraph.store import Store, open_store

    times: dict[str, list[float]] = {}

    def timer(cls: type, name: str, key: str) -> None:
        original = getattr(cls, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                times.setdefault(key, []).append(time.perf_counter() - t)
        setattr(cls, name, timed)

    store = open_store()
    for endpoint, (call, query) in LAYERS.items():
        timer(type(store) if call in vars(type(store)) else Store, call, f"{endpoint}: store call")
        timer(Queries, query, f"{endpoint}: query")
    inner = create_app(store=store)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        t = time.perf_counter()
        await inner(scope, receive, send)
        if scope["type"] == "http":
            endpoint = "paths" if scope["path"] == "/paths" else "partners"
            times.setdefault(f"{endpoint}: app", []).append(time.perf_counter() - t)

    signal.signal(signal.SIGTERM, lambda *_: None)  # uvicorn re-raises the signal it caught; keep the process
    uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)).run()
    out.write_text(json.dumps({k: statistics.median(v[10:]) * 1000 for k, v in times.items()}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--serve", nargs=2, metavar=("PORT", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(int(args.serve[0]), Path(args.serve[1]))
        return
    from qgraph.config import get_settings
    from qgraph.store import AgreementFilter, open_store

    # Every party with an agreement (a scan of all agreements: more time than a query is allowed).
    with open_store(get_settings().model_copy(update={"neo4j_timeout": 600})) as store:
        parties = sorted({party for party, _ in store.party_edges(AgreementFilter(), 10_000_000) if len(party) > 2})
    rng = random.Random(42)
    sample = {"partners": [f"/entities/{i}/partners" for i in rng.sample(parties, args.samples)],
              "paths": [f"/paths?source={s}&target={t}" for s, t in (rng.sample(parties, 2) for _ in range(args.samples))]}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = Path(f"/tmp/qgraph-api-overhead-{os.getpid()}.json")
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(out)])
    client: dict[str, float] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
            for _ in range(600):
                try:
                    http.get("/search?q=%20")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            for endpoint, urls in sample.items():
                latencies = []
                for url in urls:
                    t = time.perf_counter()
                    http.get(url).raise_for_status()
                    latencies.append(time.perf_counter() - t)
                client[endpoint] = statistics.median(latencies[10:]) * 1000
    finally:
        server.terminate()
        server.wait(60)
    inside = json.loads(out.read_text())
    out.unlink()
    for endpoint in sample:
        store_ms, query_ms, app_ms = (inside[f"{endpoint}: {k}"] for k in ("store call", "query", "app"))
        print(f"{endpoint} (medians of {args.samples}): client {client[endpoint]:.2f} ms = store call {store_ms:.2f}"
              f" + query layer {query_ms - store_ms:.2f} + FastAPI {app_ms - query_ms:.2f}"
              f" + HTTP and client {client[endpoint] - app_ms:.2f}; client / store call "
              f"{client[endpoint] / store_ms:.2f}x")


if __name__ == "__main__":
    main()
