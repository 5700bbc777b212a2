"""The ``askclinic`` command line. Library errors become one readable line here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import AskclinicError
from .logs import configure_logging
from .progress import progress_bar
from .settings import Settings
from .types import Answer

app = typer.Typer(
    help="Answers patients' questions from a clinic's archive of posts, with citations.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store folder or http(s)://host:port of a Chroma server [env ASKCLINIC_STORE; default .askclinic/store]",
        show_default=False,
    ),
]


def settings_for(store: str | None) -> Settings:
    return Settings(store=store) if store else Settings()


def fail(error: Exception, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False) -> None:
    configure_logging(verbose)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Post files or folders of posts.", show_default=False)],
    store: StoreOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change; write nothing.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Remove posts that are gone from the given folders.")] = False,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="If another ingestion is writing to the store, wait for it instead of failing."),
    ] = False,
) -> None:
    """Load posts into the store; only new or changed posts are embedded.

    [bold]Examples[/]

      askclinic ingest samples/archive

      askclinic ingest ~/archive --prune --store http://127.0.0.1:8000

      askclinic ingest ~/archive --dry-run
    """
    from .chunking import approx_word_pieces
    from .factory import make_embeddings, make_store, word_index_snapshot
    from .ingestion import ingest as run_ingest

    settings = settings_for(store)
    try:
        embeddings = make_embeddings(settings)
        target = make_store(settings, embeddings.model_id, write=not dry_run)
        counter = embeddings.token_counter() if not dry_run else approx_word_pieces
        with progress_bar(err) as bar:
            task = bar.add_task("checking posts" if dry_run else "ingesting posts", total=None)
            report = run_ingest(
                paths,
                target,
                embeddings,
                prune=prune,
                dry_run=dry_run,
                count_tokens=counter,
                max_bytes=settings.max_post_bytes,
                wait=wait,
                word_index_snapshot=word_index_snapshot(settings),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except AskclinicError as e:
        raise fail(e) from None

    title = "Would change (dry run)" if dry_run else "Ingested"
    table = Table(title=f"{title} into {settings.store}", show_header=True)
    for name in report.counts():
        table.add_column(name, justify="right")
    table.add_row(*[str(v) for v in report.counts().values()])
    out.print(table)
    if report.replaced_models:
        verb = "would replace" if dry_run else "replaced"
        out.print(f"{verb} the index built with {', '.join(report.replaced_models)} (embedding model changed)")
    if not dry_run:
        out.print(f"{report.chunks_embedded} chunks embedded in {report.seconds:.1f} s")
    for source, reason in report.failed:
        out.print(f"[red]failed[/] {escape(source)}: {escape(reason)}", highlight=False, soft_wrap=True)
    for source, reason in report.skipped:
        out.print(f"[yellow]skipped[/] {escape(source)}: {escape(reason)}", highlight=False, soft_wrap=True)
    for source, reason in report.warnings:
        out.print(f"[yellow]check[/] {escape(source)}: {escape(reason)}", highlight=False, soft_wrap=True)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def stats(store: StoreOpt = None) -> None:
    """Show what the store holds: posts, chunks, embedding model.

    [bold]Example[/]

      askclinic stats --store .askclinic/store
    """
    from .factory import make_embeddings, make_store

    settings = settings_for(store)
    try:
        embeddings = make_embeddings(settings)
        target = make_store(settings, embeddings.model_id)
        states = target.post_states()
        others = target.other_models()
    except AskclinicError as e:
        raise fail(e) from None
    table = Table(title=f"Store {settings.store}", show_header=False)
    table.add_row("embedding model", embeddings.model_id)
    table.add_row("collection", target.name if target.exists() else "(none yet)")
    table.add_row("posts", str(len(states)))
    table.add_row("chunks", str(sum(len(s.chunk_ids) for s in states.values())))
    table.add_row("incomplete posts", str(sum(not s.complete for s in states.values())))
    if others:
        table.add_row("other models", ", ".join(sorted(set(others.values()))))
    out.print(table)


@app.command()
def check(
    store: StoreOpt = None,
    fix: Annotated[bool, typer.Option("--repair", help="Re-embed the damaged posts from their files.")] = False,
) -> None:
    """Read every chunk back and look up its vector; with --repair, re-embed the posts that fail.

    Exits 0 when the store is sound (after repair, if asked), 1 when damage remains, 2 on errors.

    [bold]Examples[/]

      askclinic check

      askclinic check --repair --store /srv/askclinic/store
    """
    from .factory import make_embeddings, make_store
    from .store_check import check_store, repair, summary_rows

    settings = settings_for(store)
    try:
        embeddings = make_embeddings(settings)
        target = make_store(settings, embeddings.model_id, write=fix)
        with progress_bar(err) as bar:
            task = bar.add_task("checking chunks", total=None)
            report = check_store(target, lambda done, total: bar.update(task, completed=done, total=total))
        table = Table(title=f"Store {settings.store}", show_header=False)
        for name, value in summary_rows(report):
            table.add_row(name, value)
        out.print(table)
        for post_id in report.damaged_posts:
            out.print(f"[red]damaged[/] {escape(post_id)}", highlight=False)
        if fix and not report.ok:
            repair(target, embeddings, report, embeddings.token_counter())
            for post_id in report.repaired:
                out.print(f"[green]re-embedded[/] {escape(post_id)}", highlight=False)
            for post_id, reason in report.unrepairable:
                out.print(f"[red]not repaired[/] {escape(post_id)}: {escape(reason)}", highlight=False, soft_wrap=True)
            report = check_store(target)
            out.print(f"after repair: {len(report.damaged_posts)} damaged posts", highlight=False)
    except AskclinicError as e:
        raise fail(e) from None
    raise typer.Exit(0 if report.ok else 1)


def _print_answer(answer: Answer) -> None:
    from rich.markdown import Markdown
    from rich.panel import Panel

    style = {"urgent": "bold red", "refused": "yellow", "abstained": "yellow"}.get(answer.status.value, "green")
    out.print(Panel(Markdown(answer.answer), title=answer.status.value, border_style=style))
    for c in answer.citations:
        out.print(f"[bold][{c.n}][/] {c.title} — {c.clinic}, {c.published}, “{c.section}”", highlight=False)
        out.print(f"    “{c.quote}”", style="dim", highlight=False)
    out.print(answer.disclaimer, style="italic dim", highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, or - to read one question per line from stdin.")],
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON (one object per line).")] = False,
) -> None:
    """Answer a question from the archive, with citations and the disclaimer.

    [bold]Examples[/]

      askclinic ask "How common is thread exposure?"

      askclinic ask "실 노출은 얼마나 흔한가요?" --json

      cat questions.txt | askclinic ask - --json
    """
    import json
    import sys

    from .factory import make_pipeline

    settings = settings_for(store)
    try:
        pipeline = make_pipeline(settings)
        questions = (line.rstrip("\n") for line in sys.stdin) if question == "-" else iter([question])
        for q in questions:
            if question == "-" and not q.strip():
                continue
            answer = pipeline.answer(q)
            if as_json:
                print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
            else:
                _print_answer(answer)
    except AskclinicError as e:
        raise fail(e) from None


from .cli_eval import eval_command  # noqa: E402  (registered after the core commands)
from .cli_insights import insights_command  # noqa: E402
from .cli_safety import eval_safety_command, train_safety_command  # noqa: E402
from .cli_serve import feedback_app  # noqa: E402
from .cli_serve import serve as run_serve  # noqa: E402

app.command("eval")(eval_command)
app.command("eval-safety")(eval_safety_command)
app.command("train-safety")(train_safety_command)
app.command("insights")(insights_command)
app.add_typer(feedback_app, name="feedback")


@app.command()
def serve(
    store: StoreOpt = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Address to listen on [env GRADIO_SERVER_NAME; default 127.0.0.1]", show_default=False
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port", help="Port [env GRADIO_SERVER_PORT; default 7860, or the next free one]", show_default=False
        ),
    ] = None,
) -> None:
    """Start the patient web chat; an empty store first gets the sample archive.

    [bold]Example[/]

      askclinic serve --port 7860
    """
    run_serve(host, port, store)


@app.command()
def doctor(store: StoreOpt = None) -> None:
    """Check what to look at first when something is off: versions, embedding model, store, LLM server.

    Prints one line per check, "ok" or "problem" with its fix; exits 1 if any check found a problem.

    [bold]Example[/]

      askclinic doctor --store http://127.0.0.1:8000
    """
    from .doctor import run_checks

    checks = run_checks(store)
    for check in checks:
        status = "[green]ok[/]     " if check.ok else "[bold red]problem[/]"
        fix = f" — [yellow]fix:[/] {escape(check.fix)}" if not check.ok and check.fix else ""
        out.print(f"{status} {escape(check.name)}: {escape(check.detail)}{fix}", highlight=False, soft_wrap=True)
    raise typer.Exit(0 if all(check.ok for check in checks) else 1)
