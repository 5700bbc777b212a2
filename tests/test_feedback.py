"""Feedback rows in SQLite, and their export as evaluation questions."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from askclinic.cli_serve import feedback_app
from askclinic.evaluation import parse_questions
from askclinic.feedback import Feedback, FeedbackStore, Turn, export_lines
from askclinic.safety import DISCLAIMER
from askclinic.types import Answer, Citation, Status

CITATION = Citation(
    1,
    "000.txt",
    "Is thread lifting really a safe procedure?",
    "Clinic",
    "2025-06-26",
    "What side effects can thread lifting have?",
    "Thread exposure: 5%",
    "/archive/000.txt",
)


def turn(
    question: str = "How common is thread exposure?",
    status: Status = Status.ANSWERED,
    history: tuple[str, ...] = (),
    asked: str | None = None,
) -> Turn:
    citations = (CITATION,) if status is Status.ANSWERED else ()
    answer = Answer(
        question, status, "Thread exposure: 5% [1]" if citations else "I could not find this.", citations, DISCLAIMER
    )
    return Turn(question, history, asked or question, answer)


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "nested" / "dir" / "feedback.sqlite3")


def test_a_rating_is_saved_with_what_was_asked_and_answered(store: FeedbackStore) -> None:
    row = store.rate(turn(), "down")
    store.set_reason(row, "wrong source")
    (saved,) = store.rows()
    assert saved.rating == "down" and saved.reason == "wrong source"
    assert saved.question == "How common is thread exposure?" and saved.status == "answered"
    assert saved.answer == "Thread exposure: 5% [1]"
    assert saved.citations[0]["quote"] == "Thread exposure: 5%"
    assert saved.created_at.endswith("+00:00")


def test_the_table_holds_no_names_or_addresses(store: FeedbackStore) -> None:
    store.rate(turn(), "up")
    columns = {r[1] for r in sqlite3.connect(store.path).execute("PRAGMA table_info(feedback)")}
    assert columns == {
        "id",
        "created_at",
        "question",
        "history",
        "asked",
        "answer",
        "status",
        "citations",
        "rating",
        "reason",
    }


def test_changing_and_taking_back_a_rating(store: FeedbackStore) -> None:
    row = store.rate(turn(), "down")
    store.set_reason(row, "unsafe")
    assert store.rate(turn(), "up", row) == row
    (saved,) = store.rows()
    assert (saved.rating, saved.reason) == ("up", "")
    store.remove(row)
    assert store.rows() == []


def test_bad_values_are_refused(store: FeedbackStore) -> None:
    with pytest.raises(ValueError, match="rating"):
        store.rate(turn(), "meh")
    row = store.rate(turn(), "down")
    with pytest.raises(ValueError, match="reason"):
        store.set_reason(row, "I hate it")


def test_reading_a_missing_file_gives_no_rows(tmp_path: Path) -> None:
    assert FeedbackStore(tmp_path / "none.sqlite3").rows() == []
    assert not (tmp_path / "none.sqlite3").exists()


def test_export_is_a_valid_question_set(store: FeedbackStore) -> None:
    store.set_reason(store.rate(turn(), "down"), "wrong source")
    hair = turn("Do you do hair transplants?", Status.ABSTAINED, history=("How long does filler last?",))
    store.set_reason(store.rate(hair, "down"), "did not answer")
    store.rate(
        turn(
            "and how long does it last?",
            history=("will I bruise after a thread lift?",),
            asked="how long does it last? bruise thread lift",
        ),
        "up",
    )
    lines = [json.loads(line) for line in export_lines(store.rows())]
    assert lines[0] == {
        "question": "How common is thread exposure?",
        "expected_status": "answered",
        "notes": "thumbs down: wrong source",
        "answer_given": "Thread exposure: 5% [1]",
        "citations_given": [CITATION.to_dict()],
    }
    assert lines[1]["expected_status"] == "answered"  # the patient expected an answer
    assert "history" not in lines[1]
    assert lines[2]["history"] == ["will I bruise after a thread lift?"]
    assert lines[2]["category"] == "follow-up" and lines[2]["notes"].startswith("thumbs up")
    qset = parse_questions("".join(export_lines(store.rows())), "export")
    assert [q.question for q in qset.questions] == [line["question"] for line in lines]


def test_csv_export_has_a_header_and_json_lists(store: FeedbackStore) -> None:
    store.rate(turn(), "up")
    rows = list(csv.DictReader(io.StringIO("".join(export_lines(store.rows(), "csv")))))
    assert rows[0]["notes"] == "thumbs up"
    assert json.loads(rows[0]["citations_given"])[0]["n"] == 1


def test_feedback_round_trips_through_its_dataclass() -> None:
    row = Feedback(1, "t", "q", (), "q", "a", "refused", (), "down", "unsafe")
    assert row.to_eval()["expected_status"] == "refused"
    assert row.to_eval()["notes"] == "thumbs down: unsafe"


def test_cli_export(store: FeedbackStore, tmp_path: Path) -> None:
    store.set_reason(store.rate(turn(), "down"), "wrong answer")
    runner = CliRunner()
    result = runner.invoke(feedback_app, ["export", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["notes"] == "thumbs down: wrong answer"
    out = tmp_path / "feedback.csv"
    result = runner.invoke(feedback_app, ["export", "--db", str(store.path), "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0 and out.read_text("utf-8").startswith("question,")


def test_cli_export_errors_are_one_line(store: FeedbackStore, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(feedback_app, ["export", "--db", str(tmp_path / "missing.sqlite3")])
    assert result.exit_code == 2 and "no feedback file" in result.output
    store.rate(turn(), "up")
    result = runner.invoke(feedback_app, ["export", "--db", str(store.path), "--format", "xml"])
    assert result.exit_code == 2 and "jsonl, csv" in result.output
