"""The ``qgraph`` command line: the app and what its commands share.

Every command works on the store the settings choose (``QGRAPH_STORE``, ``QGRAPH_DATA_DIR``, ``NEO4J_*``);
``--store`` overrides the kind for one call. ``--json`` prints machine-readable output on stdout; errors go to stderr
with a non-zero exit code (2 for bad input, 3 for an unreachable store).

Layout (imports go one way only): this module defines ``app`` and the shared options and helpers; each command
group is one module ``qgraph/cli/<group>.py`` that imports them from ``qgraph.cli`` and registers its commands on
``app`` with ``@app.command()``. The groups are imported once, by name, at the end of this module (``COMMAND_GROUPS``),
after everything they import from here is defined; a new group is one module plus one name in that tuple.
``python -m qgraph`` runs the same app (``qgraph/__main__.py``).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from qgraph import __version__
from qgraph.config import Settings, get_settings
from qgraph.queries import Ambiguous, BadParameter, Filters, NotFound, Queries
from qgraph.store import Store, StoreError, StoreUnavailable, open_store

app = typer.Typer(help="qgraph: explore the quantum-technology stakeholder network.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
out = Console()
err = Console(stderr=True)

StoreOpt = Annotated[Optional[str], typer.Option("--store", help="memory or neo4j (default: QGRAPH_STORE).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

# Filters shared by the query commands and ``export``.
SinceOpt = Annotated[Optional[str], typer.Option("--since", help="On or after this date (2023, 2023-11, 2023-11-03).")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", help="On or before this date.")]
KindOpt = Annotated[Optional[list[str]], typer.Option("--kind", help="Agreement kind (repeatable): mou, moc, …")]
DomainOpt = Annotated[Optional[list[str]], typer.Option("--domain", help="Domain (repeatable): computing, …")]
FrameworkOpt = Annotated[Optional[str], typer.Option("--framework", help="Framework id.")]
NationOpt = Annotated[Optional[str], typer.Option("--nation", help="ISO 3166-1 code: JP, US, KR, CA, EU …")]


def settings_for(store: str | None) -> Settings:
    settings = get_settings()
    if store is not None:
        if store not in ("memory", "neo4j"):
            raise typer.BadParameter("must be memory or neo4j", param_hint="--store")
        settings = settings.model_copy(update={"store": store})
    return settings


@contextmanager
def opened(store: str | None, *, write: bool = False) -> Iterator[Store]:
    """Open the chosen store; turn store failures into a clear message and exit code."""
    try:
        with open_store(settings_for(store), write=write) as s:
            yield s
    except StoreUnavailable as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(3) from None
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(3) from None


@contextmanager
def querying(store: str | None) -> Iterator[Queries]:
    """Queries over the chosen store; unknown ids or names, ambiguous names (with their candidates) and bad
    arguments become a message and exit code 2."""
    with opened(store) as s:
        try:
            yield Queries(s)
        except (NotFound, Ambiguous, BadParameter) as exc:
            err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
            raise typer.Exit(2) from None


def filters_of(since: str | None, until: str | None, kind: list[str] | None, domain: list[str] | None,
               framework: str | None, nation: str | None, party: str | None = None) -> Filters:
    return Filters(since=since, until=until, kinds=tuple(kind or ()), domains=tuple(domain or ()),
                   framework=framework, nation=nation, party=party)


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


#: the command groups, in the order ``qgraph --help`` lists their commands (each is ``qgraph/cli/<name>.py``)
COMMAND_GROUPS = ("load", "search", "query", "serve", "export", "synth", "history", "ingest")

for _group in COMMAND_GROUPS:
    importlib.import_module(f"{__name__}.{_group}")
