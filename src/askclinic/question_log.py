"""The opt-in question log: what patients asked and what they got, for staff (never who asked).

Off unless ``ASKCLINIC_QUESTION_LOG`` is true. Each chat question is written with its time,
status, language, safety concept (for urgent and refused replies), cited posts and latency,
and the question text with personal data scrubbed (``askclinic.scrub``) before it is stored.
Rows older than ``ASKCLINIC_QUESTION_LOG_DAYS`` (90) are deleted on every write. The table
lives in the feedback database file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select

from .database import engine, exists, is_url, questions_table
from .errors import ConfigError
from .scrub import scrub


@dataclass(frozen=True)
class LoggedQuestion:
    created_at: str
    status: str
    language: str
    concept: str
    cited: tuple[str, ...]
    latency_ms: float
    question: str
    asked: str


class QuestionLog:
    """The question table in the feedback database (a SQLite file or a URL); ``record`` also
    enforces the retention period."""

    def __init__(self, path: Path | str, days: int = 90) -> None:
        if days < 1:
            raise ConfigError(f"ASKCLINIC_QUESTION_LOG_DAYS must be at least 1, not {days}")
        self.location = str(path)
        self.path = None if is_url(path) else Path(path)
        self.days = days

    def _engine(self) -> Engine:
        return engine(self.location, "the question log", (questions_table,))

    def record(
        self,
        question: str,
        asked: str,
        status: str,
        language: str,
        cited: Sequence[str],
        latency_ms: float,
        concept: str = "",
        now: datetime | None = None,
    ) -> None:
        now = now or datetime.now(UTC)
        cutoff = (now - timedelta(days=self.days)).isoformat(timespec="seconds")
        with self._engine().begin() as conn:
            conn.execute(
                insert(questions_table).values(
                    created_at=now.isoformat(timespec="seconds"),
                    status=status,
                    language=language,
                    concept=concept,
                    cited=json.dumps(list(cited), ensure_ascii=False),
                    latency_ms=round(latency_ms, 1),
                    question=scrub(question),
                    asked=scrub(asked),
                )
            )
            conn.execute(delete(questions_table).where(questions_table.c.created_at < cutoff))

    def rows(self, since: str = "") -> list[LoggedQuestion]:
        """Logged questions from ``since`` (an ISO date) on, oldest first; [] without a log file."""
        if not exists(self.location):
            return []
        t = questions_table
        query = select(
            t.c.created_at, t.c.status, t.c.language, t.c.concept, t.c.cited, t.c.latency_ms, t.c.question, t.c.asked
        )
        with self._engine().connect() as conn:
            found = conn.execute(query.where(t.c.created_at >= since).order_by(t.c.id)).all()
        return [LoggedQuestion(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), float(r[5]), r[6], r[7]) for r in found]
