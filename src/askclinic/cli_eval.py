"""``askclinic eval``: run a question set through the app's pipeline, print metrics, apply the gate.

Exit codes: 0 every gated metric passed, 1 a gated metric fell short (each is named),
2 a bad question file, flag or store.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from .errors import AskclinicError, ConfigError, EmptyStoreError

if TYPE_CHECKING:
    from .evaluation import EvalRun, QuestionSet, Threshold

out = Console()
err = Console(stderr=True)
BASELINES = ("naive",)


def eval_command(
    questions: Annotated[Path, typer.Argument(help="Question set (JSONL; see evals/README.md).", show_default=False)],
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Store folder or http(s)://host:port of a Chroma server "
            "\\[env ASKCLINIC_STORE; default .askclinic/store]",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Also write a report of every failed question: FILE.md or FILE.html.", show_default=False
        ),
    ] = None,
    gate: Annotated[
        list[str] | None,
        typer.Option(
            "--gate",
            help="Threshold METRIC=VALUE (repeatable; overrides the file's gate line), "
            "e.g. hit@3=0.9 or latency_p95_ms=500 (a maximum).",
            show_default=False,
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="Also run the textbook LangChain RAG ('naive') for comparison; needs --archive.",
            show_default=False,
        ),
    ] = None,
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive",
            help="The archive folder that was ingested (the naive baseline indexes its raw files).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run test questions through the answering pipeline and report retrieval, fact, citation,
    groundedness, status, disclaimer and latency metrics.

    [bold]Examples[/]

      askclinic eval evals/sample_archive.jsonl --store .askclinic/store

      askclinic eval evals/real_post.jsonl --gate hit@3=0.9 --gate facts=0.8 --report eval.html

      askclinic eval evals/sample_archive.jsonl --baseline naive --archive samples/archive --json
    """
    from . import evaluation as ev
    from .eval_report import check_report_path, gate_failures, terminal, to_json, write_report

    try:
        qset = ev.load_questions(questions)
        thresholds = ev.merge_gates(ev.DEFAULT_GATE, qset.gate, ev.parse_gate_flags(gate or []))
        if report is not None:
            check_report_path(report)
        if baseline is not None and baseline not in BASELINES:
            raise ConfigError(f"--baseline {baseline!r}: the only baseline is {', '.join(BASELINES)}")
        if baseline is not None and archive is None:
            raise ConfigError("--baseline needs --archive DIR, the folder you ingested (it indexes the raw files)")
        run = _run(qset, thresholds, store, baseline, archive, show_progress=not as_json)
    except AskclinicError as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None

    if as_json:
        import json

        print(json.dumps(to_json(run), ensure_ascii=False), flush=True)
    else:
        for renderable in terminal(run):
            out.print(renderable)
    if report is not None:
        write_report(report, run)
        err.print(f"report written to {report}", highlight=False)
    for line in gate_failures(run):
        err.print(f"[bold red]gate failed:[/] {line}", highlight=False)
    raise typer.Exit(0 if run.passed else 1)


def _run(
    qset: QuestionSet,
    thresholds: tuple[Threshold, ...],
    store: str | None,
    baseline: str | None,
    archive: Path | None,
    show_progress: bool,
) -> EvalRun:
    """Our pipeline over every question, then the baseline if asked, then the gate."""
    from . import evaluation as ev
    from .factory import make_pipeline
    from .progress import progress_bar
    from .settings import Settings

    settings = Settings(store=store) if store else Settings()
    pipeline = make_pipeline(settings)
    chunks = pipeline.search.store.chunks()
    if not chunks:
        raise EmptyStoreError(f"the store at {settings.store} holds no posts yet; run 'askclinic ingest PATH' first")
    posts = ev.post_texts(chunks)
    problems = ev.unknown_posts(qset, posts)
    if problems:
        raise ev.QuestionFileError(problems)
    pipeline.warm_up()  # latency figures measure answering, not loading the model
    from .followup import keeps_post

    rewrite = ev.followup_rewriter()
    with progress_bar(err, disable=not show_progress) as bar:
        task = bar.add_task("askclinic", total=len(qset.questions))
        ours = ev.evaluate(
            qset.questions,
            pipeline.answer,
            posts,
            rewrite=rewrite,
            progress=lambda done, total: bar.update(task, completed=done),
            prefer=keeps_post,
        )
        base = None
        if baseline is not None:
            from .baseline import NaiveRAG

            bar.update(task, description=f"indexing {archive} for the {baseline} baseline")
            assert archive is not None
            naive = NaiveRAG.from_archive(archive, pipeline.search.embeddings)
            missing = sorted({p for q in qset.questions for p in q.expected_posts} - set(naive.posts))
            if missing:
                raise ConfigError(
                    f"--archive {archive} does not hold {', '.join(missing)}; "
                    "pass the folder that was ingested into the store"
                )
            bar.update(task, description=f"baseline: {baseline}", completed=0)
            base = ev.evaluate(
                qset.questions,
                naive.answer,
                naive.posts,
                system=baseline,
                rewrite=rewrite,
                progress=lambda done, total: bar.update(task, completed=done),
            )
    return ev.EvalRun(qset, ours, base, ev.check_gate(ours, thresholds))
