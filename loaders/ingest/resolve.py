"""Known entities: the one adapter between ingest and the store's name resolution.

``Resolver.resolve(text, kinds)`` says which stored entity a name means, or None. It is the only place ingest asks
the store about names: through the search engine's ``Queries.resolve(text, kinds=())`` (issue #11), taking only its
``match`` verdict (an ``ambiguous`` name is no known entity: the reviewer decides). A name in a document names an
entity, never an agreement: without ``kinds`` every kind but Agreement is asked ("International Council of …" is no
match for the agreement "MOU establishing the International Council of …"). Without that engine it falls back
to the store's search, accepting only an unambiguous exact match of a normalised name or alias (NFKC, case, width,
spacing and dashes folded by ``qgraph.text.normalise``). Answers are cached per document run.
"""

from __future__ import annotations

from dataclasses import dataclass

from qgraph.model import NodeKind
from qgraph.store import Store
from qgraph.text import normalise

#: what a name in a document may resolve to: every kind but agreements
ENTITY_KINDS = tuple(k.value for k in NodeKind if k is not NodeKind.AGREEMENT)


@dataclass(frozen=True)
class Known:
    id: str
    kind: str
    name: str
    name_ja: str | None
    nation: str | None


class Resolver:
    def __init__(self, store: Store | None) -> None:
        self.store = store
        self._cache: dict[tuple[str, tuple[str, ...]], Known | None] = {}

    def resolve(self, text: str, kinds: tuple[str, ...] = ()) -> Known | None:
        kinds = kinds or ENTITY_KINDS
        key = normalise(text)
        if self.store is None or not key or len(key) > 200:
            return None
        cache_key = (key, kinds)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._lookup(key, kinds, text)
        return self._cache[cache_key]

    def _lookup(self, key: str, kinds: tuple[str, ...], text: str = "") -> Known | None:
        assert self.store is not None
        queries = _queries(self.store)
        if hasattr(queries, "resolve"):  # the search engine (issue #11), once it has landed
            try:
                resolution = queries.resolve(text, kinds=kinds)
            except ValueError:  # BadParameter: not a name the engine takes (too short, no letter …)
                return None
            match = getattr(resolution, "match", None)
            if getattr(resolution, "verdict", None) != "match" or match is None:
                return None
            return Known(match.id, match.kind, match.name, match.name_ja, match.nation)
        _, hits = self.store.search(key, kinds, 3, 0)
        exact = [node for node, score in hits if score == 3]
        if len(exact) != 1:
            return None
        ref = self.store.entity_refs([exact[0].id])[exact[0].id]
        return Known(ref.id, ref.kind, ref.name, ref.name_ja, ref.nation)


def _queries(store: Store):  # noqa: ANN202 - Queries, imported late (it imports the whole query layer)
    from qgraph.queries import Queries

    return Queries(store)
