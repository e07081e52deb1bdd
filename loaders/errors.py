"""Problems found in data files, reported all at once."""

from __future__ import annotations

from dataclasses import dataclass


#: characters of a problem's message shown (a message may quote input; ``excerpt`` keeps quotes short already)
MAX_MESSAGE = 400


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: where (file, line, record id, field) and what."""

    file: str
    line: int | None
    record: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        parts = [where]
        # Record ids and field names come from the input: quote them short and escaped, and cut a long message, so
        # that a file that is not data at all is never echoed back.
        if self.record:
            parts.append(f"record {excerpt(self.record, 120)}")
        if self.field:
            parts.append(f"field {excerpt(self.field, 60)}")
        message = self.message if len(self.message) <= MAX_MESSAGE else self.message[:MAX_MESSAGE] + "…"
        return ": ".join([", ".join(parts), message])


class DatasetError(ValueError):
    """The input has problems; nothing was written. ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.record or "", p.field or ""))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the input; nothing was written"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


def excerpt(value: object, limit: int = 40) -> str:
    """A short, escaped quotation of input for a message: ``repr`` (so control characters show as escapes), cut to
    ``limit`` characters. Messages never quote more of a file than this."""
    text = str(value)
    return repr(text[:limit]) + ("…" if len(text) > limit else "")
