"""The Cypher query catalog: one query per ``<verb>_<noun>.cypher`` file in this package.

Invariants:
- values only ever reach Neo4j as ``$parameters``;
- a few write queries need a label or relationship type, which Cypher cannot take as a parameter; their text holds
  ``{label}`` / ``{rel_type}`` placeholders that ``query()`` fills only with names from the schema's whitelist
  (``NodeKind`` and ``EDGE_SPECS`` in ``qgraph.model``), and refuses anything else;
- what several queries share is written once, in a fragment file ``_<name>.cypher`` (not a query of its own), and
  included as ``{{ name }}`` (a block: the fragment's lines, indented as the mark) or ``{{ name var }}`` (the
  fragment with ``{of}`` replaced by the variable ``var``, a lowercase Cypher name). Fragments hold fixed text only,
  never values, and may not include others; an unknown fragment is an error when the query is first read.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import LiteralString, cast

from qgraph.model import EDGE_SPECS, NodeKind

_LABELS = frozenset(k.value for k in NodeKind)
_REL_TYPES = frozenset(EDGE_SPECS)


_INCLUDE = re.compile(r"^(?P<indent>[ ]*)(?P<before>.*?)\{\{ *(?P<name>[a-z_]+)(?: +(?P<var>[a-z_]+))? *\}\}",
                      re.MULTILINE)


def _file(name: str) -> str:
    resource = files(__name__) / f"{name}.cypher"
    if not resource.is_file():
        raise KeyError(f"no Cypher file {name}.cypher in {__name__}")
    return resource.read_text(encoding="utf-8")


@cache
def _fragment(name: str) -> list[str]:
    """A fragment's lines without its comment lines."""
    return [ln for ln in _file(f"_{name}").splitlines() if ln.strip() and not ln.lstrip().startswith("//")]


def _include(m: re.Match[str]) -> str:
    lines = _fragment(m["name"])
    if m["var"] is not None:
        lines = [ln.replace("{of}", m["var"]) for ln in lines]
    # Continuation lines take the indentation of the line the mark stands in; the first one follows the mark. A
    # fragment may include another (its variable is the one given to this one).
    return _INCLUDE.sub(_include, m["indent"] + m["before"] + ("\n" + m["indent"]).join(lines))


@cache
def _text(name: str) -> str:
    return _INCLUDE.sub(_include, _file(name))


def names() -> list[str]:
    """Every query name in the catalog (fragments, ``_*.cypher``, are not queries)."""
    return sorted(p.name.removesuffix(".cypher") for p in files(__name__).iterdir()
                  if p.name.endswith(".cypher") and not p.name.startswith("_"))


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
