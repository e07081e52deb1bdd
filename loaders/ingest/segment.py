"""Stage 2, the splitter: SourceText -> sentences, each knowing its section, page and footnote.

Japanese and English rules side by side: sentence ends 。！？ (never inside 「」（）『』 brackets, where
「（以下「産総研」という。）」 keeps its 。) and . ! ? before a capital (not after Dr., Inc., U.S. …); bullet marks
(✓ ・ ○ ● ■ - *) start a sentence; headings are the format's own (Markdown ``#``, docx styles, HTML) or lines shaped
like headings (``III.``, ``(1)``, ``（国際連携の進展）``, ``<…>``, ``○…``, ``第1章``, ``1.2``); footnote texts are
lines starting with superscript digits (``³ …``) or ``[^3]:``, and body markers ``³`` point to them.

Invariants:
- a sentence interrupted by a page break and the footnotes printed there (a PDF's text layer) is joined again, and
  keeps the list of its ``pieces``: every quote is cut from one piece, so it stands verbatim in the document;
- offsets are into ``SourceText.text``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from qgraph.loaders.ingest.formats import SourceText

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP = str.maketrans(SUPERSCRIPTS, "0123456789")
_FOOTNOTE_LINE = re.compile(rf"^(?:([{SUPERSCRIPTS}]+)|\[\^(\d+)\]:|\*(\d+))\s*(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+]\s+)?[✓✔・○●■□◆◇▪•]\s*|^\s*[-*+]\s+")
_TOC = re.compile(r"\t\s*\d+\s*$|\.{4,}\s*\d+\s*$")
_ROMAN = re.compile(r"^([IVX]{1,5}|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]|\d{1,2}|第[0-9０-９一二三四五六七八九十]+[章部編])[.．、\s]\s*(\S.{0,60})$")
_SUBNUM = re.compile(r"^[(（]([0-9０-９]{1,2})[)）]\s*(\S.{0,60})$|^(\d{1,2}\.\d{1,2})\.?\s+(\S.{0,60})$")
_TITLE = re.compile(r"^[(（]([^()（）]{2,40})[)）]$|^[<＜]\s*(.{2,50}?)\s*[>＞]$|^[○◎]\s*(.{2,50})$|^【(.{2,40})】$")
_JA_END = re.compile(r"[。！？!?]")
_OPEN, _CLOSE = "「『（(［[【〈《“", "」』）)］]】〉》”"
#: a line at least this long, without a sentence end, is a paragraph that a line or page break cut
CONTINUED_LINE = 24
_EN_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Inc|Ltd|Co|Corp|St|No|Jr|Sr|vs|etc|e\.g|i\.e|U\.S|U\.K|Dept|Gov|Sen|Rep)|\b[A-Z])\.$")


@dataclass
class Sentence:
    index: int
    text: str
    #: (start, end) in the source text of each contiguous piece; ``text`` is their concatenation (joiners aside)
    pieces: list[tuple[int, int]]
    section: str
    kind: str  # "body", "footnote", "heading"
    footnote: int | None = None
    page: int | None = None
    #: footnote numbers whose markers stand in this sentence
    markers: list[int] = field(default_factory=list)
    #: offset in ``text`` where each piece starts (parallel to ``pieces``)
    starts: list[int] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.pieces[0][0]

    @property
    def end(self) -> int:
        return self.pieces[-1][1]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source offsets of ``text[start:end]``, cut to the one piece holding most of it (verbatim)."""
        best: tuple[int, int, int] | None = None
        for (p_start, p_end), t0 in zip(self.pieces, self.starts):
            t1 = t0 + (p_end - p_start)
            lo, hi = max(start, t0), min(end, t1)
            if hi > lo and (best is None or hi - lo > best[0]):
                best = (hi - lo, p_start + lo - t0, p_start + hi - t0)
        if best is None:
            p_start, _ = self.pieces[0]
            return p_start, p_start
        return best[1], best[2]


@dataclass
class Segmented:
    source: SourceText
    sentences: list[Sentence]
    footnotes: dict[int, Sentence]
    language: str


def detect_language(text: str) -> str:
    """``ja`` when kana or kanji make up a tenth of the letters, else ``en``."""
    letters = [c for c in text[:20000] if c.isalpha()]
    if not letters:
        return "en"
    cjk = sum(1 for c in letters if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff")
    return "ja" if cjk * 10 >= len(letters) else "en"


class _Sections:
    """The heading chain: a numbered chapter, a numbered subsection, a titled topic."""

    def __init__(self) -> None:
        self.chapter: tuple[str, str] | None = None
        self.sub: tuple[str, str] | None = None
        self.topic: str | None = None

    def heading(self, line: str, level: int | None = None) -> bool:
        line = line.strip().lstrip("#").strip() if level else line.strip()
        if level is not None:  # a format's own heading (Markdown, docx, HTML)
            if level <= 1:
                self.chapter, self.sub, self.topic = ("", line), None, None
            elif level == 2:
                self.sub, self.topic = ("", line), None
            else:
                self.topic = line
            return True
        if m := _ROMAN.match(line):
            if m.group(2).rstrip().endswith(("。", ".")) and len(m.group(2)) > 30:
                return False
            self.chapter, self.sub, self.topic = (m.group(1), m.group(2).strip()), None, None
            return True
        if m := _SUBNUM.match(line):
            num = m.group(1) or m.group(3)
            title = (m.group(2) or m.group(4)).strip()
            if title.endswith("。"):
                return False
            self.sub, self.topic = (f"({num.translate(_FULLWIDTH)})" if m.group(1) else num, title), None
            return True
        if m := _TITLE.match(line):
            self.topic = next(g for g in m.groups() if g).strip()
            return True
        return False

    def label(self) -> str:
        number = "".join(part[0] for part in (self.chapter, self.sub) if part and part[0])
        title = self.topic or (self.sub[1] if self.sub else self.chapter[1] if self.chapter else "")
        return " ".join(filter(None, [number, title])) or "(no heading)"


_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def _markers(text: str) -> list[int]:
    return [int(m.group().translate(_SUP)) for m in re.finditer(rf"(?<=[^\s{SUPERSCRIPTS}])[{SUPERSCRIPTS}]+", text)]


def _split_ja(text: str) -> list[tuple[int, int]]:
    """Sentence spans at 。！？ outside brackets."""
    spans, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and _JA_END.match(c):
            end = i + 1
            while end < len(text) and (text[end] in _CLOSE or text[end] in SUPERSCRIPTS):
                end += 1
            spans.append((start, end))
            start = end
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _split_en(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer(r"[.!?][\"”’)]*\s+(?=[A-Z\"“(])", text):
        if _EN_ABBREV.search(text[start:m.start() + 1]):
            continue
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def segment(source: SourceText, language: str = "auto") -> Segmented:
    text = source.text
    lang = detect_language(text) if language == "auto" else language
    split = _split_ja if lang == "ja" else _split_en
    page_starts = [start for start, _ in source.pages]
    format_headings = {start: end for start, end in source.headings}

    def page_of(offset: int) -> int | None:
        if not source.pages:
            return None
        return source.pages[max(0, bisect_right(page_starts, offset) - 1)][1]

    # Lines -> blocks: a block is a heading, a footnote, or a body paragraph (list of pieces).
    blocks: list[dict] = []
    sections = _Sections()
    offset = 0
    open_body: dict | None = None  # the last body paragraph, while it may continue after a page break
    current_foot: dict | None = None
    for raw_line in text.split("\n"):
        line_start, line_end = offset, offset + len(raw_line)
        offset = line_end + 1
        stripped = raw_line.strip()
        if not stripped:
            current_foot = None
            continue
        lead = line_start + (len(raw_line) - len(raw_line.lstrip()))
        trail = lead + len(stripped)
        if _TOC.search(raw_line):
            continue
        if line_start in format_headings or lead in format_headings:
            level = len(stripped) - len(stripped.lstrip("#")) if stripped.startswith("#") else 2
            sections.heading(stripped, level=level or 1)
            blocks.append({"kind": "heading", "pieces": [(lead, trail)], "section": sections.label()})
            open_body = current_foot = None
            continue
        if (m := _FOOTNOTE_LINE.match(stripped)) and m.group(4):
            number = int((m.group(1) or m.group(2) or m.group(3)).translate(_SUP))
            body_start = trail - len(m.group(4))
            current_foot = {"kind": "footnote", "pieces": [(body_start, trail)], "section": sections.label(),
                            "footnote": number}
            blocks.append(current_foot)
            continue
        if current_foot is not None:
            current_foot["pieces"].append((lead, trail))
            continue
        bullet = _BULLET.match(raw_line)
        if not bullet and len(stripped) <= 60 and not _JA_END.search(stripped[-1:]) and sections.heading(stripped):
            blocks.append({"kind": "heading", "pieces": [(lead, trail)], "section": sections.label()})
            open_body = None
            continue
        if bullet:
            lead = line_start + bullet.end()
        last_start, last_end = open_body["pieces"][-1] if open_body is not None else (0, 0)
        if not bullet and open_body is not None and open_body["section"] == sections.label() and \
                not _JA_END.search(text[last_end - 1:last_end]) and last_end - last_start >= CONTINUED_LINE:
            # a paragraph cut by a line or page break goes on; a short line without a sentence end (a dateline, a
            # publisher, a title) is a paragraph of its own
            open_body["pieces"].append((lead, trail))
            continue
        open_body = {"kind": "body", "pieces": [(lead, trail)], "section": sections.label()}
        blocks.append(open_body)

    sentences: list[Sentence] = []
    footnotes: dict[int, Sentence] = {}
    for block in blocks:
        pieces = block["pieces"]
        joined, starts = "", []
        for s, e in pieces:
            piece = text[s:e]
            if joined and lang == "en" and not joined.endswith((" ", "-")):
                joined += " "
            starts.append(len(joined))
            joined += piece
        spans = [(0, len(joined))] if block["kind"] == "heading" else split(joined)
        for s0, e0 in spans:
            while s0 < e0 and joined[s0].isspace():
                s0 += 1
            while e0 > s0 and joined[e0 - 1].isspace():
                e0 -= 1
            if e0 <= s0:
                continue
            sub_pieces, sub_starts = [], []
            for (ps, pe), t0 in zip(pieces, starts):
                t1 = t0 + (pe - ps)
                lo, hi = max(s0, t0), min(e0, t1)
                if hi > lo:
                    sub_starts.append(lo - s0)
                    sub_pieces.append((ps + lo - t0, ps + hi - t0))
            sentence = Sentence(index=len(sentences), text=joined[s0:e0], pieces=sub_pieces,
                                section=block["section"], kind=block["kind"], footnote=block.get("footnote"),
                                page=page_of(sub_pieces[0][0]), markers=_markers(joined[s0:e0]), starts=sub_starts)
            sentences.append(sentence)
            if sentence.footnote is not None and sentence.footnote not in footnotes:
                footnotes[sentence.footnote] = sentence
    return Segmented(source, sentences, footnotes, lang)
