"""The optional LLM path: its answers are verified, and a failing one falls back to extractive."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from askclinic.errors import ConfigError
from askclinic.llm import LLMComposer, make_chat_model, verify
from askclinic.pipeline import AskPipeline
from askclinic.settings import Settings
from askclinic.types import Status


def llm_pipeline(pipeline, reply: str) -> tuple[AskPipeline, FakeListChatModel]:
    model = FakeListChatModel(responses=[reply])
    return AskPipeline(pipeline.search, llm=LLMComposer(model)), model


def test_a_wrong_number_falls_back_to_the_extractive_answer(pipeline) -> None:
    extractive = pipeline.answer("How common is thread exposure?")
    with_llm, _ = llm_pipeline(pipeline, "Thread exposure happens in about 15% of patients [1].")
    answer = with_llm.answer("How common is thread exposure?")
    assert answer.answer == extractive.answer
    assert "15%" not in answer.answer


def test_a_right_answer_passes_and_is_cited(pipeline) -> None:
    with_llm, _ = llm_pipeline(pipeline, "Thread exposure was reported in 5% of cases [1].")
    answer = with_llm.answer("How common is thread exposure?")
    assert answer.status is Status.ANSWERED
    assert answer.answer == "Thread exposure was reported in 5% of cases [1]."
    assert answer.citations[0].quote == "Thread exposure: 5%"


def test_an_answer_citing_a_missing_excerpt_falls_back(pipeline) -> None:
    with_llm, _ = llm_pipeline(pipeline, "Thread exposure: 5% [9].")
    assert "[9]" not in with_llm.answer("How common is thread exposure?").answer


def test_the_llm_is_not_called_for_gated_questions(pipeline) -> None:
    with_llm, model = llm_pipeline(pipeline, "Take 800 mg [1].")
    answer = with_llm.answer("How many mg of ibuprofen should I take?")
    assert answer.status is Status.REFUSED
    assert model.i == 0  # the fake model's reply counter never moved


def test_verify_checks_numbers_against_cited_sentences_only() -> None:
    from askclinic.answering import Candidate
    from askclinic.types import Chunk

    chunk = Chunk("p::0", "p", "T", "S", ("Swelling: 16%", "Pain: 11%"), 0, 0)
    snippets = [Candidate("Swelling: 16%", chunk, 1, 1), Candidate("Pain: 11%", chunk, 1, 1)]
    assert verify("Swelling occurs in 16% [1].", snippets) is None
    assert "11" in (verify("Swelling occurs in 11% [1].", snippets) or "")
    assert verify("Swelling is common.", snippets) == "the answer cites no excerpt"


def test_backends_need_a_model_name_and_url() -> None:
    with pytest.raises(ConfigError, match="ASKCLINIC_LLM_MODEL"):
        make_chat_model(Settings(llm="openai"))
    with pytest.raises(ConfigError, match="ASKCLINIC_LLM_BASE_URL"):
        make_chat_model(Settings(llm="openai", llm_model="qwen"))
    with pytest.raises(ConfigError, match="'openai' or 'ollama'"):
        make_chat_model(Settings(llm="gpt", llm_model="x"))


def test_an_openai_compatible_backend_is_built_without_connecting() -> None:
    model = make_chat_model(Settings(llm="openai", llm_model="qwen", llm_base_url="http://127.0.0.1:9/v1"))
    assert model.model_name == "qwen"
