"""Reading data files (YAML and CSV) into raw records that remember where they came from.

A raw record is a plain dict plus its ``Origin`` (file, line of the record, line of each field), so that every error
can name the file, the line, the record and the field. Nothing here validates meaning; ``loaders.validate`` does.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import yaml

from qgraph.loaders import yaml_events
from qgraph.loaders.errors import Problem, excerpt
from qgraph.schema import SCHEMA

SUFFIXES = (".yaml", ".yml", ".csv")
#: top-level keys a data file may hold (each node kind's plural in the schema declaration); "documents" lists the
#: sources the citations point to
SECTIONS = ("documents", *SCHEMA.plurals)
#: CSV columns that hold lists, separated by "|" (the declaration's list fields)
LIST_COLUMNS = SCHEMA.list_fields
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Origin:
    file: str
    line: int | None
    field_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, field_name: str | None) -> int | None:
        return self.field_lines.get(field_name or "", self.line)


@dataclass(frozen=True)
class RawRecord:
    section: str
    data: dict[str, Any]
    origin: Origin


def default_data_dir() -> Path:
    """The curated dataset shipped inside the package (``qgraph.data``)."""
    with as_file(files("qgraph.data")) as path:
        return Path(path)


def discover(paths: Iterable[Path | str]) -> tuple[list[Path], list[Problem]]:
    """The data files named by ``paths`` (files, or folders searched recursively), in a stable order.

    A file or folder named in ``paths`` is taken as given (the operator chose it, link or not). Inside a folder, a
    file whose real location is outside that folder (a symbolic link to ``/etc/passwd``, or into another tree) is a
    problem naming the link, and is not read; links that stay inside the folder are followed.
    """
    found: list[Path] = []
    problems: list[Problem] = []
    for p in map(Path, paths):
        if p.is_dir():
            root = p.resolve()
            for f in sorted(p.rglob("*")):
                if f.suffix.lower() not in SUFFIXES:
                    continue
                if not f.resolve().is_relative_to(root):
                    problems.append(Problem(str(f), None, None, None,
                                            "a link to a file outside the data folder; links that leave it are not "
                                            "followed (copy the file in instead)"))
                elif f.is_file():
                    found.append(f)
        elif p.is_file():
            if p.suffix.lower() in SUFFIXES:
                found.append(p)
            else:
                problems.append(Problem(str(p), None, None, None, "not a data file: use .yaml, .yml or .csv"))
        else:
            problems.append(Problem(str(p), None, None, None, "no such file or folder"))
    if not found and not problems:
        problems.append(Problem(", ".join(map(str, paths)) or "(no path)", None, None, None, "no data files found"))
    return found, problems


def _read_bytes(path: Path) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes once they are known to be UTF-8 within the size limit (a UTF-8 byte-order mark removed)."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return None, [Problem(str(path), None, None, None, f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")]
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(str(path), 1, None, None, "the file is UTF-16 (it starts with a UTF-16 byte-order "
                                                          "mark); save it as UTF-8")]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(str(path), line, None, None,
                              f"not valid UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start}); save the file as UTF-8")]
    return raw.removeprefix(b"\xef\xbb\xbf"), []


def _decode(path: Path) -> tuple[str | None, list[Problem]]:
    raw, problems = _read_bytes(path)
    return (None if raw is None else raw.decode("utf-8")), problems


def read_yaml(path: Path) -> tuple[list[RawRecord], list[Problem]]:
    data, problems = _read_bytes(path)
    if data is None:
        return [], problems
    file = str(path)
    try:
        doc, key_lines = yaml_events.parse(data)
    except yaml_events.YamlRefused as exc:
        return [], [Problem(file, exc.line, None, None, exc.message)]
    except yaml.YAMLError as exc:
        # Report where the broken construct starts (an unclosed quote is found only at the end of the file).
        context, problem = getattr(exc, "context_mark", None), getattr(exc, "problem_mark", None)
        mark = context or problem
        reason = " ".join(filter(None, [getattr(exc, "context", None), getattr(exc, "problem", None)]))
        if not reason:  # a reader error (a character YAML does not allow): no marks, a byte offset
            position = getattr(exc, "position", None)
            line = data[:position].count(b"\n") + 1 if isinstance(position, int) else None
            return [], [Problem(file, line, None, None, f"YAML syntax error: {getattr(exc, 'reason', None) or exc}")]
        if context and problem and context.line != problem.line:
            reason += f" (line {problem.line + 1})"
        return [], [Problem(file, mark.line + 1 if mark else None, None, None, f"YAML syntax error: {reason}")]
    if doc is None:
        return [], [Problem(file, None, None, None, "the file is empty")]
    if not isinstance(doc, dict):
        return [], [Problem(file, 1, None, None,
                            f"the top level must be a mapping with one of: {', '.join(SECTIONS)}")]
    records: list[RawRecord] = []
    for section, items in doc.items():
        line = key_lines.get(section)
        if section not in SECTIONS:
            problems.append(Problem(file, line, None, None,
                                    f"unknown section {excerpt(section)}; expected one of: {', '.join(SECTIONS)}"))
            continue
        if not isinstance(items, list):
            problems.append(Problem(file, line, None, section, "must be a list of records"))
            continue
        for index, item in enumerate(items):
            if not isinstance(item, yaml_events.Mapped):
                problems.append(Problem(file, line, f"{section}[{index}]", None,
                                        f"a record must be a mapping of fields, not {type(item).__name__}"))
                continue
            records.append(RawRecord(section, item.data, Origin(file, item.line, item.field_lines)))
    return records, problems


def _csv_section(path: Path) -> str | None:
    stem = path.stem.lower()
    return next((s for s in SECTIONS if stem == s or stem.startswith(s + "-") or stem.startswith(s + "_")), None)


def read_csv(path: Path) -> tuple[list[RawRecord], list[Problem]]:
    section = _csv_section(path)
    if section is None:
        return [], [Problem(str(path), None, None, None,
                            f"a CSV file's name says its kind: start it with one of {', '.join(SECTIONS)}")]
    text, problems = _decode(path)
    if text is None:
        return [], problems
    file = str(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    records: list[RawRecord] = []
    # Bulk files repeat the same citations on many rows: decode each distinct "sources" text once. Those rows' raw
    # records share the decoded value, which nothing changes (validation reads it and builds its own objects).
    decoded_sources: dict[str, Any] = {}
    try:
        header = reader.fieldnames or []
        if len(header) != len(set(header)):
            return [], [Problem(file, 1, None, None, "a column name appears twice in the header")]
        for row in reader:
            line = reader.line_num
            if None in row:
                problems.append(Problem(file, line, row.get("id") or None, None,
                                        f"{len(row[None])} more cells than the header has columns"))
                continue
            data: dict[str, Any] = {}
            for column, cell in row.items():
                if cell is None:
                    problems.append(Problem(file, line, row.get("id") or None, column, "missing cell"))
                    continue
                # Trim the spaces and tabs a hand-edited CSV puts around cells (ASCII only: other white space is
                # kept, so that the id and text checks see it); a line break inside a quoted cell is LF.
                cell = cell.strip(" \t")
                if "\r" in cell:
                    cell = cell.replace("\r\n", "\n")
                if cell == "":
                    continue
                if column in LIST_COLUMNS:
                    data[column] = [part.strip(" \t") for part in cell.split("|") if part.strip(" \t")]
                elif column == "sources":
                    if (sources := decoded_sources.get(cell)) is None:
                        try:
                            sources = decoded_sources[cell] = json.loads(cell)
                        except ValueError as exc:
                            problems.append(Problem(file, line, row.get("id") or None, column,
                                                    f"must be a JSON list of citations: {exc}"))
                            continue
                        except RecursionError:  # json's decoder recurses once per "[" or "{"
                            problems.append(Problem(file, line, row.get("id") or None, column,
                                                    "must be a JSON list of citations: nested too deeply"))
                            continue
                    data[column] = sources
                else:
                    data[column] = cell
            records.append(RawRecord(section, data, Origin(file, line)))
    except csv.Error as exc:
        problems.append(Problem(file, reader.line_num, None, None, f"CSV syntax error: {exc}"))
    return records, problems


def read_files(paths: Iterable[Path]) -> Iterator[tuple[list[RawRecord], list[Problem]]]:
    for path in paths:
        yield read_csv(path) if path.suffix.lower() == ".csv" else read_yaml(path)
