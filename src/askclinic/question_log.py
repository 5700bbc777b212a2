"""The opt-in question log: what patients asked and what they got, for staff (never who asked).

Off unless ``ASKCLINIC_QUESTION_LOG`` is true. Each chat question is written with its time,
status, language, safety concept (for urgent and refused replies), cited posts and latency,
and the question text with personal data scrubbed (``askclinic.scrub``) before it is stored.
Rows older than ``ASKCLINIC_QUESTION_LOG_DAYS`` (90) are deleted on every write. The table
lives in the feedback database file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .errors import ConfigError
from .feedback import connect
from .scrub import scrub

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,   -- UTC, ISO 8601
    status TEXT NOT NULL,
    language TEXT NOT NULL,
    concept TEXT NOT NULL DEFAULT '',  -- safety concept of an urgent or refused reply
    cited TEXT NOT NULL,        -- JSON list of the cited post ids, in order
    latency_ms REAL NOT NULL,
    question TEXT NOT NULL,     -- scrubbed of personal data
    asked TEXT NOT NULL         -- as searched (follow-ups rewritten), scrubbed
)
"""


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
    """The question table in one SQLite file; ``record`` also enforces the retention period."""

    def __init__(self, path: Path | str, days: int = 90) -> None:
        if days < 1:
            raise ConfigError(f"ASKCLINIC_QUESTION_LOG_DAYS must be at least 1, not {days}")
        self.path = Path(path)
        self.days = days

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path, _SCHEMA, "the question log")

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
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT INTO questions (created_at, status, language, concept, cited, latency_ms, question, asked) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now.isoformat(timespec="seconds"),
                    status,
                    language,
                    concept,
                    json.dumps(list(cited), ensure_ascii=False),
                    round(latency_ms, 1),
                    scrub(question),
                    scrub(asked),
                ),
            )
            cutoff = (now - timedelta(days=self.days)).isoformat(timespec="seconds")
            conn.execute("DELETE FROM questions WHERE created_at < ?", (cutoff,))

    def rows(self, since: str = "") -> list[LoggedQuestion]:
        """Logged questions from ``since`` (an ISO date) on, oldest first; [] without a log file."""
        if not self.path.exists():
            return []
        with closing(self._connect()) as conn:
            found = conn.execute(
                "SELECT created_at, status, language, concept, cited, latency_ms, question, asked "
                "FROM questions WHERE created_at >= ? ORDER BY id",
                (since,),
            ).fetchall()
        return [LoggedQuestion(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), float(r[5]), r[6], r[7]) for r in found]
