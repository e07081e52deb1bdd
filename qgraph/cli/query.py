"""The query commands: ``show``, ``partners``, ``path`` and ``agreements`` (tables, or ``--json``); the search
commands are in ``qgraph.cli.search``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from qgraph.cli import (DomainOpt, FrameworkOpt, JsonOpt, KindOpt, NationOpt, SinceOpt, StoreOpt, UntilOpt, app,
                        filters_of, out, print_json, querying)
from qgraph.results import AgreementSummary


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
        out.print(f"  source: {c.place}: 「{c.quote}」", markup=False)
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
