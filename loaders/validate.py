"""Validation of raw records into one ``Graph``: every problem found in one pass, each naming file, line, record, field.

Checks, in order: each record against its pydantic model; no control, bidi or zero-width character in any text, and
ids written as they will be stored (``loaders.text_checks``); ids unique over the whole input (all kinds), compared
as stored; every referenced id present in the input or already in the store, and of a kind the relationship allows;
every citation pointing to a known document. Only a graph with no problem at all is returned.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby, islice
from operator import attrgetter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from qgraph.gc_pause import paused_gc
from qgraph.loaders.errors import DatasetError, Problem, excerpt
from qgraph.loaders.files import RawRecord, discover, read_files
from qgraph.loaders.text_checks import id_problems, text_problems
from qgraph.model import (EDGE_SPECS, RECORD_BY_PLURAL, Citation, Document, Graph, Node, NodeKind, Record, edges_of,
                          record_links, record_node)
from qgraph.store import Store

_FIELD_MESSAGE = re.compile(r"^([a-z_]+): (.+)$", re.S)


def _field_of(loc: tuple[int | str, ...]) -> str | None:
    """The dataset field an error location points to ("sources[0].quote" style)."""
    if not loc:
        return None
    out = str(loc[0])
    for part in loc[1:]:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _pydantic_problems(raw: RawRecord, exc: ValidationError) -> list[Problem]:
    record_id = raw.data.get("id") if isinstance(raw.data.get("id"), str) else None
    problems = []
    for err in exc.errors(include_url=False):
        field = _field_of(tuple(err["loc"]))
        message = err["msg"].removeprefix("Value error, ")
        if field is None and (m := _FIELD_MESSAGE.match(message)):
            # Cross-field checks in the model say which field they mean: "field: what is wrong".
            field, message = m.group(1), m.group(2)
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "required field is missing"
        top = field.split(".")[0].split("[")[0] if field else None
        problems.append(Problem(raw.origin.file, raw.origin.line_of(top),
                                record_id or f"{raw.section}#{raw.origin.line}", field, message))
    return problems


@paused_gc()
def build_graph(records: Iterable[RawRecord], store: Store | None = None,
                problems: list[Problem] | None = None) -> Graph:
    """Validate raw records into a Graph, or raise ``DatasetError`` with every problem found."""
    problems = list(problems or [])
    documents: dict[str, Document] = {}
    seen: dict[str, RawRecord] = {}
    # Each valid record becomes its node straight away (the validated record is then dropped), and declares its edges:
    # (type, source, target) -> the first record and field declaring it, and its citations. The Edge objects are made
    # at the end, all at once, when nothing is wrong.
    nodes: dict[str, Node] = {}
    built: list[tuple[RawRecord, Node]] = []
    edges: dict[tuple[str, str, str], tuple[RawRecord, str, list[Citation]]] = {}

    records_list = list(records)
    for raw, (obj, record_problems) in zip(records_list, _validated(records_list), strict=True):
        problems.extend(record_problems)
        record_id = raw.data.get("id")
        named = record_id if isinstance(record_id, str) else f"{raw.section}#{raw.origin.line}"
        if found := text_problems(raw, named):
            problems.extend(found)
            obj = None
        problems.extend(id_problems(raw, named, _LINKS.get(raw.section, ())))
        if isinstance(record_id, str):
            # Duplicates are checked on the id as it will be stored (the models strip white space around it).
            record_id = record_id.strip()
            if record_id in seen:
                first = seen[record_id].origin
                problems.append(Problem(raw.origin.file, raw.origin.line_of("id"), record_id, "id",
                                        f"duplicate id: already used at {first.file}:{first.line}"))
                continue
            seen[record_id] = raw
        if isinstance(obj, Document):
            documents[obj.id] = obj
        elif isinstance(obj, Record):
            node = nodes[obj.id] = record_node(obj)
            built.append((raw, node))
            for field, key in record_links(obj):
                edges.setdefault(key, (raw, field, node.sources))

    # References: every id a link field names must exist, in the input or in the store. Records that failed
    # validation are checked too, from their raw fields, so that one run reports every problem.
    wanted = ({target for raw in records_list if raw.section != "documents" for _, target in _raw_links(raw)}
              - nodes.keys() - seen.keys())
    in_store = store.kinds_of(wanted | nodes.keys()) if store is not None and (wanted or nodes) else {}
    # An id already in the store must keep its kind: a record may update a node, not turn it into another kind.
    for raw, node in built:
        if node.id in in_store and in_store[node.id] != node.kind:
            problems.append(Problem(raw.origin.file, raw.origin.line_of("id"), node.id, "id",
                                    f"already in the store with kind {in_store[node.id]}; a record cannot make it "
                                    f"a {node.kind}"))
    in_store = {i: k for i, k in in_store.items() if i in wanted}
    if unknown := wanted - in_store.keys():
        for raw in records_list:
            if raw.section == "documents":
                continue
            for field, target in _raw_links(raw):
                if target in unknown:
                    problems.append(Problem(raw.origin.file, raw.origin.line_of(field), raw.data.get("id"), field,
                                            f"unknown id {excerpt(target)}: no record has it"
                                            + (" (nor does the store)" if store is not None else "")))
    kinds: dict[str, NodeKind] = {i: n.kind for i, n in nodes.items()} | in_store
    for (edge_type, source, target), (raw, field, _) in edges.items():
        spec = EDGE_SPECS[edge_type]
        if kinds.get(source) in spec.sources and kinds.get(target) in spec.targets:
            continue
        for end, allowed, role in ((source, spec.sources, "source"), (target, spec.targets, "target")):
            if end in kinds and kinds[end] not in allowed:
                problems.append(Problem(raw.origin.file, raw.origin.line_of(field), raw.data["id"], field,
                                        f"{end!r} is a {kinds[end]}, but {edge_type} needs a {role} among "
                                        f"{', '.join(sorted(allowed))}"))

    # Citations: the document must be known (in this input, or recorded by an earlier load).
    known_docs = set(documents) | _stored_documents(store)
    for raw, node in built:
        for index, citation in enumerate(node.sources):
            if citation.document not in known_docs:
                problems.append(Problem(raw.origin.file, raw.origin.line_of("sources"), node.id,
                                        f"sources[{index}].document",
                                        f"unknown document {citation.document!r}; declare it under 'documents:'"))

    if problems:
        raise DatasetError(problems)
    return Graph(nodes=list(nodes.values()), edges=edges_of((key, sources) for key, (*_, sources) in edges.items()),
                 documents=list(documents.values()))


def _validated(records: list[RawRecord]) -> Iterator[tuple[Document | Record | None, Sequence[Problem]]]:
    """Each record validated against its model: the model instance (None if the record is invalid) and its problems.

    The records of one section in a row (a file's, typically) go through one ``TypeAdapter(list[Model])`` call, which
    costs pydantic-core less than a call per record. Only a batch that has an error is validated again record by
    record: that is what reports each problem with its file, line, record and field (``_pydantic_problems``).
    """
    for section, group in groupby(records, key=attrgetter("section")):
        model = _MODELS[section]
        # Batches of at most _BATCH records: a whole 100k-record file in one call would keep that many model
        # instances alive at once (they are dropped as soon as each becomes its node).
        for batch in batched(group, _BATCH):
            yield from _validated_batch(model, batch)


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of ``size`` items (the last may be shorter); ``itertools.batched`` is Python 3.12."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _validated_batch(model: type[Document] | type[Record],
                     batch: Sequence[RawRecord]) -> Iterator[tuple[Document | Record | None, Sequence[Problem]]]:
    try:
        valid = _list_adapter(model).validate_python([raw.data for raw in batch])
    except ValidationError:
        for raw in batch:
            try:
                yield model.model_validate(raw.data), ()
            except ValidationError as exc:
                yield None, _pydantic_problems(raw, exc)
    else:
        for obj in valid:
            yield obj, ()


_MODELS: dict[str, type[Document] | type[Record]] = {"documents": Document, **RECORD_BY_PLURAL}
_BATCH = 5_000
_LINKS: dict[str, tuple[str, ...]] = {plural: tuple(cls.links) for plural, cls in RECORD_BY_PLURAL.items()}


@functools.cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _raw_links(raw: RawRecord) -> list[tuple[str, str]]:
    """(field, id) for every id the raw record's link fields name, whatever else is wrong with it."""
    out: list[tuple[str, str]] = []
    for field in RECORD_BY_PLURAL[raw.section].links:
        value = raw.data.get(field)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item:
                out.append((field, item))
    return out


def _stored_documents(store: Store | None) -> set[str]:
    if store is None:
        return set()
    return {d["id"] for d in store.documents()}


@paused_gc()
def read_graph(paths: Iterable[Path | str], store: Store | None = None) -> Graph:
    """Read and validate the data files at ``paths`` (files or folders) into a Graph; raise ``DatasetError``."""
    files, problems = discover(paths)
    records: list[RawRecord] = []
    for file_records, file_problems in read_files(files):
        records.extend(file_records)
        problems.extend(file_problems)
    return build_graph(records, store, problems)


def load(paths: Iterable[Path | str], store: Store, *, dry_run: bool = False) -> Any:
    """Validate, then (unless ``dry_run``) write to the store in one all-or-nothing step."""
    graph = read_graph(paths, store)
    if dry_run:
        return graph
    return store.load(graph)
