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
    changed = [q for q in _all_questions() if outcome(pipeline, q) != outcome(pipeline, flatten(q))]
    assert not changed, changed


@pytest.mark.slow
def test_one_typo_changes_at_most_a_tenth(pipeline) -> None:
    questions = [q for q in _all_questions() if typo(q) != q]
    changed = [q for q in questions if outcome(pipeline, q) != outcome(pipeline, typo(q))]
    assert len(changed) <= 0.1 * len(questions), changed


UNRELATED_TOPICS = [
    ("houseplants", "Water a snake plant every 2 to 3 weeks and keep it out of direct sun."),
    ("running shoes", "Most running shoes last about 500 to 800 kilometres before the foam wears out."),
    ("sourdough", "A sourdough starter needs feeding once a day at room temperature."),
    ("bicycle tyres", "Road bike tyres are usually pumped to 80 to 100 psi."),
    ("tea brewing", "Green tea tastes best brewed at 70 to 80 degrees for 2 minutes."),
    ("guitar strings", "Players who practise daily often change their strings every 6 to 8 weeks."),
    ("aquarium care", "About 20% of the aquarium water should be changed every week."),
    ("winter tyres", "Winter tyres grip better once the temperature falls below 7 degrees."),
    ("piano tuning", "A piano in regular use should be tuned twice a year."),
    ("coffee grinding", "Espresso needs a fine grind and about 25 to 30 seconds of extraction."),
]


def unrelated_post(i: int) -> str:
    topic, fact = UNRELATED_TOPICS[i % len(UNRELATED_TOPICS)]
    return (
        f"# Notes on {topic}, part {i + 1}\n\n"
        f"These are general notes about {topic}, collected for hobbyists.\n\n"
        f"## How often?\n\n{fact} Results vary from one case to another, and {i + 3} readers asked about it.\n\n"
        f"## What to avoid\n\nAvoid rushing: about {10 + i % 7}% of beginners give up in the first month.\n"
    )


@pytest.fixture(scope="module")
def crowded_pipeline(tmp_path_factory: pytest.TempPathFactory, real_embeddings):
    """The same archive as the ``pipeline`` fixture plus 50 posts on unrelated subjects."""
    from conftest import copy_archive

    from askclinic.ingestion import ingest
    from askclinic.pipeline import AskPipeline
    from askclinic.retrieval import HybridSearch
    from askclinic.store import open_store

    folder = copy_archive(tmp_path_factory.mktemp("crowded"))
    for i in range(50):
        (folder / f"unrelated-{i:02d}.md").write_text(unrelated_post(i), encoding="utf-8")
    store = open_store(str(tmp_path_factory.mktemp("crowded-store")), real_embeddings.model_id)
    report = ingest([folder], store, real_embeddings, count_tokens=real_embeddings.token_counter())
    assert report.ok and len(report.new) >= 60
    return AskPipeline(HybridSearch(store, real_embeddings))


def _all_questions() -> list[str]:
    rows = [
        json.loads(line)
        for name in ("sample_archive.jsonl", "answers_dev.jsonl")
        for line in (EVALS / name).read_text("utf-8").splitlines()
        if line
    ]
    return [r["question"] for r in rows if "question" in r and not r.get("history")]


@pytest.mark.slow
def test_fifty_unrelated_posts_change_no_answer(pipeline, crowded_pipeline) -> None:
    questions = _all_questions()
    changed = [q for q in questions if outcome(pipeline, q) != outcome(crowded_pipeline, q)]
    assert len(questions) > 100
    assert not changed, changed
