"""The staff page (``/staff``): the insights report and recent thumbs-down answers, behind a password.

Nothing of it is computed or sent to the browser until the password matches; patients are never
linked to it.
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Any

import gradio as gr

from .feedback import FeedbackStore
from .insights import compute, to_html

if TYPE_CHECKING:
    from .pipeline import AskPipeline
    from .question_log import QuestionLog

log = logging.getLogger(__name__)

RECENT_DOWN = 20  # thumbs-down answers in the table
DOWN_COLUMNS = ["when", "question", "reason", "answer"]


def report_html(pipeline: AskPipeline, feedback: FeedbackStore, question_log: QuestionLog | None) -> str:
    rows = question_log.rows() if question_log is not None else []
    posts = list(pipeline.search.store.post_states())
    insights = compute(rows, feedback.rows(), posts, pipeline.search.embeddings.embed_documents)
    page = to_html(insights)
    body = page[page.index("<body>") + len("<body>") : page.rindex("</body>")]
    if question_log is None:
        body = "<p><b>The question log is off</b> (set ASKCLINIC_QUESTION_LOG=true to collect questions).</p>" + body
    return body


def staff_page(pipeline: AskPipeline, feedback: FeedbackStore, question_log: QuestionLog | None, password: str) -> None:
    """The staff page's components, inside the current Blocks."""
    gr.Markdown("# Staff: what patients ask")
    with gr.Row():
        given = gr.Textbox(type="password", label="Staff password", elem_id="ac-staff-password", scale=4)
        open_btn = gr.Button("Open", elem_id="ac-staff-open", scale=1)
    status = gr.Markdown(elem_id="ac-staff-status")
    report = gr.HTML(visible=False, elem_id="ac-staff-report")
    down = gr.Dataframe(headers=DOWN_COLUMNS, visible=False, elem_id="ac-staff-down", wrap=True)

    def show(text: str) -> tuple[Any, Any, Any]:
        if not password or not hmac.compare_digest(text.encode(), password.encode()):
            log.warning("a wrong staff password was given")
            hidden = gr.update(visible=False, value=None)
            return "Wrong password.", hidden, hidden
        recent = [f for f in feedback.rows("down")][-RECENT_DOWN:][::-1]
        table = [[f.created_at[:16], f.question, f.reason or "—", f.answer[:300]] for f in recent]
        html_report = report_html(pipeline, feedback, question_log)
        return "", gr.update(visible=True, value=html_report), gr.update(visible=True, value=table)

    event: dict[str, Any] = {"inputs": [given], "outputs": [status, report, down], "api_visibility": "private"}
    open_btn.click(show, **event)
    given.submit(show, **event)
