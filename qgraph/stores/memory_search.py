"""The memory store's inverted index for search: the same terms the Neo4j full-text index holds, so both stores
find the same candidates (``qgraph.search`` makes the terms and ranks; this module only finds).

Invariants:
- built once per data version (the memory store drops it when the graph changes and builds it on the first search),
  never written to disk;
- nodes are numbered in ``sort_key`` order (entities before agreements, name, id), and every posting list is a
  sorted numpy array of those numbers, so "the first ``cap`` matches in the fixed order" is a slice, and "every
  word" / "some word" are sorted-array intersections / unions that run in C;
- a word's alternatives are found in the vocabulary as Lucene finds them: equal terms, terms within the word's
  edit distance (optimal string alignment, rapidfuzz, over the terms of a length that can be that close), terms
  starting with a prefix (a bisection of the sorted vocabulary).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from qgraph.search import Candidate, Clause, Plan, index_entry

_EMPTY = np.zeros(0, dtype=np.int32)


class _Field:
    """One field's postings (term -> sorted node numbers) and its vocabulary, sorted and by length."""

    def __init__(self, postings: dict[str, list[int]]) -> None:
        self.postings = {t: np.asarray(p, dtype=np.int32) for t, p in postings.items()}
        self.vocab = sorted(self.postings)
        self.by_length: dict[int, list[str]] = {}
        for t in self.vocab:
            self.by_length.setdefault(len(t), []).append(t)

    def alternatives(self, c: Clause) -> list[str]:
        found = [c.text] if c.text in self.postings else []
        if c.edits:
            for n in range(len(c.text) - c.edits, len(c.text) + c.edits + 1):
                choices = self.by_length.get(n)
                if choices:
                    found += [t for t, _, _ in process.extract(c.text, choices, scorer=OSA.distance,
                                                               score_cutoff=c.edits, limit=None) if t != c.text]
        if c.prefix:
            i = bisect_left(self.vocab, c.text)
            while i < len(self.vocab) and self.vocab[i].startswith(c.text):
                if self.vocab[i] != c.text:
                    found.append(self.vocab[i])
                i += 1
        return found

    def nodes(self, c: Clause) -> list[np.ndarray]:
        return [self.postings[t] for t in self.alternatives(c)]


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    if not arrays:
        return _EMPTY
    if len(arrays) == 1:
        return arrays[0]
    return np.unique(np.concatenate(arrays))


class SearchIndex:
    def __init__(self, nodes: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        """``nodes``: (id, kind, properties) of every node."""
        entries = [(node_id, kind, index_entry(node_id, kind, props)) for node_id, kind, props in nodes]
        entries.sort(key=lambda e: e[2].sort_key)
        self.ids = [e[0] for e in entries]
        self.kinds = [e[1] for e in entries]
        kind_names = sorted(set(self.kinds))
        self._kind_code = {k: i for i, k in enumerate(kind_names)}
        self.kind_codes = np.asarray([self._kind_code[k] for k in self.kinds], dtype=np.int8)
        self.sorts = [e[2].sort_key for e in entries]
        self.values = [tuple(e[2].values) for e in entries]
        names: dict[str, list[int]] = {}
        desc: dict[str, list[int]] = {}
        exact: dict[str, list[int]] = {}
        for i, (_, _, e) in enumerate(entries):
            for t in e.name_terms:
                names.setdefault(t, []).append(i)
            for t in e.description_terms:
                desc.setdefault(t, []).append(i)
            for h in e.exact:
                exact.setdefault(h, []).append(i)
        self.fields = {"names": _Field(names), "description": _Field(desc)}
        self.exact = {h: np.asarray(p, dtype=np.int32) for h, p in exact.items()}

    def _only(self, found: np.ndarray, kinds: tuple[str, ...]) -> np.ndarray:
        if not kinds or not len(found):
            return found
        codes = [self._kind_code[k] for k in kinds if k in self._kind_code]
        return found[np.isin(self.kind_codes[found], codes)]

    def _clause(self, c: Clause, fields: tuple[str, ...]) -> np.ndarray:
        return _union([a for f in fields for a in self.fields[f].nodes(c)])

    def _candidate(self, i: int, exact: bool) -> Candidate:
        return Candidate(self.ids[i], self.kinds[i], self.sorts[i], self.values[i], exact)

    def candidates(self, plan: Plan, mode: str, kinds: tuple[str, ...], cap: int,
                   exact_cap: int) -> tuple[list[Candidate], int, list[Candidate]]:
        exact = self._only(_union([self.exact[h] for h in plan.exact if h in self.exact]), kinds)[:exact_cap]
        clauses = plan.required if mode == "all" else plan.clauses
        found: np.ndarray | None = None
        if clauses:
            sets = [self._clause(c, plan.fields) for c in clauses]
            if mode == "all":
                sets.sort(key=len)
                found = sets[0]
                for s in sets[1:]:
                    if not len(found):
                        break
                    found = np.intersect1d(found, s, assume_unique=True)
            else:
                found = _union(sets)
            found = self._only(found, kinds)
        if found is None:
            found = _EMPTY
        return ([self._candidate(int(i), True) for i in exact], int(len(found)),
                [self._candidate(int(i), False) for i in found[:cap]])
