"""The feedback database: a SQLite file by default, or any SQLAlchemy URL (PostgreSQL for replicas).

Ratings and the opt-in question log live in two tables of one database. One app on one machine
needs nothing more than the default file; several app replicas share one PostgreSQL database
(``ASKCLINIC_FEEDBACK_DB=postgresql://user:password@host/askclinic``) so staff see every rating
in one export.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Column, Engine, Float, Integer, MetaData, Table, Text, create_engine, event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from .errors import ConfigError

metadata = MetaData()

feedback_table = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Text, nullable=False),  # UTC, ISO 8601
    Column("question", Text, nullable=False),  # as the patient typed it
    Column("history", Text, nullable=False),  # JSON list of the earlier questions of the conversation
    Column("asked", Text, nullable=False),  # as searched (a follow-up rewritten with the earlier topic)
    Column("answer", Text, nullable=False),  # the answer body, without the disclaimer
    Column("status", Text, nullable=False),
    Column("citations", Text, nullable=False),  # JSON list of citation objects
    Column("rating", Text, nullable=False),  # "up" or "down"
    Column("reason", Text, nullable=False, server_default=""),
    sqlite_autoincrement=True,
)

questions_table = Table(
    "questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Text, nullable=False),  # UTC, ISO 8601
    Column("status", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("concept", Text, nullable=False, server_default=""),  # safety concept of an urgent or refused reply
    Column("cited", Text, nullable=False),  # JSON list of the cited post ids, in order
    Column("latency_ms", Float, nullable=False),
    Column("question", Text, nullable=False),  # scrubbed of personal data
    Column("asked", Text, nullable=False),  # as searched (follow-ups rewritten), scrubbed
    sqlite_autoincrement=True,
)

_engines: dict[str, Engine] = {}
_created: set[tuple[str, str]] = set()  # (url, table) known to exist: checked once per process
_lock = threading.Lock()


def is_url(location: str | Path) -> bool:
    return "://" in str(location)


def url_of(location: str | Path) -> str:
    """The SQLAlchemy URL of a file path or URL; ``postgresql://`` uses the psycopg driver."""
    text = str(location)
    if not is_url(text):
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def shown(location: str | Path) -> str:
    """The location without a password, for messages and logs."""
    text = str(location)
    if not is_url(text):
        return text
    scheme, rest = text.split("://", 1)
    if "@" in rest:
        user, host = rest.rsplit("@", 1)
        rest = f"{user.split(':', 1)[0]}:***@{host}" if ":" in user else f"{user}@{host}"
    return f"{scheme}://{rest}"


def engine(location: str | Path, what: str, tables: tuple[Table, ...]) -> Engine:
    """The database at ``location`` (a file's folder is created) with ``tables`` created if missing;
    errors name it and the setting to change."""
    url = url_of(location)
    try:
        with _lock:
            found = _engines.get(url)
            if found is None:
                if url.startswith("sqlite:///"):
                    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
                    # a connection per use, as sqlite3 had: a file removed or replaced meanwhile is
                    # opened afresh instead of written through a stale handle
                    found = create_engine(url, connect_args={"timeout": 10}, poolclass=NullPool)
                    event.listen(found, "connect", _sqlite_pragmas)
                else:
                    found = create_engine(url, pool_pre_ping=True)
                _engines[url] = found
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            _created.difference_update((url, t.name) for t in tables)  # the file was removed meanwhile
        missing = [t for t in tables if (url, t.name) not in _created]
        if missing:
            if not all(inspect(found).has_table(t.name) for t in missing):
                metadata.create_all(found, tables=missing, checkfirst=True)
            _created.update((url, t.name) for t in missing)
    except (OSError, SQLAlchemyError, ImportError) as e:
        raise ConfigError(
            f"cannot open {what} {shown(location)} ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else e}); "
            "set ASKCLINIC_FEEDBACK_DB to a writable file or a database URL"
        ) from e
    return found


def _sqlite_pragmas(conn: object, _record: object) -> None:
    cursor = conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()


def exists(location: str | Path) -> bool:
    """False only for a database file not created yet (a URL is assumed to exist)."""
    return is_url(location) or Path(str(location)).expanduser().exists()


__all__ = ["engine", "exists", "feedback_table", "is_url", "questions_table", "shown", "url_of"]
