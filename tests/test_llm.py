"""The optional LLM path: its answers are verified, and a failing one falls back to extractive."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import Field

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
    with_llm, _ = llm_pipeline(pipeline, "Thread exposure happens in 5% of thread lifts [1].")
    answer = with_llm.answer("How common is thread exposure?")
    assert answer.status is Status.ANSWERED
    assert answer.answer == "Thread exposure happens in 5% of thread lifts [1]."
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
    """Each message names the setting to fix and what to put in it."""
    with pytest.raises(ConfigError) as missing:
        make_chat_model(Settings(llm="openai"))
    assert str(missing.value) == "ASKCLINIC_LLM is set but ASKCLINIC_LLM_MODEL is empty; name the served model"
    with pytest.raises(ConfigError) as missing:
        make_chat_model(Settings(llm="openai", llm_model="qwen"))
    assert str(missing.value) == "ASKCLINIC_LLM=openai needs ASKCLINIC_LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1"
    with pytest.raises(ConfigError) as unknown:
        make_chat_model(Settings(llm="gpt", llm_model="x"))
    assert str(unknown.value) == "ASKCLINIC_LLM must be 'openai' or 'ollama', not 'gpt'"


def test_an_openai_compatible_backend_is_built_without_connecting() -> None:
    settings = Settings(
        llm="OpenAI", llm_model="qwen", llm_base_url="http://127.0.0.1:9/v1", llm_api_key="k-1", llm_timeout=7.5
    )
    model = make_chat_model(settings)
    assert model.model_name == "qwen"
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.openai_api_key.get_secret_value() == "k-1"
    assert model.request_timeout == 7.5
    # the same question gets the same answer, and a failed call falls back at once, not after retries
    assert model.temperature == 0
    assert model.max_retries == 0


def test_an_ollama_backend_is_built_without_connecting() -> None:
    model = make_chat_model(Settings(llm="ollama", llm_model="qwen2.5:0.5b", llm_timeout=4.0))
    assert model.model == "qwen2.5:0.5b"
    assert model.base_url is None  # Ollama's own default address
    assert model.temperature == 0
    assert model.client_kwargs == {"timeout": 4.0}
    served = make_chat_model(Settings(llm="ollama", llm_model="m", llm_base_url="http://127.0.0.1:11434"))
    assert served.base_url == "http://127.0.0.1:11434"


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
    study = next(i for i, c in enumerate(snippets) if "2,827" in c.sentence)  # the opening states it too
    also = snippets[third].sentence.rstrip(".")
    reply = (
        f"Thread exposure happens in 5% of thread lifts [{first + 1}] in a study of 2,827 people [{study + 1}]. "
        f"{also} [{third + 1}]."
    )
    with_llm, _ = llm_pipeline(pipeline, reply)
    answer = with_llm.answer(question)
    new = {old: n for n, old in enumerate(sorted({first, study, third}), start=1)}  # in the excerpts' order
    assert answer.answer == (
        f"Thread exposure happens in 5% of thread lifts [{new[first]}] in a study of 2,827 people [{new[study]}]. "
        f"{also} [{new[third]}]."
    )
    assert [c.n for c in answer.citations] == [1, 2, 3]
    assert [c.quote for c in answer.citations] == [snippets[i].sentence for i in sorted(new)]


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
    # a figure of the extractive opening left out is a part of the answer left out, compared or not
    assert "leaves out" in (verify("Swelling occurs in 16% [1].", snippets, opening={"16", "11"}) or "")


class RecordingChatModel(FakeListChatModel):
    """A fake chat model that keeps the messages it was sent."""

    sent: list = Field(default_factory=list)

    def _call(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
        self.sent.append(messages)
        return super()._call(messages, stop=stop, run_manager=run_manager, **kwargs)


def test_the_model_is_sent_numbered_excerpts_and_the_question(pipeline) -> None:
    model = RecordingChatModel(responses=["NOT_IN_ARCHIVE"])
    AskPipeline(pipeline.search, llm=LLMComposer(model)).answer("How common is thread exposure?")
    (messages,) = model.sent
    system, human = (m.content for m in messages)
    assert "ONLY the numbered excerpts" in system
    lines = human.split("<excerpts>\n", 1)[1].split("\n</excerpts>", 1)[0].splitlines()
    assert [line.split("]", 1)[0] for line in lines] == [f"[{i}" for i in range(1, len(lines) + 1)]
    assert any("Thread exposure: 5%" in line for line in lines), lines
    assert " — " in lines[0] and lines[0].startswith("[1] (")  # (title — section) before the sentence
    assert human.endswith("<question>\nHow common is thread exposure?\n</question>")


def test_a_reply_that_says_the_archive_has_no_answer_keeps_the_extractive_answer(pipeline) -> None:
    model = RecordingChatModel(responses=["NOT_IN_ARCHIVE"])
    answer = AskPipeline(pipeline.search, llm=LLMComposer(model)).answer("How common is thread exposure?")
    assert len(model.sent) == 1
    assert answer.answer == pipeline.answer("How common is thread exposure?").answer


def test_a_failed_or_rejected_reply_is_logged_with_its_reason(pipeline, caplog) -> None:
    import logging

    class Down(FakeListChatModel):
        def _call(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise ConnectionError("connection refused by 127.0.0.1:9")

    with caplog.at_level(logging.WARNING, logger="askclinic.llm"):
        AskPipeline(pipeline.search, llm=LLMComposer(Down(responses=["x"]))).answer("How common is thread exposure?")
        llm_pipeline(pipeline, "Thread exposure happens in about 15% of patients [1].")[0].answer(
            "How common is thread exposure?"
        )
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("LLM call failed") and "connection refused by 127.0.0.1:9" in m for m in messages)
    assert any(m.startswith("LLM answer rejected (") and "15" in m for m in messages), messages


def test_verify_names_what_is_wrong_and_reads_thousands_either_way() -> None:
    from askclinic.answering import Candidate
    from askclinic.types import Chunk

    chunk = Chunk("p::0", "p", "T", "S", ("The review pooled 2,827 patients.",), 0, 0)
    snippets = [Candidate("The review pooled 2,827 patients.", chunk, 1, 1)]
    assert verify("The review pooled 2827 patients [1].", snippets) is None
    assert verify("It pooled 2,827 patients [2].", snippets) == "the answer cites an excerpt that does not exist"


def test_the_figures_an_llm_answer_must_keep_come_from_the_extractive_opening() -> None:
    from askclinic.answering import Composition
    from askclinic.llm import lead_figures
    from askclinic.types import Citation

    def cited(n: int, quote: str) -> Citation:
        return Citation(n, "p", "T", "C", "", "S", quote, "p")

    citations = (cited(1, "Swelling: 16%"), cited(2, "Bruising: 26%"), cited(3, "Exposure: 5%"))
    compared = Composition("Swelling: 16% [1] Bruising: 26% [2]\n\nExposure: 5% [3]", citations)
    assert lead_figures(compared) == ({"16"}, {"16", "26"})
    # an opening that quotes nothing with a marker: the first citation's figure is the lead
    unmarked = Composition("Side effects vary.\n\nSwelling: 16% [1] Bruising: 26% [2]", citations)
    assert lead_figures(unmarked) == ({"16"}, {"16"})
    assert lead_figures(Composition("No figures.", ())) == (set(), set())


def test_a_chat_model_that_returns_plain_text_is_read_too(pipeline) -> None:
    class PlainText:
        def invoke(self, messages: object) -> str:
            return "Thread exposure happens in 5% of thread lifts [1]."

    answer = AskPipeline(pipeline.search, llm=LLMComposer(PlainText())).answer("How common is thread exposure?")
    assert answer.answer == "Thread exposure happens in 5% of thread lifts [1]."


@pytest.mark.parametrize(
    ("llm", "module", "message"),
    [
        ("openai", "langchain_openai", "the OpenAI-compatible backend needs: pip install 'askclinic[llm]'"),
        ("ollama", "langchain_ollama", "the Ollama backend needs: pip install 'askclinic[llm]'"),
    ],
)
def test_a_backend_whose_package_is_missing_names_the_install(
    monkeypatch: pytest.MonkeyPatch, llm: str, module: str, message: str
) -> None:
    import sys

    from askclinic.errors import LLMError

    monkeypatch.setitem(sys.modules, module, None)  # as if the [llm] extra were not installed
    with pytest.raises(LLMError) as missing:
        make_chat_model(Settings(llm=llm, llm_model="qwen", llm_base_url="http://127.0.0.1:9/v1"))
    assert str(missing.value) == message


def _snippet(pipeline, question: str, needle: str) -> int:
    """The [n] of the first excerpt the LLM is given for ``question`` that contains ``needle``."""
    from askclinic.llm import MAX_SNIPPETS

    query = pipeline.search.prepare(question)
    snippets = pipeline.composer.rank(query.text, list(pipeline.search.search(query, pipeline.k)))[:MAX_SNIPPETS]
    return next(i for i, c in enumerate(snippets) if needle in c.sentence) + 1


def _falls_back(pipeline, question: str, reply: str) -> bool:
    """Whether the LLM's ``reply`` is replaced by the extractive answer."""
    return llm_pipeline(pipeline, reply)[0].answer(question).answer == pipeline.answer(question).answer


def _excerpt(sentence: str, title: str, section: str) -> list:
    """The one excerpt an LLM answer may cite, from a post with this title and section."""
    from askclinic.answering import Candidate
    from askclinic.types import Chunk

    return [Candidate(sentence, Chunk("p::0", "p", title, section, (sentence,), 0, 0), 1, 1)]


def test_a_sentence_that_cites_nothing_falls_back(pipeline) -> None:
    question = "How common is thread exposure?"
    extractive = pipeline.answer(question)
    n = _snippet(pipeline, question, "5%")
    with_llm, _ = llm_pipeline(pipeline, f"Thread exposure happens in 5% of thread lifts [{n}]. It is harmless.")
    assert with_llm.answer(question).answer == extractive.answer
    # the same first sentence alone, or with its marker after the full stop, is shown
    for reply in (
        f"Thread exposure happens in 5% of thread lifts [{n}].",
        f"Thread exposure: 5% of thread lifts. [{n}]",
    ):
        assert llm_pipeline(pipeline, reply)[0].answer(question).answer.startswith("Thread exposure")


def test_a_claim_its_excerpt_does_not_make_falls_back(pipeline) -> None:
    question = "How common is thread exposure?"
    n = _snippet(pipeline, question, "5%")
    added = f"Thread exposure happens in 5% of cases and always needs surgery to remove the thread [{n}]."
    assert _falls_back(pipeline, question, added)


def test_a_claim_that_says_the_opposite_of_its_excerpt_falls_back(pipeline) -> None:
    question = "Can I drink through a straw after lip filler?"
    n = _snippet(pipeline, question, "straw")
    assert _falls_back(pipeline, question, f"You can drink through a straw for 24 hours after lip filler [{n}].")
    right = f"Avoid drinking through a straw for 24 hours after lip filler [{n}]."
    assert llm_pipeline(pipeline, right)[0].answer(question).answer == right


def test_a_korean_question_gets_a_korean_answer_or_the_extractive_one(pipeline) -> None:
    question = "실 노출은 얼마나 흔해요?"
    extractive = pipeline.answer(question)
    assert extractive.status is Status.ANSWERED and "5%" in extractive.answer
    n = _snippet(pipeline, question, "5%")
    english = f"Thread exposure happens in 5% of thread lifts [{n}]."
    assert llm_pipeline(pipeline, english)[0].answer(question).answer == extractive.answer
    korean = f"실 노출은 5%입니다 [{n}]."
    answer = llm_pipeline(pipeline, korean)[0].answer(question)
    assert answer.answer == korean
    assert answer.citations[0].quote == "Thread exposure: 5%"  # the source stays in the archive's words
    # a Korean claim naming what its excerpt does not (infection) is not shown
    added = f"실 노출은 5%이고 감염과 흉터도 자주 생깁니다 [{n}]."
    assert llm_pipeline(pipeline, added)[0].answer(question).answer == extractive.answer


def test_a_sentence_without_a_marker_cites_the_excerpt_that_says_it(pipeline) -> None:
    # a small model often copies an excerpt and leaves the marker out
    question = "How common is thread exposure?"
    n = _snippet(pipeline, question, "5%")
    answer = llm_pipeline(pipeline, "Thread exposure happens in 5% of thread lifts.")[0].answer(question)
    assert answer.answer == "Thread exposure happens in 5% of thread lifts [1]."
    assert answer.citations[0].quote == "Thread exposure: 5%"
    assert n >= 1


def test_a_claim_may_not_name_what_the_question_asks_and_its_excerpt_does_not() -> None:
    from askclinic.llm import unsupported

    sentence = "Swelling usually settles within 3 to 5 days."
    snippets = _excerpt(sentence, "How long does hyaluronic acid filler last?", "Swelling")
    question = "how long does lip swelling last?"
    # the filler post's swelling figure, said of the lips, which it does not name
    assert "['lip']" in (unsupported("Lip swelling lasts 3 to 5 days [1].", snippets, question) or "")
    assert unsupported("Filler swelling usually settles within 3 to 5 days [1].", snippets, question) is None
    # how long, how common: what a question asks may frame a claim its excerpt answers
    assert unsupported("Swelling usually lasts 3 to 5 days [1].", snippets, question) is None


def test_the_llm_does_not_rewrite_a_post_record(pipeline) -> None:
    model = RecordingChatModel(responses=["The post was written by a doctor [1]."])
    question = "Who wrote the post about jaw botox?"
    answer = AskPipeline(pipeline.search, llm=LLMComposer(model)).answer(question)
    assert answer.answer == pipeline.answer(question).answer
    assert model.sent == []


def test_an_answer_that_slips_into_another_script_is_not_shown() -> None:
    from askclinic.llm import unsupported

    sentence = "In our clinic's experience, lip filler typically lasts 6 to 9 months."
    snippets = _excerpt(sentence, "Lip Filler FAQ: How Much, How Long, and What to Avoid", "Lasting")
    question = "입술필러 얼마나 유지돼요?"
    assert unsupported("입술필러는 6~9개월 동안 유지됩니다 [1].", snippets, question) is None
    assert unsupported("입술필러는 6到9개월 동안 유지됩니다 [1].", snippets, question) == (
        "the answer is written partly in another script (CJK)"
    )
