"""Evaluation with test questions: the question-set format, per-answer checks, metrics, the gate.

A question set is JSONL (format in ``evals/README.md``). ``load_questions`` validates every
line and raises ``QuestionFileError`` naming the file, line and field of each problem.
``evaluate`` runs the questions through any ``question -> Answer`` function (the app's
pipeline or a baseline) and returns frozen results; ``check_gate`` compares their metrics
with thresholds.

AskclinicError
└── QuestionFileError   the question file, or a --gate flag, is invalid
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import AskclinicError
from .glossary import is_korean
from .safety import DISCLAIMER
from .types import Answer, Chunk, Status

RATIO_METRICS = (
    "hit@1",
    "hit@3",
    "hit@5",
    "mrr",
    "facts",
    "citations",
    "groundedness",
    "status",
    "status:answered",
    "status:abstained",
    "status:urgent",
    "status:refused",
    "abstention_precision",
    "abstention_recall",
    "red_flag_recall",
    "disclaimer",
)
LATENCY_METRICS = ("latency_p50_ms", "latency_p95_ms")  # gate values for these are maxima
METRICS = RATIO_METRICS + LATENCY_METRICS
CATEGORIES = ("answerable", "out-of-archive", "red-flag", "dosage", "adversarial", "follow-up")
LANGUAGES = ("en", "ko")
FIELDS = frozenset(
    {
        "question",
        "expected_posts",
        "expected_facts",
        "facts_in_first_sentence",
        "expected_status",
        "language",
        "category",
        "history",
        "notes",
    }
)
IGNORED_FIELDS = frozenset({"answer_given", "citations_given"})  # written by the web UI's feedback export

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MARKER = re.compile(r"\[(\d+)\]")
# The lead "According to the clinic's post “TITLE”: " names the post; numbers in a title are not claims.
_LEAD = re.compile(r"^[^\n]*?”(?::|에 따르면:) ")


@dataclass(frozen=True)
class Problem:
    where: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        at = f"{self.where}:{self.line}" if self.line else self.where
        return f"{at}: {self.field}: {self.message}"


class QuestionFileError(AskclinicError):
    """The question file (or a --gate flag) is invalid; ``problems`` lists every mistake."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Threshold:
    metric: str
    value: float

    @property
    def is_maximum(self) -> bool:
        return self.metric in LATENCY_METRICS


DEFAULT_GATE = (Threshold("disclaimer", 1.0),)  # every answer carries the disclaimer, always


@dataclass(frozen=True)
class Question:
    line: int
    question: str
    expected_status: Status
    expected_posts: tuple[str, ...] = ()
    expected_facts: tuple[str, ...] = ()
    facts_in_first_sentence: bool = True
    language: str = "en"
    category: str = ""
    history: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class QuestionSet:
    path: str
    questions: tuple[Question, ...]
    gate: tuple[Threshold, ...] = ()


# -- loading ------------------------------------------------------------------------------
def load_questions(path: Path) -> QuestionSet:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise QuestionFileError([Problem(str(path), 0, "file", f"cannot read it as UTF-8 text ({e})")]) from e
    return parse_questions(text, str(path))


def parse_questions(text: str, where: str = "<questions>") -> QuestionSet:
    problems: list[Problem] = []
    questions: list[Question] = []
    gate: tuple[Threshold, ...] = ()
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            problems.append(Problem(where, n, "json", f"not valid JSON ({e.msg} at column {e.colno})"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(where, n, "json", "each line must be one JSON object {...}"))
        elif set(obj) == {"gate"}:
            if questions or gate:
                problems.append(Problem(where, n, "gate", "the gate line must be the first line"))
            gate = _gate(obj["gate"], where, n, problems)
        else:
            question = _question(obj, where, n, problems)
            if question is not None:
                questions.append(question)
    if not questions and not problems:
        problems.append(Problem(where, 0, "question", "the file holds no questions"))
    if problems:
        raise QuestionFileError(problems)
    return QuestionSet(where, tuple(questions), gate)


def _strings(obj: dict[str, object], key: str, add: Callable[[str, str], None]) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        add(key, "must be a list of non-empty strings")
        return ()
    return tuple(value)


def _question(obj: dict[str, object], where: str, n: int, problems: list[Problem]) -> Question | None:
    before = len(problems)
    obj = {k: v for k, v in obj.items() if v is not None}  # null means "not given"

    def add(field: str, message: str) -> None:
        problems.append(Problem(where, n, field, message))

    for key in sorted(set(obj) - FIELDS - IGNORED_FIELDS):
        add(key, f"unknown field; known fields are {', '.join(sorted(FIELDS))}")
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        add("question", "required, a non-empty string")
    status = obj.get("expected_status")
    if status not in {s.value for s in Status}:
        add("expected_status", f"required, one of {', '.join(s.value for s in Status)}; got {status!r}")
    posts = _strings(obj, "expected_posts", add)
    facts = _strings(obj, "expected_facts", add)
    history = _strings(obj, "history", add)
    first = obj.get("facts_in_first_sentence", True)
    if not isinstance(first, bool):
        add("facts_in_first_sentence", "must be true or false")
    language = obj.get("language")
    if language is not None and language not in LANGUAGES:
        add("language", f"must be one of {', '.join(LANGUAGES)}; got {language!r}")
    category = obj.get("category", "")
    if category and category not in CATEGORIES:
        add("category", f"must be one of {', '.join(CATEGORIES)}; got {category!r}")
    notes = obj.get("notes", "")
    if not isinstance(notes, str):
        add("notes", "must be a string")
    if facts and status in {s.value for s in Status} and status != Status.ANSWERED:
        add("expected_facts", f"facts are checked only in answers; expected_status is {status}")
    if len(problems) > before:
        return None
    assert isinstance(question, str) and isinstance(status, str)
    return Question(
        line=n,
        question=question,
        expected_status=Status(status),
        expected_posts=posts,
        expected_facts=facts,
        facts_in_first_sentence=bool(first),
        language=str(language or ("ko" if is_korean(question) else "en")),
        category=str(category),
        history=history,
        notes=str(notes),
    )


def _gate(value: object, where: str, n: int, problems: list[Problem]) -> tuple[Threshold, ...]:
    if not isinstance(value, dict):
        problems.append(Problem(where, n, "gate", 'must be an object such as {"hit@3": 0.9}'))
        return ()
    out = []
    for metric, threshold in value.items():
        problem = _threshold_problem(metric, threshold)
        if problem:
            problems.append(Problem(where, n, f"gate.{metric}", problem))
        else:
            out.append(Threshold(metric, float(threshold)))
    return tuple(out)


def _threshold_problem(metric: str, value: object) -> str:
    if metric not in METRICS:
        return f"unknown metric; known metrics are {', '.join(METRICS)}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, not {value!r}"
    if metric in RATIO_METRICS and not 0 <= value <= 1:
        return f"must be between 0 and 1 (a share), not {value}"
    if value < 0:
        return f"must not be negative, not {value}"
    return ""


def parse_gate_flags(flags: Iterable[str]) -> tuple[Threshold, ...]:
    """``--gate hit@3=0.9`` (repeatable, or comma-separated) as thresholds."""
    out, problems = [], []
    for flag in flags:
        for item in filter(None, (s.strip() for s in flag.split(","))):
            metric, sep, raw = item.partition("=")
            try:
                value: object = float(raw)
            except ValueError:
                value = raw
            problem = "write METRIC=VALUE, e.g. hit@3=0.9" if not sep else _threshold_problem(metric.strip(), value)
            if problem:
                problems.append(Problem("--gate", 0, item, problem))
            else:
                out.append(Threshold(metric.strip(), float(raw)))
    if problems:
        raise QuestionFileError(problems)
    return tuple(out)


def merge_gates(*gates: Iterable[Threshold]) -> tuple[Threshold, ...]:
    """Later thresholds for the same metric replace earlier ones."""
    merged: dict[str, Threshold] = {}
    for gate in gates:
        merged.update((t.metric, t) for t in gate)
    return tuple(merged.values())


def unknown_posts(questions: QuestionSet, known: Iterable[str]) -> tuple[Problem, ...]:
    """Expected post ids the store does not hold (usually: ingested from another folder), one
    problem per id at its first line."""
    ids = sorted(set(known))
    lines: dict[str, list[int]] = {}
    for q in questions.questions:
        for post in q.expected_posts:
            if post not in ids:
                lines.setdefault(post, []).append(q.line)
    hint = f" (it holds e.g. {ids[0]!r})" if ids else ""
    return tuple(
        Problem(
            questions.path,
            at[0],
            "expected_posts",
            f"{post!r} is not in the store{hint}"
            + (f", also expected on {len(at) - 1} more lines" if len(at) > 1 else "")
            + "; post ids are file paths relative to the folder that was ingested",
        )
        for post, at in lines.items()
    )


# -- checks on one answer -----------------------------------------------------------------
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
    wanted = set(expected)
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


def missing_facts(answer: Answer, facts: Iterable[str], in_first: bool = True) -> tuple[str, ...]:
    where = first_paragraph(answer.answer) if in_first else answer.answer
    return tuple(f for f in facts if not fact_found(f, where))


def citation_problems(answer: Answer, expected_posts: Iterable[str], posts: Mapping[str, str]) -> tuple[str, ...]:
    """Expected posts not cited, quotes not found verbatim in their post, [n] without a citation."""
    cited = {c.post_id for c in answer.citations}
    out = [f"does not cite {post}" for post in expected_posts if post not in cited]
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
    quotes = {c.n: c.quote for c in answer.citations}
    out: list[str] = []
    for paragraph in _LEAD.sub("", answer.answer, count=1).split("\n\n"):
        refs = [quotes[int(m)] for m in _MARKER.findall(paragraph) if int(m) in quotes]
        allowed = {n.replace(",", "") for q in (refs or quotes.values()) for n in _NUMBER.findall(q)}
        out.extend(n for n in _NUMBER.findall(_MARKER.sub("", paragraph)) if n.replace(",", "") not in allowed)
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
    answer: Callable[[str], Answer],
    posts: Mapping[str, str],
    *,
    system: str = "askclinic",
    rewrite: Rewriter | None = None,
    progress: Callable[[int, int], None] | None = None,
    warm_up: bool = True,
) -> Evaluation:
    """Answer every question (timed), check each answer, and compute the metrics."""
    if warm_up and questions:
        answer(questions[0].question)  # load the model and indexes outside the timed runs
    results = []
    for i, q in enumerate(questions):
        asked = q.question
        if q.history and rewrite is not None:
            rewritten = rewrite(q.question, list(q.history))
            asked = rewritten if isinstance(rewritten, str) else q.question
        started = time.perf_counter()
        got = answer(asked)
        results.append(check(q, asked, got, time.perf_counter() - started, posts))
        if progress:
            progress(i + 1, len(questions))
    return Evaluation(system, tuple(results), summarize(results))


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
