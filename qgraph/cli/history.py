"""``qgraph changes``, ``diff``, ``history``, ``revert`` and ``token``: the history of the graph, and write tokens.

History commands: ``qgraph changes``, ``qgraph diff``, ``qgraph history``, ``qgraph revert``, ``qgraph token``.

The actor of a changeset written from the command line is the OS user. ``revert`` asks before writing unless
``--yes``; ``--force`` reverts even when later changesets touched the same facts. ``history --repair`` cuts a damaged
journal (memory store) after its last whole changeset.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from qgraph import auth
from qgraph.cli import JsonOpt, StoreOpt, app, err, opened, out, print_json
from qgraph.changes import ChangesBriefing, ItemChange, briefing, entity_history, history_page
from qgraph.queries import BadParameter, NotFound
from qgraph.store import RevertConflict, default_actor


def _show_brief(brief: ChangesBriefing) -> None:
    out.print(f"[bold]changes[/bold] from changeset {brief.since.number} ({brief.since.data_version}) to "
              f"{brief.until.number} ({brief.until.data_version}): {len(brief.changesets)} changeset(s)")

    def cite(item: ItemChange) -> str:
        c = item.sources[0] if item.sources else None
        return f"  [dim]({c.document}, {c.section}{f', footnote {c.footnote}' if c.footnote else ''})[/dim]" if c \
            else "  [dim](not in the source document)[/dim]"

    for group in ("agreements", "entities"):
        grouped = getattr(brief, group)
        for op in ("added", "removed", "changed"):
            for item in getattr(grouped, op):
                out.print(f"{op:8} {group[:-1]:9} {item.name} ({item.id})" + cite(item), highlight=False)
                for ch in item.changes:
                    out.print(f"         {ch.field}: {ch.old!r} → {ch.new!r}", markup=False, highlight=False)
                for p in item.parties_added:
                    out.print(f"         party added: {p.entity.name} ({p.entity.id})", markup=False)
                for p in item.parties_removed:
                    out.print(f"         party removed: {p.entity.name} ({p.entity.id})", markup=False)
    for label, pairs in (("connected", brief.partnerships.connected),
                         ("disconnected", brief.partnerships.disconnected)):
        for pair in pairs:
            out.print(f"{label:12} {pair.parties[0].name} — {pair.parties[1].name} via {', '.join(pair.agreements)}",
                      markup=False)
    for r in brief.relations:
        out.print(f"{r.op:8} relation  {r.source} -[{r.type}]-> {r.target}", markup=False)


def changes(
    since: Annotated[str, typer.Option("--since", help="A changeset number, data version or UTC date (2026-11-01).")],
    until: Annotated[Optional[str], typer.Option("--until", help="Up to this point (default: now).")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What changed in the graph since a version or date: agreements, entities, partnerships, with citations."""
    diff(since, until, store=store, as_json=as_json)


def diff(
    v1: Annotated[str, typer.Argument(help="From: changeset number, data version or date.")],
    v2: Annotated[Optional[str], typer.Argument(help="To (default: now).")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The folded diff between two versions of the graph."""
    with opened(store) as s:
        try:
            brief = briefing(s, v1, v2)
        except BadParameter as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None
    if as_json:
        print_json(brief.model_dump(mode="json"))
    else:
        _show_brief(brief)


def history(
    entity_id: Annotated[Optional[str], typer.Argument(help="An entity id: only the changesets that touched it.")]
    = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="At most this many changesets.")] = 50,
    repair: Annotated[bool, typer.Option("--repair", help="Cut a damaged journal after its last whole changeset "
                                         "(memory store) so that writes are accepted again.")] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The recorded changesets (newest first), or every changeset that touched an entity, with old and new values."""
    with opened(store, write=repair) as s:
        if repair:
            out.print(s.repair())
            return
        problem = s.damaged()
        if problem:
            err.print(f"[yellow]warning:[/yellow] {problem}", highlight=False)
        try:
            result: Any = entity_history(s, entity_id) if entity_id else history_page(s, limit)
        except NotFound as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    table = Table(title=f"history of {entity_id}" if entity_id else f"{result.total} changeset(s)",
                  title_justify="left")
    for col in ("number", "time", "actor", "message", "changes"):
        table.add_column(col)
    if entity_id:
        for item in result.changesets:
            cs = item.changeset
            lines = [f"{c.op} {c.fact}" + "".join(f"\n  {p.field}: {p.old!r} → {p.new!r}" for p in c.changes
                                                  if c.op == "changed") for c in item.changes]
            table.add_row(str(cs.number), cs.time, cs.actor, cs.message, "\n".join(lines))
    else:
        for cs in result.changesets:
            counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in cs.counts.items() if v)
            table.add_row(str(cs.number), cs.time, cs.actor, cs.message + (" (summary)" if cs.summary else ""),
                          counts)
    out.print(table)


def revert(
    number: Annotated[int, typer.Argument(help="The changeset to undo.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Revert even when later changesets touched the same facts.")]
    = False,
    store: StoreOpt = None,
) -> None:
    """Undo a changeset with a new one (refused when later changesets touched the same facts, unless --force)."""
    if not yes:
        typer.confirm(f"Write a changeset that undoes changeset {number}?", abort=True)
    with opened(store, write=True) as s:
        try:
            result = s.revert(number, actor=default_actor(), force=force)
        except RevertConflict as exc:
            err.print(f"[red]refused:[/red] {exc}", highlight=False)
            raise typer.Exit(4) from None
        except (LookupError, ValueError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None
    cs = result.changeset
    out.print(f"reverted changeset {number} as changeset {cs.number}; data version {cs.data_version}" if cs
                  else f"changeset {number} is already undone: nothing recorded")


token_app = typer.Typer(help="Write tokens for the API (named, with a role).", no_args_is_help=True)


@token_app.command("new")
def token_new(
    name: Annotated[str, typer.Argument(help="The token's name: the actor of what it writes.")],
    role: Annotated[str, typer.Option("--role", help="editor or admin.")] = "editor",
) -> None:
    """Make a random token: print it once, and the line for QGRAPH_TOKENS_FILE (a salted hash, never the token)."""
    if role not in auth.ROLES:
        raise typer.BadParameter("must be editor or admin", param_hint="--role")
    token = auth.new_token()
    line = auth.hashed_line(name, role, token)  # type: ignore[arg-type]
    auth.parse_file_lines([line])  # the line reads back (a bad name is refused here)
    err.print("token (shown once; give it to its holder):", highlight=False)
    typer.echo(token)  # plain: a terminal-wide wrap would break the line
    err.print("line for QGRAPH_TOKENS_FILE:", highlight=False)
    typer.echo(line)


app.command("changes")(changes)
app.command("diff")(diff)
app.command("history")(history)
app.command("revert")(revert)
app.add_typer(token_app, name="token")
