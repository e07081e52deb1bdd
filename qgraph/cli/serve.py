"""``qgraph serve``: the HTTP API under uvicorn (the API keeps no state of its own, so workers may be many)."""

from __future__ import annotations

from typing import Annotated

import typer

from qgraph.cli import StoreOpt, app, settings_for


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (the API keeps no state of its own).")] = 1,
    store: StoreOpt = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) on the configured store."""
    import os

    import uvicorn

    if store is not None:
        os.environ["QGRAPH_STORE"] = settings_for(store).store
    # Keep idle connections longer than uvicorn's 5 s default: a pooled client connection the server closes just as
    # the client reuses it fails with "server disconnected" (seen once in 4,712 requests of the soak).
    uvicorn.run("qgraph.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", timeout_keep_alive=75)
