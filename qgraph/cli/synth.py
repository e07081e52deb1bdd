"""``qgraph synth``: the deterministic synthetic world-scale network, as CSV the loader reads.

The benchmarks that use it are ``python -m benchmarks`` (see ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from qgraph.cli import app, err, print_json
from qgraph.cli import out as console  # ``out`` is the option below


@app.command("synth")
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the CSV files into (its *.csv are "
                                                          "replaced).")] = Path("synthetic"),
    entities: Annotated[int, typer.Option("--entities", min=20, help="Nodes that are not agreements: nations, "
                                                                     "institutions, hubs, facilities, …")] = 1_000,
    agreements: Annotated[int, typer.Option("--agreements", min=1, help="Agreements (2–6 parties each, 3.33 on "
                                                                        "average).")] = 3_000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same files, byte for byte.")] = 42,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
) -> None:
    """Write a synthetic partnership network (not facts: every record cites a synthetic document and is marked
    external) in the loader's CSV form; load it with `qgraph load DIR` (or `--bulk`)."""
    from qgraph.synth import generate

    started = time.perf_counter()
    try:
        report = generate(out, entities=entities, agreements=agreements, seed=seed)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    summary = {**report.as_dict(), "seconds": round(time.perf_counter() - started, 2)}
    if as_json:
        print_json(summary)
        return
    console.print(f"wrote {len(report.files)} files to {out}: "
                    + ", ".join(f"{k} {v}" for k, v in report.nodes.items())
                    + f"; {report.party_edges} party edges (top partner counts {report.top_degrees}, median "
                      f"{report.median_degree:g}) in {summary['seconds']} s")
