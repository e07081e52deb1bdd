"""``python -m qgraph``: the same command line as the ``qgraph`` script."""

from qgraph.cli import app

app(prog_name="qgraph")
