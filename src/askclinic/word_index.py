"""The word index on disk: every chunk's text, tokens and metadata in a SQLite file beside the store.

It is what the BM25 half of retrieval is built from, and where section and record look-ups
are answered, so a running app never reads every chunk back from Chroma:

- Ingestion feeds it with each batch it writes (``apply``), so an app starting on a folder store
  finds it current. An app on a Chroma server keeps its own copy (``default_path``); when a
  snapshot file is configured, ingestion also publishes a copy there (``publish``) and a new
  app starts its own from it (``seed``) instead of reading every chunk from the server.
- ``sync`` brings it in line with the store by changes only: it reads the chunks written since
  the newest it holds (``WRITTEN_AT``); only when the counts still disagree does it list the
  store's chunk ids with their metadata (a fingerprint of each chunk's post version), never the
  texts, and fetch what differs.
- A change never rewrites a row in place: a changed chunk gets a new row number, so a BM25 index
  built before the change never maps a hit to another chunk's text.
- Readers never wait for a writer (SQLite's write-ahead log); each thread has its own connection.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .lexical import archive_words, tokens
from .store import WORD_INDEX_FILE, WRITTEN_AT, Store, chunk_from_record, chunk_id_of, is_server
from .types import Chunk

log = logging.getLogger(__name__)

FILE_NAME = WORD_INDEX_FILE
FORMAT = "3"  # bump when the tokens or the schema change: the file is then rebuilt from the store
FETCH = 500  # chunk texts fetched from the store per call (larger calls cost Chroma memory)
CLOCK_MARGIN = 120.0  # seconds: chunks written this long before the newest held are read again

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chunk_id TEXT NOT NULL UNIQUE,
    post_id TEXT NOT NULL,
    section_index INTEGER NOT NULL,
    chunk_index INTEGER NOT NULL,
    section TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    document TEXT NOT NULL,
    metadata TEXT NOT NULL,
    tokens TEXT NOT NULL,
    written_at INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_by_section ON chunks(post_id, section_index, chunk_index);
CREATE INDEX IF NOT EXISTS chunks_by_time ON chunks(written_at);
CREATE TABLE IF NOT EXISTS words(word TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class SyncReport:
    """What one ``sync`` changed: chunks added or replaced, chunks removed, the revision now held."""

    added: int
    removed: int
    revision: str
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def fingerprint(meta: dict[str, Any]) -> str:
    """A chunk's version: its metadata carries its post's file hash and chunk count, so any edit
    of the post changes it."""
    return hashlib.sha1(json.dumps(meta, sort_keys=True, default=str).encode()).hexdigest()[:20]


def default_path(store: Store, cache_dir: Path | None = None) -> Path:
    """Where a store's word index lives: inside a writable store folder; for a Chroma server, in
    ``cache_dir`` (default ``~/.cache/askclinic``) under a name derived from the server and the
    collection; otherwise (an in-memory or read-only store) a temporary file of this process."""
    if store.location and not is_server(store.location):
        folder = Path(store.location)
        if folder.is_dir() and os.access(folder, os.W_OK):
            return folder / FILE_NAME
    elif store.location:
        base = cache_dir or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "askclinic"
        digest = hashlib.sha256(f"{store.location}|{store.name}".encode()).hexdigest()[:16]
        return base / "word-index" / f"{digest}.sqlite3"
    folder = Path(tempfile.mkdtemp(prefix="askclinic-words-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder / FILE_NAME


def seed(path: Path, snapshot: Path, collection_id: str) -> bool:
    """Start the word index at ``path`` from a published copy (``WordIndexFile.publish``) when it
    has never been synced; the next ``sync`` then reads only what changed since the copy.

    Nothing is done (False) when ``path`` already holds a synced index, when there is no copy,
    or when the copy is of another format or another store's collection: the index is then
    built from the store as before."""
    if not collection_id or not snapshot.is_file() or _synced(path):
        return False
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with contextlib.closing(sqlite3.connect(f"{snapshot.resolve().as_uri()}?mode=ro", uri=True)) as copy:
            fmt, held = WordIndexFile._state(copy, "format"), WordIndexFile._state(copy, "collection")
            if (fmt, held) != (FORMAT, collection_id):
                log.warning(
                    "not starting the word index from %s: it is of %s; reading the store instead",
                    snapshot,
                    "another format" if fmt != FORMAT else "another store",
                )
                return False
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.closing(sqlite3.connect(part)) as mine:
                copy.backup(mine)
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        os.replace(part, path)
    except sqlite3.Error as e:
        log.warning("could not start the word index from %s (%s); reading the store instead", snapshot, e)
        return False
    finally:
        part.unlink(missing_ok=True)
    log.info("word index started from %s", snapshot)
    return True


@dataclass(frozen=True)
class SnapshotInfo:
    """What a published word index says of itself (``WordIndexFile.publish``)."""

    format: str
    collection: str
    revision: str
    chunks: int
    posts: int


def read_snapshot(snapshot: Path) -> SnapshotInfo:
    """The format, collection, store revision and counts of a published word index.
    Raises ``sqlite3.Error`` for a file that is not one."""
    with contextlib.closing(sqlite3.connect(f"{snapshot.resolve().as_uri()}?mode=ro", uri=True)) as con:
        state = dict(con.execute("SELECT key, value FROM state").fetchall())
        chunks, posts = con.execute("SELECT COUNT(*), COUNT(DISTINCT post_id) FROM chunks").fetchone()
    return SnapshotInfo(
        state.get("format", ""), state.get("collection", ""), state.get("revision", ""), int(chunks), int(posts)
    )


def _synced(path: Path) -> bool:
    """Whether the file at ``path`` exists and was synced with its store at least once."""
    if not path.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(path)) as con:
            return bool(WordIndexFile._state(con, "revision"))
    except sqlite3.Error:
        return False


class WordIndexFile:
    """The word index of one store in one SQLite file (see the module's description)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._write = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        con = self._con
        con.execute("CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
        if self._state(con, "format") not in ("", FORMAT):
            log.info("the word index %s has an older format; rebuilding it from the store", path)
            con.executescript("DROP TABLE IF EXISTS chunks; DROP TABLE IF EXISTS words; DELETE FROM state;")
        con.executescript(_SCHEMA)
        con.execute("INSERT OR REPLACE INTO state VALUES ('format', ?)", (FORMAT,))

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    @property
    def _con(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = self._connect()
            self._local.con = con
        return con

    def close(self) -> None:
        """Close this thread's connection (a writer closing its last one folds the log back in)."""
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    def __enter__(self) -> WordIndexFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write at a time in this process, and across processes (SQLite's write lock)."""
        with self._write:
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    @staticmethod
    def _state(con: sqlite3.Connection, key: str) -> str:
        try:
            row = con.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:  # not a word index (no state table)
            return ""
        return str(row[0]) if row else ""

    # -- reading -----------------------------------------------------------------------
    @property
    def revision(self) -> str:
        """The store revision this file was last synced to ('' before the first sync)."""
        return self._state(self._con, "revision")

    def counts(self) -> tuple[int, int]:
        """(chunks, posts) held."""
        row = self._con.execute("SELECT COUNT(*), COUNT(DISTINCT post_id) FROM chunks").fetchone()
        return int(row[0]), int(row[1])

    def documents(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, tokens) of every chunk, in row order: what the BM25 index is built from."""
        for row_id, text in self._con.execute("SELECT id, tokens FROM chunks ORDER BY id"):
            yield int(row_id), text.split()

    def words(self) -> Counter[str]:
        """Every word of the archive's text (lower-cased) with how often it occurs."""
        return Counter({w: int(n) for w, n in self._con.execute("SELECT word, n FROM words")})

    def chunks(self, row_ids: Sequence[int]) -> dict[int, Chunk]:
        """The chunks with these row numbers (rows removed since are left out)."""
        if not row_ids:
            return {}
        marks = ",".join("?" * len(row_ids))
        rows = self._con.execute(f"SELECT id, document, metadata FROM chunks WHERE id IN ({marks})", list(row_ids))
        return {int(i): chunk_from_record(doc, json.loads(meta)) for i, doc, meta in rows}

    def all_chunks(self) -> list[Chunk]:
        rows = self._con.execute("SELECT document, metadata FROM chunks ORDER BY post_id, chunk_index")
        return [chunk_from_record(doc, json.loads(meta)) for doc, meta in rows]

    def section(self, post_id: str, section_index: int) -> list[Chunk]:
        """Every chunk of one post section, in order."""
        rows = self._con.execute(
            "SELECT document, metadata FROM chunks WHERE post_id = ? AND section_index = ? ORDER BY chunk_index",
            (post_id, section_index),
        )
        return [chunk_from_record(doc, json.loads(meta)) for doc, meta in rows]

    def post_text(self, post_id: str) -> str:
        """The text of every chunk of one post, in order ('' for a post it does not hold)."""
        rows = self._con.execute("SELECT document FROM chunks WHERE post_id = ? ORDER BY chunk_index", (post_id,))
        return "\n".join(doc for (doc,) in rows)

    def chunk_in_section(self, post_id: str, section: str) -> Chunk | None:
        """The post's first chunk under this heading, if any."""
        row = self._con.execute(
            "SELECT document, metadata FROM chunks WHERE post_id = ? AND section = ? ORDER BY chunk_index LIMIT 1",
            (post_id, section),
        ).fetchone()
        return chunk_from_record(row[0], json.loads(row[1])) if row else None

    # -- writing -----------------------------------------------------------------------
    def sync(self, store: Store) -> SyncReport:
        """Bring the file in line with the store, reading only what changed.

        Chunks carry when their post was written (``WRITTEN_AT``): a sync fetches the chunks
        written since the newest one it holds (less ``CLOCK_MARGIN``) and replaces those posts'
        rows. When the counts still disagree (a post was removed) it lists every chunk id with
        its metadata, never the texts, and fetches only what differs; so does the first sync.
        One sync at a time (across processes too); a sync finding the file current returns."""
        started = time.perf_counter()
        revision = store.revision()
        if revision and revision == self.revision:
            return SyncReport(0, 0, revision, time.perf_counter() - started)
        with self._transaction() as con:
            if revision and revision == self._state(con, "revision"):  # synced meanwhile by another
                return SyncReport(0, 0, revision, time.perf_counter() - started)
            added = removed = 0
            newest = con.execute(f"SELECT MAX({WRITTEN_AT}) FROM chunks").fetchone()[0]
            if newest is not None:
                since = int(newest) - round(CLOCK_MARGIN * 1000)
                added, removed = self._changed_posts(con, store.records_since(since))
            held = int(con.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
            if newest is None or held != store.count():
                more, fewer = self._reconcile(con, store)
                added, removed = added + more, removed + fewer
            con.execute("INSERT OR REPLACE INTO state VALUES ('revision', ?)", (revision,))
        report = SyncReport(added, removed, revision, time.perf_counter() - started)
        if report.changed:
            log.info("word index: %d chunks added or changed, %d removed (%.2f s)", added, removed, report.seconds)
        return report

    def _changed_posts(self, con: sqlite3.Connection, records: Iterable[tuple[str, dict[str, Any]]]) -> tuple[int, int]:
        """Replace the rows of every post among ``records`` (each post is written whole)."""
        by_post: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for document, meta in records:
            by_post.setdefault(str(meta["post_id"]), []).append((document, meta))
        added = removed = 0
        for post_id, rows in by_post.items():
            fresh = {chunk_id_of(m): (fingerprint(m), (d, m)) for d, m in rows}
            held = dict(con.execute("SELECT chunk_id, fingerprint FROM chunks WHERE post_id = ?", (post_id,)))
            stale = [cid for cid, fp in held.items() if cid not in fresh or fresh[cid][0] != fp]
            self._delete(con, stale)
            removed += len([cid for cid in stale if cid not in fresh])
            added += self._insert(con, [record for cid, (fp, record) in fresh.items() if held.get(cid) != fp])
        return added, removed

    def _reconcile(self, con: sqlite3.Connection, store: Store) -> tuple[int, int]:
        """Compare every chunk's fingerprint with the store's; fetch what is new or changed."""
        listed = store.chunk_fingerprints(fingerprint)
        held = dict(con.execute("SELECT chunk_id, fingerprint FROM chunks").fetchall())
        stale = [cid for cid, fp in held.items() if listed.get(cid) != fp]
        wanted = [cid for cid, fp in listed.items() if held.get(cid) != fp]
        self._delete(con, stale)
        added = 0
        for start in range(0, len(wanted), FETCH):
            added += self._insert(con, store.records(wanted[start : start + FETCH]))
        return added, len([cid for cid in stale if cid not in listed])

    def apply(self, records: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Take in whole posts just written to the store (their rows are replaced), without
        reading anything back from it. The file's revision is left alone: ``mark`` it after."""
        with self._transaction() as con:
            self._drop_posts(con, sorted({str(meta["post_id"]) for _, meta in records}))
            self._insert(con, records)

    def remove_posts(self, post_ids: Sequence[str]) -> None:
        with self._transaction() as con:
            self._drop_posts(con, post_ids)

    def publish(self, target: Path, collection_id: str) -> None:
        """Write a consistent copy of this file to ``target``, replacing what is there in one
        step (a reader never sees half a copy): where the apps of a Chroma server start their own
        word index from (``seed``). The copy names the store's collection it belongs to."""
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            with contextlib.closing(sqlite3.connect(part, isolation_level=None)) as copy:
                self._con.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                copy.execute("INSERT OR REPLACE INTO state VALUES ('collection', ?)", (collection_id,))
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)

    def mark(self, revision: str) -> None:
        """Record that the file reflects the store at ``revision`` (every write was applied)."""
        self._con.execute("INSERT OR REPLACE INTO state VALUES ('revision', ?)", (revision,))

    def _drop_posts(self, con: sqlite3.Connection, post_ids: Sequence[str]) -> None:
        for post_id in post_ids:
            ids = [cid for (cid,) in con.execute("SELECT chunk_id FROM chunks WHERE post_id = ?", (post_id,))]
            self._delete(con, ids)

    @staticmethod
    def _delete(con: sqlite3.Connection, chunk_ids: Sequence[str]) -> None:
        for start in range(0, len(chunk_ids), 500):
            batch = chunk_ids[start : start + 500]
            marks = ",".join("?" * len(batch))
            docs = con.execute(f"SELECT document FROM chunks WHERE chunk_id IN ({marks})", batch).fetchall()
            _count_words(con, (d for (d,) in docs), -1)
            con.execute(f"DELETE FROM chunks WHERE chunk_id IN ({marks})", batch)

    @staticmethod
    def _insert(con: sqlite3.Connection, records: Iterable[tuple[str, dict[str, Any]]]) -> int:
        rows = []
        for document, meta in records:
            chunk = chunk_from_record(document, meta)
            rows.append(
                (
                    chunk.chunk_id,
                    chunk.post_id,
                    chunk.section_index,
                    chunk.chunk_index,
                    chunk.section,
                    fingerprint(meta),
                    document,
                    json.dumps(meta, sort_keys=True, default=str),
                    " ".join(tokens(document)),
                    meta.get(WRITTEN_AT),
                )
            )
        con.executemany(
            "INSERT INTO chunks(chunk_id, post_id, section_index, chunk_index, section, fingerprint,"
            " document, metadata, tokens, written_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        _count_words(con, (r[6] for r in rows), 1)
        return len(rows)


def _count_words(con: sqlite3.Connection, documents: Iterable[str], sign: int) -> None:
    counts = archive_words(documents)
    con.executemany(
        "INSERT INTO words VALUES (?, ?) ON CONFLICT(word) DO UPDATE SET n = n + excluded.n",
        [(w, sign * n) for w, n in counts.items()],
    )
    if sign < 0:
        con.execute("DELETE FROM words WHERE n <= 0")
