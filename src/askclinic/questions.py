"""The question-set format: loading and validating JSONL question files and gate thresholds.

A question set is JSONL (format in ``evals/README.md``). ``load_questions`` validates every
line and raises ``QuestionFileError`` naming the file, line and field of each problem.

AskclinicError
└── QuestionFileError   the question file, or a --gate flag, is invalid
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import AskclinicError
from .glossary import is_korean
from .types import Status

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
CATEGORIES = (
    "answerable",
    "out-of-archive",
    "red-flag",
    "dosage",
    "adversarial",
    "follow-up",
    "metadata",
    "comparison",
    "why",
    "multi-part",
    # conversations (a "history" of earlier questions, then the last one):
    "elliptical",
    "pronoun",
    "topic-switch",
    "after-abstain",
    "after-urgent",
    "comparison-follow-up",
    "korean",
)
ALTERNATIVE = "|"  # "a|b" in expected_posts: either post is right (written as a nested list in the file)
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

# The lead "According to the clinic's post “TITLE”: " names the post; numbers in a title are not claims.


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


def _posts(obj: dict[str, object], add: Callable[[str, str], None]) -> tuple[str, ...]:
    """Expected posts: each item a post id, or a list of post ids any one of which is right."""
    value = obj.get("expected_posts", [])
    items: list[str] = []
    ok = isinstance(value, list)
    for v in value if isinstance(value, list) else []:
        if isinstance(v, str) and v.strip():
            items.append(v)
        elif isinstance(v, list) and v and all(isinstance(x, str) and x.strip() for x in v):
            items.append(ALTERNATIVE.join(v))
        else:
            ok = False
    if not ok:
        add("expected_posts", "must be a list of post ids (or of lists of alternative post ids)")
        return ()
    return tuple(items)


def alternatives(expected: str) -> tuple[str, ...]:
    """The post ids an expected_posts item accepts."""
    return tuple(expected.split(ALTERNATIVE))


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
    posts = _posts(obj, add)
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
        for post in (p for item in q.expected_posts for p in alternatives(item)):
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
