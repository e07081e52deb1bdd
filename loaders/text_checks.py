"""Checks on the text of raw records before they become a graph: characters that must not be in data, ids that are
not what they will become.

Rule (reject, not strip): a text value holding any of the characters below is a problem naming file, line, record
and field, and nothing is loaded. Stripping silently would change names people search and cite (a quote must stay
verbatim), and these characters are how text is made to look like something else (a bidi override reorders what a
reader sees, a zero-width space splits a name so that it no longer matches); the author should see and fix them.

Refused everywhere (names, aliases, descriptions, citations, every text field):
- C0 controls U+0000–U+001F except tab and newline (U+000D as well: a CSV cell's CRLF line break is read as LF);
- DEL and the C1 controls U+007F–U+009F;
- the bidi controls U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069;
- zero-width and invisible characters U+180E, U+200B–U+200D, U+2060–U+2064, U+FEFF;
- the line and paragraph separators U+2028, U+2029 and the annotation characters U+FFF9–U+FFFB;
- what is not a character at all: lone surrogates U+D800–U+DFFF, U+FFFE, U+FFFF.
Together these are a superset of what XML 1.0 forbids, so every value that loads can be written into GEXF, GraphML
and SVG.

Ids: an id (a record's ``id``, every link field, a citation's ``document``) must be written exactly as it will be
stored. The models strip surrounding white space (``" lab-a "``, ``"lab-a\\u3000"`` become ``lab-a``), so such an id
is refused rather than merged with another record's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from qgraph.loaders.errors import Problem, excerpt
from qgraph.loaders.files import RawRecord

FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
                       "\u2066-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff\ufffe\uffff]")

#: how deep a raw value is searched; deeper values are refused by the models anyway
_MAX_DEPTH = 8


def describe(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``."""
    name = unicodedata.name(char, "")
    if not name and ord(char) < 0x20:
        name = f"control character {char.encode('unicode_escape').decode()}"
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _strings(value: Any, path: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif depth < _MAX_DEPTH:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _strings(item, f"{path}[{index}]", depth + 1)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from _strings(item, f"{path}.{key}", depth + 1)


def text_problems(raw: RawRecord, record_id: str) -> list[Problem]:
    """A problem for every text field of ``raw`` holding a forbidden character (the first one found in it)."""
    problems = []
    for name, value in raw.data.items():
        for path, text in _strings(value, str(name)):
            if (m := FORBIDDEN.search(text)) is not None:
                problems.append(Problem(raw.origin.file, raw.origin.line_of(str(name)), record_id, path,
                                        f"contains {describe(m.group())} at character {m.start() + 1}: control, "
                                        "bidirectional and zero-width characters are not allowed in data"))
    return problems


def id_problems(raw: RawRecord, record_id: str, links: tuple[str, ...]) -> list[Problem]:
    """A problem for every id-valued field whose text is not the id it would become (white space around it)."""
    problems = []
    fields: list[tuple[str, str, Any]] = [("id", "id", raw.data.get("id"))]
    for name in links:
        value = raw.data.get(name)
        if isinstance(value, list):
            fields.extend((name, f"{name}[{i}]", v) for i, v in enumerate(value))
        else:
            fields.append((name, name, value))
    sources = raw.data.get("sources")
    if isinstance(sources, list):
        fields.extend(("sources", f"sources[{i}].document", c.get("document"))
                      for i, c in enumerate(sources) if isinstance(c, dict))
    for top, path, value in fields:
        if isinstance(value, str) and value != value.strip():
            problems.append(Problem(raw.origin.file, raw.origin.line_of(top), record_id, path,
                                    f"{excerpt(value)} has white space around it; write the id as {excerpt(value.strip())}"
                                    " (ids are stored without it, so it would become another record's id)"))
    return problems
