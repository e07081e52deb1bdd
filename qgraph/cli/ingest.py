"""``qgraph ingest`` and ``qgraph review``: registered from ``qgraph.ingest_cli`` (the ingest branch's module, which
moves into this package as its own group)."""

from qgraph.cli import app
from qgraph.ingest_cli import register

register(app)
