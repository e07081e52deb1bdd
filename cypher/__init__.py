"""The Cypher query catalog: one query per ``<verb>_<noun>.cypher`` file in this package.

Invariants:
- values only ever reach Neo4j as ``$parameters``;
- a few write queries need a label or relationship type, which Cypher cannot take as a parameter; their text holds
  ``{label}`` / ``{rel_type}`` placeholders that ``query()`` fills only with names from the schema's whitelist
  (``NodeKind`` and ``EDGE_SPECS`` in ``qgraph.model``), and refuses anything else.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import LiteralString, cast

from qgraph.model import EDGE_SPECS, NodeKind

_LABELS = frozenset(k.value for k in NodeKind)
_REL_TYPES = frozenset(EDGE_SPECS)


@cache
def _text(name: str) -> str:
    resource = files(__name__) / f"{name}.cypher"
    if not resource.is_file():
        raise KeyError(f"no Cypher file {name}.cypher in {__name__}")
    return resource.read_text(encoding="utf-8")


def names() -> list[str]:
    """Every query name in the catalog."""
    return sorted(p.name.removesuffix(".cypher") for p in files(__name__).iterdir() if p.name.endswith(".cypher"))


@cache
def query(name: str, *, label: str | None = None, rel_type: str | None = None) -> LiteralString:
    """The text of query ``name``, with whitelisted ``{label}`` / ``{rel_type}`` filled in."""
    text = _text(name)
    if label is not None:
        if label not in _LABELS:
            raise ValueError(f"label {label!r} is not in the schema's whitelist")
        text = text.replace("{label}", label)
    if rel_type is not None:
        if rel_type not in _REL_TYPES:
            raise ValueError(f"relationship type {rel_type!r} is not in the schema's whitelist")
        text = text.replace("{rel_type}", rel_type)
    if "{label}" in text or "{rel_type}" in text:
        raise ValueError(f"query {name} needs a label or relationship type")
    # The text comes from a file shipped with the package plus whitelisted names: it is as literal as a string in code.
    return cast(LiteralString, text)
