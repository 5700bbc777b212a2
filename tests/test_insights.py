"""Staff insights: the scrubbed, opt-in question log, the report, and thumbs-down as test questions."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from askclinic.cli import app
from askclinic.feedback import FeedbackStore, Turn
from askclinic.insights import compute, to_html, to_markdown
from askclinic.question_log import QuestionLog
from askclinic.questions import load_questions
from askclinic.scrub import scrub
from askclinic.types import Answer, Citation, Status

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("my name is Jane Doe, does filler hurt?", "Jane"),
        ("My name's Tom Park and I had botox", "Tom Park"),
        ("hi my name is jane, is filler safe", "jane"),
        ("call me on 010-1234-5678 please", "1234-5678"),
        ("제 번호는 01098765432 입니다", "01098765432"),
        ("+82 10 2345 6789 is my number", "2345 6789"),
        ("landline 02-123-4567", "123-4567"),
        ("US cell (415) 555-0134", "555-0134"),
        ("email jane.doe+clinic@example.co.kr about my booking", "jane.doe"),
        ("주민번호 900101-2345678 인데 예약돼요?", "2345678"),
        ("주민등록번호 9001012345678", "9001012345678"),
        ("I was born on 1990-03-14, can I get botox?", "1990-03-14"),
        ("dob: March 14, 1990", "March 14, 1990"),
        ("생년월일 1990.3.14 이에요", "1990.3.14"),
        ("1990년 3월 14일생인데 필러 돼요?", "1990년 3월 14일"),
        ("제 이름은 김민지이고 실리프팅 문의해요", "김민지"),
        ("저는 이수민입니다. 보톡스 문의요", "이수민"),
    ],
)
def test_personal_data_is_scrubbed(text: str, secret: str) -> None:
    cleaned = scrub(text)
    assert secret not in cleaned, cleaned
    assert "[" in cleaned


@pytest.mark.parametrize(
    "text",
    ["how long does swelling last after 2 weeks?", "thread exposure is 5% in 2,827 people", "I am 35, is HIFU ok?"],
)
def test_ordinary_questions_are_not_scrubbed(text: str) -> None:
    assert scrub(text) == text


def test_the_log_stores_only_scrubbed_text_and_enforces_retention(tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    log = QuestionLog(db, days=30)
    old = datetime(2026, 1, 1, tzinfo=UTC)
    log.record("call 010-1111-2222 about botox", "x", "abstained", "en", [], 12.0, now=old)
    assert len(log.rows()) == 1
    log.record(
        "my name is Jane Doe, does filler hurt?",
        "x",
        "answered",
        "en",
        ["101_filler-faq.md"],
        9.5,
        now=old + timedelta(days=31),
    )
    rows = log.rows()
    assert [r.question for r in rows] == ["my name is [name], does filler hurt?"]  # the first has expired
    assert rows[0].cited == ("101_filler-faq.md",) and rows[0].latency_ms == 9.5
    raw = db.read_bytes()
    assert b"Jane" not in raw and b"1111-2222" not in raw


def fake_answer(status: Status, post: str = "") -> Answer:
    citations = (Citation(1, post, "T", "C", "2025-01-01", "S", "q", "src"),) if post else ()
    return Answer("q", status, "text [1]" if post else "text", citations, "disclaimer")


def test_the_chat_logs_only_when_the_log_is_on(tmp_path: Path, pipeline) -> None:
    from askclinic.webapp import ChatApp, Conversation

    off = tmp_path / "off.sqlite3"
    ChatApp(pipeline, FeedbackStore(off)).chat("how long does jaw botox last?", Conversation())
    assert not off.exists() or "questions" not in str(
        sqlite3.connect(off).execute("SELECT name FROM sqlite_master").fetchall()
    )
    on = tmp_path / "on.sqlite3"
    chat = ChatApp(pipeline, FeedbackStore(on), QuestionLog(on))
    conv = Conversation()
    chat.chat("how long does jaw botox last? call me 010-2222-3333", conv)
    chat.chat("I have a fever and pus after my thread lift", conv)
    chat.chat("😀", conv)  # no letters: not a question, not logged
    rows = QuestionLog(on).rows()
    assert [r.status for r in rows] == ["answered", "urgent"]
    assert rows[0].cited[0] == "001_botox-jaw.txt" and "[phone]" in rows[0].question
    assert rows[1].concept == "infection" and rows[1].cited == ()


def generated_log(tmp_path: Path) -> tuple[QuestionLog, FeedbackStore]:
    db = tmp_path / "feedback.sqlite3"
    log = QuestionLog(db, days=3650)
    day = datetime(2026, 11, 20, 10, tzinfo=UTC)
    for q in ("do you do tattoo removal?", "tattoo removal laser price", "can a tattoo be removed?"):
        log.record(q, q, "abstained", "en", [], 10, now=day)
    for q in ("hair transplant cost?", "do you offer hair transplants"):
        log.record(q, q, "abstained", "en", [], 10, now=day + timedelta(days=1))
    log.record("<script>alert(1)</script> where do i park", "x", "abstained", "en", [], 10, now=day)
    for _ in range(4):
        log.record("jaw botox", "x", "answered", "en", ["001_botox-jaw.txt"], 10, now=day)
    log.record("fever after threads", "x", "urgent", "en", [], 10, concept="infection", now=day)
    log.record("how many mg of tylenol", "x", "refused", "en", [], 10, concept="dosage", now=day)
    feedback = FeedbackStore(db)
    turn = Turn("does hifu hurt?", (), "does hifu hurt?", fake_answer(Status.ANSWERED, "005_hifu-lifting.txt"))
    row = feedback.rate(turn, "down")
    feedback.set_reason(row, "wrong answer")
    feedback.rate(Turn("ok thanks", (), "ok thanks", fake_answer(Status.ABSTAINED)), "up")
    return log, feedback


def test_insights_figures_on_a_log_with_known_answers(tmp_path: Path, real_embeddings) -> None:
    log, feedback = generated_log(tmp_path)
    posts = ["001_botox-jaw.txt", "005_hifu-lifting.txt", "007_skin-booster.txt"]
    found = compute(log.rows(), feedback.rows(), posts, real_embeddings.embed_documents)
    assert found.questions == 12
    assert found.by_day["2026-11-20"] == {"abstained": 4, "answered": 4, "urgent": 1, "refused": 1}
    assert found.by_day["2026-11-21"] == {"abstained": 2}
    assert [g.size for g in found.unanswered] == [3, 2, 1]
    assert all("tattoo" in q for q in found.unanswered[0].examples)
    assert all("transplant" in q for q in found.unanswered[1].examples)
    assert found.most_cited == [("001_botox-jaw.txt", 4)]
    assert found.never_cited == ["005_hifu-lifting.txt", "007_skin-booster.txt"]
    assert [(f.question, f.reason) for f in found.thumbs_down] == [("does hifu hurt?", "wrong answer")]
    assert found.safety == {("urgent", "infection"): 1, ("refused", "dosage"): 1}
    assert set(compute(log.rows("2026-11-21"), [], posts, None).by_day) == {"2026-11-21"}
    page = to_html(found)
    assert page.count("<img") == 2 and "data:image/png;base64," in page and "http" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<script>" not in to_markdown(found)


def test_insights_from_the_command_line(tmp_path: Path) -> None:
    generated_log(tmp_path)
    db = tmp_path / "feedback.sqlite3"
    store = str(tmp_path / "store")
    result = runner.invoke(app, ["insights", "--db", str(db), "--store", store, "--report", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert "<img" in (tmp_path / "r.html").read_text("utf-8")
    since = runner.invoke(app, ["insights", "--db", str(db), "--store", store, "--since", "2026-11-21"])
    assert since.exit_code == 0 and "2 questions." in since.output
    bad = runner.invoke(app, ["insights", "--db", str(db), "--since", "last week"])
    assert bad.exit_code == 2 and "--since" in bad.output


def test_thumbs_down_export_as_eval_loads_as_a_question_set(tmp_path: Path) -> None:
    _, feedback = generated_log(tmp_path)
    out = tmp_path / "rated_down.jsonl"
    result = runner.invoke(app, ["feedback", "export", "--db", str(feedback.path), "--as-eval", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [line["question"] for line in lines] == ["does hifu hurt?"]  # the thumbs up is left out
    questions = load_questions(out).questions
    assert [q.question for q in questions] == ["does hifu hurt?"]
