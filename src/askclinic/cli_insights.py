"""``askclinic insights``: what patients asked, what the archive could not answer, how answers were rated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .errors import AskclinicError
from .settings import Settings

out = Console()
err = Console(stderr=True)


def insights_command(
    since: Annotated[
        str, typer.Option("--since", help="Only questions and ratings from this date on (YYYY-MM-DD).")
    ] = "",
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the report to FILE.html (with plots) or FILE.md.")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Feedback and question-log file or database URL [env ASKCLINIC_FEEDBACK_DB]",
            show_default=False,
        ),
    ] = None,
    store: Annotated[str | None, typer.Option("--store", help="Store, for the list of posts never cited.")] = None,
) -> None:
    """Questions by status per day, unanswered questions grouped by topic, posts cited most and
    never, thumbs-down answers with their reasons, and safety replies by concept.

    Reads the question log (turn it on with ASKCLINIC_QUESTION_LOG=true) and the ratings.

    [bold]Examples[/]

      askclinic insights

      askclinic insights --since 2026-11-01 --report insights.html
    """
    from datetime import date

    from .database import shown
    from .factory import make_embeddings, make_store
    from .feedback import FeedbackStore
    from .insights import compute, to_html, to_markdown
    from .question_log import QuestionLog

    if since:
        try:
            date.fromisoformat(since)
        except ValueError:
            err.print(f"[bold red]error:[/] --since must be a date like 2026-11-01, not {since!r}", highlight=False)
            raise typer.Exit(2) from None
    if report is not None and report.suffix.lower() not in (".html", ".md"):
        err.print(f"[bold red]error:[/] --report must end in .html or .md, not {report.name!r}", highlight=False)
        raise typer.Exit(2)
    settings = Settings(store=store) if store else Settings()
    path = db or settings.feedback_db
    try:
        rows = QuestionLog(path, settings.question_log_days).rows(since)
        ratings = FeedbackStore(path).rows()
        embeddings = make_embeddings(settings)
        posts = list(make_store(settings, embeddings.model_id).post_states())
        found = compute(rows, ratings, posts, embeddings.embed_documents if rows else None, since)
    except AskclinicError as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if not rows:
        err.print(
            f"no logged questions in {shown(path)}; turn the log on with ASKCLINIC_QUESTION_LOG=true", highlight=False
        )
    text = to_markdown(found)
    if report is None:
        out.print(text, highlight=False, markup=False)
        return
    try:
        report.write_text(to_html(found) if report.suffix.lower() == ".html" else text, "utf-8")
    except OSError as e:
        err.print(f"[bold red]error:[/] cannot write {report}: {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    err.print(f"wrote {report} ({found.questions} questions, {len(found.thumbs_down)} thumbs down)")
