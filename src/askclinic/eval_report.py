"""Renderings of an evaluation run: a terminal table, one JSON object, a Markdown or HTML report.

Each failed question is shown with what was expected and what came back, so staff can read
the report without re-running anything.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError
from .evaluation import LATENCY_METRICS, METRICS, EvalRun, Evaluation, GateResult, Metric, QuestionResult

if TYPE_CHECKING:
    from rich.console import RenderableType

REPORT_SUFFIXES = (".md", ".html")
QUOTE_CHARS = 160  # citation quotes and baseline chunks are cut to this in reports


def format_metric(metric: Metric) -> str:
    if metric.value is None:
        return "n/a"
    if metric.name in LATENCY_METRICS:
        return f"{metric.value:.0f} ms"
    if metric.name == "mrr":
        return f"{metric.value:.3f}"
    return f"{metric.value:.1%}"


def _gate_text(gate: GateResult | None) -> str:
    if gate is None:
        return ""
    t = gate.threshold
    bound = (
        f"≤ {t.value:g} ms" if t.is_maximum else (f"≥ {t.value:.3f}" if t.metric == "mrr" else f"≥ {t.value * 100:g}%")
    )
    return f"{bound} {'pass' if gate.passed else 'FAIL'}"


def _rows(run: EvalRun) -> list[tuple[str, str, str, str, str]]:
    """(metric, questions measured, ours, baseline, gate) for every metric; the baseline's
    count is shown where it differs (it cites on every answer, so more answers are checked)."""
    gates = {g.threshold.metric: g for g in run.gate}
    rows = []
    for name in METRICS:
        ours = run.ours.metric(name)
        base = ""
        if run.baseline:
            theirs = run.baseline.metric(name)
            base = format_metric(theirs) + (f" (n={theirs.count})" if theirs.count != ours.count else "")
        rows.append((name, str(ours.count), format_metric(ours), base, _gate_text(gates.get(name))))
    return rows


def gate_failures(run: EvalRun) -> list[str]:
    """One line per gated metric that fell short."""
    out = []
    for g in run.gate:
        if not g.passed:
            value = (
                "n/a (no question measures it)"
                if g.value is None
                else format_metric(Metric(g.threshold.metric, g.value, 0))
            )
            out.append(f"{g.threshold.metric} is {value}, gate {_gate_text(g).removesuffix(' FAIL')}")
    return out


def _headers(run: EvalRun) -> list[str]:
    return ["metric", "n", run.ours.system, *([f"baseline: {run.baseline.system}"] if run.baseline else []), "gate"]


def _short(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _expected(r: QuestionResult) -> str:
    q = r.question
    parts = [q.expected_status.value]
    if q.expected_posts:
        parts.append("posts " + ", ".join(q.expected_posts))
    if q.expected_facts:
        parts.append("facts " + ", ".join(q.expected_facts))
    return "; ".join(parts)


def _got(r: QuestionResult) -> str:
    cited = ", ".join(dict.fromkeys(c.post_id for c in r.answer.citations)) or "none"
    return f"{r.answer.status.value}; cites {cited}; retrieved {', '.join(r.retrieved[:5]) or 'nothing'}"


# -- terminal -----------------------------------------------------------------------------
def terminal(run: EvalRun) -> list[RenderableType]:
    """The summary table, then each failed question (rich renderables)."""
    from rich.table import Table
    from rich.text import Text

    summary = Table(title=f"Evaluation of {run.questions.path} ({len(run.questions.questions)} questions)")
    for header, justify in (("metric", "left"), ("n", "right"), (run.ours.system, "right")):
        summary.add_column(header, justify=justify)  # type: ignore[arg-type]
    if run.baseline:
        summary.add_column(f"baseline: {run.baseline.system}", justify="right")
    if run.gate:
        summary.add_column("gate")
    for name, n, ours, base, gate in _rows(run):
        cells = [name, n, ours] + ([base] if run.baseline else []) + ([gate] if run.gate else [])
        summary.add_row(*cells, style="red" if gate.endswith("FAIL") else None)
    out: list[RenderableType] = [summary]
    failed = run.ours.failed
    if failed:
        out.append(
            Text(f"\n{len(failed)} of {len(run.ours.results)} questions failed ({run.ours.system}):", style="bold")
        )
    for r in failed:
        item = Text()
        item.append(f"\nline {r.question.line}  ", style="bold red")
        item.append(r.question.question + "\n", style="bold")
        for label, value in (("expected", _expected(r)), ("got", _got(r)), ("answer", _short(r.answer.answer, 200))):
            item.append(f"  {label:<9}", style="dim")
            item.append(value + "\n")
        for failure in r.failures:
            item.append("  why      ", style="dim")
            item.append(failure + "\n", style="red")
        item.rstrip()
        out.append(item)
    return out


# -- JSON ---------------------------------------------------------------------------------
def _result_json(r: QuestionResult) -> dict[str, object]:
    q = r.question
    return {
        "line": q.line,
        "question": q.question,
        "asked": r.asked,
        "category": q.category,
        "language": q.language,
        "expected_status": q.expected_status.value,
        "expected_posts": list(q.expected_posts),
        "expected_facts": list(q.expected_facts),
        "passed": r.passed,
        "failures": list(r.failures),
        "retrieved_posts": list(r.retrieved),
        "rank": r.rank,
        "seconds": round(r.seconds, 4),
        "answer": r.answer.to_dict(),
    }


def _evaluation_json(e: Evaluation) -> dict[str, object]:
    return {
        "metrics": {m.name: {"value": m.value, "count": m.count} for m in e.metrics},
        "failed": len(e.failed),
        "results": [_result_json(r) for r in e.results],
    }


def to_json(run: EvalRun) -> dict[str, object]:
    """The run as one JSON-ready object (the machine-readable edge; keys are stable)."""
    systems = {run.ours.system: _evaluation_json(run.ours)}
    if run.baseline:
        systems[f"baseline:{run.baseline.system}"] = _evaluation_json(run.baseline)
    return {
        "questions_file": run.questions.path,
        "questions": len(run.questions.questions),
        "passed": run.passed,
        "gate": [
            {
                "metric": g.threshold.metric,
                "threshold": g.threshold.value,
                "bound": "max" if g.threshold.is_maximum else "min",
                "value": g.value,
                "passed": g.passed,
            }
            for g in run.gate
        ],
        "systems": systems,
    }


# -- Markdown and HTML --------------------------------------------------------------------
def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def _failed_md(e: Evaluation) -> list[str]:
    lines = [f"## Failed questions: {e.system} ({len(e.failed)} of {len(e.results)})", ""]
    for r in e.failed:
        lines += [f"### Line {r.question.line}: {_md(r.question.question)}", ""]
        if r.asked != r.question.question:
            lines.append(f"- **asked as**: {_md(r.asked)}")
        lines += [
            f"- **category**: {r.question.category or '-'} ({r.question.language})",
            f"- **expected**: {_md(_expected(r))}",
            f"- **got**: {_md(_got(r))}",
            f"- **answer**: {_md(_short(r.answer.answer, 400))}",
        ]
        lines += [f"- **[{c.n}]** {_md(c.post_id)}: “{_md(_short(c.quote))}”" for c in r.answer.citations]
        lines += [f"- **why**: {_md(f)}" for f in r.failures] + [""]
    return lines


def markdown(run: EvalRun) -> str:
    headers = _headers(run)
    lines = [
        f"# Evaluation of `{run.questions.path}`",
        "",
        f"{len(run.questions.questions)} questions; gate **{'passed' if run.passed else 'FAILED'}**.",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
    ]
    for name, n, ours, base, gate in _rows(run):
        lines.append("| " + " | ".join([name, n, ours] + ([base] if run.baseline else []) + [gate]) + " |")
    lines.append("")
    lines += [f"- gate failed: {_md(f)}" for f in gate_failures(run)]
    lines += ["", *_failed_md(run.ours)]
    if run.baseline:
        lines += _failed_md(run.baseline)
    return "\n".join(lines).rstrip() + "\n"


def _failed_html(e: Evaluation) -> str:
    esc = html.escape
    items = []
    for r in e.failed:
        cites = "".join(f"<li>[{c.n}] {esc(c.post_id)}: “{esc(_short(c.quote))}”</li>" for c in r.answer.citations)
        why = "".join(f"<li>{esc(f)}</li>" for f in r.failures)
        asked = f"<dt>asked as</dt><dd>{esc(r.asked)}</dd>" if r.asked != r.question.question else ""
        items.append(
            f"<section><h3>Line {r.question.line}: {esc(r.question.question)}</h3><dl>{asked}"
            f"<dt>category</dt><dd>{esc(r.question.category or '-')} ({r.question.language})</dd>"
            f"<dt>expected</dt><dd>{esc(_expected(r))}</dd><dt>got</dt><dd>{esc(_got(r))}</dd>"
            f"<dt>answer</dt><dd>{esc(_short(r.answer.answer, 400))}</dd></dl>"
            f"<ul>{cites}</ul><p>Why it failed:</p><ul class=why>{why}</ul></section>"
        )
    return f"<h2>Failed questions: {esc(e.system)} ({len(e.failed)} of {len(e.results)})</h2>" + "".join(items)


def html_report(run: EvalRun) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in _headers(run))
    rows = "".join(
        "<tr"
        + (" class=fail" if gate.endswith("FAIL") else "")
        + ">"
        + "".join(f"<td>{esc(c)}</td>" for c in [name, n, ours] + ([base] if run.baseline else []) + [gate])
        + "</tr>"
        for name, n, ours, base, gate in _rows(run)
    )
    gate_list = "".join(f"<li>{esc(f)}</li>" for f in gate_failures(run))
    body = _failed_html(run.ours) + (_failed_html(run.baseline) if run.baseline else "")
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>Evaluation of {esc(run.questions.path)}</title><style>"
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}td:first-child,th:first-child{text-align:left}"
        ".fail{color:#b00}.why{color:#b00}dt{font-weight:bold}</style></head><body>"
        f"<h1>Evaluation of <code>{esc(run.questions.path)}</code></h1>"
        f"<p>{len(run.questions.questions)} questions; gate <b>{'passed' if run.passed else 'FAILED'}</b>.</p>"
        f"<table><tr>{head}</tr>{rows}</table><ul class=fail>{gate_list}</ul>{body}</body></html>\n"
    )


def check_report_path(path: Path) -> None:
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise ConfigError(f"--report {path}: the file must end in {' or '.join(REPORT_SUFFIXES)}")


def write_report(path: Path, run: EvalRun) -> None:
    """Markdown for ``.md``, HTML for ``.html``."""
    check_report_path(path)
    text = html_report(run) if path.suffix.lower() == ".html" else markdown(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


__all__: Sequence[str] = [
    "format_metric",
    "gate_failures",
    "html_report",
    "markdown",
    "terminal",
    "to_json",
    "write_report",
]
