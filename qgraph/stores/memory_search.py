"""The memory store's inverted index for search: the same terms the Neo4j full-text index holds, so both stores
find the same candidates (``qgraph.search`` makes the terms and ranks; this module only finds).

Invariants:
- built once per data version and saved beside the graph file (``graph.json.search``, numpy arrays in one ``.npz``,
  no pickles), tagged with a digest of the graph file's bytes: a process that opens the same file loads it instead of
  analysing every node again, and an index whose tag differs from the file it sits beside is never used (it is
  rebuilt and replaced atomically);
- nodes are numbered in ``sort_key`` order (entities before agreements, name, id), and every posting list is a
  sorted run of those numbers (one CSR array per field: ``indices[indptr[t]:indptr[t + 1]]`` for term ``t``), so "the
  first ``cap`` matches in the fixed order" is a slice, and "every word" / "some word" are sorted-array
  intersections / unions that run in C;
- strings (ids, sort keys, analysed values) are kept as UTF-8 blobs with offsets and decoded only for the candidates
  a query returns; a vocabulary is one newline-joined text split once: loading the index is reading its arrays;
- a word's alternatives are found in the vocabulary as Lucene finds them: equal terms; terms within the word's edit
  distance (``qgraph.search.Vocabulary``, the same code Neo4j's store uses); terms starting with a prefix (one
  contiguous range of the sorted vocabulary, so its postings are one slice);
- a write does not rebuild the index (98 s at 400k nodes): ``Layers`` keeps the base index, with the nodes changed
  or removed since masked out, and one small index per write of the nodes it added or changed (merged when there
  are more than ``MAX_LAYERS``), as Lucene keeps segments. Every layer answers in the same fixed order, so the first
  ``cap`` of all layers is a merge of each layer's first ``cap``: the same answers as an index built afresh.
"""

from __future__ import annotations

import os
import tempfile
import time
import copy
import heapq
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from qgraph.search import Candidate, Clause, Plan, Vocabulary, index_entry

FORMAT = "qgraph-search/1"
_EMPTY = np.zeros(0, dtype=np.int32)


class _Strings(Sequence[str]):
    """A list of strings kept as one UTF-8 blob and the offsets of its items (``offsets[i]:offsets[i + 1]``)."""

    def __init__(self, blob: bytes, offsets: np.ndarray) -> None:
        self.blob, self.offsets = blob, offsets
        self._starts = offsets.tolist()  # Python ints: an item is two list reads and one slice

    @classmethod
    def of(cls, items: Sequence[str]) -> _Strings:
        data = [s.encode() for s in items]
        offsets = np.zeros(len(data) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, data), dtype=np.int64, count=len(data)), out=offsets[1:])
        return cls(b"".join(data), offsets)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        return self.blob[self._starts[i]:self._starts[i + 1]].decode()

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        return {f"{name}.blob": np.frombuffer(self.blob, dtype=np.uint8), f"{name}.offsets": self.offsets}

    @classmethod
    def from_arrays(cls, z: Any, name: str) -> _Strings:
        return cls(z[f"{name}.blob"].tobytes(), z[f"{name}.offsets"])


class _Field:
    """One field's vocabulary (sorted), postings (CSR) and, per term, its length and character signature. The
    vocabulary is saved as one newline-joined text (terms hold no white space) and read back as a list."""

    def __init__(self, vocab: list[str], indptr: np.ndarray, indices: np.ndarray, lengths: np.ndarray,
                 signatures: np.ndarray) -> None:
        self.vocab, self.indptr, self.indices = vocab, indptr, indices
        self.words = Vocabulary(vocab, lengths, signatures)

    @classmethod
    def build(cls, pairs: tuple[list[str], list[int]]) -> _Field:
        """``pairs``: (term, node number) for every term of every node, node numbers ascending."""
        terms, nodes = pairs
        vocab = sorted(set(terms))
        number = {t: j for j, t in enumerate(vocab)}
        term_ids = np.fromiter((number[t] for t in terms), dtype=np.int32, count=len(terms))
        order = np.argsort(term_ids, kind="stable")  # stable: each term's nodes stay ascending
        indices = np.asarray(nodes, dtype=np.int32)[order]
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_ids, minlength=len(vocab)), out=indptr[1:])
        words = Vocabulary(vocab)
        return cls(vocab, indptr, indices, words.lengths, words.signatures)

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        return {f"{name}.vocab": np.frombuffer("\n".join(self.vocab).encode(), dtype=np.uint8),
                f"{name}.indptr": self.indptr, f"{name}.indices": self.indices,
                f"{name}.lengths": self.words.lengths, f"{name}.signatures": self.words.signatures}

    @classmethod
    def from_arrays(cls, z: Any, name: str) -> _Field:
        text = z[f"{name}.vocab"].tobytes().decode()
        return cls(text.split("\n") if text else [], z[f"{name}.indptr"], z[f"{name}.indices"],
                   z[f"{name}.lengths"], z[f"{name}.signatures"])

    def _find(self, term: str) -> int | None:
        j = bisect_left(self.vocab, term)
        return j if j < len(self.vocab) and self.vocab[j] == term else None

    def _postings(self, lo: int, hi: int) -> np.ndarray:
        return self.indices[self.indptr[lo]:self.indptr[hi]]

    def nodes(self, c: Clause) -> list[np.ndarray]:
        """The posting lists of the clause's alternatives (the equal term, terms within its edits, terms it
        begins), possibly overlapping."""
        out: list[np.ndarray] = []
        if not len(self.vocab):
            return out
        j = self._find(c.text)
        if j is not None:
            out.append(self._postings(j, j + 1))
        if c.edits:
            for t in self.words.near(c.text, c.edits):
                if t != j:
                    out.append(self._postings(t, t + 1))
        if c.prefix:
            lo = bisect_left(self.vocab, c.text)
            last = ord(c.text[-1])
            hi = bisect_left(self.vocab, c.text[:-1] + chr(last + 1), lo) if last < 0x10FFFF else len(self.vocab)
            if hi - lo == 1:
                out.append(self._postings(lo, hi))
            elif hi > lo:  # several terms' runs, one after the other: sorted and deduplicated once
                out.append(_unique(self._postings(lo, hi)))
        return out


#: past this many values a set of node numbers is deduplicated by a bitmap (``_unique``)
BITMAP_FROM = 4_096


def _unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of node numbers (non-negative): the sorted distinct values. A long array (a common word's
    postings, a one-letter prefix) goes through a bitmap as long as the largest number, O(n + max): NumPy 2's
    hash-based ``unique`` took 136 ms on the postings of a one-letter prefix at 400k nodes, most of a slow query."""
    if len(values) < BITMAP_FROM:
        return np.unique(values)
    mask = np.zeros(int(values.max()) + 1, dtype=bool)
    mask[values] = True
    return np.flatnonzero(mask).astype(values.dtype, copy=False)


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values of sorted, distinct ``a`` that are in sorted, distinct ``b``: each of the shorter array's values
    looked up in the longer by binary search, O(short × log long). ``np.intersect1d`` sorts both together: 2.6 ms per
    call when one side is a common word's 323,821 postings at 400k nodes, most of a slow query's time."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if not len(short) or not len(long):
        return short[:0]
    at = np.searchsorted(long, short)
    hit = at < len(long)
    hit[hit] = long[at[hit]] == short[hit]
    return short[hit]


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    if not arrays:
        return _EMPTY
    if len(arrays) == 1:
        return arrays[0]
    return _unique(np.concatenate(arrays))


class SearchIndex:
    """Built from the nodes (``SearchIndex(nodes)``) or read from a file (``load``); ``candidates`` answers
    ``Store.search_candidates``."""

    def __init__(self, nodes: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        """Build the index of ``nodes``: (id, kind, properties) of every node."""
        self._take(self._arrays(nodes))

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any]) -> SearchIndex:
        index = cls.__new__(cls)
        index._take(arrays)
        return index

    def _take(self, arrays: dict[str, Any]) -> None:
        #: node numbers masked out (changed or removed since the index was built, see ``Layers``), or None
        self.dead: np.ndarray | None = None
        self._numbers: dict[str, int] | None = None
        self.ids = _Strings.from_arrays(arrays, "ids")
        self.sorts = _Strings.from_arrays(arrays, "sorts")
        self._values = _Strings.from_arrays(arrays, "values")
        self._value_starts = arrays["values.per_node"].tolist()
        self.kind_names = [str(k) for k in arrays["kind_names"]]
        self._kind_code = {k: i for i, k in enumerate(self.kind_names)}
        self.kind_codes = arrays["kind_codes"]
        self.fields = {f: _Field.from_arrays(arrays, f) for f in ("names", "description")}
        self.exact_keys = arrays["exact.keys"]
        self.exact_indptr, self.exact_indices = arrays["exact.indptr"], arrays["exact.indices"]

    @staticmethod
    def _arrays(nodes: Iterable[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
        entries = [(node_id, kind, index_entry(node_id, kind, props)) for node_id, kind, props in nodes]
        entries.sort(key=lambda e: e[2].sort_key)
        kinds = [e[1] for e in entries]
        kind_names = sorted(set(kinds))
        code = {k: i for i, k in enumerate(kind_names)}
        names: tuple[list[str], list[int]] = ([], [])
        desc: tuple[list[str], list[int]] = ([], [])
        exact: tuple[list[str], list[int]] = ([], [])
        values: list[str] = []
        per_node = [0]
        for i, (_, _, e) in enumerate(entries):
            for terms, into in ((e.name_terms, names), (e.description_terms, desc), (e.exact, exact)):
                into[0].extend(terms)
                into[1].extend([i] * len(terms))
            values.extend(e.values)
            per_node.append(len(values))
        arrays: dict[str, Any] = {
            **_Strings.of([e[0] for e in entries]).arrays("ids"),
            **_Strings.of([e[2].sort_key for e in entries]).arrays("sorts"),
            **_Strings.of(values).arrays("values"),
            "values.per_node": np.asarray(per_node, dtype=np.int64),
            "kind_names": np.asarray(kind_names, dtype=str),
            "kind_codes": np.asarray([code[k] for k in kinds], dtype=np.int8),
            **_Field.build(names).arrays("names"), **_Field.build(desc).arrays("description"),
        }
        ex = _Field.build(exact)  # exact-key hashes: a vocabulary of fixed-width hex strings, looked up whole
        arrays.update({"exact.keys": np.asarray(ex.vocab, dtype="S20"), "exact.indptr": ex.indptr,
                       "exact.indices": ex.indices})
        return arrays

    # ------------------------------------------------------------------ the file beside the graph

    def save(self, path: Path, tag: str) -> None:
        """Write the index to ``path`` (atomically: a temporary file in the same folder, then a rename), tagged
        with ``tag`` (what it was built from)."""
        arrays: dict[str, Any] = {
            **self.ids.arrays("ids"), **self.sorts.arrays("sorts"), **self._values.arrays("values"),
            "values.per_node": np.asarray(self._value_starts, dtype=np.int64),
            "kind_names": np.asarray(self.kind_names, dtype=str), "kind_codes": self.kind_codes,
            **self.fields["names"].arrays("names"), **self.fields["description"].arrays("description"),
            "exact.keys": self.exact_keys, "exact.indptr": self.exact_indptr, "exact.indices": self.exact_indices,
            "format": np.asarray(FORMAT), "tag": np.asarray(tag),
        }
        for stale in path.parent.glob(".search-*.tmp"):  # left by a process killed while saving (not one saving now)
            try:
                if time.time() - stale.stat().st_mtime > 600:
                    stale.unlink()
            except OSError:
                pass
        fd, tmp = tempfile.mkstemp(prefix=".search-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, tag: str) -> SearchIndex | None:
        """The index saved at ``path`` if it was built from ``tag`` (and is readable), else None."""
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["format"]) != FORMAT or str(z["tag"]) != tag:
                    return None
                return cls.from_arrays({k: z[k] for k in z.files})
        except (OSError, ValueError, KeyError, EOFError):
            return None
        except Exception:  # a damaged zip (zipfile.BadZipFile) and the like: rebuild, never fail a search
            return None

    # ------------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self.ids)

    def number_of(self, node_id: str) -> int | None:
        """The node's number in this index (a map built on first use), or None."""
        if self._numbers is None:
            self._numbers = {self.ids[i]: i for i in range(len(self.ids))}
        return self._numbers.get(node_id)

    def without(self, node_ids: Iterable[str]) -> SearchIndex:
        """A view of this index (sharing its arrays) with these nodes masked out as well."""
        numbers = [n for n in map(self.number_of, node_ids) if n is not None]
        if not numbers:
            return self
        view = copy.copy(self)
        view.dead = np.zeros(len(self.ids), dtype=bool) if self.dead is None else self.dead.copy()
        view.dead[numbers] = True
        return view

    def live(self) -> Iterable[str]:
        """The ids of the nodes not masked out."""
        return (self.ids[i] for i in range(len(self.ids)) if self.dead is None or not self.dead[i])

    def _only(self, found: np.ndarray, kinds: tuple[str, ...]) -> np.ndarray:
        if self.dead is not None and len(found):
            found = found[~self.dead[found]]
        if not kinds or not len(found):
            return found
        codes = [self._kind_code[k] for k in kinds if k in self._kind_code]
        return found[np.isin(self.kind_codes[found], codes)]

    def _clause(self, c: Clause, fields: tuple[str, ...]) -> np.ndarray:
        return _union([a for f in fields for a in self.fields[f].nodes(c)])

    def _exact(self, hashes: tuple[str, ...]) -> np.ndarray:
        if not hashes or not len(self.exact_keys):
            return _EMPTY
        keys = np.asarray(hashes, dtype="S20")
        at = np.searchsorted(self.exact_keys, keys)
        ok = at < len(self.exact_keys)
        at = at[ok][self.exact_keys[at[ok]] == keys[ok]]
        return _union([self.exact_indices[self.exact_indptr[j]:self.exact_indptr[j + 1]] for j in at.tolist()])

    def _candidate(self, i: int, exact: bool) -> Candidate:
        values = tuple(self._values[v] for v in range(self._value_starts[i], self._value_starts[i + 1]))
        return Candidate(self.ids[i], self.kind_names[self.kind_codes[i]], self.sorts[i], values, exact)

    def clause_hits(self, plan: Plan, kinds: tuple[str, ...], limit: int) -> list[int]:
        return [min(limit + 1, len(self._only(self._clause(c, plan.fields), kinds))) for c in plan.clauses]

    def candidates(self, plan: Plan, mode: str, kinds: tuple[str, ...], cap: int,
                   exact_cap: int) -> tuple[list[Candidate], int, list[Candidate]]:
        exact = self._only(self._exact(plan.exact), kinds)[:exact_cap]
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
                    found = _intersect(found, s)
            else:
                found = _union(sets)
            found = self._only(found, kinds)
        if found is None:
            found = _EMPTY
        return ([self._candidate(int(i), True) for i in exact.tolist()], int(len(found)),
                [self._candidate(int(i), False) for i in found[:cap].tolist()])


#: past this many write layers, ``Layers`` merges them into one
MAX_LAYERS = 8


class Layers:
    """The search index of a graph that writes changed since its ``base`` index was built: the base with those nodes
    masked out, and small indexes of the nodes the writes added or changed (never rebuilt for a write)."""

    def __init__(self, base: SearchIndex, layers: tuple[SearchIndex, ...] = ()) -> None:
        self.base, self.layers = base, layers

    @property
    def all(self) -> tuple[SearchIndex, ...]:
        return (self.base, *self.layers)

    @property
    def changed(self) -> int:
        """How many nodes the write layers hold or mask out of the base (what a rebuild would save)."""
        masked = int(self.base.dead.sum()) if self.base.dead is not None else 0
        return masked + sum(len(layer) for layer in self.layers)

    def written(self, nodes: Mapping[str, tuple[str, dict[str, Any]] | None],
                lookup: Callable[[str], tuple[str, dict[str, Any]]]) -> Layers:
        """The index after a write: ``nodes`` maps each added, changed or removed node id to its (kind, properties)
        after the write, or None when it was removed; ``lookup`` gives any live node's (kind, properties), to merge
        the write layers once there are more than ``MAX_LAYERS``."""
        if not nodes:
            return self
        base = self.base.without(nodes)
        layers = [layer.without(nodes) for layer in self.layers]
        layers = [layer for layer in layers if layer.dead is None or not layer.dead.all()]
        new = [(i, kind, props) for i, value in nodes.items() if value is not None for kind, props in (value,)]
        if new:
            layers.append(SearchIndex(new))
        if len(layers) > MAX_LAYERS:
            live = [i for layer in layers for i in layer.live()]
            layers = [SearchIndex((i, *lookup(i)) for i in live)]
        return Layers(base, tuple(layers))

    def clause_hits(self, plan: Plan, kinds: tuple[str, ...], limit: int) -> list[int]:
        counts = [index.clause_hits(plan, kinds, limit) for index in self.all]
        return [min(limit + 1, sum(column)) for column in zip(*counts)]

    def candidates(self, plan: Plan, mode: str, kinds: tuple[str, ...], cap: int,
                   exact_cap: int) -> tuple[list[Candidate], int, list[Candidate]]:
        answers = [index.candidates(plan, mode, kinds, cap, exact_cap) for index in self.all]

        def merged(lists: list[list[Candidate]], n: int) -> list[Candidate]:
            return list(heapq.merge(*lists, key=lambda c: c.sort))[:n]

        return (merged([a[0] for a in answers], exact_cap), sum(a[1] for a in answers),
                merged([a[2] for a in answers], cap))
