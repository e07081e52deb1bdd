"""The yardsticks for the loader: Neo4j's own LOAD CSV of the same CSV files, and naive one-row-per-transaction.

LOAD CSV: two passes, like qgraph's loader (every node first, then every edge), each ``CALL (row) {…} IN
TRANSACTIONS OF n ROWS`` (so not atomic either). It writes the same labels, properties and relationships as
``Neo4jStore``, except that nothing is validated. Dates get ``date_from`` / ``date_to`` / ``date_precision`` as the
loader derives them. The search properties of the full-text index (``search_names`` … ``search_sort``, made in Python
by ``qgraph.search``: no Cypher function stems words or cuts Japanese into bigrams) are not written by LOAD CSV; a
third pass writes them with the store's own upgrade of nodes that lack them (``Neo4jStore.ensure_schema``, as for a
database loaded by an older qgraph), timed apart (``search_s``) so that the LOAD CSV figures stay comparable.

Naive: the loader's rows for a sample, each node and each edge in its own write transaction (``execute_query``), the
way a script that loops over records would do it; the rate is extrapolated to the whole load.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import neo4j

from qgraph.loaders.files import LIST_COLUMNS, SECTIONS, _csv_section
from qgraph.model import RECORD_BY_PLURAL

#: CSV columns that become edges, not properties
LINK_COLUMNS = {plural: cls.links for plural, cls in RECORD_BY_PLURAL.items()}
_DATE_COLUMN = "date"


def _node_statement(section: str, columns: list[str], batch: int) -> str:
    cls = RECORD_BY_PLURAL[section]
    links = cls.links
    sets = []
    for c in columns:
        if c in ("id", "sources") or c in links:
            continue
        prop = "kind" if c == "kind" else c
        if c in LIST_COLUMNS:
            sets.append(f"n.{prop} = split(row.{c}, '|')")
        elif c == "external":
            sets.append("n.external = toBoolean(row.external)")
        elif c == "budget_amount":
            sets.append("n.budget_amount = toFloat(row.budget_amount)")
        else:
            sets.append(f"n.{prop} = row.{c}")
    if _DATE_COLUMN in columns:
        sets += ["n.date_from = CASE size(row.date) WHEN 4 THEN row.date + '-01-01' WHEN 7 THEN row.date + '-01' "
                 "ELSE row.date END",
                 "n.date_to = CASE size(row.date) WHEN 4 THEN row.date + '-12-31' WHEN 7 THEN "
                 "toString(date(row.date + '-01') + duration('P1M') - duration('P1D')) ELSE row.date END",
                 "n.date_precision = CASE size(row.date) WHEN 4 THEN 'year' WHEN 7 THEN 'month' "
                 "WHEN 10 THEN 'day' END"]
    sets += ["n.sources = row.sources", f"n._kind = '{cls.node_kind.value}'"]
    return (f"LOAD CSV WITH HEADERS FROM $url AS row\n"
            f"CALL (row) {{\n  MERGE (n:Entity {{id: row.id}})\n  SET n = {{id: row.id}}\n  SET n:{cls.node_kind.value}\n"
            f"  SET {', '.join(sets)}\n}} IN TRANSACTIONS OF {batch} ROWS")


def _edge_statement(section: str, columns: list[str], batch: int) -> str | None:
    links = {c: spec for c, spec in RECORD_BY_PLURAL[section].links.items() if c in columns}
    if not links:
        return None
    parts = []
    for column, (rel_type, direction) in links.items():
        arrow = f"(x)-[r:{rel_type}]->(o)" if direction == "out" else f"(o)-[r:{rel_type}]->(x)"
        ids = f"split(row.{column}, '|')" if column in LIST_COLUMNS else f"[row.{column}]"
        parts.append(f"  CALL (x, row) {{\n    UNWIND coalesce({ids}, []) AS other\n"
                     f"    MATCH (o:Entity {{id: other}})\n    MERGE {arrow}\n    SET r.sources = row.sources\n  }}")
    return ("LOAD CSV WITH HEADERS FROM $url AS row\nCALL (row) {\n  MATCH (x:Entity {id: row.id})\n"
            + "\n".join(parts) + f"\n}} IN TRANSACTIONS OF {batch} ROWS")


def csv_files(folder: Path) -> list[tuple[str, Path, list[str]]]:
    """(section, file, header) of every data CSV in ``folder`` but documents, in the loader's section order."""
    out = []
    for path in sorted(folder.glob("*.csv")):
        section = _csv_section(path)
        if section is None or section == "documents":
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        out.append((section, path, header))
    return sorted(out, key=lambda f: (SECTIONS.index(f[0]), f[1].name))


def load_csv(driver: neo4j.Driver, folder: Path, url_prefix: str, *, batch: int = 10_000,
             database: str | None = None) -> dict[str, float]:
    """Run LOAD CSV over every file of ``folder`` (which the server reads as ``url_prefix`` + file name): nodes,
    then edges; then write the search properties (the store's upgrade pass). Returns the seconds of each pass
    (``total_s``: the two LOAD CSV passes; ``search_s``: the search properties)."""
    from qgraph.stores.neo4j import Neo4jStore

    files = csv_files(folder)
    with driver.session(database=database) as session:
        t0 = time.perf_counter()
        for section, path, header in files:
            session.run(_node_statement(section, header, batch), url=url_prefix + path.name).consume()
        t1 = time.perf_counter()
        for section, path, header in files:
            statement = _edge_statement(section, header, batch)
            if statement:
                session.run(statement, url=url_prefix + path.name).consume()
        t2 = time.perf_counter()
    store = Neo4jStore(driver, database=database, timeout=600)
    store.ensure_schema()  # nodes without search_sort get this version's search properties, in batches
    t3 = time.perf_counter()
    return {"nodes_s": t1 - t0, "edges_s": t2 - t1, "total_s": t2 - t0, "search_s": t3 - t2,
            "search_nodes": store.upgraded_nodes}


def naive(driver: neo4j.Driver, node_rows: list[tuple[str, str, dict[str, Any]]],
          edge_rows: list[tuple[str, dict[str, Any]]], *, database: str | None = None) -> dict[str, float]:
    """One transaction per row: ``node_rows`` as (query, kind, row), then ``edge_rows`` as (query, row).
    Returns seconds and rows per second."""
    t0 = time.perf_counter()
    for query, kind, row in node_rows:
        driver.execute_query(query, rows=[row], kind=kind, database_=database)
    t1 = time.perf_counter()
    for query, row in edge_rows:
        driver.execute_query(query, rows=[row], database_=database)
    t2 = time.perf_counter()
    n = len(node_rows) + len(edge_rows)
    return {"rows": n, "total_s": t2 - t0, "rows_per_s": n / (t2 - t0) if t2 > t0 else 0.0,
            "node_rows_per_s": len(node_rows) / (t1 - t0) if t1 > t0 else 0.0,
            "edge_rows_per_s": len(edge_rows) / (t2 - t1) if t2 > t1 else 0.0}
