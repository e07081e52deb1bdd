"""The search and resolution engine: text analysis, query plans and ranking, written once for both stores.

How it works. Every node's searchable values (names in both languages, aliases, id, a nation's code, description)
are analysed here, in Python, into *terms*; a store keeps them (the memory store in an inverted index, Neo4j in
properties covered by one Lucene full-text index with the ``whitespace`` analyser, which indexes our terms as they
are) and answers one primitive, ``Store.search_candidates``: the nodes holding given terms, in one fixed order
(``sort_key``), at most ``cap`` of them, with the total. Ranking happens here, over that bounded candidate set, from
the analysed values the store returns with each candidate. So both stores give the same hits in the same order.

Analysis (``terms``):
- text is normalised (``qgraph.text.normalise``: NFKC, case folded, dashes unified, white space collapsed);
- Latin (and any non-CJK) text is split into words, words at letter/digit boundaries (``JTC3`` = ``JTC 3``); a
  possessive ``'s`` is dropped, other apostrophes removed (``Nat'l`` → ``natl``); a light English stemmer
  (Lucene's ``EnglishMinimalStemmer``: plurals) and a short list of abbreviations (``univ`` → ``university``);
- CJK text (Han, kana, Hangul) becomes overlapping character bigrams, as Lucene's ``CJKAnalyzer`` makes them (a
  lone character stays a unigram); two CJK runs separated only by a space are also bridged by the bigram across the
  space, so 「量子 戦略」 and 「量子戦略」 find each other both ways;
- stop words (of, the, and, for …) and organisation-type words (株式会社, 国立研究開発法人, Inc., Ltd. …) are indexed but
  optional in a query: a query needs them only when it holds nothing else.

Matching. A query word matches a term that is equal, or — for Latin words of 5 or more characters — within edit
distance 1 (2 from 10 characters; optimal string alignment distance, i.e. a swap of two neighbours counts as one
edit, as in Lucene's fuzzy query), computed with rapidfuzz. The terms within a word's edits are found in a
``Vocabulary`` (both stores: the memory store's index, the terms Neo4j's writers record) and reach Lucene spelled out
as exact terms. A lone CJK character, and the last word of an
autocomplete query, match as prefixes.

Ranking (``rank``), best first: an exact name or alias (the whole normalised text, also without spaces and without
organisation-type words) scores 100; all query words in one name 80+, in one alias (or id) 60+, across the names
and aliases together 50+, in the description 40+; otherwise a partial match, 20 × the share of query words found.
When no node holds every required word, the candidates are the nodes holding any of the query's rarer words
(``Queries._rare``: a word matching more than ``BROAD_HITS`` nodes is left out of the candidates, not of the
ranking). Within a tier up to 9.5 more points: 7 for how much of the matched value the query covers, 2.5 for exact rather
than fuzzy words. Equal scores: entities (institutions, nations, hubs …) before agreements, then by name, then id. Every
hit says which field and value matched and why.

Invariants: the analysis is deterministic and the same code analyses stored values and queries; a store only
matches terms and orders by ``sort_key``; the candidate set is bounded (``CANDIDATE_CAP``), so a query's work is
bounded whatever the graph's size.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import OSA

from qgraph.gc_pause import paused_gc
from qgraph.text import normalise

#: most candidates a store returns for one query (beyond it, the first ones in ``sort_key`` order)
CANDIDATE_CAP = 400
#: most exact-name candidates
EXACT_CAP = 50
#: most query words considered (a longer query keeps its first ones)
MAX_CLAUSES = 24
#: longest query accepted, in characters
MAX_QUERY = 500
#: fields of the analysed values
NAME, ALIAS, IDENT, DESCRIPTION = "name", "alias", "id", "description"
_FIELD_CODE = {NAME: "n", ALIAS: "a", IDENT: "i", DESCRIPTION: "d"}
_CODE_FIELD = {v: k for k, v in _FIELD_CODE.items()}
#: separates the parts of an encoded value (no normalised text holds a control character)
_SEP = "\x1f"

STOP_WORDS = frozenset("a an and at by for from in of on or the to with de des du la le et und".split())
#: organisation-type words, optional in a query and folded away for exact matching (after rigour/normality's idea)
ORG_WORDS_LATIN = frozenset("inc incorporated corp corporation co ltd limited llc plc gmbh ag kk sa".split())
ORG_WORDS_CJK = ("国立研究開発法人", "独立行政法人", "国立大学法人", "大学共同利用機関法人", "公立大学法人", "学校法人",
                 "一般社団法人", "公益社団法人", "一般財団法人", "公益財団法人", "特定非営利活動法人", "株式会社",
                 "有限会社", "合同会社")
#: abbreviations written in names, and the word they stand for
ABBREVIATIONS = {"univ": "university", "uni": "university", "inst": "institute", "natl": "national",
                 "intl": "international", "int'l": "international", "tech": "technology", "lab": "laboratory",
                 "labs": "laboratory", "dept": "department", "assoc": "association", "govt": "government",
                 "sci": "science", "corp": "corporation", "co": "company", "ctr": "center", "centre": "center"}

_CJK_RANGES = ("\u1100-\u11ff\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
               "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f")
_TOKEN = re.compile(rf"(?P<cjk>[{_CJK_RANGES}]+)|(?P<word>[^\W_{_CJK_RANGES}]+(?:['’][^\W_{_CJK_RANGES}]+)*)"
                    rf"|(?P<space>\s+)")
_ALNUM = re.compile(r"\d+|[^\W\d_]+")
_ORG_CJK = re.compile("|".join(ORG_WORDS_CJK))
_ORG_CJK_SPLIT = re.compile("(" + "|".join(ORG_WORDS_CJK) + ")")


def stem(word: str) -> str:
    """Lucene's EnglishMinimalStemmer (plural endings), then the abbreviation list."""
    word = ABBREVIATIONS.get(word, word)
    n = len(word)
    if n >= 3 and word[-1] == "s" and word[-2] not in "us":
        if word[-2] == "e" and n > 3 and word[-3] == "i" and word[-4] not in "ae":
            word = word[:-3] + "y"
        elif not (word[-2] == "e" and n > 3 and word[-3] in "iaoe"):
            word = word[:-1]
    return ABBREVIATIONS.get(word, word)


@dataclass(frozen=True)
class Token:
    text: str
    cjk: bool
    #: stop word or organisation-type word: optional in a query
    optional: bool = False


@lru_cache(maxsize=1 << 17)
def _word_tokens(word: str) -> tuple[Token, ...]:
    """The tokens of one word (memoised: names repeat their words, and analysing the nodes of a big graph spent
    half its time here)."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if word in ABBREVIATIONS:  # "int'l" before its apostrophe goes
        return (Token(ABBREVIATIONS[word], False),)
    word = word.replace("'", "").replace("’", "")
    out = []
    for part in _ALNUM.findall(word):
        t = stem(part)
        out.append(Token(t, False, t in STOP_WORDS or part in ORG_WORDS_LATIN or t in ORG_WORDS_LATIN))
    return tuple(out)


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]


def tokens(text: str, *, bridge: bool = False) -> list[Token]:
    """The tokens of a text, in order. ``bridge``: also the bigram across a space between two CJK runs (for stored
    values, so that a query without the space finds them)."""
    text = normalise(text)
    out: list[Token] = []
    prev_cjk: str | None = None  # the last CJK run, while only white space follows it
    for m in _TOKEN.finditer(text):
        if m.lastgroup == "space":
            continue
        if m.lastgroup == "cjk":
            run = m.group()
            if bridge and prev_cjk is not None and text[m.start() - 1].isspace():
                out.append(Token(prev_cjk[-1] + run[0], True, True))
            # An organisation-type word inside a run (株式会社東芝) is bigrammed apart from the rest, and optional.
            for piece in filter(None, _ORG_CJK_SPLIT.split(run)):
                org = _ORG_CJK.fullmatch(piece) is not None
                out += [Token(b, True, org) for b in _bigrams(piece)]
            prev_cjk = run
        else:
            out += _word_tokens(m.group())
            prev_cjk = None
    return out


def terms(text: str, *, bridge: bool = True) -> list[str]:
    """The distinct terms of a stored value, in order."""
    return list(dict.fromkeys(t.text for t in tokens(text, bridge=bridge)))


def exact_keys(text: str) -> list[str]:
    """What counts as the same name: the normalised text, also without spaces, without organisation-type words,
    and without punctuation."""
    key = normalise(text)
    words = [w for w in re.split(r"[\s,.]+", key) if w and w.replace(".", "") not in ORG_WORDS_LATIN]
    stripped = _ORG_CJK.sub("", " ".join(words)).strip()
    bare = " ".join(re.split(r"[\W_]+", stripped)).strip()  # punctuation folded away: "(aist)", "g-quat" = "g quat"
    out = []
    for k in (key, key.replace(" ", ""), stripped, stripped.replace(" ", ""), bare, bare.replace(" ", "")):
        if k and k not in out:
            out.append(k)
    return out


def key_hash(key: str) -> str:
    """An exact key as one safe index term (hex: nothing for Lucene's syntax or any analyser to touch)."""
    return hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


# ----------------------------------------------------------------------------------------------- a node's values


@dataclass(frozen=True)
class Value:
    field: str
    text: str
    terms: tuple[str, ...]

    def encode(self) -> str:
        return _SEP.join((_FIELD_CODE[self.field], self.text, " ".join(self.terms)))

    @staticmethod
    def decode(s: str) -> Value:
        code, text, ts = s.split(_SEP)
        return Value(_CODE_FIELD[code], text, tuple(ts.split(" ")) if ts else ())


def node_values(node_id: str, props: dict[str, Any]) -> list[Value]:
    """A node's searchable values: names (English, Japanese), aliases, id and code, description."""
    out: list[Value] = []
    seen: set[tuple[str, str]] = set()
    for fld, text in ([(NAME, props.get("name")), (NAME, props.get("name_ja"))]
                      + [(ALIAS, a) for a in props.get("aliases", [])]
                      + [(IDENT, node_id), (IDENT, props.get("code")), (DESCRIPTION, props.get("description"))]):
        if not text or (fld, str(text)) in seen:
            continue
        seen.add((fld, str(text)))
        out.append(Value(fld, str(text), tuple(terms(str(text)))))
    return out


@dataclass(frozen=True)
class IndexEntry:
    """What a store keeps for one node: the terms of its names and aliases, of its description, the hashes of its
    exact keys, its place in the fixed order, and its analysed values (for ranking)."""

    name_terms: list[str]
    description_terms: list[str]
    exact: list[str]
    sort_key: str
    values: list[str]


def sort_key(kind: str, name: str, node_id: str) -> str:
    """The fixed order of equal scores and of candidates: entities before agreements, then name, then id."""
    return ("1" if kind == "Agreement" else "0") + name + "\x01" + node_id


def index_entry(node_id: str, kind: str, props: dict[str, Any]) -> IndexEntry:
    values = node_values(node_id, props)
    names = list(dict.fromkeys(t for v in values if v.field != DESCRIPTION for t in v.terms))
    desc = list(dict.fromkeys(t for v in values if v.field == DESCRIPTION for t in v.terms))
    exact = list(dict.fromkeys(key_hash(k) for v in values if v.field != DESCRIPTION for k in exact_keys(v.text)))
    return IndexEntry(names, desc, exact, sort_key(kind, props.get("name", node_id), node_id),
                      [v.encode() for v in values])


# ----------------------------------------------------------------------------------------------- queries


def max_edits(word: str) -> int:
    """Typo tolerance of a query word: 1 edit from 5 characters, 2 from 10; none for CJK or digits."""
    n = len(word)
    if word.isdigit():
        return 0
    return 2 if n >= 10 else 1 if n >= 5 else 0


@dataclass(frozen=True)
class Clause:
    """One query word: matched exactly, within ``edits``, or as a prefix."""

    text: str
    cjk: bool
    optional: bool
    edits: int = 0
    prefix: bool = False

    def matches(self, term: str) -> float:
        """How well a stored term matches: 1 equal, 0.9 within the edit distance, 0.8 as a prefix, else 0."""
        if term == self.text:
            return 1.0
        if self.prefix and term.startswith(self.text):
            return 0.8
        if self.edits and abs(len(term) - len(self.text)) <= self.edits and \
                OSA.distance(self.text, term, score_cutoff=self.edits) <= self.edits:
            return 0.9
        return 0.0


#: the shortest term a typo-tolerant word reaches: a relaxed plan's four-letter word at one edit
FUZZY_MIN_TERM = 3
_CJK_CHAR = re.compile(f"[{_CJK_RANGES}]")


def fuzzy_term(term: str) -> bool:
    """Whether a stored term can be within a query word's edit distance: a word of letters (not CJK, not digits: a
    word of digits is matched as it is) of ``FUZZY_MIN_TERM`` or more characters."""
    return len(term) >= FUZZY_MIN_TERM and not term.isdigit() and _CJK_CHAR.search(term) is None


def signature(term: str) -> int:
    """One bit per character (modulo 64): one edit changes at most two bits."""
    sig = 0
    for ch in term:
        sig |= 1 << (ord(ch) & 63)
    return sig


#: most answers a ``Vocabulary`` keeps of ``near`` (the least recently used goes first)
NEAR_MEMO = 4096


class Vocabulary:
    """Sorted distinct terms, with each term's length and character signature, and the terms within a word's edit
    distance as Lucene's fuzzy query finds them (optimal string alignment, rapidfuzz): among the terms whose length is
    within the distance and whose signature differs in at most two bits per edit — a vectorised filter that never
    drops a match, since one edit removes at most one character and adds at most one. The memory store keeps one per
    field of its index; Neo4j's store one per field of the terms its writers record (``QgraphVocab``)."""

    def __init__(self, terms: list[str], lengths: Any = None, signatures: Any = None) -> None:
        """``terms`` sorted and distinct; ``lengths`` and ``signatures`` (numpy arrays) made when not given."""
        import numpy as np

        self.terms = terms
        self.lengths = lengths if lengths is not None else np.fromiter(map(len, terms), dtype=np.int32,
                                                                       count=len(terms))
        self.signatures = signatures if signatures is not None else np.fromiter(map(signature, terms),
                                                                                dtype=np.uint64, count=len(terms))
        #: ``near``'s answers (the vocabulary never changes; a query's common words recur in most queries, and a word
        #: of ten letters at two edits costs about 2 ms at 60,000 terms), the ``NEAR_MEMO`` most recently used, so
        #: that the common words stay (functools' cache, safe across the API's threads). It holds this vocabulary
        #: weakly: a cache of a bound method would be a reference cycle, and a replaced vocabulary (Neo4j's, at each
        #: new chunk) would wait for a full collection.
        this = weakref.ref(self)
        self._near = lru_cache(maxsize=NEAR_MEMO)(lambda text, edits: tuple(this()._find_near(text, edits)))

    @classmethod
    def of(cls, terms: Iterable[str]) -> Vocabulary:
        return cls(sorted(set(terms)))

    def near(self, text: str, edits: int) -> list[int]:
        """The positions of the terms within ``edits`` of ``text`` (``text`` itself included when it is a term)."""
        if not self.terms:
            return []
        return list(self._near(text, edits))

    def _find_near(self, text: str, edits: int) -> list[int]:
        import numpy as np
        from rapidfuzz import process

        near = np.abs(self.lengths - len(text)) <= edits
        near &= np.bitwise_count(self.signatures ^ np.uint64(signature(text))) <= 2 * edits
        near_ids = np.flatnonzero(near).tolist()
        choices = [self.terms[t] for t in near_ids]
        return sorted(near_ids[at] for _, _, at in process.extract(text, choices, scorer=OSA.distance,
                                                                   score_cutoff=edits, limit=None))


@dataclass(frozen=True)
class Plan:
    """A query, analysed: the exact-key hashes, the words (required and optional) and the fields they may match."""

    query: str
    normalised: str
    exact: tuple[str, ...]
    clauses: tuple[Clause, ...]
    #: ``names`` only (autocomplete) or ``names`` and ``description``
    fields: tuple[str, ...] = ("names", "description")

    @property
    def required(self) -> tuple[Clause, ...]:
        req = tuple(c for c in self.clauses if not c.optional)
        return req or self.clauses


def relaxed(p: Plan, level: int = 1) -> Plan:
    """A looser plan for "did you mean", any word matching, for a plan that matched nothing (``Queries._closest``).
    Level 0, the nearest: each Latin word also as a prefix of a longer word (what was typed may be the start of a
    name) and at two edits from six characters (one from four), unless the plan asked that already. Level 1, the
    loosest: Latin words by their first half as a prefix (at least three characters), CJK words by their first
    character; without level 0's typo-tolerant words, which it follows only when they matched nothing."""
    clauses = []
    for c in p.clauses:
        if c.cjk:
            if level == 1:
                clauses.append(Clause(c.text[0], True, False, 0, True))
        elif level == 0:
            clauses.append(Clause(c.text, False, False, 0, True))
            edits = 2 if len(c.text) >= 6 else 1 if len(c.text) >= 4 else 0
            if edits and (edits != c.edits or c.prefix):
                clauses.append(Clause(c.text, False, False, edits, False))
        else:
            clauses.append(Clause(c.text[:max(3, len(c.text) // 2)], False, False, 0, True))
    return Plan(p.query, p.normalised, (), tuple(dict.fromkeys(clauses))[:MAX_CLAUSES], p.fields)


def plan(query: str, *, autocomplete: bool = False) -> Plan:
    """Analyse a query (already checked by ``check_text``)."""
    norm = normalise(query)
    toks = tokens(norm)
    # A word both optional and required (研究 in 国立研究開発法人 and in 研究所) is required.
    required = {t.text for t in toks if not t.optional}
    clauses: list[Clause] = []
    seen: set[str] = set()
    for i, t in enumerate(toks):
        if t.text in seen:
            continue
        seen.add(t.text)
        t = Token(t.text, t.cjk, t.text not in required)
        last = i == len(toks) - 1
        prefix = (t.cjk and len(t.text) == 1) or (autocomplete and last)
        clauses.append(Clause(t.text, t.cjk, t.optional, 0 if t.cjk else max_edits(t.text), prefix))
    if autocomplete and toks and not toks[-1].cjk:
        # The last word is being typed: match its prefix as written (before stemming or abbreviation expansion).
        raw = _ALNUM.findall(norm.replace("'", "").replace("’", ""))
        if raw:
            clauses[-1] = Clause(raw[-1], False, False, 0, True)
    return Plan(query, norm, tuple(key_hash(k) for k in exact_keys(norm)), tuple(clauses[:MAX_CLAUSES]),
                ("names",) if autocomplete else ("names", "description"))


# ----------------------------------------------------------------------------------------------- Lucene


_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/\s])')


def lucene_escape(term: str) -> str:
    """A term with every character of Lucene's query syntax escaped, searched literally (AND, OR, NOT are only
    operators in upper case; terms are lower case, and they are escaped too for good measure)."""
    out = _LUCENE_SPECIAL.sub(r"\\\1", term)
    return "\\" + out if out in ("AND", "OR", "NOT") else out


#: most exact alternatives a query's typo-tolerant words may spell out for Lucene (its clause limit is 1,024)
ALTERNATIVES_BUDGET = 600

#: ``near(field, clause)``: the terms of ``field`` within the clause's edit distance, or None (not known: Lucene's
#: own fuzzy query is used)
Near = Callable[[str, Clause], Sequence[str] | None]


@dataclass(frozen=True)
class Alternatives:
    """What one query word matches in one field of the full-text index: ``terms``, the word itself and, within its
    edits, the terms ``near`` named (exact terms, found in the same vocabulary as the memory store's); ``prefix``, the
    word as a prefix (None: not one); ``fuzzy``: the edits of Lucene's own fuzzy query when the terms within them are
    not known (0: they are, or the word takes none)."""

    field: str
    terms: tuple[str, ...]
    prefix: str | None = None
    fuzzy: int = 0


def word_alternatives(clause: Clause, fields: Sequence[str], near: Near | None = None,
                      budget: list[int] | None = None) -> list[Alternatives]:
    """One query word's ``Alternatives`` in each of ``fields``; ``budget``: alternatives left for the whole query
    (spent here: past it a word falls back to Lucene's fuzzy query)."""
    out = []
    for f in fields:
        terms, fuzzy = [clause.text], 0
        if clause.edits:
            found = near(f, clause) if near is not None and not clause.text.isdigit() else None
            if found is not None and budget is not None and len(found) > budget[0]:
                found = None
            if found is None:
                fuzzy = clause.edits
            else:
                if budget is not None:
                    budget[0] -= len(found)
                terms += [x for x in found if x != clause.text]
        out.append(Alternatives(f, tuple(terms), clause.text if clause.prefix else None, fuzzy))
    return out


def lucene_words(p: Plan, mode: str, near: Near | None = None) -> list[list[Alternatives]]:
    """The words of a Lucene query (``lucene_query``): ``all`` mode the required ones, ``any`` mode every one, within
    one budget of alternatives."""
    budget = [ALTERNATIVES_BUDGET]
    return [word_alternatives(c, p.fields, near, budget) for c in (p.required if mode == "all" else p.clauses)]


def _lucene_word(word: list[Alternatives]) -> str:
    out = []
    for a in word:
        t = lucene_escape(a.terms[0])
        alts = [t, *([f"{t}~{a.fuzzy}"] if a.fuzzy else []), *map(lucene_escape, a.terms[1:]),
                *([f"{lucene_escape(a.prefix)}*"] if a.prefix is not None else [])]
        out += [f"search_{a.field}:{x}" for x in alts]
    return "(" + " OR ".join(out) + ")"


def lucene_clause(clause: Clause, fields: Sequence[str], near: Near | None = None, budget: list[int] | None = None) -> str:
    """One query word for Lucene: the word, and within its edits either the terms ``near`` names (exact terms, each
    escaped: what the memory store matches, found in the same vocabulary) or, without ``near``, Lucene's fuzzy
    ``word~k``; a prefix as ``word*``. ``budget``: alternatives left for the whole query (spent here)."""
    return _lucene_word(word_alternatives(clause, fields, near, budget))


def lucene_render(words: list[list[Alternatives]], mode: str) -> str | None:
    """``lucene_words`` as Lucene's query syntax (each term escaped)."""
    if not words:
        return None
    parts = [_lucene_word(w) for w in words]
    return " ".join("+" + x for x in parts) if mode == "all" else " OR ".join(parts)


def lucene_query(p: Plan, mode: str, near: Near | None = None) -> str | None:
    """The Lucene query of a plan's words: ``all`` (every required word) or ``any`` (at least one word)."""
    return lucene_render(lucene_words(p, mode, near), mode)


def lucene_exact(p: Plan) -> str | None:
    return " OR ".join(f"search_exact:{h}" for h in p.exact) or None


# ----------------------------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class Candidate:
    """A node a store found: its id, kind, place in the fixed order, analysed values, and whether it came from the
    exact-key lookup; ``ref``: the fields of its ``EntityRef`` when the store read them with it (Neo4j, in the same
    query: no second round trip for the page's names), else None (``Store.entity_refs`` is asked)."""

    id: str
    kind: str
    sort: str
    values: tuple[str, ...]
    exact: bool = False
    ref: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Ranked:
    id: str
    kind: str
    score: float
    field: str
    matched: str
    why: str
    sort: str = field(repr=False, default="")
    aliases: tuple[str, ...] = ()
    #: the candidate's ``ref`` (see ``Candidate``)
    ref: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


_TIERS = {NAME: 80, ALIAS: 60, IDENT: 60, "names": 50, DESCRIPTION: 40}
_FIELD_WORDS = {NAME: "the name", ALIAS: "an alias", IDENT: "the id or code", "names": "the names and aliases together",
                DESCRIPTION: "the description"}


def _why_words(n: int, fuzzy: list[str], prefix: list[str]) -> str:
    extra = [f"{len(fuzzy)} by typo tolerance ({', '.join(fuzzy)})"] if fuzzy else []
    extra += [f"{len(prefix)} as a prefix ({', '.join(prefix)})"] if prefix else []
    return f"{'all ' if n > 1 else ''}{n} query word{'s' if n != 1 else ''}" + (f", {'; '.join(extra)}" if extra else "")


class _Scoring:
    """What ranking needs of one plan, worked out once for all its candidates: the positions in ``p.clauses`` of the
    required words (``p.required``: all of them when none is) and of the optional ones, the exact keys of the query,
    and ``memo``: how well each clause matches a term (None: none does), shared by the candidates (their terms repeat:
    "university" in hundreds of names; most terms match no clause and are then skipped at once)."""

    def __init__(self, p: Plan, memo: dict[str, tuple[float, ...] | None] | None = None) -> None:
        self.p = p
        self.clauses = p.clauses
        # ``required`` holds clauses of ``p.clauses`` (all of them when none is required): their positions there
        positions = {id(cl): i for i, cl in enumerate(p.clauses)}
        self.req = [positions[id(cl)] for cl in p.required]
        self.opt = [i for i, cl in enumerate(p.clauses) if cl.optional]
        self.names_only = p.fields == ("names",)
        self.memo = {} if memo is None else memo
        self._keys: set[str] | None = None

    @property
    def keys(self) -> set[str]:
        if self._keys is None:
            self._keys = set(exact_keys(self.p.normalised))
        return self._keys

    def learn(self, terms: Iterable[str]) -> None:
        """Fill ``memo`` for these terms at once: ``Clause.matches`` of each clause, with the edit distances computed
        by rapidfuzz over all the terms in one call per clause (ranking 400 candidates compared a few thousand terms
        one call at a time)."""
        import numpy as np
        from rapidfuzz import process

        memo = self.memo
        new = [t for t in dict.fromkeys(terms) if t not in memo]
        if not new:
            return
        columns = []
        for cl in self.clauses:
            text, prefix = cl.text, cl.prefix
            near = (process.cdist([text], new, scorer=OSA.distance, score_cutoff=cl.edits, dtype=np.int32)[0]
                    <= cl.edits).tolist() if cl.edits else [False] * len(new)
            columns.append([1.0 if t == text else 0.8 if prefix and t.startswith(text) else 0.9 if n else 0.0
                            for t, n in zip(new, near)])
        for t, qs in zip(new, zip(*columns)):
            memo[t] = qs if any(qs) else None


def _decode(s: str) -> tuple[str, str, list[str]]:
    """``Value.decode`` as a plain tuple (field, text, terms): ranking decodes every value of every candidate."""
    code, text, ts = s.split(_SEP)
    return _CODE_FIELD[code], text, ts.split(" ") if ts else []


#: the highest score a value of each field can reach (its tier + 7 for coverage + 2.5 for exactness; a partial match
#: scores less): a value whose best is below the candidate's best so far is not scored (the names and aliases together,
#: at most 59.5, are below any single name, alias or id holding every required word, 60+)
_BEST = {fld: tier + 7 + 2.5 for fld, tier in _TIERS.items()}


def rank_one(p: Plan, c: Candidate, memo: dict[str, tuple[float, ...] | None] | None = None) -> Ranked | None:
    """The candidate's best field and score, or None if no query word matches it. ``memo``: how well each clause of
    ``p.clauses`` matches a term, shared by the candidates of one query (see ``_Scoring``)."""
    return _rank_one(_Scoring(p, memo), c)


def _rank_one(s: _Scoring, c: Candidate) -> Ranked | None:
    values = [_decode(v) for v in c.values]
    s.learn(t for _, _, vterms in values for t in vterms)
    return _score(s, c, values)


def _score(s: _Scoring, c: Candidate, values: list[tuple[str, str, list[str]]]) -> Ranked | None:
    """``rank_one`` of a candidate whose values are decoded and whose terms ``s.memo`` knows."""
    aliases = tuple(text for fld, text, _ in values if fld == ALIAS)
    if s.names_only:
        values = [v for v in values if v[0] != DESCRIPTION]
    if c.exact:
        keys = s.keys
        for fld, text, _ in values:
            if fld != DESCRIPTION and not keys.isdisjoint(exact_keys(text)):
                what = {NAME: "name", ALIAS: "alias", IDENT: "id"}[fld]
                return Ranked(c.id, c.kind, 100.0, fld, text,
                              f"exact {what}: the whole query equals {text!r} (score 100)", c.sort, aliases, c.ref)
    req, opt, clauses, memo = s.req, s.opt, s.clauses, s.memo
    if not req:
        return None
    nreq = len(req)
    # (score, -order, field, matched, words found, fuzzy and prefix matches): the why is written for the best only
    best: tuple[float, int, str, str, int, list[tuple[str, str]], list[tuple[str, str]]] | None = None

    def consider(fld: str, text: str, vterms: Sequence[str], hot: list[tuple[str, tuple[float, ...]]],
                 order: int) -> None:
        nonlocal best
        quality, fuzzy, prefix, covered = [], [], [], set()
        found = 0
        for i in req:
            q, hit = 0.0, ""
            for t, qs in hot:
                if qs[i] > q:
                    q, hit = qs[i], t
            quality.append(q)
            if q:
                found += 1
                covered.add(hit)
                if q == 0.9:
                    fuzzy.append((clauses[i].text, hit))
                elif q == 0.8 and clauses[i].text != hit:
                    prefix.append((clauses[i].text, hit))
        if not found:
            return
        for i in opt:
            covered.update(t for t, qs in hot if qs[i])
        coverage = len(covered) / max(1, len(set(vterms)))
        tier = _TIERS[fld] if found == nreq else 20 * found / nreq
        exactness = max(0.0, (sum(quality) / found - 0.8) / 0.2) * found / nreq
        score = round(tier + 7 * min(1.0, coverage) + 2.5 * exactness, 2)
        if best is None or (score, -order) > best[:2]:
            best = (score, -order, fld, text, found, fuzzy, prefix)

    for i, (fld, text, vterms) in enumerate(values):
        if best is not None and best[0] > _BEST[fld]:
            continue  # this value cannot score higher (the order breaks ties only between equal scores)
        hot = [(t, qs) for t in vterms if (qs := memo[t]) is not None]  # in order: the first best term wins
        if hot:
            consider(fld, text, vterms, hot, -i)
    if best is None or best[0] <= _BEST["names"]:
        names = [v for v in values if v[0] != DESCRIPTION]
        together = [t for v in names for t in v[2]]
        hot = [(t, qs) for t in together if (qs := memo[t]) is not None]
        if hot:
            consider("names", " / ".join(v[1] for v in names), together, hot, -len(values))
    if best is None:
        return None
    score, _, fld, text, found, fuzzy_hits, prefix_hits = best
    fuzzy = [f"{a}→{b}" for a, b in fuzzy_hits]
    prefix = [f"{a}…→{b}" for a, b in prefix_hits]
    if found == nreq:
        why = f"{_why_words(found, fuzzy, prefix)} in {_FIELD_WORDS[fld]}"
    else:
        why = (f"{found} of {nreq} query words in {_FIELD_WORDS[fld]}"
               + (f" ({'; '.join(fuzzy + prefix)})" if fuzzy or prefix else ""))
    return Ranked(c.id, c.kind, score, fld, text, f"{why} (score {score:g})", c.sort, aliases, c.ref)


@paused_gc()
def rank(p: Plan, candidates: Iterable[Candidate]) -> list[Ranked]:
    """The candidates that match, best first (score, then the fixed order: entities before agreements, name, id).
    With the cyclic collector paused (``qgraph.gc_pause``): ranking 400 candidates allocates tens of thousands of
    short-lived tuples and strings, none in a cycle, and the collections they set off took a third of its time."""
    seen: dict[str, Candidate] = {}
    for c in candidates:
        if c.id not in seen or c.exact:
            seen[c.id] = c
    scoring = _Scoring(p)
    decoded = [(c, [_decode(v) for v in c.values]) for c in seen.values()]
    scoring.learn(t for _, values in decoded for _, _, vterms in values for t in vterms)
    out = [r for c, values in decoded if (r := _score(scoring, c, values)) is not None]
    out.sort(key=lambda r: (-r.score, r.sort))
    return out


# ----------------------------------------------------------------------------------------------- input checks


class BadText(ValueError):
    pass


def check_text(text: str | None) -> str:
    """The reason a query text is refused, raised as ``BadText``: empty, too long, control characters, lone
    surrogates, nothing to search for."""
    if text is None or not text.strip():
        raise BadText("must not be empty or only white space")
    if len(text) > MAX_QUERY:
        raise BadText(f"must be at most {MAX_QUERY} characters (got {len(text)})")
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cs":
            raise BadText("must not contain a lone surrogate (not valid Unicode text)")
        if cat == "Cc" and ch not in "\t\n\r":
            raise BadText(f"must not contain control characters (U+{ord(ch):04X})")
    if not normalise(text):
        raise BadText("must contain at least one letter or digit")
    return text
