"""Patients' thumbs up/down on answers, kept in a local SQLite file and exported as eval questions.

A row holds what was asked and answered, never who asked: no names, no IP addresses.
The export writes the evaluation question-set format (``evals/README.md``), so a thumbs down
becomes a test question once staff have checked its ``expected_status``.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import ConfigError
from .logs import clip
from .types import Answer, Status

REASONS = ("wrong source", "wrong answer", "unsafe", "did not answer")
RATINGS = ("up", "down")
FORMATS = ("jsonl", "csv")
EXPORT_FIELDS = ("question", "history", "expected_status", "category", "notes", "answer_given", "citations_given")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,   -- UTC, ISO 8601
    question TEXT NOT NULL,     -- as the patient typed it
    history TEXT NOT NULL,      -- JSON list of the earlier questions of the conversation
    asked TEXT NOT NULL,        -- as searched (a follow-up rewritten with the earlier topic)
    answer TEXT NOT NULL,       -- the answer body, without the disclaimer
    status TEXT NOT NULL,
    citations TEXT NOT NULL,    -- JSON list of citation objects
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    reason TEXT NOT NULL DEFAULT ''
)
"""


def connect(path: Path, schema: str, what: str) -> sqlite3.Connection:
    """The SQLite file at ``path`` (its folder created) with ``schema`` applied; errors name it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=10)
        conn.execute(schema)
    except (OSError, sqlite3.Error) as e:
        raise ConfigError(f"cannot open {what} {path} ({e}); set ASKCLINIC_FEEDBACK_DB to a writable path") from e
    return conn


@dataclass(frozen=True)
class Turn:
    """One answered question of a conversation: what feedback on it refers to."""

    question: str
    history: tuple[str, ...]
    asked: str
    answer: Answer


@dataclass(frozen=True)
class Feedback:
    id: int
    created_at: str
    question: str
    history: tuple[str, ...]
    asked: str
    answer: str
    status: str
    citations: tuple[dict[str, object], ...]
    rating: str
    reason: str

    def to_eval(self) -> dict[str, object]:
        """This rating as a line of an evaluation question set (for staff to review)."""
        notes = f"thumbs {self.rating}" + (f": {self.reason}" if self.reason else "")
        follow_up = self.asked != self.question  # the earlier questions changed what was searched
        if follow_up:
            notes += f" (searched as: {self.asked})"
        # A patient who says "did not answer" expected an answer; otherwise keep what was given
        # and let staff correct it while reviewing the notes.
        expected = Status.ANSWERED.value if self.reason == "did not answer" else self.status
        line: dict[str, object] = {"question": self.question, "expected_status": expected}
        if follow_up:
            line.update(history=list(self.history), category="follow-up")
        line.update(notes=notes, answer_given=self.answer, citations_given=list(self.citations))
        return line


class FeedbackStore:
    """The feedback table in one SQLite file (created with its folder on first write)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path, _SCHEMA, "the feedback file")

    def rate(self, turn: Turn, rating: str, row_id: int | None = None) -> int:
        """Record (or change) a rating of ``turn``; returns the row id."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {clip(repr(rating))}")
        a = turn.answer
        with closing(self._connect()) as conn, conn:
            if row_id is not None:
                conn.execute("UPDATE feedback SET rating = ?, reason = '' WHERE id = ?", (rating, row_id))
                return row_id
            cur = conn.execute(
                "INSERT INTO feedback (created_at, question, history, asked, answer, status, "
                "citations, rating) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    turn.question,
                    json.dumps(list(turn.history), ensure_ascii=False),
                    turn.asked,
                    a.answer,
                    a.status.value,
                    json.dumps([c.to_dict() for c in a.citations], ensure_ascii=False),
                    rating,
                ),
            )
            return int(cur.lastrowid or 0)

    def set_reason(self, row_id: int, reason: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"reason must be one of {REASONS}, not {clip(repr(reason))}")
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE feedback SET reason = ? WHERE id = ?", (reason, row_id))

    def remove(self, row_id: int) -> None:
        """Forget a rating the patient took back."""
        with closing(self._connect()) as conn, conn:
            conn.execute("DELETE FROM feedback WHERE id = ?", (row_id,))

    def rows(self, rating: str | None = None) -> list[Feedback]:
        if not self.path.exists():
            return []
        query = "SELECT * FROM feedback" + (" WHERE rating = ?" if rating else "") + " ORDER BY id"
        with closing(self._connect()) as conn:
            found = conn.execute(query, (rating,) if rating else ()).fetchall()
        return [
            Feedback(
                id=r[0],
                created_at=r[1],
                question=r[2],
                history=tuple(json.loads(r[3])),
                asked=r[4],
                answer=r[5],
                status=r[6],
                citations=tuple(json.loads(r[7])),
                rating=r[8],
                reason=r[9],
            )
            for r in found
        ]


def export_lines(rows: Sequence[Feedback], fmt: str = "jsonl") -> Iterator[str]:
    """The rows as evaluation questions: JSON lines, or CSV with a header (lists as JSON)."""
    if fmt not in FORMATS:
        raise ConfigError(f"export format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(row.to_eval(), ensure_ascii=False) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        line = row.to_eval()
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in line.items()})
    yield buffer.getvalue()


__all__ = ["REASONS", "Feedback", "FeedbackStore", "Turn", "export_lines"]
