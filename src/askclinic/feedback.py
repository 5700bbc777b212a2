"""Patients' thumbs up/down on answers, kept in a local SQLite file and exported as eval questions.

A row holds what was asked and answered, never who asked: no names, no IP addresses.
The export writes the evaluation question-set format (``evals/README.md``), so a thumbs down
becomes a test question once staff have checked its ``expected_status``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select, update

from .database import engine, exists, feedback_table, is_url
from .errors import ConfigError
from .logs import clip
from .types import Answer, Status

REASONS = ("wrong source", "wrong answer", "unsafe", "did not answer")
RATINGS = ("up", "down")
FORMATS = ("jsonl", "csv")
EXPORT_FIELDS = ("question", "history", "expected_status", "category", "notes", "answer_given", "citations_given")


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
    """The feedback table in a SQLite file (created with its folder on first write) or in the
    database a URL names (``postgresql://…``, shared by app replicas)."""

    def __init__(self, location: Path | str) -> None:
        self.location = str(location)
        self.path = None if is_url(location) else Path(location)

    def _engine(self) -> Engine:
        return engine(self.location, "the feedback database", (feedback_table,))

    def rate(self, turn: Turn, rating: str, row_id: int | None = None) -> int:
        """Record (or change) a rating of ``turn``; returns the row id."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {clip(repr(rating))}")
        a = turn.answer
        with self._engine().begin() as conn:
            if row_id is not None:
                conn.execute(
                    update(feedback_table).where(feedback_table.c.id == row_id).values(rating=rating, reason="")
                )
                return row_id
            result = conn.execute(
                insert(feedback_table).values(
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    question=turn.question,
                    history=json.dumps(list(turn.history), ensure_ascii=False),
                    asked=turn.asked,
                    answer=a.answer,
                    status=a.status.value,
                    citations=json.dumps([c.to_dict() for c in a.citations], ensure_ascii=False),
                    rating=rating,
                    reason="",
                )
            )
            key = result.inserted_primary_key
            return int(key[0]) if key else 0

    def set_reason(self, row_id: int, reason: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"reason must be one of {REASONS}, not {clip(repr(reason))}")
        with self._engine().begin() as conn:
            conn.execute(update(feedback_table).where(feedback_table.c.id == row_id).values(reason=reason))

    def remove(self, row_id: int) -> None:
        """Forget a rating the patient took back."""
        with self._engine().begin() as conn:
            conn.execute(delete(feedback_table).where(feedback_table.c.id == row_id))

    def rows(self, rating: str | None = None) -> list[Feedback]:
        if not exists(self.location):
            return []
        query = select(feedback_table).order_by(feedback_table.c.id)
        if rating:
            query = query.where(feedback_table.c.rating == rating)
        with self._engine().connect() as conn:
            found = conn.execute(query).all()
        return [
            Feedback(
                id=r.id,
                created_at=r.created_at,
                question=r.question,
                history=tuple(json.loads(r.history)),
                asked=r.asked,
                answer=r.answer,
                status=r.status,
                citations=tuple(json.loads(r.citations)),
                rating=r.rating,
                reason=r.reason,
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
