"""Metamorphic checks: an answer's status and first source do not change when the question is
lower-cased without punctuation, or when one word gets a typo."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

EVALS = Path(__file__).parent.parent / "evals"


def _questions() -> list[str]:
    rows = [json.loads(line) for line in (EVALS / "sample_archive.jsonl").read_text("utf-8").splitlines() if line]
    return [r["question"] for r in rows if "question" in r and not r.get("history")]


def flatten(question: str) -> str:
    """Lower case, punctuation removed."""
    return " ".join(re.sub(r"[^\w\s%]", " ", question.lower()).split())


def typo(question: str) -> str:
    """Two neighbouring letters of the longest word (5+ letters, no digits) swapped."""
    words = question.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha() and w.isascii()]
    if not candidates:
        return question
    i = max(candidates, key=lambda j: len(words[j]))
    w = words[i]
    words[i] = w[:2] + w[3] + w[2] + w[4:]
    return " ".join(words)


def outcome(pipeline, question: str) -> tuple[str, str]:
    answer = pipeline.answer(question)
    return answer.status.value, answer.citations[0].post_id if answer.citations else ""


def test_typo_helper_changes_one_word() -> None:
    assert typo("how long does swelling last") == "how long does swleling last"
    assert flatten("How long, really?") == "how long really"


@pytest.mark.slow
def test_lower_case_without_punctuation_changes_nothing(pipeline) -> None:
    changed = [q for q in _questions() if outcome(pipeline, q) != outcome(pipeline, flatten(q))]
    assert not changed, changed


@pytest.mark.slow
def test_one_typo_changes_at_most_a_tenth(pipeline) -> None:
    questions = [q for q in _questions() if typo(q) != q]
    changed = [q for q in questions if outcome(pipeline, q) != outcome(pipeline, typo(q))]
    assert len(changed) <= 0.1 * len(questions), changed
