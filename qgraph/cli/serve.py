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

    from qgraph.api import server

    if store is not None:
        os.environ["QGRAPH_STORE"] = settings_for(store).store
    server.run(host=host, port=port, workers=workers)  # with the request limits and allowed hosts of the settings
