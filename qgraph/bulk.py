"""Writing a validated graph with a progress bar, atomically (the default) or in bulk.

``write(store, graph, ...)`` is what ``qgraph load`` calls after validation. On Neo4j:

- default: ``Store.load`` as always, one write transaction (all or nothing), in batches of ``QGRAPH_BATCH_SIZE`` rows;
- ``bulk=True`` (``qgraph load --bulk``): batches of 10,000 rows, each its own transaction, ``workers`` at a time.
  Faster for big loads and bounded in server memory, but NOT atomic: a failure part-way leaves the batches already
  committed (every node is written before any edge; the metadata and its data version last, so an interrupted bulk
  load keeps the previous data version). Loads are idempotent: running the same load again completes it.

The memory store always replaces its file atomically; ``bulk`` changes nothing there. Either way the load is one
changeset (``Store.commit``): a bulk load records it when every batch is in.

The progress bar (rows written, rows/s, time left) goes to stderr when ``show`` is true; the CLI turns it off with
``--quiet``, with ``--json`` and when stderr is not a terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

from qgraph.model import Graph
from qgraph.store import DEFAULT_DATASET, LoadReport, Store


class RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "– rows/s", style="progress.data.speed")


def write(store: Store, graph: Graph, *, bulk: bool = False, workers: int = 2, batch_size: int | None = None,
          show: bool = False, console: Console | None = None, replace: bool = False,
          dataset: str = DEFAULT_DATASET) -> LoadReport:
    """``store.load(graph, replace=, dataset=)``, on Neo4j as ``bulk`` says and with a progress bar when ``show``."""
    from qgraph.stores.neo4j import Neo4jStore, WriteOptions

    def load() -> LoadReport:
        return store.load(graph, replace=replace, dataset=dataset)

    if not isinstance(store, Neo4jStore):
        return load()
    total = len(graph.nodes) + len(graph.edges)
    if not show:
        with store.write_options(WriteOptions(bulk=bulk, workers=workers, batch_size=batch_size)):
            return load()
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               RowsPerSecond(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console or Console(stderr=True)) as progress:
        task = progress.add_task("bulk load" if bulk else "load (one transaction)", total=total)
        options = WriteOptions(bulk=bulk, workers=workers, batch_size=batch_size,
                               progress=lambda n: progress.advance(task, n))
        with store.write_options(options):
            return load()
