"""The search commands: ``search`` (ranked hits), ``resolve`` (what entity a text names) and ``suggest``
(autocomplete), over ``Queries.search`` / ``resolve`` / ``suggest``: the same engine and answers as ``/search``,
``/resolve`` and ``/suggest``.

``resolve`` exits 0 for every verdict (a verdict of ``none`` or ``ambiguous`` is an answer, not an error), so that a
script reads the verdict from ``--json``; bad text (empty, too long, control characters) exits 2 like every command.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from qgraph.cli import JsonOpt, StoreOpt, app, out, print_json, querying
from qgraph.results import EntityRef, Suggestion

EntityKindOpt = Annotated[Optional[list[str]], typer.Option("--kind", help="Entity kind (repeatable).")]


def _name(e: EntityRef) -> str:
    return e.name + (" [external]" if e.external else "")


@app.command()
def search(
    q: Annotated[str, typer.Argument(help="Name or alias, English or Japanese.")],
    kind: EntityKindOpt = None,
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
        table.add_row(e.id, e.kind, _name(e), e.name_ja or "", (e.nation or "").upper(), f"{h.score:g}", h.why)
    out.print(table)
    if result.did_you_mean:
        out.print("did you mean: " + ", ".join(f"{s.entity.name} ({s.entity.id})" for s in result.did_you_mean),
                  markup=False)


def _candidates(title: str, candidates: list[Suggestion]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("id", "kind", "name", "nation", "score", "field", "matched"):
        table.add_column(col)
    for c in candidates:
        e = c.entity
        table.add_row(e.id, e.kind, _name(e), (e.nation or "").upper(), f"{c.score:g}", c.field, c.matched)
    return table


@app.command()
def resolve(
    text: Annotated[str, typer.Argument(help="A name, alias or id as a person or a document writes it.")],
    kind: EntityKindOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Which entity does this text name? A clear match, ambiguous (the candidates), or none (the closest names)."""
    with querying(store) as q_:
        result = q_.resolve(text, tuple(kind or ()), param="text")
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    if result.match is not None:
        m = result.match
        out.print(f"match: {_name(m)} ({m.id}, {m.kind}{', ' + m.nation.upper() if m.nation else ''})", markup=False)
    elif result.verdict == "ambiguous":
        out.print(f"ambiguous: {text!r} names {len(result.candidates)} entities about as well", markup=False)
    else:
        out.print(f"none: nothing is named {text!r}" + ("; the closest names:" if result.candidates else ""),
                  markup=False)
    if (result.candidates and result.match is None) or len(result.candidates) > 1:
        out.print(_candidates("candidates", result.candidates))


@app.command()
def suggest(
    q: Annotated[str, typer.Argument(help="What has been typed so far (the last word is a prefix).")],
    kind: EntityKindOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many suggestions (≤ 50).")] = 10,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Autocomplete: names and aliases (either language) that begin with what was typed, best first."""
    with querying(store) as q_:
        result = q_.suggest(q, limit=limit, kinds=tuple(kind or ()))
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    for s in result.suggestions:
        out.print(f"{s.name}{' [external]' if s.external else ''}  {s.name_ja or ''}  ({s.id}, {s.kind}; matched "
                  f"{s.matched!r})", markup=False)
