"""The ``qgraph`` command line.

Every command works on the store the settings choose (``QGRAPH_STORE``, ``QGRAPH_DATA_DIR``, ``NEO4J_*``);
``--store`` overrides the kind for one call. ``--json`` prints machine-readable output on stdout; errors go to stderr
with a non-zero exit code (2 for bad input, 3 for an unreachable store).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from qgraph import __version__
from qgraph.config import Settings, get_settings
from qgraph.loaders import DatasetError, default_data_dir, read_graph
from qgraph.store import Store, StoreError, StoreUnavailable, open_store

app = typer.Typer(help="qgraph: explore the quantum-technology stakeholder network.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
out = Console()
err = Console(stderr=True)

StoreOpt = Annotated[Optional[str], typer.Option("--store", help="memory or neo4j (default: QGRAPH_STORE).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def settings_for(store: str | None) -> Settings:
    settings = get_settings()
    if store is not None:
        if store not in ("memory", "neo4j"):
            raise typer.BadParameter("must be memory or neo4j", param_hint="--store")
        settings = settings.model_copy(update={"store": store})
    return settings


@contextmanager
def opened(store: str | None) -> Iterator[Store]:
    """Open the chosen store; turn store failures into a clear message and exit code."""
    try:
        with open_store(settings_for(store)) as s:
            yield s
    except StoreUnavailable as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(3) from None
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(3) from None


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def version_callback(value: bool) -> None:
    if value:
        out.print(f"qgraph {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                               help="Print the version and exit.")] = False) -> None:
    """qgraph: explore the quantum-technology stakeholder network."""


@app.command()
def load(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Data files or folders (default: the curated dataset).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate data files and load them into the store, all-or-nothing and idempotently."""
    sources = paths or [default_data_dir()]
    with opened(store) as s:
        try:
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
        report = s.load(graph)
    if as_json:
        print_json({"ok": True, "store": s.kind, "data_version": report.data_version,
                    "before": report.before.as_dict(), "after": report.after.as_dict()})
        return
    table = Table(title=f"loaded into {s.kind} store (data version {report.data_version})")
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
) -> None:
    """Remove everything from the store."""
    if not yes:
        typer.confirm("Remove every node and edge from the store?", abort=True)
    with opened(store) as s:
        s.clear()
    out.print(f"cleared the {s.kind} store")


if __name__ == "__main__":  # pragma: no cover
    app()
