"""The web chat: rendering, errors and feedback in-process, then the real app over HTTP (/chat)."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import pytest
from conftest import INJECTION_POST, PAYLOAD, SAMPLES, running_app

from askclinic.errors import EmptyStoreError
from askclinic.feedback import FeedbackStore
from askclinic.safety import DISCLAIMER
from askclinic.types import Answer, Citation, Status
from askclinic.webapp import FAILED, NOT_LOADED, ChatApp, Conversation, escape, render

EVIL = Citation(
    1,
    "900.md",
    f"Pillow care {PAYLOAD}",
    "Clinic <script>alert(1)</script>",
    "2025-07-01",
    "Section <b>bold</b>",
    f"A silk pillowcase {PAYLOAD} helps.",
    "/archive/900.md",
)
BRUISING = "Bruising, if it appears, usually fades within 10 to 14 days."


class FakePipeline:
    """Streams a fixed answer, or raises."""

    max_chars = 500

    def __init__(self, answer: Answer | None = None, error: Exception | None = None) -> None:
        self.result = answer
        self.error = error
        self.asked: list[str] = []
        self.preferred: list[tuple[str, ...]] = []

    def stream(self, question: str, prefer: tuple[str, ...] = ()) -> Iterator[str | Answer]:
        self.asked.append(question)
        self.preferred.append(tuple(prefer))
        if self.error:
            raise self.error
        assert self.result is not None
        yield self.result.answer[:5]
        yield self.result


def answer(status: Status = Status.ANSWERED, text: str = "Thread exposure: 5% [1]") -> Answer:
    citations = (EVIL,) if status is Status.ANSWERED else ()
    return Answer("q", status, text, citations, DISCLAIMER)


# -- rendering ----------------------------------------------------------------------------
def test_archive_text_and_questions_are_rendered_as_text() -> None:
    shown = render(answer(text=f"Quote {PAYLOAD} [1] and [x](javascript:alert(1))"), asked=f"q {PAYLOAD}")
    assert "<img" not in shown and "<script" not in shown and "<b>bold" not in shown
    assert '&lt;img src=x onerror="window.__pwned=1"&gt;' in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "](javascript" not in shown
    assert escape("a < b & c") == "a &lt; b &amp; c"


def test_sources_show_title_clinic_date_section_and_quote() -> None:
    shown = render(answer())
    for part in (
        "[1] Pillow care",
        "Clinic &lt;script&gt;",
        "2025-07-01",
        "Section &lt;b&gt;bold",
        "A silk pillowcase",
    ):
        assert part in shown
    assert "<details>" in shown and "Sources" in shown
    assert shown.rstrip().endswith(f"{DISCLAIMER}</div>")


def test_each_source_is_one_item_with_its_clinic_and_date_set_apart() -> None:
    from dataclasses import replace

    from askclinic.webapp import render_sources

    bare = replace(EVIL, n=2, clinic="", published="")
    shown = render_sources((EVIL, bare))
    assert '<span class="ac-meta">Clinic &lt;script&gt;alert(1)&lt;/script&gt; · 2025-07-01</span>' in shown
    assert shown.count('<span class="ac-meta">') == 1  # a source with neither says nothing there
    assert f"<summary><strong>[2] {escape(bare.title)}</strong></summary>" in shown
    assert "<strong>Sources</strong>" in shown  # English unless told otherwise
    assert "</details><details>" in shown and shown.count("<details>") == 2


def test_urgent_comes_first_in_a_banner_and_abstained_looks_different() -> None:
    urgent = render(answer(Status.URGENT, "**Contact the clinic now**"))
    assert urgent.startswith('<div class="ac-urgent" role="alert">')
    assert "Sources" not in urgent and DISCLAIMER in urgent
    assert render(answer(Status.ABSTAINED, "I could not find this.")).startswith('<div class="ac-abstained">')
    assert render(answer(Status.REFUSED, "I can't help.")).startswith('<div class="ac-refused">')


def test_korean_questions_get_korean_headings() -> None:
    shown = render(answer(), korean=True)
    assert "출처" in shown and "의료 조언 아님" in shown and "Sources" not in shown


# -- the chat's handlers ------------------------------------------------------------------
def test_the_chat_shows_a_placeholder_then_the_whole_rendered_answer(tmp_path: Path) -> None:
    app = ChatApp(FakePipeline(answer()), FeedbackStore(tmp_path / "f.sqlite3"))
    conv = Conversation()
    steps = list(app.respond(f"How common? {PAYLOAD}", conv))
    first, last = steps[0][0], steps[-1][0]
    assert first[0] == {"role": "user", "content": escape(f"How common? {PAYLOAD}")}
    assert first[1]["content"] == "…" and len(steps) == 2  # no partial pieces, no pauses
    assert last[1]["content"] == render(answer())
    assert conv.questions == [f"How common? {PAYLOAD}"] and 1 in conv.turns


def test_a_follow_up_is_searched_with_the_earlier_topic(tmp_path: Path) -> None:
    pipeline = FakePipeline(answer())
    app = ChatApp(pipeline, FeedbackStore(tmp_path / "f.sqlite3"))
    conv = Conversation()
    app.chat("will I bruise after a thread lift?", conv)
    text, _ = app.chat("and how long does it last?", conv)
    assert pipeline.asked[-1] == "how long does it last? bruise thread lift"
    assert "Follow-up, searched as" in text
    # the follow-up prefers the post the last answer quoted first; a new topic does not
    assert pipeline.preferred == [(), ("900.md",)]
    app.chat("how many laser toning sessions does melasma need?", conv)
    assert pipeline.preferred[-1] == ()


def test_a_too_long_question_is_not_rewritten(tmp_path: Path) -> None:
    pipeline = FakePipeline(answer())
    app = ChatApp(pipeline, FeedbackStore(tmp_path / "f.sqlite3"))
    conv = Conversation(questions=["will I bruise after a thread lift?"])
    long = "and how long does it last? " + "x" * 500
    app.chat(long, conv)
    assert pipeline.asked == [long]


@pytest.mark.parametrize(
    ("error", "message", "logged"),
    [
        (
            EmptyStoreError("the store holds no posts yet"),
            NOT_LOADED["en"],
            "the store is empty: run 'askclinic ingest PATH' (the chat answers nothing)",
        ),
        (RuntimeError("boom"), FAILED["en"], "answering a question failed"),
    ],
)
def test_errors_become_a_friendly_answer_and_are_logged(tmp_path, caplog, error, message, logged) -> None:
    app = ChatApp(FakePipeline(error=error), FeedbackStore(tmp_path / "f.sqlite3"))
    with caplog.at_level(logging.ERROR, logger="askclinic.webapp"):
        text, _ = app.chat("How common is thread exposure?", Conversation())
    assert message in text and DISCLAIMER in text and "Traceback" not in text and "boom" not in text
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.ERROR, logged)]


def test_an_empty_store_says_the_archive_is_not_loaded(tmp_path, real_embeddings) -> None:
    from askclinic.pipeline import AskPipeline
    from askclinic.retrieval import HybridSearch
    from askclinic.store import open_store

    empty = AskPipeline(HybridSearch(open_store(str(tmp_path / "store"), real_embeddings.model_id), real_embeddings))
    text, _ = ChatApp(empty, FeedbackStore(tmp_path / "f.sqlite3")).chat("실 노출은 얼마나 흔한가요?", Conversation())
    assert NOT_LOADED["ko"] in text


def like(index: int, liked: bool | str) -> gr.LikeData:
    return gr.LikeData(None, {"index": index, "value": "", "liked": liked})


def test_thumbs_are_saved_and_a_thumbs_down_asks_why(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    app = ChatApp(FakePipeline(answer()), store)
    conv = Conversation()
    list(app.respond("How common is thread exposure?", conv))
    shown, conv = app.like(conv, like(1, False))
    assert shown["visible"] is True
    app.give_reason("wrong source", conv)
    (row,) = store.rows()
    assert (row.rating, row.reason, row.question) == ("down", "wrong source", "How common is thread exposure?")
    shown, conv = app.like(conv, like(1, True))  # changed their mind
    assert shown["visible"] is False
    assert [(r.rating, r.reason) for r in store.rows()] == [("up", "")]
    app.like(conv, like(1, ""))  # took it back
    assert store.rows() == []
    app.like(conv, like(0, True))  # a user message: nothing to rate
    assert store.rows() == []


def thumbed_down_by_cell(tmp_path: Path) -> tuple[FeedbackStore, ChatApp, dict, Conversation]:
    """A question answered, then a thumbs down sent with the answer's index as [row, column],
    as Gradio may send it: the store, the app, the reasons panel's update and the conversation."""
    store = FeedbackStore(tmp_path / "f.sqlite3")
    app = ChatApp(FakePipeline(answer()), store)
    conv = Conversation()
    list(app.respond("How common is thread exposure?", conv))
    shown, conv = app.like(conv, gr.LikeData(None, {"index": [1, 0], "value": "", "liked": False}))
    return store, app, shown, conv


def test_a_thumb_given_with_a_row_and_column_index_rates_that_row(tmp_path: Path) -> None:
    """Gradio may send a message's index as [row, column]: the row names the answer."""
    store, app, shown, conv = thumbed_down_by_cell(tmp_path)
    assert shown["visible"] is True
    assert [(r.rating, r.question) for r in store.rows()] == [("down", "How common is thread exposure?")]
    # the next question closes the reasons the thumbs down opened, from its first update on
    updates = list(app.respond("and how common is infection?", conv))
    assert [u[3] for u in updates] == [gr.update(visible=False)] * len(updates) and len(updates) == 2


# -- the real app over HTTP ---------------------------------------------------------------
@pytest.fixture(scope="module")
def server(pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"
    with running_app(pipeline, db) as url:
        yield url, db


def client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False)


@pytest.mark.real_archive
@pytest.mark.slow
def test_chat_api_answers_with_sources_and_disclaimer(server) -> None:
    text = client(server[0]).predict("How common is thread exposure?", api_name="/chat")
    assert "5%" in text
    assert "Is thread lifting really a safe procedure?" in text
    assert DISCLAIMER in text


@pytest.mark.slow
def test_chat_api_in_korean(server) -> None:
    text = client(server[0]).predict("실 노출은 얼마나 흔한가요?", api_name="/chat")
    assert "5%" in text and "출처" in text and "의료 조언 아님" in text


QUESTIONS = [
    ("How common is thread exposure?", "Thread exposure: 5%"),
    ("How long does swelling last after a thread lift?", "7 to 10 days"),
    ("How long does lip filler last?", "6 to 9 months"),
    ("Does HIFU hurt?", "3 to 5 out of 10"),
    ("실 노출은 얼마나 흔한가요?", "Thread exposure: 5%"),
    ("I have a fever and pus after my thread lift", "Contact the clinic or emergency services now"),
    ("What is the capital of France?", "could not find this"),
    ("How many sessions of laser hair removal do I need?", "5 to 8 sessions"),
]


@pytest.mark.slow
def test_twenty_concurrent_clients_all_get_right_answers(server) -> None:
    def ask(i: int) -> tuple[str, str, str]:
        question, expected = QUESTIONS[i % len(QUESTIONS)]
        return question, expected, client(server[0]).predict(question, api_name="/chat")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(ask, range(20)))
    for question, expected, text in results:
        assert expected in text, (question, text)
        assert DISCLAIMER in text


@pytest.mark.slow
def test_follow_up_through_the_app_cites_the_bruising_sentence(server) -> None:
    chat = client(server[0])
    chat.predict("will I bruise after a thread lift?", api_name="/chat")
    text = chat.predict("and how long does it last?", api_name="/chat")
    assert f"<blockquote>{BRUISING}</blockquote>" in text
    other = client(server[0]).predict("and how long does it last?", api_name="/chat")  # a new session
    assert BRUISING not in other


@pytest.mark.slow
def test_html_in_a_question_comes_back_escaped(server) -> None:
    chat = client(server[0])
    chat.predict("will I bruise after a thread lift?", api_name="/chat")
    text = chat.predict(f"and how long does it last? {PAYLOAD}<script>alert(1)</script>", api_name="/chat")
    assert "<img" not in text and "<script" not in text
    assert escape(PAYLOAD) in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.slow
def test_a_too_long_question_gets_a_clear_message(server) -> None:
    text = client(server[0]).predict("How common is thread exposure? " + "x" * 600, api_name="/chat")
    assert "too long" in text and DISCLAIMER in text


@pytest.mark.slow
def test_html_in_a_post_comes_back_escaped(tmp_path: Path, real_embeddings) -> None:
    from askclinic.ingestion import ingest
    from askclinic.pipeline import AskPipeline
    from askclinic.retrieval import HybridSearch
    from askclinic.store import open_store

    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(SAMPLES / "003_thread-lift-aftercare.txt", folder)
    (folder / "900_silk-pillow.md").write_text(INJECTION_POST, "utf-8")
    store = open_store(str(tmp_path / "store"), real_embeddings.model_id)
    assert ingest([folder], store, real_embeddings).ok
    app = ChatApp(AskPipeline(HybridSearch(store, real_embeddings)), FeedbackStore(tmp_path / "f.sqlite3"))
    text, _ = app.chat("Does a silk pillowcase help after a procedure?", Conversation())
    assert "Silk pillow care" in text and "3 nights" in text
    assert "<img" not in text and "<script" not in text
    assert escape(PAYLOAD) in text


@pytest.mark.parametrize("noise", ["\u202e\u2066", "😀😷💉", " ?! ", "\u200b"])
def test_a_message_without_letters_is_asked_to_type_a_question_even_as_a_follow_up(
    tmp_path: Path, noise: str, pipeline
) -> None:
    from askclinic.safety import EMPTY_MESSAGE

    app = ChatApp(pipeline, FeedbackStore(tmp_path / "f.sqlite3"))
    conv = Conversation()
    first, _ = app.chat("how common is thread exposure after a thread lift?", conv)
    assert "5%" in first
    text, _ = app.chat(noise, conv)
    assert EMPTY_MESSAGE["en"] in text and "5%" not in text
    assert conv.questions == ["how common is thread exposure after a thread lift?"]


def test_health_and_readiness_endpoints(server) -> None:
    import json
    import urllib.request

    url = server[0].rstrip("/")
    with urllib.request.urlopen(f"{url}/healthz", timeout=10) as r:
        assert r.status == 200 and json.load(r) == {"status": "ok"}
    with urllib.request.urlopen(f"{url}/readyz", timeout=10) as r:
        info = json.load(r)
    assert r.status == 200 and info["ready"] is True and info["model_loaded"] is True
    assert info["store_chunks"] > 0 and info["lexical_index_chunks"] == info["store_chunks"]


def test_readiness_says_what_is_missing(tmp_path: Path, real_embeddings) -> None:
    from askclinic.health import readiness
    from askclinic.pipeline import AskPipeline
    from askclinic.retrieval import HybridSearch
    from askclinic.store import open_store

    empty = AskPipeline(HybridSearch(open_store(str(tmp_path / "store"), real_embeddings.model_id), real_embeddings))
    ready, info = readiness(empty)
    assert not ready and "no posts" in info["reason"] and "lexical index" in info["reason"]


def test_readiness_reports_the_word_index_version(pipeline) -> None:
    from askclinic.health import readiness

    pipeline.search.refresh(wait=True)
    ready, info = readiness(pipeline)
    assert ready, info
    assert info["lexical_index_revision"] == pipeline.search.store.revision() != ""
    assert info["lexical_index_chunks"] == info["store_chunks"] == pipeline.search.store.count()
    assert info["store_posts"] == len({c.post_id for c in pipeline.search.chunks_indexed()})


def test_each_chat_step_clears_the_box_and_keeps_the_reasons_hidden(tmp_path: Path) -> None:
    app = ChatApp(FakePipeline(answer()), FeedbackStore(tmp_path / "f.sqlite3"))
    conv = Conversation()
    steps = list(app.respond("How common is thread exposure?", conv))
    (placeholder, box, same, reasons), (final, box_after, _, reasons_after) = steps
    assert placeholder[1] == {"role": "assistant", "content": "…"} and same is conv
    assert box == "" and box_after == gr.update()  # cleared once; what is typed meanwhile stays
    assert reasons == reasons_after == gr.update(visible=False)
    assert final[1]["role"] == "assistant" and final[1]["content"] == render(answer())


@pytest.mark.parametrize("message", ["", "   ", None])
def test_an_empty_message_changes_nothing(tmp_path: Path, message: str | None) -> None:
    pipeline = FakePipeline(answer())
    app = ChatApp(pipeline, FeedbackStore(tmp_path / "f.sqlite3"))
    conv = Conversation(messages=[{"role": "user", "content": "hi"}])
    (step,) = list(app.respond(message, conv))  # type: ignore[arg-type]
    assert step == (conv.messages, "", conv, gr.update())
    assert conv.messages == [{"role": "user", "content": "hi"}] and pipeline.asked == []


def test_a_failed_answer_keeps_the_question_and_abstains_with_the_disclaimer(tmp_path: Path) -> None:
    app = ChatApp(FakePipeline(error=RuntimeError("boom")), FeedbackStore(tmp_path / "f.sqlite3"))
    *_, turn = list(app.answer("How common is thread exposure?", Conversation()))
    assert turn.answer == Answer("How common is thread exposure?", Status.ABSTAINED, FAILED["en"], (), DISCLAIMER)


def test_a_thumb_on_a_cell_index_rates_that_message_and_a_late_reason_is_ignored(tmp_path: Path) -> None:
    store, app, shown, conv = thumbed_down_by_cell(tmp_path)
    assert shown == gr.update(visible=True) and conv.awaiting_reason is not None
    hidden, cleared, conv = app.give_reason(None, conv)  # the panel closed without a reason
    assert (hidden, cleared) == (gr.update(visible=False), gr.update(value=None))
    assert conv.awaiting_reason is None and [(r.rating, r.reason) for r in store.rows()] == [("down", "")]
    app.like(conv, like(1, True))
    assert conv.awaiting_reason is None
    app.give_reason("wrong source", conv)  # no thumbs down waits for it
    assert [(r.rating, r.reason) for r in store.rows()] == [("up", "")]
    shown, conv = app.like(conv, like(0, True))  # a user message
    assert shown == gr.update(visible=False) and conv.awaiting_reason is None


def _props(demo: gr.Blocks, elem_id: str) -> dict:
    return next(c["props"] for c in demo.config["components"] if c["props"].get("elem_id") == elem_id)


def test_the_page_renders_no_raw_html_sends_no_analytics_and_says_what_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from askclinic.question_log import QuestionLog
    from askclinic.webapp import LOG_NOTICE, NOTICE, NOTICE_LINE, TITLE, build_demo

    feedback = FeedbackStore(tmp_path / "f.sqlite3")
    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)  # off whatever the environment says
    demo = build_demo(FakePipeline(answer()), feedback)  # type: ignore[arg-type]
    assert demo.title == TITLE and demo.analytics_enabled is False
    chat = _props(demo, "ac-chat")
    assert (chat["sanitize_html"], chat["allow_tags"], chat["render_markdown"]) == (True, False, True)
    assert chat["feedback_options"] == ["Like", "Dislike"] and chat["latex_delimiters"] == []
    assert (chat["label"], chat["show_label"], chat["height"], chat["buttons"]) == ("Chat", False, 520, ["copy"])
    box = _props(demo, "ac-question")
    assert (box["max_length"], box["submit_btn"], box["show_label"]) == (FakePipeline.max_chars, "Ask", False)
    assert "시술" in box["placeholder"] and "Please don't include your name or contact details." in box["info"]
    buttons = {c["props"].get("value"): c["props"] for c in demo.config["components"] if c["type"] == "button"}
    new = buttons["New conversation / 새 대화"]  # small, and not the page's main action
    assert (new["size"], new["variant"], new["visible"]) == ("sm", "secondary", True)
    assert (buttons["Send"]["size"], buttons["Send"]["variant"]) == ("sm", "secondary")
    header = _props(demo, "ac-header")["value"]
    assert header.startswith(f"# {TITLE}\nQuestions about the clinic's procedures, answered from its blog posts, with")
    assert _props(demo, "ac-notice")["value"] == f"<details><summary>{NOTICE_LINE}</summary><p>{NOTICE}</p></details>"
    assert not any(page[0] == "staff" for page in demo.config["pages"])  # no password: no staff page
    handlers = {getattr(fn.fn, "__name__", ""): fn.fn for fn in demo.fns.values()}
    assert handlers["like"].__self__.feedback is feedback and handlers["like"].__self__.log is None

    log = QuestionLog(tmp_path / "f.sqlite3", days=30)
    logged = build_demo(FakePipeline(answer()), feedback, log)  # type: ignore[arg-type]
    assert LOG_NOTICE.format(days=30) in _props(logged, "ac-notice")["value"]
    handlers = {getattr(fn.fn, "__name__", ""): fn.fn for fn in logged.fns.values()}
    assert handlers["respond"].__self__.log is log


def test_launch_serves_only_here_with_no_share_link_error_details_analytics_or_mcp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx
    from conftest import free_port

    from askclinic.webapp import CSS, HEAD, build_demo, launch

    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)
    demo = build_demo(FakePipeline(answer()), FeedbackStore(tmp_path / "f.sqlite3"))  # type: ignore[arg-type]
    port = free_port()
    url = launch(demo, "localhost", port)  # not Gradio's default host, so the one given is seen
    try:
        assert url == f"http://localhost:{port}/" and (demo.server_name, demo.server_port) == ("localhost", port)
        assert (demo.share, demo.show_error, demo.ssr_mode, demo.mcp_server) == (False, False, False, False)
        assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
        config = httpx.get(f"{url}config", timeout=10).json()
        assert config["css"] == CSS and HEAD in config["head"] and type(demo.theme).__name__ == "Soft"
        assert httpx.get(f"{url}gradio_api/mcp/schema", timeout=10).status_code == 404
    finally:
        demo.close()


def test_launch_never_asks_for_an_mcp_server_or_a_share_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gradio's MCP extra is not installed here, so an MCP server asked for would not show over
    HTTP; where it is installed, it would expose the chat as a tool to anyone who can reach it."""
    from askclinic.webapp import build_demo, launch

    asked: dict[str, object] = {}
    demo = build_demo(FakePipeline(answer()), FeedbackStore(tmp_path / "f.sqlite3"))  # type: ignore[arg-type]
    monkeypatch.setattr(demo, "launch", lambda **kwargs: asked.update(kwargs))
    monkeypatch.setattr(type(demo), "local_url", "http://127.0.0.1:1/", raising=False)
    launch(demo, "127.0.0.1", 1)
    assert asked["mcp_server"] is False and asked["share"] is False


def test_the_question_box_says_what_to_ask_in_both_languages(tmp_path: Path) -> None:
    from askclinic.webapp import build_demo

    demo = build_demo(FakePipeline(answer()), FeedbackStore(tmp_path / "f.sqlite3"))  # type: ignore[arg-type]
    (box,) = [c["props"] for c in demo.config["components"] if c["props"].get("elem_id") == "ac-question"]
    assert box["placeholder"] == "Ask about a procedure… / 시술에 대해 물어보세요…"


def test_the_page_wires_each_control_and_exposes_only_chat(tmp_path: Path) -> None:
    """Only ``/chat`` is a public API; asking updates the chat, the box, the session and the
    reasons panel; a thumb opens the reasons; "New conversation" and the chat's clear button start
    over with the reasons hidden; the staff page, when there is one, is not linked."""
    from askclinic.webapp import CONCURRENCY, QUEUE_SIZE, build_demo

    feedback = FeedbackStore(tmp_path / "f.sqlite3")
    demo = build_demo(FakePipeline(answer()), feedback, staff_password="pw")  # type: ignore[arg-type]
    kinds = {c["id"]: (c["type"], c["props"].get("elem_id")) for c in demo.config["components"]}
    events: dict[str, tuple[str, list[str], list[str], str]] = {}
    for dep, fn in zip(demo.config["dependencies"], demo.fns.values(), strict=True):
        inputs = [kinds[i][0] for i in dep["inputs"]]
        outputs = [kinds[i][1] or kinds[i][0] for i in dep["outputs"]]
        events[fn.api_name] = (dep["targets"][0][1], inputs, outputs, dep["api_visibility"])
    assert events["respond_1"][1:] == events["respond"][1:]  # an example clicked is asked the same way
    assert events["chat"] == ("click", ["textbox", "state"], ["textbox", "state"], "public")
    assert events["respond"] == (
        "submit",
        ["textbox", "state"],
        ["ac-chat", "ac-question", "state", "ac-reason"],
        "private",
    )
    assert events["like"] == ("like", ["state"], ["ac-reason", "state"], "private")
    assert events["give_reason"] == ("click", ["radio", "state"], ["ac-reason", "radio", "state"], "private")
    public = [name for name, (*_, visibility) in events.items() if visibility == "public"]
    assert public == ["chat"]
    resets = [(fn.fn(), events[fn.api_name]) for fn in demo.fns.values() if fn.api_name.startswith("lambda")]
    assert resets == [
        (([], Conversation(), gr.update(visible=False)), ("click", [], ["ac-chat", "state", "ac-reason"], "private")),
        ((Conversation(), gr.update(visible=False)), ("clear", [], ["state", "ac-reason"], "private")),
    ]
    assert ("staff", "Staff", False) in demo.config["pages"]  # served, not in the navigation bar
    assert (demo._queue.default_concurrency_limit, demo._queue.max_size) == (CONCURRENCY, QUEUE_SIZE)
