"""Evaluation with test questions: per-answer checks, metrics, the gate.

The question-set format lives in ``questions.py`` (re-exported here). ``evaluate`` runs the
questions through any ``question -> Answer`` function (the app's pipeline or a baseline) and
returns frozen results; ``check_gate`` compares their metrics with thresholds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .questions import (  # noqa: F401  (re-exported: the evaluation's public names)
    CATEGORIES,
    DEFAULT_GATE,
    FIELDS,
    IGNORED_FIELDS,
    LANGUAGES,
    LATENCY_METRICS,
    METRICS,
    RATIO_METRICS,
    Problem,
    Question,
    QuestionFileError,
    QuestionSet,
    Threshold,
    alternatives,
    load_questions,
    merge_gates,
    parse_gate_flags,
    parse_questions,
    unknown_posts,
)
from .safety import DISCLAIMER
from .text import NUMBER, numbers_in
from .types import Answer, Chunk, Status

_MARKER = re.compile(r"\[(\d+)\]")
_LEAD = re.compile(r"^[^\n]*?”(?::|에 따르면:) ")


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def post_texts(chunks: Iterable[Chunk]) -> dict[str, str]:
    """Each post's sentences as one normalised text, to find citation quotes in (verbatim)."""
    ordered = sorted(chunks, key=lambda c: (c.post_id, c.chunk_index))
    out: dict[str, list[str]] = {}
    for chunk in ordered:
        out.setdefault(chunk.post_id, []).extend(chunk.sentences)
    return {post: _norm(" ".join(sentences)) for post, sentences in out.items()}


def retrieved_posts(answer: Answer) -> tuple[str, ...]:
    """Distinct posts of the retrieved hits, in rank order."""
    return tuple(dict.fromkeys(h.chunk.post_id for h in answer.hits))


def first_rank(retrieved: Sequence[str], expected: Iterable[str]) -> int | None:
    """1-based rank of the first expected post among the retrieved posts, or None."""
    wanted = {post for item in expected for post in alternatives(item)}
    return next((i for i, post in enumerate(retrieved, start=1) if post in wanted), None)


def first_paragraph(text: str) -> str:
    return text.split("\n\n")[0]


def fact_found(fact: str, text: str) -> bool:
    """Case- and spacing-insensitive; a fact never matches inside a longer number or word
    (``6%`` is not found in ``26%``)."""
    norm = _norm(fact)
    before = r"(?<![\w.,])" if norm[:1].isalnum() else ""
    after = r"(?![\w])" if norm[-1:].isalnum() else ""
    return re.search(before + re.escape(norm) + after, _norm(text)) is not None


def _cited_quotes(answer: Answer, text: str) -> list[str]:
    """The quotes of the citations whose [n] markers ``text`` (a part of the answer) holds."""
    quotes = {c.n: c.quote for c in answer.citations}
    return [quotes[int(m)] for m in _MARKER.findall(text) if int(m) in quotes]


def missing_facts(answer: Answer, facts: Iterable[str], in_first: bool = True) -> tuple[str, ...]:
    """Facts neither stated in the answer (its first paragraph, ``in_first``) nor given by a quote
    it cites there with every number of the fact stated: an answer written in the patient's words
    or language (the LLM mode's "입술필러는 6~9개월 유지됩니다 [1]") gives the fact its source
    states in the archive's words. An extractive answer quotes its sources, so for it the two agree."""
    where = first_paragraph(answer.answer) if in_first else answer.answer
    cited = _cited_quotes(answer, where)
    stated = numbers_in(where)

    def given(fact: str) -> bool:
        return numbers_in(fact) <= stated and any(fact_found(fact, quote) for quote in cited)

    return tuple(f for f in facts if not (fact_found(f, where) or given(f)))


def citation_problems(answer: Answer, expected_posts: Iterable[str], posts: Mapping[str, str]) -> tuple[str, ...]:
    """Expected posts not cited, quotes not found verbatim in their post, [n] without a citation."""
    cited = {c.post_id for c in answer.citations}
    out = [
        f"does not cite {' or '.join(alternatives(item))}"
        for item in expected_posts
        if not cited & set(alternatives(item))
    ]
    for c in answer.citations:
        if c.post_id not in posts:
            out.append(f"[{c.n}] cites {c.post_id}, which is not in the archive")
        elif _norm(c.quote) not in posts[c.post_id]:
            out.append(f"[{c.n}] quote is not in {c.post_id}: “{c.quote[:80]}”")
    numbers = {c.n for c in answer.citations}
    out.extend(f"[{m}] has no citation" for m in dict.fromkeys(_MARKER.findall(answer.answer)) if int(m) not in numbers)
    return tuple(out)


def ungrounded_numbers(answer: Answer) -> tuple[str, ...]:
    """Numbers of an answered body that its paragraph's cited quotes do not contain."""
    if answer.status is not Status.ANSWERED:
        return ()
    out: list[str] = []
    for paragraph in _LEAD.sub("", answer.answer, count=1).split("\n\n"):
        refs = _cited_quotes(answer, paragraph) or [c.quote for c in answer.citations]
        allowed = set().union(*map(numbers_in, refs))
        out.extend(n for n in NUMBER.findall(_MARKER.sub("", paragraph)) if n.replace(",", "") not in allowed)
    return tuple(out)


@dataclass(frozen=True)
class QuestionResult:
    """One question, what came back, and every check's outcome."""

    question: Question
    asked: str  # the text sent to the pipeline (a follow-up may be rewritten)
    answer: Answer
    seconds: float
    retrieved: tuple[str, ...]
    rank: int | None
    missing_facts: tuple[str, ...]
    citation_problems: tuple[str, ...]
    ungrounded: tuple[str, ...]

    @property
    def status_ok(self) -> bool:
        return self.answer.status is self.question.expected_status

    @property
    def disclaimer_ok(self) -> bool:
        return self.answer.disclaimer == DISCLAIMER

    @property
    def checks_citations(self) -> bool:
        return bool(self.question.expected_posts or self.answer.citations)

    @property
    def failures(self) -> tuple[str, ...]:
        q, out = self.question, []
        if not self.status_ok:
            out.append(f"status {self.answer.status.value}, expected {q.expected_status.value}")
        if q.expected_posts and self.rank is None:
            out.append(f"retrieval: {', '.join(q.expected_posts)} not among the retrieved posts")
        if self.missing_facts:
            where = "the first paragraph" if q.facts_in_first_sentence else "the answer"
            out.append(f"facts missing from {where}: {', '.join(self.missing_facts)}")
        out.extend(f"citations: {p}" for p in self.citation_problems)
        if self.ungrounded:
            out.append(f"ungrounded numbers (not in the cited quotes): {', '.join(self.ungrounded)}")
        if not self.disclaimer_ok:
            out.append("the disclaimer is missing or altered")
        return tuple(out)

    @property
    def passed(self) -> bool:
        return not self.failures


def check(question: Question, asked: str, answer: Answer, seconds: float, posts: Mapping[str, str]) -> QuestionResult:
    retrieved = retrieved_posts(answer)
    return QuestionResult(
        question=question,
        asked=asked,
        answer=answer,
        seconds=seconds,
        retrieved=retrieved,
        rank=first_rank(retrieved, question.expected_posts),
        missing_facts=missing_facts(answer, question.expected_facts, question.facts_in_first_sentence),
        citation_problems=citation_problems(answer, question.expected_posts, posts),
        ungrounded=ungrounded_numbers(answer),
    )


# -- metrics over a run -------------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    name: str
    value: float | None  # None: no question measures it
    count: int  # questions it was measured on


@dataclass(frozen=True)
class Evaluation:
    system: str
    results: tuple[QuestionResult, ...]
    metrics: tuple[Metric, ...]

    def metric(self, name: str) -> Metric:
        return next(m for m in self.metrics if m.name == name)

    @property
    def failed(self) -> tuple[QuestionResult, ...]:
        return tuple(r for r in self.results if not r.passed)


def _share(name: str, flags: Sequence[bool]) -> Metric:
    return Metric(name, sum(flags) / len(flags) if flags else None, len(flags))


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (as numpy's default), p in [0, 100]."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summarize(results: Sequence[QuestionResult]) -> tuple[Metric, ...]:
    ranked = [r for r in results if r.question.expected_posts]
    metrics = [_share(f"hit@{k}", [r.rank is not None and r.rank <= k for r in ranked]) for k in (1, 3, 5)]
    rr = [1 / r.rank if r.rank else 0.0 for r in ranked]
    metrics.append(Metric("mrr", sum(rr) / len(rr) if rr else None, len(rr)))
    metrics.append(_share("facts", [not r.missing_facts for r in results if r.question.expected_facts]))
    metrics.append(_share("citations", [not r.citation_problems for r in results if r.checks_citations]))
    metrics.append(_share("groundedness", [not r.ungrounded for r in results if r.answer.status is Status.ANSWERED]))
    metrics.append(_share("status", [r.status_ok for r in results]))
    for status in Status:
        metrics.append(
            _share(f"status:{status.value}", [r.status_ok for r in results if r.question.expected_status is status])
        )
    abstained = Status.ABSTAINED
    metrics.append(
        _share(
            "abstention_precision",
            [r.question.expected_status is abstained for r in results if r.answer.status is abstained],
        )
    )
    metrics.append(
        _share(
            "abstention_recall",
            [r.answer.status is abstained for r in results if r.question.expected_status is abstained],
        )
    )
    metrics.append(
        _share(
            "red_flag_recall",
            [r.answer.status is Status.URGENT for r in results if r.question.expected_status is Status.URGENT],
        )
    )
    metrics.append(_share("disclaimer", [r.disclaimer_ok for r in results]))
    ms = [r.seconds * 1000 for r in results]
    for name, p in (("latency_p50_ms", 50), ("latency_p95_ms", 95)):
        metrics.append(Metric(name, percentile(ms, p) if ms else None, len(ms)))
    return tuple(metrics)


Rewriter = Callable[[str, Sequence[str]], str]


def followup_rewriter() -> Rewriter | None:
    """``askclinic.followup.rewrite(question, history)`` when that module exists."""
    from importlib import import_module
    from importlib.util import find_spec

    if find_spec("askclinic.followup") is None:
        return None
    return getattr(import_module("askclinic.followup"), "rewrite", None)


def evaluate(
    questions: Sequence[Question],
    answer: Callable[..., Answer],
    posts: Mapping[str, str],
    *,
    system: str = "askclinic",
    rewrite: Rewriter | None = None,
    progress: Callable[[int, int], None] | None = None,
    warm_up: bool = True,
    prefer: Callable[[str, str], bool] | None = None,
) -> Evaluation:
    """Answer every question (timed), check each answer, and compute the metrics.

    A question with a history is asked as the chat asks it: rewritten by ``rewrite``, and, when
    ``prefer(question, rewritten)`` says the follow-up keeps the conversation's post, answered with
    the post the last answered earlier question quoted first (the earlier questions are asked
    too, in order, as the chat would have)."""
    if warm_up and questions:
        answer(questions[0].question)  # load the model and indexes outside the timed runs
    results = []
    for i, q in enumerate(questions):
        asked = q.question
        if q.history and rewrite is not None:
            rewritten = rewrite(q.question, list(q.history))
            asked = rewritten if isinstance(rewritten, str) else q.question
        about: tuple[str, ...] = ()
        if q.history and prefer is not None and prefer(q.question, asked):
            about = _conversation_posts(list(q.history), answer, rewrite)
        started = time.perf_counter()
        got = answer(asked, about) if about else answer(asked)
        results.append(check(q, asked, got, time.perf_counter() - started, posts))
        if progress:
            progress(i + 1, len(questions))
    return Evaluation(system, tuple(results), summarize(results))


def _conversation_posts(history: list[str], answer: Callable[..., Answer], rewrite: Rewriter | None) -> tuple[str, ...]:
    """The post the last answered question of ``history`` quoted first, asking them in order."""
    posts: tuple[str, ...] = ()
    for i, earlier in enumerate(history):
        asked = rewrite(earlier, history[:i]) if rewrite is not None and i else earlier
        got = answer(asked if isinstance(asked, str) else earlier)
        if got.citations:
            posts = (got.citations[0].post_id,)
    return posts


# -- the gate -----------------------------------------------------------------------------
@dataclass(frozen=True)
class GateResult:
    threshold: Threshold
    value: float | None

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False  # a gated metric that no question measures is a broken question set
        if self.threshold.is_maximum:
            return self.value <= self.threshold.value
        return self.value >= self.threshold.value - 1e-9


def check_gate(evaluation: Evaluation, thresholds: Iterable[Threshold]) -> tuple[GateResult, ...]:
    return tuple(GateResult(t, evaluation.metric(t.metric).value) for t in thresholds)


@dataclass(frozen=True)
class EvalRun:
    """Everything one ``askclinic eval`` produced: ours, the optional baseline, the gate."""

    questions: QuestionSet
    ours: Evaluation
    baseline: Evaluation | None
    gate: tuple[GateResult, ...]

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gate)
