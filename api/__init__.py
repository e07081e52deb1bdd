"""The HTTP API (FastAPI): read-only queries over the configured store.

The app keeps no state of its own beyond the store handle opened in ``lifespan``: several workers or replicas can
serve one Neo4j database. ``create_app()`` builds it; ``qgraph serve`` runs it under uvicorn.
"""

from qgraph.api.app import create_app

__all__ = ["create_app"]
