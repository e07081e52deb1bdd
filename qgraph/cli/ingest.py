"""``qgraph ingest`` and ``qgraph review apply``: documents -> a review file -> (after a person's decisions) one write.

``ingest`` never writes to the store, except with ``--accept-all``, which exists for tests and benchmarks only and
says so. Exit codes: 2 for bad input (the file and what is wrong with it; for a review file every problem with file,
line, record and field), 3 for an unreachable store. The pipeline itself is ``qgraph.loaders.ingest`` (imported
inside the commands: its heavy optional extra, ``qgraph[ingest]``, is loaded only when a command runs).
"""

# no `from __future__ import annotations`: typer reads the annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from qgraph.cli import JsonOpt, StoreOpt, app, opened, out, print_json

review_app = typer.Typer(help="Apply a review file written by `qgraph ingest`.", no_args_is_help=True)
app.add_typer(review_app, name="review")


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Documents: .txt, .md, .html, .pdf, .docx (type checked by "
                                                     "content, not by name).")],
    lang: Annotated[str, typer.Option("--lang", help="ja, en or auto (from the text).")] = "auto",
    url: Annotated[Optional[str], typer.Option("--url", help="Where the document was published.")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="Title (default: the document's own).")] = None,
    publisher: Annotated[Optional[str], typer.Option("--publisher", help="Publisher of the document.")] = None,
    date: Annotated[Optional[str], typer.Option("--date", help="Publication date: YYYY, YYYY-MM or YYYY-MM-DD.")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Review file to write (- for stdout).")] = "-",
    accept_all: Annotated[bool, typer.Option(
        "--accept-all", help="FOR TESTS AND BENCHMARKS ONLY: accept every candidate unreviewed and write them.")] = False,
    actor: Annotated[Optional[str], typer.Option("--actor", help="Who writes, with --accept-all (default: the OS "
                                                                 "user).")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Read documents and propose cited candidates (entities, agreements, strategies) in a review file."""
    from qgraph.loaders import DatasetError
    from qgraph.loaders.ingest import DocumentInfo, ExtraMissing, IngestError, Input, accept_all as accept, \
        apply_review
    from qgraph.loaders.ingest.pipeline import ingest as run

    if lang not in ("ja", "en", "auto"):
        raise typer.BadParameter("must be ja, en or auto", param_hint="--lang")
    if date is not None:
        from qgraph.model import DateSpan

        try:
            DateSpan.parse(date)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--date") from None
    with opened(store, write=accept_all) as s:
        try:
            review = run([Input(name=str(f), path=f) for f in files], s, language=lang,
                         info=DocumentInfo(url=url, title=title, publisher=publisher, date=date))
        except (IngestError, ExtraMissing) as exc:
            sys.stderr.write(f"error: {exc}\n")  # one line, never wrapped: it names the file
            raise typer.Exit(2) from None
        applied = None
        if accept_all:
            sys.stderr.write("--accept-all: every candidate is accepted WITHOUT review (tests and benchmarks only)\n")
            accept(review)
            try:
                applied = apply_review(review.to_yaml(), f"{review.id}.yaml", s, actor=actor,
                                       message=f"ingest --accept-all {review.id}")
            except DatasetError as exc:
                sys.stderr.write(f"{exc}\n")
                raise typer.Exit(2) from None
    text = review.to_yaml()
    if output == "-":
        if not as_json:
            sys.stdout.buffer.write(text.encode("utf-8"))
    else:
        Path(output).write_bytes(text.encode("utf-8"))
    summary = {"review": review.id, "documents": review.header["documents"], "candidates": review.counts(),
               "notes": review.header.get("notes", []), "output": output,
               "written": applied.written if applied else None}
    if as_json:
        print_json(summary)
    elif output != "-":
        counts = ", ".join(f"{n} {k}" for k, n in review.counts().items())
        sys.stdout.write(f"review {review.id}: {counts} → {output}\n")
        for note in review.header.get("notes", []):
            sys.stdout.write(f"note: {note}\n")

@review_app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="A review file (from `qgraph ingest`) with decisions.")],
    actor: Annotated[Optional[str], typer.Option("--actor", help="Who decided: the changeset's actor (default: the "
                                                                 "OS user).")] = None,
    message: Annotated[Optional[str], typer.Option("--message", "-m", help="What the change is.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate the accepted and edited candidates like curated data and write them as one changeset (with the
    actor, the message and the source documents; `qgraph revert N` undoes it)."""
    from qgraph.loaders import DatasetError
    from qgraph.loaders.ingest.review import apply_review, build_changes

    if not file.is_file():
        sys.stderr.write(f"error: {file}: no such file\n")
        raise typer.Exit(2)
    text = file.read_text(encoding="utf-8")
    with opened(store, write=not dry_run) as s:
        try:
            if dry_run:
                graph, aliases, skipped, _ = build_changes(text, str(file), s)
                summary = {"ok": True, "dry_run": True, "nodes": len(graph.nodes), "edges": len(graph.edges),
                           "aliases_added": aliases, "skipped": skipped}
                print_json(summary) if as_json else out.print(
                    f"valid: {len(graph.nodes)} records, {len(graph.edges)} edges; nothing written (--dry-run)")
                return
            result = apply_review(text, str(file), s, actor=actor, message=message)
        except DatasetError as exc:
            if as_json:
                print_json({"ok": False, "problems": [p.__dict__ for p in exc.problems]})
            sys.stderr.write(f"{exc}\n")
            raise typer.Exit(2) from None
    summary = {"ok": True, "review": result.review, "written": result.written,
               "aliases_added": result.aliases_added, "skipped": result.skipped, "message": result.message,
               "data_version": result.report.data_version if result.report else None,
               "changeset": result.changeset}
    if as_json:
        print_json(summary)
        return
    if not result.written:
        sys.stdout.write(f"{result.message}\n")  # one line, never wrapped
        return
    counts = ", ".join(f"{n} {k}" for k, n in sorted(result.written.items()))
    sys.stdout.write(f"written: {counts} ({result.message}); changeset {result.changeset}, data version "
                     f"{summary['data_version']}\n")
    for target, names in result.aliases_added.items():
        sys.stdout.write(f"  {target}: new aliases {', '.join(names)}\n")
