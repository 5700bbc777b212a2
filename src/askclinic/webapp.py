"""The patient web chat (the Gradio edge): answers with sources, disclaimer, feedback.

``build_demo`` makes the app, also served as the API endpoint ``/chat``; ``launch`` serves it,
never shared. Archive text and questions are HTML-escaped before they reach the page, and the
Chatbot sanitizes what is left, so a post holding ``<script>`` shows it as text.
"""

from __future__ import annotations

import html
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gradio as gr

from .errors import EmptyStoreError
from .feedback import REASONS, FeedbackStore, Turn
from .followup import keeps_post, rewrite
from .glossary import is_korean
from .pipeline import has_words
from .safety import DISCLAIMER
from .types import Answer, Citation, Status

if TYPE_CHECKING:
    from .pipeline import AskPipeline
    from .question_log import QuestionLog

log = logging.getLogger(__name__)

MAX_HISTORY = 10  # earlier questions kept per conversation, for follow-ups
CONCURRENCY = 4  # answers computed at once; more wait in the queue
QUEUE_SIZE = 64  # waiting requests beyond this are turned away with "queue full"
TITLE = "Ask the clinic"
NOTICE = (
    "Answers are quoted from the clinic's blog posts. They are general information, <b>not medical "
    "advice</b>. If you have severe pain, fever, spreading redness, trouble breathing or vision "
    "changes, contact the clinic or emergency services (119) now.<br>"
    "답변은 병원 블로그 글을 인용한 일반 정보이며 <b>의료 조언이 아닙니다</b>. 심한 통증, 발열, 번지는 붉은기, "
    "호흡 곤란, 시력 변화가 있으면 지금 바로 병원이나 119에 연락하세요."
)
LOG_NOTICE = (
    "<br>Questions are logged without names, phone numbers or other personal details, and kept for {days} days, "
    "so the clinic can see what its posts do not answer yet. / 질문은 이름·연락처 등 개인정보를 지우고 {days}일간 "
    "보관되며, 병원이 게시물을 보완하는 데 쓰입니다."
)
NOTICE_LINE = "Information, not medical advice · Emergency: call 119 · 의료 조언 아님"
EXAMPLES = [
    "How long does swelling last after a thread lift?",
    "Does HIFU lifting hurt?",
    "How long does lip filler last?",
    "실리프팅 후 붓기는 얼마나 가나요?",
    "보톡스 효과는 얼마나 가나요?",
]
LABELS = {
    "en": {
        "sources": "Sources",
        "disclaimer": "Not medical advice",
        "urgent": "Urgent",
        "followup": "Follow-up, searched as",
        "reason": "What was wrong? (optional)",
        "send": "Send",
    },
    "ko": {
        "sources": "출처",
        "disclaimer": "의료 조언 아님",
        "urgent": "긴급",
        "followup": "이전 질문과 이어서 검색",
        "reason": "무엇이 잘못되었나요? (선택)",
        "send": "보내기",
    },
}
NOT_LOADED = {
    "en": "The clinic's archive is not loaded yet, so I can't answer questions right now. "
    "Please try again later or contact the clinic.",
    "ko": "병원 게시물이 아직 준비되지 않아 지금은 답변드릴 수 없습니다. "
    "잠시 후 다시 시도하시거나 병원에 문의해 주세요.",
}
FAILED = {
    "en": "Sorry, something went wrong while answering. Please try again, or contact the clinic.",
    "ko": "답변 중 문제가 발생했습니다. 다시 시도하시거나 병원에 문의해 주세요.",
}
CSS = """
.ac-urgent { background: #b3261e; color: #fff; padding: .8em 1em; border-radius: 8px; font-weight: 600; }
.ac-urgent * { color: #fff !important; }
.ac-abstained, .ac-refused { border-left: 4px solid #c98a00; background: #fff6dc; color: #3d3000;
  padding: .5em .9em; border-radius: 4px; }
.ac-refused { border-left-color: #5a6b86; background: #eef1f6; color: #1f2937; }
.ac-followup { font-size: .85em; opacity: .75; }
.ac-sources { margin-top: .6em; font-size: .92em; }
.ac-sources summary { cursor: pointer; }
.ac-sources blockquote { margin: .3em 0 .4em .4em; padding-left: .6em; border-left: 3px solid #9ca3af; }
.ac-meta { opacity: .75; }
.ac-disclaimer { font-size: .8em; opacity: .75; margin-top: .7em; }
#ac-notice { background: #eef4ff; color: #1e293b; border-radius: 8px; padding: .2em .9em; }
#ac-notice summary { cursor: pointer; font-weight: 600; min-height: 44px; display: flex; align-items: center; }
#ac-notice p { margin: .2em 0 .6em; }
#ac-chat, #ac-notice { overflow-wrap: anywhere; word-break: keep-all; }
#ac-chat [data-testid="bot"] { animation: ac-reveal .35s ease-out; }
@keyframes ac-reveal { from { opacity: 0; transform: translateY(4px); } to { opacity: 1; transform: none; } }
/* Phones: the header shrinks, the chat fills the screen above the input, every button is a
   44 px tap target. */
@media (max-width: 640px) {
  .gradio-container { padding: 4px 6px !important; }
  #ac-header h1 { font-size: 1.3rem; margin: .1em 0; }
  #ac-header p { display: none; }
  #ac-notice summary { font-size: .85rem; }
  #ac-chat { height: calc(100dvh - 290px) !important; min-height: 300px; }
  #ac-question [data-testid="block-info"], #ac-question .info, #ac-question span.hint { display: none; }
  button { min-height: 44px; min-width: 44px; }
}
"""


# Outside the app's own area (which ``CSS`` is scoped to): the framework's footer links are too
# small to tap on a phone and are not needed there.
HEAD = "<style>@media (max-width: 640px) { footer { display: none !important; } }</style>"


def escape(text: str) -> str:
    """Text as inert markup: no HTML tags, and no markdown links or images."""
    return html.escape(text, quote=False).replace("](", "]&#40;")


def _labels(korean: bool) -> dict[str, str]:
    return LABELS["ko" if korean else "en"]


def render_sources(citations: tuple[Citation, ...], korean: bool = False) -> str:
    """The [n] citations as expandable items: title, clinic, date, then section and quote."""
    items = []
    for c in citations:
        meta = " · ".join(escape(x) for x in (c.clinic, c.published) if x)
        meta = f' · <span class="ac-meta">{meta}</span>' if meta else ""
        items.append(
            f"<details><summary><strong>[{c.n}] {escape(c.title)}</strong>{meta}</summary>"
            f'<div class="ac-meta">{escape(c.section)}</div>'
            f"<blockquote>{escape(c.quote)}</blockquote></details>"
        )
    title = f"<div><strong>{_labels(korean)['sources']}</strong></div>"
    return f'<div class="ac-sources">{title}{"".join(items)}</div>'


def render(answer: Answer, korean: bool = False, asked: str | None = None) -> str:
    """One answer as the chat shows it (and ``/chat`` returns it): banner, body, sources, disclaimer."""
    labels = _labels(korean)
    body = escape(answer.answer)
    if answer.status is Status.URGENT:
        body = f'<div class="ac-urgent" role="alert">\n\n⚠️ {labels["urgent"]}: {body}\n\n</div>'
    elif answer.status in (Status.ABSTAINED, Status.REFUSED):
        body = f'<div class="ac-{answer.status.value}">\n\n{body}\n\n</div>'
    parts = [body]
    if asked:
        parts.append(f'<div class="ac-followup">{labels["followup"]}: “{escape(asked)}”</div>')
    if answer.citations:
        parts.append(render_sources(answer.citations, korean))
    parts.append(
        f'<div class="ac-disclaimer"><strong>{labels["disclaimer"]}:</strong> '
        f"{escape(answer.disclaimer or DISCLAIMER)}</div>"
    )
    return "\n\n".join(parts)


@dataclass
class Conversation:
    """One browser session (or API client): its messages, questions and ratings."""

    messages: list[dict[str, str]] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    posts: tuple[str, ...] = ()  # the post the last answer quoted first: what a follow-up is about
    turns: dict[int, Turn] = field(default_factory=dict)  # assistant message index -> turn
    ratings: dict[int, int] = field(default_factory=dict)  # assistant message index -> feedback row
    awaiting_reason: int | None = None  # feedback row of the last thumbs down


class ChatApp:
    """The chat's event handlers over one pipeline and one feedback store."""

    def __init__(self, pipeline: AskPipeline, feedback: FeedbackStore, log: QuestionLog | None = None) -> None:
        self.pipeline = pipeline
        self.feedback = feedback
        self.log = log

    def answer(self, message: str, conv: Conversation) -> Iterator[str | Turn]:
        """Growing answer text, then the Turn; failures become a friendly answer, logged."""
        history = tuple(conv.questions[-MAX_HISTORY:])
        asked = message
        prefer: tuple[str, ...] = ()
        if len(message) <= self.pipeline.max_chars and has_words(message):
            asked = rewrite(message, history)
            asked = asked if len(asked) <= self.pipeline.max_chars else message
            prefer = conv.posts if keeps_post(message, asked) else ()
        lang = "ko" if is_korean(message) else "en"
        started = time.perf_counter()
        try:
            for piece in self.pipeline.stream(asked, prefer):
                if isinstance(piece, Answer):
                    self._log(message, asked, piece, lang, time.perf_counter() - started)
                    if piece.citations:
                        conv.posts = (piece.citations[0].post_id,)
                    yield Turn(message, history, asked, piece)
                else:
                    yield piece
        except EmptyStoreError:
            log.error("the store is empty: run 'askclinic ingest PATH' (the chat answers nothing)")
            yield Turn(message, history, asked, self._failure(message, NOT_LOADED[lang]))
        except Exception:
            log.exception("answering a question failed")
            yield Turn(message, history, asked, self._failure(message, FAILED[lang]))
        if has_words(message):
            conv.questions = [*conv.questions, message][-MAX_HISTORY:]

    def _log(self, message: str, asked: str, answer: Answer, lang: str, seconds: float) -> None:
        """Write the question to the opt-in log (scrubbed there); a log failure never stops the chat."""
        if self.log is None or not has_words(message):
            return
        try:
            self.log.record(
                message,
                asked,
                answer.status.value,
                lang,
                [c.post_id for c in answer.citations],
                seconds * 1000,
                answer.concept,
            )
        except Exception:
            log.exception("the question log could not be written")

    @staticmethod
    def _failure(message: str, text: str) -> Answer:
        return Answer(message, Status.ABSTAINED, text, (), DISCLAIMER)

    @staticmethod
    def show(turn: Turn) -> str:
        asked = turn.asked if turn.asked != turn.question else None
        return render(turn.answer, korean=is_korean(turn.question), asked=asked)

    def respond(self, message: str, conv: Conversation) -> Iterator[tuple[Any, ...]]:
        """The chat event: the question with a "…" placeholder, then the whole answer."""
        hide = gr.update(visible=False)
        if not (message or "").strip():
            yield conv.messages, "", conv, gr.update()
            return
        conv.messages = [
            *conv.messages,
            {"role": "user", "content": escape(message)},
            {"role": "assistant", "content": "…"},
        ]
        index = len(conv.messages) - 1
        yield _copy(conv.messages), "", conv, hide  # clear the box once: the patient may type on
        for item in self.answer(message, conv):
            # The answer is complete and verified before anything is shown: it is sent at once (no
            # server-side pauses holding a worker); the page fades it in (``.ac-reveal`` in CSS).
            if isinstance(item, Turn):
                conv.turns[index] = item
                conv.messages[index]["content"] = self.show(item)
                yield _copy(conv.messages), gr.update(), conv, hide

    def chat(self, message: str, conv: Conversation) -> tuple[str, Conversation]:
        """The ``/chat`` API: the rendered answer, with follow-ups within the client's session."""
        text = ""
        for item in self.answer(message or "", conv):
            if isinstance(item, Turn):
                text = self.show(item)
        return text, conv

    def like(self, conv: Conversation, data: gr.LikeData) -> tuple[Any, ...]:
        """A thumb on an answer: saved at once; a thumbs down then offers the reasons."""
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turn = conv.turns.get(int(index))
        conv.awaiting_reason = None
        if turn is None:
            return gr.update(visible=False), conv
        row = conv.ratings.get(int(index))
        if data.liked is True or data.liked is False:
            conv.ratings[int(index)] = self.feedback.rate(turn, "up" if data.liked else "down", row)
            if data.liked is False:
                conv.awaiting_reason = conv.ratings[int(index)]
                return gr.update(visible=True), conv
        elif row is not None:  # the thumb was clicked again: the rating is taken back
            self.feedback.remove(row)
            del conv.ratings[int(index)]
        return gr.update(visible=False), conv

    def give_reason(self, reason: str | None, conv: Conversation) -> tuple[Any, ...]:
        if reason and conv.awaiting_reason is not None:
            self.feedback.set_reason(conv.awaiting_reason, reason)
        conv.awaiting_reason = None
        return gr.update(visible=False), gr.update(value=None), conv


def _copy(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    return [dict(m) for m in messages]


def build_demo(
    pipeline: AskPipeline,
    feedback: FeedbackStore,
    log: QuestionLog | None = None,
    staff_password: str = "",
) -> gr.Blocks:
    """The chat page and its ``/chat`` API, with a bounded queue; with a staff password, the
    staff page at ``/staff`` (not linked from the chat)."""
    app = ChatApp(pipeline, feedback, log)
    labels = LABELS["en"]
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        conv = gr.State(Conversation())
        gr.Markdown(
            f"# {TITLE}\nQuestions about the clinic's procedures, answered from its blog posts, "
            "with sources. 병원 시술에 대한 질문에 블로그 글을 근거로 답합니다.",
            elem_id="ac-header",
        )
        # One line that stays on screen (even on a phone); tapping it shows the whole notice.
        notice = NOTICE + (LOG_NOTICE.format(days=log.days) if log is not None else "")
        gr.HTML(f"<details><summary>{NOTICE_LINE}</summary><p>{notice}</p></details>", elem_id="ac-notice")
        chatbot = gr.Chatbot(
            label="Chat",
            show_label=False,
            height=520,
            sanitize_html=True,
            render_markdown=True,
            allow_tags=False,
            feedback_options=("Like", "Dislike"),
            buttons=["copy"],
            elem_id="ac-chat",
            latex_delimiters=[],
        )
        textbox = gr.Textbox(
            placeholder="Ask about a procedure… / 시술에 대해 물어보세요…",
            show_label=False,
            max_length=pipeline.max_chars,
            submit_btn="Ask",
            elem_id="ac-question",
            info=f"Up to {pipeline.max_chars} characters. Please don't include your name or contact details.",
        )
        with gr.Group(visible=False, elem_id="ac-reason") as reason_box:
            reason = gr.Radio(list(REASONS), label=f"{labels['reason']} / {LABELS['ko']['reason']}")
            send = gr.Button(labels["send"], size="sm")
        examples = gr.Examples(EXAMPLES, inputs=[textbox], label="Example questions / 예시 질문")
        new = gr.Button("New conversation / 새 대화", size="sm", variant="secondary")
        api_in = gr.Textbox(visible=False)
        api_out = gr.Textbox(visible=False)
        api_btn = gr.Button(visible=False)

        ask: dict[str, Any] = {
            "fn": app.respond,
            "inputs": [textbox, conv],
            "outputs": [chatbot, textbox, conv, reason_box],
            "concurrency_id": "answer",
            "api_visibility": "private",
            "show_progress": "hidden",
        }
        textbox.submit(**ask)
        examples.load_input_event.then(**ask)
        api_btn.click(app.chat, [api_in, conv], [api_out, conv], api_name="chat", concurrency_id="answer")
        chatbot.like(app.like, [conv], [reason_box, conv], api_visibility="private")
        send.click(app.give_reason, [reason, conv], [reason_box, reason, conv], api_visibility="private")
        new.click(
            lambda: ([], Conversation(), gr.update(visible=False)),
            None,
            [chatbot, conv, reason_box],
            api_visibility="private",
        )
        chatbot.clear(
            lambda: (Conversation(), gr.update(visible=False)), None, [conv, reason_box], api_visibility="private"
        )
    if staff_password:
        from .staff import staff_page

        with demo.route("Staff", "/staff", show_in_navbar=False):
            staff_page(pipeline, feedback, log, staff_password)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


def launch(
    demo: gr.Blocks, host: str | None = None, port: int | None = None, pipeline: AskPipeline | None = None
) -> str:
    """Serve on ``host:port`` (Gradio's GRADIO_SERVER_NAME/PORT when None) and return the URL; never
    shared. With the pipeline, ``/healthz`` and ``/readyz`` are served too."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        show_error=False,
        quiet=True,
        prevent_thread_lock=True,
        ssr_mode=False,
        mcp_server=False,
        theme=gr.themes.Soft(primary_hue="teal"),
        css=CSS,
        head=HEAD,
    )
    if pipeline is not None:
        from .health import add_health_routes

        add_health_routes(demo.app, pipeline)
    return str(demo.local_url)


__all__ = ["ChatApp", "Conversation", "build_demo", "escape", "launch", "render"]
