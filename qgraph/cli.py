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
from qgraph.queries import Ambiguous, BadParameter, Filters, NotFound, Queries
from qgraph.results import AgreementSummary
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
    bulk: Annotated[bool, typer.Option("--bulk", help="Neo4j: batches in their own transactions, faster for big "
                                       "loads but NOT atomic (see qgraph.bulk); run it again to complete it.")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="Parallel batches with --bulk.")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate data files and load them into the store, all-or-nothing and idempotently (--bulk: not atomic)."""
    from qgraph.bulk import write

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
        report = write(s, graph, bulk=bulk, workers=workers, show=show, console=err)
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
    with opened(store, write=True) as s:
        s.clear()
    out.print(f"cleared the {s.kind} store")


# ---------------------------------------------------------------------------------------------- queries

SinceOpt = Annotated[Optional[str], typer.Option("--since", help="On or after this date (2023, 2023-11, 2023-11-03).")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", help="On or before this date.")]
KindOpt = Annotated[Optional[list[str]], typer.Option("--kind", help="Agreement kind (repeatable): mou, moc, …")]
DomainOpt = Annotated[Optional[list[str]], typer.Option("--domain", help="Domain (repeatable): computing, …")]
FrameworkOpt = Annotated[Optional[str], typer.Option("--framework", help="Framework id.")]
NationOpt = Annotated[Optional[str], typer.Option("--nation", help="ISO 3166-1 code: JP, US, KR, CA, EU …")]


def filters_of(since: str | None, until: str | None, kind: list[str] | None, domain: list[str] | None,
               framework: str | None, nation: str | None, party: str | None = None) -> Filters:
    return Filters(since=since, until=until, kinds=tuple(kind or ()), domains=tuple(domain or ()),
                   framework=framework, nation=nation, party=party)


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


def _when(a: AgreementSummary) -> str:
    return a.date or "undated"


def _agreement_table(title: str, agreements: list[AgreementSummary]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("date", "kind", "agreement", "parties", "framework", "source"):
        table.add_column(col)
    for a in agreements:
        cite = a.sources[0] if a.sources else None
        table.add_row(_when(a), a.kind, f"{a.name} [dim]({a.id})[/dim]", ", ".join(p.name for p in a.parties),
                      a.framework.name if a.framework else "",
                      f"{cite.section}" + (f" fn {cite.footnote}" if cite and cite.footnote else "") if cite else "")
    return table


@app.command()
def search(
    q: Annotated[str, typer.Argument(help="Name or alias, English or Japanese.")],
    kind: Annotated[Optional[list[str]], typer.Option("--kind", help="Entity kind (repeatable).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many hits.")] = 20,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find entities by name or alias (産総研, aist, ＡＩＳＴ …)."""
    with querying(store) as q_:
        result = q_.search(q, kinds=tuple(kind or ()), limit=limit)
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    table = Table(title=f"{result.page.total} match(es) for {q!r}", title_justify="left")
    for col in ("id", "kind", "name", "name (ja)", "nation", "score", "why"):
        table.add_column(col)
    for h in result.hits:
        e = h.entity
        table.add_row(e.id, e.kind, e.name + (" [external]" if e.external else ""), e.name_ja or "",
                      (e.nation or "").upper(), f"{h.score:g}", h.why)
    out.print(table)
    if result.did_you_mean:
        out.print("did you mean: " + ", ".join(f"{s.entity.name} ({s.entity.id})" for s in result.did_you_mean),
                  markup=False)


@app.command()
def show(entity_id: Annotated[str, typer.Argument(help="Entity id.")], store: StoreOpt = None,
         as_json: JsonOpt = False) -> None:
    """One entity: names, properties, citations and relations."""
    with querying(store) as q_:
        result = q_.entity(entity_id)
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    e = result.entity
    out.print(f"[bold]{e.name}[/bold] {e.name_ja or ''} ({e.kind}, {e.id}) degree {result.degree}")
    for key, value in sorted(result.properties.items()):
        out.print(f"  {key}: {value}", markup=False)
    for c in result.sources:
        out.print(f"  source: {c.document}, {c.section}" + (f", footnote {c.footnote}" if c.footnote else "")
                  + f": 「{c.quote}」", markup=False)
    for r in result.relations:
        arrow = "->" if r.direction == "out" else "<-"
        out.print(f"  {arrow} {r.type} {r.other.name} ({r.other.id})", markup=False)


@app.command()
def partners(
    entity_id: Annotated[str, typer.Argument(help="Entity id, e.g. aist.")],
    since: SinceOpt = None, until: UntilOpt = None, kind: KindOpt = None, domain: DomainOpt = None,
    framework: FrameworkOpt = None, nation: NationOpt = None, store: StoreOpt = None, as_json: JsonOpt = False,
) -> None:
    """Who are this entity's partners, and through which agreements?"""
    with querying(store) as q_:
        result = q_.partners(entity_id, filters_of(since, until, kind, domain, framework, nation))
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    table = Table(title=f"{result.partner_count} partner(s) of {result.entity.name}", title_justify="left")
    for col in ("partner", "nation", "agreements", "dates"):
        table.add_column(col)
    for p in result.partners:
        table.add_row(f"{p.partner.name} [dim]({p.partner.id})[/dim]", (p.partner.nation or "").upper(),
                      "\n".join(f"{a.kind} {a.name}" for a in p.agreements),
                      "\n".join(_when(a) for a in p.agreements))
    out.print(table)


@app.command()
def path(
    source: Annotated[str, typer.Argument(help="Entity id where the path starts.")],
    target: Annotated[str, typer.Argument(help="Entity id where it ends.")],
    k: Annotated[int, typer.Option("-k", help="At most this many paths.")] = 3,
    max_hops: Annotated[int, typer.Option("--max-hops", help="At most this many agreements per path (≤ 8).")] = 6,
    since: SinceOpt = None, until: UntilOpt = None, kind: KindOpt = None, domain: DomainOpt = None,
    store: StoreOpt = None, as_json: JsonOpt = False,
) -> None:
    """How is A connected to B? Shortest partnership paths with dates, citations and a summary."""
    with querying(store) as q_:
        result = q_.paths(source, target, k=k, max_hops=max_hops,
                          filters=filters_of(since, until, kind, domain, None, None))
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    if not result.paths:
        out.print(f"no partnership path from {result.source.name} to {result.target.name} "
                  f"within {result.max_hops} agreements")
        return
    for i, p in enumerate(result.paths, 1):
        out.print(f"[bold]path {i}[/bold] ({p.hops} agreement(s)): "
                  + " → ".join(e.name for e in p.entities))
        out.print(p.summary, markup=False)
        out.print()


@app.command()
def agreements(
    party: Annotated[Optional[str], typer.Option("--party", help="Only agreements this entity is a party to.")] = None,
    since: SinceOpt = None, until: UntilOpt = None, kind: KindOpt = None, domain: DomainOpt = None,
    framework: FrameworkOpt = None, nation: NationOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    offset: Annotated[int, typer.Option(help="Skip this many rows.")] = 0,
    store: StoreOpt = None, as_json: JsonOpt = False,
) -> None:
    """Which agreements were signed when, under which framework?"""
    with querying(store) as q_:
        result = q_.agreements(filters_of(since, until, kind, domain, framework, nation, party),
                               limit=limit, offset=offset)
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    page = result.page
    out.print(_agreement_table(f"{page.total} agreement(s); showing {page.offset + 1}–"
                               f"{page.offset + len(result.agreements)}", result.agreements))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (the API keeps no state of its own).")] = 1,
    store: StoreOpt = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) on the configured store."""
    import os

    import uvicorn

    if store is not None:
        os.environ["QGRAPH_STORE"] = settings_for(store).store
    # Keep idle connections longer than uvicorn's 5 s default: a pooled client connection the server closes just as
    # the client reuses it fails with "server disconnected" (seen once in 4,712 requests of the soak).
    uvicorn.run("qgraph.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", timeout_keep_alive=75)


if __name__ != "__main__":  # run as a script, the real module (imported below) registers the export command
    from qgraph.export_cli import register as _register_export  # noqa: E402 (it imports this module's helpers)

    _register_export(app)

from qgraph.bench_cli import register as _register_bench; _register_bench(app)  # noqa: E402,E702 (scale: qgraph synth)
from qgraph.ingest_cli import register as _register_ingest; _register_ingest(app)  # noqa: E402,E702 (ingest, review)

if __name__ == "__main__":  # pragma: no cover
    from qgraph.cli import app as _app

    _app()
