"""Text normalisation for search: one function, used when keys are stored and when a query is asked.

``normalise`` folds what a user should not have to get right: Unicode compatibility forms (full-width ``ＡＩＳＴ``,
half-width katakana), case, runs of white space, and the many dashes (``–``, ``―``, ``ー`` is kept: it is a letter in
Japanese); zero-width and bidi formatting characters are dropped. Both stores store the same keys, so both find the
same things.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹘﹣－"), "-")
#: invisible characters a pasted name may carry (zero-width space/joiners, word joiner, BOM, soft hyphen, bidi
#: marks and overrides): dropped, so that "AI\u200bST" finds AIST (the loader refuses them in data)
_FOLD = _DASHES | dict.fromkeys([0xAD, 0x061C, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F),
                                 *range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF])
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, case-folded, dashes unified, invisible characters dropped, white space collapsed and trimmed."""
    folded = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    return _SPACE.sub(" ", folded).strip()


def search_keys(values: Iterable[str | None]) -> list[str]:
    """The distinct normalised forms of a node's names, aliases and id (also without spaces, for Japanese input)."""
    keys: list[str] = []
    for value in values:
        if not value:
            continue
        key = normalise(value)
        for k in (key, key.replace(" ", "")):
            if k and k not in keys:
                keys.append(k)
    return keys
