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


def llm_settings(url: str, timeout: float = 30.0) -> Settings:
    return Settings(llm="openai", llm_model="any", llm_base_url=url, llm_timeout=timeout)


def test_a_server_that_refuses_connections_falls_back(pipeline) -> None:
    import socket

    from askclinic.llm import make_llm_composer

    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        composer = make_llm_composer(llm_settings(f"http://127.0.0.1:{port}/v1"))
        with_llm = AskPipeline(pipeline.search, llm=composer)
        answer = with_llm.answer("How common is thread exposure?")
    assert answer.status is Status.ANSWERED
    assert answer.answer == pipeline.answer("How common is thread exposure?").answer


def test_a_server_that_never_answers_times_out_and_falls_back(pipeline) -> None:
    import socket
    import threading
    import time

    from askclinic.llm import make_llm_composer

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []

    def accept_and_stay_silent() -> None:
        try:
            while True:
                conn, _ = server.accept()
                held.append(conn)  # read nothing, answer nothing
        except OSError:
            return

    threading.Thread(target=accept_and_stay_silent, daemon=True).start()
    try:
        composer = make_llm_composer(llm_settings(f"http://127.0.0.1:{server.getsockname()[1]}/v1", timeout=1.0))
        started = time.perf_counter()
        answer = AskPipeline(pipeline.search, llm=composer).answer("How common is thread exposure?")
        assert time.perf_counter() - started < 10
        assert answer.answer == pipeline.answer("How common is thread exposure?").answer
        assert held, "the client never connected"
    finally:
        server.close()
        for conn in held:
            conn.close()


def test_markers_are_renumbered_in_order_of_the_excerpts_used(pipeline) -> None:
    # (not "how common is ...?": its excerpts are only the rate lines, all with figures)
    question = "Is thread exposure common after a thread lift?"
    from askclinic.llm import MAX_SNIPPETS

    query = pipeline.search.prepare(question)
    hits = tuple(pipeline.search.search(query, pipeline.k))
    snippets = pipeline.composer.rank(query.text, list(hits))[:MAX_SNIPPETS]
    third = next(
        i
        for i, c in enumerate(snippets)
        if i >= 2 and "5%" not in c.sentence and not any(ch.isdigit() for ch in c.sentence)
    )
    first = next(i for i, c in enumerate(snippets) if "5%" in c.sentence)
    reply = f"Thread exposure was reported in 5% of cases [{first + 1}]. The post also notes this [{third + 1}]."
    with_llm, _ = llm_pipeline(pipeline, reply)
    answer = with_llm.answer(question)
    assert answer.answer == "Thread exposure was reported in 5% of cases [1]. The post also notes this [2]."
    assert [c.n for c in answer.citations] == [1, 2]
    assert answer.citations[0].quote == snippets[first].sentence
    assert answer.citations[1].quote == snippets[third].sentence


def test_an_answer_that_drops_the_figure_asked_for_falls_back(pipeline) -> None:
    # A small model answered "can a thread lift leave dimples? how common is that" with
    # "Yes, it can [1]." and no 7%: true of the excerpt, but not the answer the archive gives.
    question = "How common is thread exposure?"
    extractive = pipeline.answer(question)
    assert "5%" in extractive.answer.split("\n\n")[0]
    with_llm, _ = llm_pipeline(pipeline, "Yes, thread exposure can happen after a thread lift [1].")
    assert with_llm.answer(question).answer == extractive.answer


def test_a_comparison_without_its_figures_falls_back(pipeline) -> None:
    question = "Which is more common after a thread lift, thread exposure or infection?"
    extractive = pipeline.answer(question)
    opening = extractive.answer.split("\n\n")[0]
    assert "5%" in opening and "2%" in opening
    query = pipeline.search.prepare(question)
    from askclinic.llm import MAX_SNIPPETS

    snippets = pipeline.composer.rank(query.text, list(pipeline.search.search(query, pipeline.k)))[:MAX_SNIPPETS]
    exposure = next(i for i, c in enumerate(snippets) if "5%" in c.sentence) + 1
    backwards = f"Thread exposure: 5% [{exposure}]. Infection is more common than exposure [{exposure}]."
    with_llm, _ = llm_pipeline(pipeline, backwards)
    assert with_llm.answer(question).answer == extractive.answer
    # the same comparison with both figures, each from its excerpt, is shown
    infection = next(i for i, c in enumerate(snippets) if "2%" in c.sentence) + 1
    right = f"Thread exposure (5%) [{exposure}] is more common than infection (2%) [{infection}]."
    with_llm, _ = llm_pipeline(pipeline, right)
    assert with_llm.answer(question).answer.startswith("Thread exposure (5%) [")


def test_verify_asks_for_the_lead_figure_and_for_compared_figures() -> None:
    from askclinic.answering import Candidate
    from askclinic.types import Chunk

    chunk = Chunk("p::0", "p", "T", "S", ("Swelling: 16%", "Pain: 11%"), 0, 0)
    snippets = [Candidate("Swelling: 16%", chunk, 1, 1), Candidate("Pain: 11%", chunk, 1, 1)]
    assert verify("Swelling is common [1].", snippets, lead={"16"}) is not None
    assert verify("Swelling occurs in 16% [1].", snippets, lead={"16"}) is None
    assert verify("Swelling is more common than pain [1].", snippets, opening={"16", "11"}) is not None
    assert verify("Swelling (16%) is more common than pain (11%) [1][2].", snippets, opening={"16", "11"}) is None
    assert verify("Swelling occurs in 16% [1].", snippets, opening={"16", "11"}) is None  # no comparison made
