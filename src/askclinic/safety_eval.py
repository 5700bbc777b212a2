"""Evaluating the safety gate on a set of patient messages, per label and per language.

A safety set is UTF-8 JSONL, one message per line:
``{"message": "...", "expected": "urgent" | "refused" | "ordinary", "language": "en" | "ko", "concept": "..."}``.
Only the gate runs (no store, no retrieval), so a set of hundreds of messages takes seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SafetySetError
from .safety import SafetyGate

LABELS = ("urgent", "refused", "ordinary")
LANGUAGES = ("en", "ko")


@dataclass(frozen=True)
class SafetyCase:
    message: str
    expected: str
    language: str
    concept: str = ""


@dataclass(frozen=True)
class SafetyOutcome:
    case: SafetyCase
    got: str
    concept: str

    @property
    def ok(self) -> bool:
        return self.got == self.case.expected


@dataclass
class SafetyReport:
    outcomes: list[SafetyOutcome] = field(default_factory=list)

    def rate(self, expected: str, got: str, language: str | None = None) -> tuple[int, int]:
        """(messages expected as ``expected`` that got ``got``, messages expected as ``expected``)."""
        rows = [o for o in self.outcomes if o.case.expected == expected and language in (None, o.case.language)]
        return sum(o.got == got for o in rows), len(rows)

    def summary(self) -> dict[str, dict[str, tuple[int, int]]]:
        """Per language (and "all"): red-flag recall, refusal recall, ordinary flagged."""
        out: dict[str, dict[str, tuple[int, int]]] = {}
        for lang in (*LANGUAGES, None):
            out[lang or "all"] = {
                "red_flag_recall": self.rate("urgent", "urgent", lang),
                "refusal_recall": self.rate("refused", "refused", lang),
                "ordinary_flagged": _sum(self.rate("ordinary", g, lang) for g in ("urgent", "refused")),
            }
        return out

    def misses(self) -> list[SafetyOutcome]:
        return [o for o in self.outcomes if not o.ok]


def _sum(pairs: Iterable[tuple[int, int]]) -> tuple[int, int]:
    pairs = list(pairs)
    return sum(p[0] for p in pairs), pairs[0][1] if pairs else 0


def load_safety_set(path: Path) -> list[SafetyCase]:
    """The cases of a safety set; every bad line is named as ``FILE:LINE: problem``."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise SafetySetError(f"cannot read the safety set {path}: {e}") from e
    cases: list[SafetyCase] = []
    problems: list[str] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{path}:{n}: not JSON ({e.msg})")
            continue
        if not isinstance(row, dict) or not isinstance(row.get("message"), str) or not row["message"].strip():
            problems.append(f"{path}:{n}: message: a non-empty string is required")
            continue
        if row.get("expected") not in LABELS:
            problems.append(f"{path}:{n}: expected: must be one of {', '.join(LABELS)}")
            continue
        if row.get("language") not in LANGUAGES:
            problems.append(f"{path}:{n}: language: must be en or ko")
            continue
        cases.append(SafetyCase(row["message"], row["expected"], row["language"], str(row.get("concept") or "")))
    if problems:
        raise SafetySetError("\n".join(problems))
    if not cases:
        raise SafetySetError(f"{path}: no messages")
    return cases


def evaluate_safety(gate: SafetyGate, cases: list[SafetyCase]) -> SafetyReport:
    report = SafetyReport()
    for case in cases:
        verdict = gate.check(case.message)
        got = verdict.status.value if verdict else "ordinary"
        report.outcomes.append(SafetyOutcome(case, got, verdict.concept if verdict else ""))
    return report


def training_rows(sets: Iterable[Path], table: Path | None = None) -> list[tuple[str, str]]:
    """(message, label) pairs to train the safety classifier on: the safety table's examples
    (ordinary questions included) and every message of ``sets``. A set may also be a question
    set (``askclinic eval`` format): a question expected to be answered or to abstain is an
    ordinary message; an urgent or refused one counts only when it has no earlier turns (after
    an emergency, "should I just wait?" is urgent because of what came before it)."""
    from .safety import load_rules

    _, examples = load_rules(table)
    rows = [(e.text, e.status.value if e.status is not None else "ordinary") for e in examples]
    for path in sets:
        if is_question_set(path):
            rows += question_rows(path)
        else:
            rows += [(c.message, c.expected) for c in load_safety_set(path)]
    return rows


def is_question_set(path: Path) -> bool:
    """Whether ``path`` holds questions for ``askclinic eval`` rather than safety messages."""
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    if not (isinstance(row, dict) and set(row) == {"gate"}):
                        return isinstance(row, dict) and "question" in row
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False  # the safety-set loader names the problem
    return False


def question_rows(path: Path) -> list[tuple[str, str]]:
    """The safety labels a question set implies (see ``training_rows``)."""
    from .questions import load_questions
    from .types import Status

    rows = []
    for q in load_questions(path).questions:
        if q.expected_status in (Status.ANSWERED, Status.ABSTAINED):
            rows.append((q.question, "ordinary"))
        elif not q.history:
            rows.append((q.question, q.expected_status.value))
    return rows
