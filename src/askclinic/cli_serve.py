"""``askclinic serve`` (the web chat) and ``askclinic feedback export``, for cli.py to register.

Both convert library errors into one readable line here, like the rest of the CLI.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from .errors import AskclinicError
from .settings import Settings

if TYPE_CHECKING:
    from .embeddings import SentenceEmbeddings
    from .store import Store

SAMPLE_ARCHIVE = Path(__file__).resolve().parents[2] / "samples" / "archive"
WARM_UP_QUESTION = "How long does swelling last after a thread lift?"

err = Console(stderr=True)
feedback_app = typer.Typer(no_args_is_help=True)


@feedback_app.callback()
def feedback() -> None:
    """Patients' thumbs up/down on the web chat's answers."""


def _settings(store: str | None) -> Settings:
    return Settings(store=store) if store else Settings()


def _ingest_samples(settings: Settings, embeddings: SentenceEmbeddings, target: Store) -> None:
    """Load the project's sample archive into an empty store, with a progress bar."""
    from .factory import word_index_snapshot
    from .ingestion import ingest
    from .progress import progress_bar

    if not SAMPLE_ARCHIVE.is_dir():
        raise AskclinicError(
            f"the store at {settings.store} is empty and the sample archive is not at "
            f"{SAMPLE_ARCHIVE}; load posts with 'askclinic ingest PATH' first"
        )
    err.print(f"The store at {settings.store} is empty: loading the sample archive {SAMPLE_ARCHIVE}")
    with progress_bar(err) as bar:
        task = bar.add_task("embedding chunks", total=None)
        report = ingest(
            [SAMPLE_ARCHIVE],
            target,
            embeddings,
            count_tokens=embeddings.token_counter(),
            max_bytes=settings.max_post_bytes,
            word_index_snapshot=word_index_snapshot(settings),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    err.print(
        f"loaded {len(report.new) + len(report.changed)} posts ({report.chunks_embedded} chunks) "
        f"in {report.seconds:.1f} s"
    )
    for source, reason in report.failed:
        err.print(f"[red]failed[/] {source}: {reason}", highlight=False, soft_wrap=True)


def serve(host: str | None = None, port: int | None = None, store: str | None = None) -> None:
    """Start the web chat on ``host:port``; an empty store is first loaded with the sample archive."""
    from .database import shown
    from .factory import make_embeddings, make_pipeline, make_store
    from .feedback import FeedbackStore
    from .question_log import QuestionLog
    from .settings import offline_environment

    offline_environment()
    settings = _settings(store)
    try:
        embeddings = make_embeddings(settings)
        target = make_store(settings, embeddings.model_id)
        if not target.exists() and target.other_models():
            target.collection()  # raises ModelMismatchError: never overwrite another model's store
        if target.count() == 0:
            _ingest_samples(settings, embeddings, target)
        pipeline = make_pipeline(settings, embeddings)
        with ThreadPoolExecutor(1) as pool:  # the model loads while gradio imports
            warming = pool.submit(pipeline.answer, WARM_UP_QUESTION)
            from . import webapp

            question_log = (
                QuestionLog(settings.feedback_db, settings.question_log_days) if settings.question_log else None
            )
            demo = webapp.build_demo(
                pipeline, FeedbackStore(settings.feedback_db), question_log, settings.staff_password
            )
            warming.result()
    except AskclinicError as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    try:
        url = webapp.launch(demo, host, port, pipeline)
    except OSError as e:
        where = f"{host or 'the default address'}:{port or 'the default port'}"
        err.print(f"[bold red]error:[/] cannot listen on {where}: {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    err.print(
        f"askclinic web chat on [bold]{url}[/] (store {settings.store}; feedback in {shown(settings.feedback_db)})"
    )
    err.print("Ctrl+C stops it")
    demo.block_thread()


@feedback_app.command("export")
def export(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Feedback file or database URL [env ASKCLINIC_FEEDBACK_DB; default .askclinic/feedback.sqlite3]",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl (evaluation question set) or csv.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    as_eval: Annotated[
        Path | None,
        typer.Option(
            "--as-eval",
            help="Write only the thumbs-down questions, as an evaluation question set, to this file.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the feedback as evaluation questions, to review and add to a question set.

    [bold]Examples[/]

      askclinic feedback export > evals/from_patients.jsonl

      askclinic feedback export --format csv --output feedback.csv

      askclinic feedback export --as-eval evals/rated_down.jsonl
    """
    import sys

    from .database import exists
    from .feedback import FeedbackStore, export_lines

    path = db or Settings().feedback_db
    if db is not None and not exists(db):
        err.print(f"[bold red]error:[/] no feedback file at {db}", highlight=False)
        raise typer.Exit(2)
    if as_eval is not None:
        fmt, output = "jsonl", as_eval
    try:
        rows = FeedbackStore(path).rows("down" if as_eval is not None else None)
        lines = list(export_lines(rows, fmt))
    except AskclinicError as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if output is None:
        sys.stdout.writelines(lines)
        return
    try:
        output.write_text("".join(lines), "utf-8")
    except OSError as e:
        err.print(f"[bold red]error:[/] cannot write {output}: {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    err.print(f"wrote {len(rows)} ratings to {output}")
