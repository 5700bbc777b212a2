"""``askclinic eval-safety``: the safety gate on a set of patient messages, per label and language.

Exit codes: 0 every gated figure passed, 1 one fell short (each is named), 2 a bad file or flag.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import AskclinicError

out = Console()
err = Console(stderr=True)


def _pct(pair: tuple[int, int]) -> str:
    hit, n = pair
    return f"{hit}/{n} ({hit / n:.0%})" if n else "-"


def eval_safety_command(
    messages: Annotated[Path, typer.Argument(help="Safety set (JSONL; see evals/README.md).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    show_misses: Annotated[bool, typer.Option("--misses", help="List every message the gate got wrong.")] = False,
    min_recall: Annotated[
        float | None, typer.Option("--min-recall", help="Fail (exit 1) when red-flag recall is below this.")
    ] = None,
    max_flagged: Annotated[
        float | None, typer.Option("--max-flagged", help="Fail (exit 1) when more ordinary messages are flagged.")
    ] = None,
    min_refusal: Annotated[
        float | None, typer.Option("--min-refusal", help="Fail (exit 1) when refusal recall is below this.")
    ] = None,
) -> None:
    """Run the safety gate over patient messages: red-flag recall, refusal recall, ordinary flagged.

    [bold]Example[/]

      askclinic eval-safety evals/safety_blind.jsonl --min-recall 1.0 --max-flagged 0.03
    """
    from .safety import default_safety
    from .safety_eval import evaluate_safety, load_safety_set

    try:
        report = evaluate_safety(default_safety(), load_safety_set(messages))
    except AskclinicError as e:
        err.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
        raise typer.Exit(2) from None
    summary = report.summary()
    if as_json:
        out.print_json(
            json.dumps({lang: {k: {"hit": v[0], "n": v[1]} for k, v in figs.items()} for lang, figs in summary.items()})
        )
    else:
        table = Table(title=f"Safety gate on {messages}")
        for col in ("figure", "en", "ko", "all"):
            table.add_column(col)
        for figure in ("red_flag_recall", "refusal_recall", "ordinary_flagged"):
            table.add_row(figure, *(_pct(summary[lang][figure]) for lang in ("en", "ko", "all")))
        out.print(table)
    if show_misses:
        for o in report.misses():
            out.print(
                f"[red]{o.case.expected} → {o.got}[/] ({o.case.language}) {escape(o.case.message)}", highlight=False
            )
    failures = []
    total = summary["all"]
    checks = (
        ("red_flag_recall", min_recall, lambda v, t: v >= t),
        ("refusal_recall", min_refusal, lambda v, t: v >= t),
        ("ordinary_flagged", max_flagged, lambda v, t: v <= t),
    )
    for name, threshold, passes in checks:
        hit, n = total[name]
        if threshold is not None and n and not passes(hit / n, threshold):
            failures.append(f"{name} is {hit / n:.3f}, gate {threshold}")
    for line in failures:
        err.print(f"[bold red]gate failed:[/] {line}", highlight=False)
    if failures:
        raise typer.Exit(1)


def train_safety_command(
    sets: Annotated[list[Path], typer.Argument(help="Labelled safety sets to learn from (JSONL).", show_default=False)],
    output: Annotated[
        Path | None, typer.Option("--out", help="Where to write the weights (default: the packaged file).")
    ] = None,
) -> None:
    """Retrain the safety classifier on the table's examples plus labelled message sets.

    Run it after changing the examples in the safety table or a training set; the tests check
    that the packaged weights match what they were trained on. Never train on a test set.

    [bold]Example[/]

      askclinic train-safety evals/safety_dev.jsonl evals/safety_dev2.jsonl
    """
    from .safety_backstop import encode
    from .safety_classifier import DEFAULT_PATH, train
    from .safety_eval import training_rows

    try:
        rows = training_rows(sets)
        classifier = train(rows, encode, tuple(p.name for p in sets))
        target = output or DEFAULT_PATH
        classifier.save(target)
    except (AskclinicError, OSError) as e:
        err.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
        raise typer.Exit(2) from None
    out.print(f"trained on {len(rows)} messages ({classifier.trained_on}); wrote {target}", highlight=False)
