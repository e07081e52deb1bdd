"""Loaders: read data files (YAML or CSV), validate every record, and push the graph into a store.

Use ``read_graph(paths, store)`` to validate (raises ``DatasetError`` listing every problem, each naming file, line,
record and field) and ``Store.load(graph)`` to write all-or-nothing; ``load(paths, store)`` does both.
"""

from qgraph.loaders.errors import DatasetError, Problem
from qgraph.loaders.files import default_data_dir
from qgraph.loaders.validate import build_graph, load, read_graph

__all__ = ["DatasetError", "Problem", "build_graph", "default_data_dir", "load", "read_graph"]
