"""``qgraph load``, ``info`` and ``clear``: filling, describing and emptying the store.

``load`` validates first (nothing is written when a file is bad) and then calls ``Store.load`` once: atomic by default,
batch by batch with ``--bulk`` (Neo4j; not atomic, idempotent, see ``Store.load``). The progress bar (rows written,
rows/s, time left) goes to stderr only when stderr is a terminal and neither ``--quiet`` nor ``--json`` is given.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from qgraph.cli import JsonOpt, StoreOpt, app, err, opened, out, print_json
from qgraph.loaders import DatasetError, default_data_dir, read_graph
from qgraph.model import Graph
from qgraph.store import DEFAULT_DATASET, LoadReport, Store


class RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "– rows/s", style="progress.data.speed")


def load_graph(store: Store, graph: Graph, *, bulk: bool, workers: int, show: bool, replace: bool = False,
               dataset: str = DEFAULT_DATASET) -> LoadReport:
    """``store.load(graph)`` as ``bulk``, ``workers``, ``replace`` and ``dataset`` say, with a progress bar on stderr
    when ``show``."""
    how = {"bulk": bulk, "workers": workers, "replace": replace, "dataset": dataset}
    if not show:
        return store.load(graph, **how)
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               RowsPerSecond(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=err) as progress:
        task = progress.add_task("bulk load" if bulk else "load (one transaction)",
                                 total=len(graph.nodes) + len(graph.edges))
        return store.load(graph, **how, progress=lambda n: progress.advance(task, n))


@app.command()
def load(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Data files or folders (default: the curated dataset).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    bulk: Annotated[bool, typer.Option("--bulk", help="Neo4j: batches in their own transactions, faster for big "
                                       "loads but NOT atomic (see the README); run it again to complete it.")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="Parallel batches with --bulk.")] = 1,
    replace: Annotated[bool, typer.Option("--replace", help="Make the dataset's facts equal to these files: what "
                                          "they lack is removed (other datasets' facts stay).")] = False,
    dataset: Annotated[str, typer.Option("--dataset", help="The dataset the files are (facts remember it; "
                                         "--replace replaces only it).")] = DEFAULT_DATASET,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate data files and load them into the store as one changeset, all-or-nothing and idempotently (--bulk:
    not atomic); --replace also removes the dataset's facts that the files lack."""
    sources = paths or [default_data_dir()]
    show = not (quiet or as_json) and err.is_terminal
    with opened(store, write=not dry_run) as s:
        try:
            if show:
                with err.status("reading and validating …"):
                    graph = read_graph(sources, s)
            else:
                graph = read_graph(sources, s)
        except DatasetError as exc:
            if as_json:
                print_json({"ok": False, "problems": [p.__dict__ for p in exc.problems]})
            sys.stderr.write(f"{exc}\n")
            raise typer.Exit(2) from None
        if dry_run:
            summary = {"ok": True, "dry_run": True, "nodes": len(graph.nodes), "edges": len(graph.edges)}
            print_json(summary) if as_json else out.print(
                f"valid: {len(graph.nodes)} nodes, {len(graph.edges)} edges in {', '.join(map(str, sources))}; "
                "nothing written (--dry-run)")
            return
        try:
            report = load_graph(s, graph, bulk=bulk, workers=workers, show=show, replace=replace, dataset=dataset)
            s.prepare()  # the memory store's search index, built here and saved, not on a server's first search
        except ValueError as exc:  # a replace that would strand another dataset's edge, an edge end missing …
            if as_json:
                print_json({"ok": False, "problems": [{"message": str(exc)}]})
            err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
            raise typer.Exit(2) from None
    if as_json:
        print_json({"ok": True, "store": s.kind, "data_version": report.data_version, "changeset": report.changeset,
                    "before": report.before.as_dict(), "after": report.after.as_dict()})
        return
    recorded = f"changeset {report.changeset}" if report.changeset else "nothing changed: no changeset recorded"
    table = Table(title=f"loaded into {s.kind} store (data version {report.data_version}; {recorded})")
    table.add_column("kind / type")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for group in ("nodes", "edges"):
        before, after = getattr(report.before, group), getattr(report.after, group)
        for name in sorted(set(before) | set(after)):
            table.add_row(name, str(before.get(name, 0)), str(after.get(name, 0)))
    out.print(table)


@app.command()
def info(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Which store, whether it answers, what it holds."""
    with opened(store) as s:
        described = s.ping()
        counts = s.counts()
        meta = s.meta()
    result = {"store": s.kind, "server": described, "data_version": meta.get("data_version"),
              "loaded_at": meta.get("loaded_at"), "counts": counts.as_dict()}
    if as_json:
        print_json(result)
        return
    out.print(f"store: {s.kind} ({described})")
    out.print(f"data version: {meta.get('data_version', '(never loaded)')}  loaded at: {meta.get('loaded_at', '-')}")
    for group in ("nodes", "edges"):
        out.print(f"{group}: " + ", ".join(f"{k} {v}" for k, v in sorted(getattr(counts, group).items())))


@app.command()
def clear(
    store: StoreOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    history: Annotated[bool, typer.Option("--history", help="Also delete the whole history (start over; not "
                                          "recorded, cannot be reverted).")] = False,
) -> None:
    """Remove every node and edge, as one recorded changeset (revertable); --history also deletes the history."""
    if not yes:
        typer.confirm("Remove every node and edge from the store" + (" and its whole history?" if history else "?"),
                      abort=True)
    with opened(store, write=True) as s:
        if history:
            s.wipe()
            out.print(f"wiped the {s.kind} store: graph and history")
            return
        result = s.clear()
    if result.changeset is None:
        out.print(f"the {s.kind} store was already empty; nothing recorded")
    else:
        out.print(f"cleared the {s.kind} store (changeset {result.changeset.number})")
