"""Staff insights from the question log and the feedback: content gaps, ratings, safety replies.

- questions by status per day;
- unanswered (abstained) questions grouped by meaning with the packaged embedder: each group's
  size and up to three example questions (the posts to write next);
- the posts cited most, and the posts never cited;
- thumbs-down answers with their reasons and quotes;
- urgent and refused replies counted by safety concept.

Rendered as Markdown or as one self-contained HTML page (plots embedded as PNG, no CDN).
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .feedback import Feedback
from .question_log import LoggedQuestion

GROUP_SIMILARITY = 0.6  # an unanswered question joins a group whose first question is this close
EXAMPLES_PER_GROUP = 3
TOP_POSTS = 10
Embed = Callable[[list[str]], Any]


@dataclass(frozen=True)
class QuestionGroup:
    size: int
    examples: tuple[str, ...]


@dataclass
class Insights:
    since: str
    questions: int = 0
    by_day: dict[str, Counter[str]] = field(default_factory=dict)
    unanswered: list[QuestionGroup] = field(default_factory=list)
    most_cited: list[tuple[str, int]] = field(default_factory=list)
    never_cited: list[str] = field(default_factory=list)
    thumbs_down: list[Feedback] = field(default_factory=list)
    safety: Counter[tuple[str, str]] = field(default_factory=Counter)


def compute(
    rows: Sequence[LoggedQuestion],
    feedback: Sequence[Feedback],
    posts: Sequence[str],
    embed: Embed | None,
    since: str = "",
) -> Insights:
    """Every figure of the report, from the logged questions, the ratings and the store's posts."""
    out = Insights(since=since, questions=len(rows))
    for row in rows:
        out.by_day.setdefault(row.created_at[:10], Counter())[row.status] += 1
        if row.status in ("urgent", "refused"):
            out.safety[(row.status, row.concept or "?")] += 1
    cited = Counter(post for row in rows for post in dict.fromkeys(row.cited))
    out.most_cited = cited.most_common(TOP_POSTS)
    out.never_cited = sorted(set(posts) - set(cited))
    unanswered = [row.question for row in rows if row.status == "abstained"]
    out.unanswered = group(unanswered, embed) if unanswered else []
    out.thumbs_down = [f for f in feedback if f.rating == "down" and (not since or f.created_at >= since)]
    return out


def group(questions: Sequence[str], embed: Embed | None) -> list[QuestionGroup]:
    """Questions grouped by meaning (greedy, in order of arrival), largest group first."""
    import numpy as np

    if embed is None:
        groups = Counter(q.strip().lower() for q in questions)
        return [QuestionGroup(n, (q,)) for q, n in groups.most_common()]
    vectors = np.asarray(embed(list(questions)), dtype="float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    heads: list[int] = []
    members: list[list[int]] = []
    for i, vector in enumerate(vectors):
        sims = [float(vectors[h] @ vector) for h in heads]
        best = int(np.argmax(sims)) if sims else -1
        if best >= 0 and sims[best] >= GROUP_SIMILARITY:
            members[best].append(i)
        else:
            heads.append(i)
            members.append([i])
    found = [QuestionGroup(len(m), tuple(dict.fromkeys(questions[i] for i in m))[:EXAMPLES_PER_GROUP]) for m in members]
    return sorted(found, key=lambda g: -g.size)


# -- rendering ------------------------------------------------------------------------------
STATUSES = ("answered", "abstained", "urgent", "refused")


def to_markdown(ins: Insights) -> str:
    def cell(text: str) -> str:
        return html.escape(text).replace("|", "\\|").replace("\n", " ")

    lines = [f"# Patient questions since {ins.since or 'the start of the log'}", ""]
    lines += [f"{ins.questions} questions.", "", "## By day", "", "| day | " + " | ".join(STATUSES) + " |"]
    lines.append("|---" * (len(STATUSES) + 1) + "|")
    for day, counts in sorted(ins.by_day.items()):
        lines.append(f"| {day} | " + " | ".join(str(counts.get(s, 0)) for s in STATUSES) + " |")
    lines += ["", "## Unanswered questions, grouped (the posts to write next)", ""]
    for g in ins.unanswered:
        lines.append(f"- **{g.size}** × " + "; ".join(f"“{cell(q)}”" for q in g.examples))
    lines += ["", "## Posts cited most", ""]
    lines += [f"- {cell(p)}: {n}" for p, n in ins.most_cited] or ["- none"]
    lines += ["", "## Posts never cited", ""]
    lines += [f"- {cell(p)}" for p in ins.never_cited] or ["- none"]
    lines += ["", "## Thumbs down", "", "| when | question | reason | answer | quotes |", "|---|---|---|---|---|"]
    for f in ins.thumbs_down:
        quotes = " / ".join(str(c.get("quote", "")) for c in f.citations)
        lines.append(
            f"| {f.created_at[:16]} | {cell(f.question)} | {cell(f.reason or '—')} | {cell(f.answer[:200])} | "
            f"{cell(quotes[:200])} |"
        )
    lines += ["", "## Safety replies by concept", "", "| status | concept | count |", "|---|---|---|"]
    for (status, concept), n in sorted(ins.safety.items()):
        lines.append(f"| {status} | {cell(concept)} | {n} |")
    return "\n".join(lines) + "\n"


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plots(ins: Insights) -> list[tuple[str, str]]:
    """(title, base64 PNG) of the status-per-day and most-cited charts; [] without data."""
    if not ins.questions:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    days = sorted(ins.by_day)
    fig, ax = plt.subplots(figsize=(7, 3))
    bottom = [0] * len(days)
    for status in STATUSES:
        values = [ins.by_day[d].get(status, 0) for d in days]
        ax.bar(days, values, bottom=bottom, label=status)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("questions")
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    out.append(("Questions by status per day", _png(fig)))
    plt.close(fig)
    if ins.most_cited:
        fig, ax = plt.subplots(figsize=(7, 0.4 * len(ins.most_cited) + 1))
        names = [p for p, _ in ins.most_cited][::-1]
        ax.barh(names, [n for _, n in ins.most_cited][::-1])
        ax.set_xlabel("answers citing it")
        ax.tick_params(axis="y", labelsize=7)
        out.append(("Posts cited most", _png(fig)))
        plt.close(fig)
    return out


def to_html(ins: Insights) -> str:
    """One offline HTML page: the plots, then the Markdown figures as escaped tables."""
    images = "".join(
        f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{b}"><figcaption>{html.escape(t)}'
        "</figcaption></figure>"
        for t, b in plots(ins)
    )
    body = _markdown_to_html(to_markdown(ins))
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;font-size:.9em}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>askclinic insights</title>"
        f"<style>{style}</style></head><body>{images}{body}</body></html>"
    )


def _markdown_to_html(text: str) -> str:
    """The report's own small Markdown (headings, lists, tables; already escaped) as HTML."""
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            head, *rows = table
            out.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr>")
            out.extend("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
            out.append("</table>")
            table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in line.strip("|").split(" | ")]
            if not all(set(c) <= {"-", "|"} for c in cells):
                table.append(cells)
            continue
        flush()
        bold = line.replace("**", "")
        if line.startswith("## "):
            out.append(f"<h2>{line[3:]}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{line[2:]}</h1>")
        elif line.startswith("- "):
            out.append(f"<p>• {bold[2:]}</p>")
        elif line:
            out.append(f"<p>{bold}</p>")
    flush()
    return "\n".join(out)
