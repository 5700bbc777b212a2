"""Answers from a post the samples lack: a price stated after other sentences, and a comparison
whose two figures sit in different sections. The post is written for these tests; its figures
are invented."""

from __future__ import annotations

from pathlib import Path

import pytest

from askclinic.types import Status

CHEEK_FILLER = """# Cheek filler: what it costs, and how often it bruises or swells

This post describes the routine of a fictional clinic, and every figure in it is illustrative.

## What does cheek filler cost?

The amount of filler depends on the volume each cheek needs.
A session with 1 mL for each cheek is 350,000 won at our clinic.

## Bruising after cheek filler

A small bruise at an injection point was seen in 18% of our patients.
It usually fades within a week.

## Swelling after cheek filler

Visible swelling was reported by 42% of our patients on the day after the injection.
Cold packs in the first two days help it settle.
"""


@pytest.fixture(scope="module")
def cheek_pipeline(tmp_path_factory: pytest.TempPathFactory, real_embeddings):
    """The sample archive (with the real post when present) and the cheek filler post."""
    from conftest import copy_archive

    from askclinic.ingestion import ingest
    from askclinic.pipeline import AskPipeline
    from askclinic.retrieval import HybridSearch
    from askclinic.store import open_store

    folder: Path = copy_archive(tmp_path_factory.mktemp("cheek"))
    (folder / "cheek-filler.md").write_text(CHEEK_FILLER, encoding="utf-8")
    store = open_store(str(tmp_path_factory.mktemp("cheek-store")), real_embeddings.model_id)
    assert ingest([folder], store, real_embeddings, count_tokens=real_embeddings.token_counter()).ok
    return AskPipeline(HybridSearch(store, real_embeddings))


@pytest.mark.parametrize("question", ["how much does cheek filler cost?", "whats the price of cheek filler"])
def test_a_price_question_is_answered_by_the_price_wherever_it_stands(cheek_pipeline, question: str) -> None:
    """The price is the section's second sentence: the sentences before it, and those of other
    posts, are passed over, not the end of the search."""
    answer = cheek_pipeline.answer(question)
    assert answer.status is Status.ANSWERED, answer.answer
    assert "350,000 won" in answer.answer.split("\n\n")[0], answer.answer
    assert answer.citations[0].post_id == "cheek-filler.md"


@pytest.mark.parametrize(
    "question",
    [
        "is bruising or swelling more common after cheek filler?",
        "which is rarer after cheek filler, a bruise or swelling",
        "how often do bruising and swelling happen after cheek filler",
    ],
)
def test_a_comparison_takes_each_figure_from_its_own_section(cheek_pipeline, question: str) -> None:
    """No one list gives both figures: each side is answered by its own section's figure (not by
    how long filler bruising and swelling last, which another post gives in one section)."""
    answer = cheek_pipeline.answer(question)
    assert answer.status is Status.ANSWERED, answer.answer
    lead = answer.answer.split("\n\n")[0]
    assert "18%" in lead and "42%" in lead, answer.answer
    assert {c.section for c in answer.citations[:2]} == {"Bruising after cheek filler", "Swelling after cheek filler"}


def test_a_side_no_post_gives_a_share_for_is_not_answered_by_another_figure(cheek_pipeline) -> None:
    """No post says how common numbness is: the price, the one other figure of the post, is no
    answer for that side."""
    answer = cheek_pipeline.answer("is numbness or swelling more common after cheek filler?")
    assert "350,000" not in answer.answer, answer.answer
