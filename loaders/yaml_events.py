"""YAML data files read from libyaml's event stream (``yaml.CSafeLoader``'s C parser), one value at a time.

Why events, not ``yaml.load``: composing a node tree and then constructing objects costs several times the file's
size in memory and recurses once per nesting level; an anchor referenced many times is copied out each time it is
used. Here every value is built once, straight from the parser's events, with an explicit stack.

Invariants:
- anchors and aliases (``&a``, ``*a``, ``<<: *a``) are refused at the first one, before anything is expanded: data
  files have no use for them, and an alias bomb (nine levels of nine aliases) would otherwise grow without bound;
- nesting deeper than ``MAX_DEPTH`` is refused at the line where it goes too deep (a record needs five levels);
- only the core tags (str, int, float, bool, null, seq, map) are accepted; timestamps are not resolved, so
  ``2023-11-03`` stays the text the dataset means (a date at day precision);
- a mapping key appears once per mapping; keys are plain values, never mappings or sequences;
- each record (a mapping inside a section's list) keeps its line and the line of each of its fields.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (AliasEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent, ScalarEvent,
                         SequenceEndEvent, SequenceStartEvent, StreamEndEvent)

#: nesting levels a data file may use: the document (1), a section's list (2), a record (3), its citations (4), one
#: citation (5); the rest is room for mistakes to be reported as what they are rather than as "too deep"
MAX_DEPTH = 16

_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_CORE + t for t in ("str", "int", "float", "bool", "null"))
_MAP_TAGS = frozenset({None, "!", _CORE + "map"})
_SEQ_TAGS = frozenset({None, "!", _CORE + "seq"})


class YamlRefused(Exception):
    """The file uses something data files may not (an alias, a deep nesting, a tag); ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


class Mapped:
    """A record: a mapping inside a section's list, with the line it starts on and the line of each field."""

    __slots__ = ("data", "line", "field_lines")

    def __init__(self, data: dict[Any, Any], line: int, field_lines: dict[str, int]) -> None:
        self.data, self.line, self.field_lines = data, line, field_lines


class _Loader(yaml.CSafeLoader):
    """libyaml's parser with PyYAML's safe resolver, minus timestamps."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _CORE + "timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_NO_KEY = object()


class _Frame:
    __slots__ = ("value", "is_map", "key", "lines", "line")

    def __init__(self, value: Any, is_map: bool, line: int) -> None:
        self.value, self.is_map, self.key, self.line = value, is_map, _NO_KEY, line
        self.lines: dict[Any, int] = {}


def _scalar(loader: _Loader, event: ScalarEvent) -> Any:
    tag, value = event.tag, event.value
    if tag is None or tag == "!":
        if not event.implicit[0]:  # quoted: always text
            return value
        tag = loader.resolve(yaml.ScalarNode, value, (True, False))
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark)
    try:
        if tag == _BOOL:
            return loader.construct_yaml_bool(node)
        if tag == _INT:
            return loader.construct_yaml_int(node)
        if tag == _FLOAT:
            return loader.construct_yaml_float(node)
    except (KeyError, ValueError):
        raise YamlRefused(event.start_mark.line + 1, f"{value[:40]!r} is not a valid {tag.removeprefix(_CORE)}") \
            from None
    raise YamlRefused(event.start_mark.line + 1, f"YAML tag {tag[:60]!r} is not allowed in data files "
                                                 "(only plain text, numbers, true/false, null, lists and mappings)")


def parse(data: bytes) -> tuple[Any, dict[str, int]]:
    """The single document in ``data`` and the line of each top-level key; ``(None, {})`` for an empty file.

    Mappings at depth three (a record in a section's list) come back as ``Mapped``. Raises ``YamlRefused`` or
    ``yaml.YAMLError`` (syntax, from libyaml, with marks).
    """
    loader = _Loader(data)
    try:
        stack: list[_Frame] = []
        root: Any = None
        top_lines: dict[str, int] = {}
        documents = 0
        resolvers = _Loader.yaml_implicit_resolvers
        while True:
            event = loader.get_event()
            cls = type(event)
            if cls is ScalarEvent:
                if event.anchor is not None:
                    raise _anchor(event)
                value = event.value
                # Fast path for the common case, plain text that no implicit resolver could claim (the resolvers
                # are keyed by first character); everything else goes through PyYAML's resolver.
                if event.tag is not None or not value or value[0] in resolvers:
                    value = _scalar(loader, event)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                line = event.start_mark.line + 1
                if event.anchor is not None:
                    raise _anchor(event)
                if event.tag not in (_MAP_TAGS if cls is MappingStartEvent else _SEQ_TAGS):
                    raise YamlRefused(line, f"YAML tag {event.tag[:60]!r} is not allowed in data files")
                if len(stack) >= MAX_DEPTH:
                    raise YamlRefused(line, f"nested more than {MAX_DEPTH} levels deep; a data file needs at most 5")
                is_map = cls is MappingStartEvent
                stack.append(_Frame({} if is_map else [], is_map, line))
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = stack.pop()
                value = frame.value
                if len(stack) == 0:
                    top_lines = {k: v for k, v in frame.lines.items() if isinstance(k, str)}
                elif frame.is_map and len(stack) == 2 and not stack[-1].is_map and stack[0].is_map:
                    value = Mapped(value, frame.line, {k: v for k, v in frame.lines.items() if isinstance(k, str)})
            elif cls is AliasEvent:
                raise _anchor(event)
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlRefused(event.start_mark.line + 1, "a data file holds one YAML document (one '---')")
                continue
            elif cls is StreamEndEvent:
                return root, top_lines
            else:  # stream start, document end
                continue
            if not stack:
                root = value
                continue
            top = stack[-1]
            if not top.is_map:
                top.value.append(value)
            elif top.key is _NO_KEY:
                line = event.start_mark.line + 1
                if cls is not ScalarEvent:
                    raise YamlRefused(line, "a mapping key must be a plain value, not a list or a mapping")
                if value in top.lines:
                    raise YamlRefused(line, f"key {str(value)[:60]!r} appears twice in one mapping")
                top.key = value
                top.lines[value] = line
            else:
                top.value[top.key] = value
                top.key = _NO_KEY
    finally:
        loader.dispose()


def _anchor(event: Any) -> YamlRefused:
    return YamlRefused(event.start_mark.line + 1,
                       "YAML anchors and aliases (&name, *name, <<: *name) are not allowed in data files: "
                       "write each value out")
