"""The feedback database shared by app replicas: PostgreSQL by URL, SQLite by default."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import free_port
from test_feedback import turn
from typer.testing import CliRunner

from askclinic.cli_serve import feedback_app
from askclinic.database import shown
from askclinic.errors import ConfigError
from askclinic.feedback import FeedbackStore
from askclinic.question_log import QuestionLog

# The schema of the first release's SQLite file, as it was written: files from it keep working.
FIRST_RELEASE_SCHEMA = """
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, question TEXT NOT NULL,
    history TEXT NOT NULL, asked TEXT NOT NULL, answer TEXT NOT NULL, status TEXT NOT NULL,
    citations TEXT NOT NULL, rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    reason TEXT NOT NULL DEFAULT ''
)
"""


@pytest.fixture
def shared(postgres_url: str) -> str:
    """The test server's database, emptied of both tables."""
    from sqlalchemy import text

    from askclinic.database import engine, feedback_table, questions_table

    with engine(postgres_url, "the test database", (feedback_table, questions_table)).begin() as conn:
        conn.execute(text("TRUNCATE feedback, questions RESTART IDENTITY"))
    return postgres_url


def test_two_replicas_rate_into_one_postgresql_database(shared: str) -> None:
    """Each replica opens the URL on its own; staff see every rating in one place."""
    replica_1, replica_2 = FeedbackStore(shared), FeedbackStore(shared)
    first = replica_1.rate(turn("how common is thread exposure?"), "down")
    second = replica_2.rate(turn("멍은요?", history=("실리프팅 후 붓기는 얼마나 가요?",)), "up")
    assert first != second
    replica_2.set_reason(first, "wrong source")
    rows = replica_1.rows()
    assert [(r.question, r.rating, r.reason) for r in rows] == [
        ("how common is thread exposure?", "down", "wrong source"),
        ("멍은요?", "up", ""),
    ]
    assert rows[1].history == ("실리프팅 후 붓기는 얼마나 가요?",)
    assert rows[0].citations[0]["quote"] == "Thread exposure: 5%"
    assert [r.question for r in replica_2.rows("down")] == ["how common is thread exposure?"]
    replica_1.rate(turn("멍은요?"), "down", row_id=second)  # a patient changes their mind
    replica_2.remove(first)
    assert [(r.question, r.rating) for r in replica_1.rows()] == [("멍은요?", "down")]


def test_ratings_from_many_threads_are_all_kept(shared: str) -> None:
    stores = [FeedbackStore(shared) for _ in range(4)]

    def rate(i: int) -> None:
        for j in range(10):
            stores[i].rate(turn(f"question {i}-{j}"), "up")

    threads = [threading.Thread(target=rate, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.question for r in stores[0].rows()) == sorted(
        f"question {i}-{j}" for i in range(4) for j in range(10)
    )


def test_the_question_log_lives_in_the_same_database(shared: str) -> None:
    log = QuestionLog(shared, days=90)
    log.record("my email is kim@example.com, how long does swelling last?", "same", "answered", "en", ["003.txt"], 12.3)
    (row,) = QuestionLog(shared).rows()
    assert "kim@example.com" not in row.question  # scrubbed before it is stored, as in SQLite
    assert row.cited == ("003.txt",) and row.latency_ms == 12.3


def test_the_export_command_reads_a_database_url(shared: str) -> None:
    FeedbackStore(shared).rate(turn("how common is thread exposure?"), "down")
    result = CliRunner().invoke(feedback_app, ["export", "--db", shared])
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]
    assert line["question"] == "how common is thread exposure?"


def test_a_database_that_cannot_be_reached_is_named_without_its_password() -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql://staff:s3cret@127.0.0.1:{port}/askclinic"
    with pytest.raises(ConfigError) as caught:
        FeedbackStore(url).rate(turn(), "up")
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "ASKCLINIC_FEEDBACK_DB" in message
    assert "s3cret" not in message
    assert shown(url) == f"postgresql://staff:***@127.0.0.1:{port}/askclinic"


def test_a_feedback_file_of_the_first_release_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(FIRST_RELEASE_SCHEMA)
        conn.execute(
            "INSERT INTO feedback (created_at, question, history, asked, answer, status, citations, rating) "
            "VALUES ('2026-01-02T03:04:05+00:00', 'old question', '[]', 'old question', 'old answer', 'answered', "
            "'[]', 'up')"
        )
    store = FeedbackStore(path)
    store.rate(turn("new question"), "down")
    assert [(r.id, r.question, r.rating) for r in store.rows()] == [
        (1, "old question", "up"),
        (2, "new question", "down"),
    ]


def test_a_feedback_file_removed_while_the_app_runs_is_created_again(tmp_path: Path) -> None:
    """Staff archive the file away: the next rating starts a new one instead of failing."""
    path = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(path)
    store.rate(turn("first"), "up")
    path.unlink()
    store.rate(turn("second"), "down")
    assert [(r.question, r.rating) for r in store.rows()] == [("second", "down")]
