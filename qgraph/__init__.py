"""qgraph: a graph-based explorer of the stakeholder network around quantum technology.

The installed package is one namespace: ``qgraph`` (core: model, store interface, settings, CLI) plus
``qgraph.loaders``, ``qgraph.cypher``, ``qgraph.api``, ``qgraph.viz`` and ``qgraph.data``, which live in the
repository's top-level folders of the same names (see ``[tool.setuptools.package-dir]`` in pyproject.toml).
"""

__version__ = "0.1.0"
