"""Incremental, idempotent ingestion of post files into the store.

A post is re-embedded only when its file bytes (or the chunker) changed, or when the store
holds an incomplete copy of it (an earlier run was killed). A file that fails to parse is
reported and leaves whatever the store already holds for it untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from .chunking import CHUNKER_VERSION, approx_word_pieces, chunk_post
from .errors import PostError
from .injection import without_instructions
from .reader import MAX_POST_BYTES, POST_SUFFIXES, parse_bytes, post_id_for, read_bytes
from .store import PostState, PostWrite, Store, is_server, writer_lock
from .types import Chunk, Post

if TYPE_CHECKING:
    from .word_index import WordIndexFile

log = logging.getLogger(__name__)

EMBED_BATCH = 128  # chunks embedded per model call, across posts
Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (entry, reason): links, FIFOs, ...
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (post, what staff should check)
    chunks_embedded: int = 0
    replaced_models: list[str] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in ("new", "changed", "unchanged", "removed", "failed", "skipped")}


@dataclass(frozen=True)
class _Pending:
    post: Post
    chunks: list[Chunk]
    file_hash: str
    stale_ids: tuple[str, ...]
    removed: tuple[str, ...] = ()  # sentences that instruct a bot, kept out of the index


def discover(paths: Iterable[Path]) -> tuple[list[tuple[Path, Path]], list[tuple[str, str]], list[tuple[str, str]]]:
    """(file, archive root) pairs for every post file under the paths, missing paths, and skipped entries.

    Folders are walked without following links: a link is read only when it resolves to a
    regular file inside the folder given. Links leading out of it, dangling or looping links,
    FIFOs, devices and folders named like posts are skipped, each with its reason.
    """
    files: list[tuple[Path, Path]] = []
    missing: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        if path.is_dir():
            _walk(path, files, skipped)
        elif path.is_file():
            files.append((path, path.parent))
        elif path.exists():
            missing.append((str(path), f"{_kind(path)}, not a post file"))
        else:
            missing.append((str(path), "no such file or folder"))
    return files, missing, skipped


def _walk(root: Path, files: list[tuple[Path, Path]], skipped: list[tuple[str, str]]) -> None:
    real_root = root.resolve()
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        for d in dirs:
            if d.lower().endswith(POST_SUFFIXES):
                skipped.append(
                    (str(here / d), "is a folder named like a post file; not read as a post (posts inside it are)")
                )
        for d in [d for d in dirs if (here / d).is_symlink()]:
            skipped.append((str(here / d), "is a link to a folder; links to folders are not followed"))
            dirs.remove(d)
        for name in sorted(names):
            entry = here / name
            if name.startswith(".") or not name.lower().endswith(POST_SUFFIXES):
                continue
            reason = _unreadable_reason(entry, real_root)
            if reason:
                skipped.append((str(entry), reason))
                log.warning("skipped %s: %s", entry, reason)
            else:
                files.append((entry, root))


def _unreadable_reason(entry: Path, real_root: Path) -> str:
    """Why an entry of an archive folder is not read as a post ("" when it is read)."""
    if entry.is_symlink():
        try:
            target = entry.resolve(strict=True)
        except FileNotFoundError:
            return "is a dangling link (its target does not exist)"
        except (RuntimeError, OSError):
            return "is a link that loops or cannot be followed"
        if target != real_root and real_root not in target.parents:
            return "is a link to a file outside the archive folder; not read"
    if not entry.is_file():
        return f"{_kind(entry)}, not a post file"
    return ""


def _kind(path: Path) -> str:
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        return "is a folder"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is not a regular file"


def file_hash(data: bytes) -> str:
    digest = hashlib.sha256(data)
    digest.update(CHUNKER_VERSION.encode())
    return digest.hexdigest()[:24]


def ingest(
    paths: Sequence[Path],
    store: Store,
    embeddings: Embeddings,
    *,
    prune: bool = False,
    dry_run: bool = False,
    count_tokens: Callable[[str], int] = approx_word_pieces,
    max_bytes: int = MAX_POST_BYTES,
    progress: Progress | None = None,
    batch_size: int = EMBED_BATCH,
    wait: bool = False,
    word_index_snapshot: Path | None = None,
) -> IngestReport:
    """Bring the store in line with the post files under ``paths``.

    With a Chroma server, ``word_index_snapshot`` is a file the server's apps can read: the
    store's word index is published there when ingestion is done (see ``word_index.seed``).

    Writing holds the store folder's writer lock: a second ingestion at the same time fails
    with ``StoreBusyError`` (or waits, with ``wait=True``). A dry run takes no lock.
    """
    if dry_run:
        return _ingest(paths, store, embeddings, prune, dry_run, count_tokens, max_bytes, progress, batch_size)
    with _writing(store, wait), _word_index(store, word_index_snapshot) as words:
        current = words is not None and words.revision == store.revision() and words.counts()[0] == store.count()
        report = _ingest(paths, store, embeddings, prune, dry_run, count_tokens, max_bytes, progress, batch_size, words)
        if words is not None and store.exists():
            if current:  # it took in every write above: it reflects the store now
                words.mark(store.revision())
            else:
                words.sync(store)
            if word_index_snapshot is not None and is_server(store.location):
                _publish(words, word_index_snapshot, store, report)
        return report


def _publish(words: WordIndexFile, snapshot: Path, store: Store, report: IngestReport) -> None:
    """Publish the word index for new apps; the posts are in the store whatever happens here,
    so a file that cannot be written is a warning (new apps then read the store), not a failure."""
    try:
        words.publish(snapshot, store.collection_id())
    except (OSError, sqlite3.Error) as e:
        log.warning("could not write the word index to %s: %s", snapshot, e)
        report.warnings.append(
            (str(snapshot), f"the word index could not be written there ({e}); new apps will read every chunk instead")
        )


@contextlib.contextmanager
def _word_index(store: Store, snapshot: Path | None = None) -> Iterator[WordIndexFile | None]:
    """The word index ingestion feeds as it writes: a store folder's own, so an app starting on
    the folder finds it current; for a Chroma server with a ``snapshot`` file, a copy started
    from that file and published back to it when ingestion is done, so a new app starts from it.
    A Chroma server's apps otherwise keep their own copies (``None``)."""
    if not store.location or (is_server(store.location) and snapshot is None):
        yield None
        return
    from .word_index import FILE_NAME, WordIndexFile, default_path, seed

    if not is_server(store.location):
        with WordIndexFile(default_path(store)) as words:
            yield words
        return
    assert snapshot is not None
    with tempfile.TemporaryDirectory(prefix="askclinic-words-") as folder:
        path = Path(folder) / FILE_NAME
        seed(path, snapshot, store.collection_id())
        with WordIndexFile(path) as words:
            yield words


def sync_word_index(store: Store) -> None:
    """Bring a store folder's word index up to date (changed posts only)."""
    with _word_index(store) as words:
        if words is not None and store.exists():
            words.sync(store)


def _writing(store: Store, wait: bool = False) -> contextlib.AbstractContextManager[None]:
    """The store folder's writer lock (none for a store without a folder, such as a test's)."""
    return writer_lock(store.location, wait=wait) if store.location else contextlib.nullcontext()


def _ingest(
    paths: Sequence[Path],
    store: Store,
    embeddings: Embeddings,
    prune: bool,
    dry_run: bool,
    count_tokens: Callable[[str], int],
    max_bytes: int,
    progress: Progress | None,
    batch_size: int,
    words: WordIndexFile | None = None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport(dry_run=dry_run)
    files, missing, skipped = discover(paths)
    report.failed.extend(missing)
    report.skipped.extend(skipped)
    states = store.post_states()

    seen_ids: set[str] = set()
    seen_hashes: dict[str, str] = {}
    writer = None if dry_run else _Writer(store, embeddings, report, batch_size, words)
    with writer or contextlib.nullcontext():
        for i, (path, root) in enumerate(files):
            try:
                outcome = _classify(path, root, states, seen_ids, seen_hashes, count_tokens, max_bytes)
            except PostError as e:
                report.failed.append((e.source, e.reason))
                log.warning("skipped %s: %s", e.source, e.reason)
                outcome = None
            if isinstance(outcome, str):
                report.unchanged.append(outcome)
            elif outcome is not None:
                (report.changed if outcome.post.post_id in states else report.new).append(outcome.post.post_id)
                for sentence in outcome.removed:
                    report.warnings.append(
                        (outcome.post.post_id, f"left out a sentence that instructs a chatbot: {sentence[:200]!r}")
                    )
                if writer is not None:
                    writer.add(outcome)  # embedded and written batch by batch: memory stays flat
            if progress:
                progress(i + 1, len(files))

    if prune:
        roots = [p.resolve() for p in paths if p.is_dir()]
        for post_id, state in sorted(states.items()):
            if post_id not in seen_ids and _under(Path(state.source), roots):
                report.removed.append(post_id)

    if not dry_run:
        for post_id in report.removed:
            store.delete_ids(states[post_id].chunk_ids)
        if words is not None and report.removed:
            words.remove_posts(report.removed)
        if store.exists():
            report.replaced_models = store.drop_other_models()
    else:
        report.replaced_models = sorted(set(store.other_models().values()))
    report.seconds = time.perf_counter() - started
    return report


def _classify(
    path: Path,
    root: Path,
    states: dict[str, PostState],
    seen_ids: set[str],
    seen_hashes: dict[str, str],
    count_tokens: Callable[[str], int],
    max_bytes: int,
) -> _Pending | str:
    path, root = path.resolve(), root.resolve()
    source = str(path)
    post_id = post_id_for(path, root)
    seen_ids.add(post_id)  # a file that is present but fails keeps its stored copy
    data = read_bytes(path, max_bytes)
    digest = file_hash(data)
    if digest in seen_hashes and data.strip():
        raise PostError(source, f"same content as {seen_hashes[digest]}; skipped as a duplicate")
    seen_hashes[digest] = source
    state = states.get(post_id)
    if state and state.source != source and Path(state.source).exists():
        raise PostError(source, f"post id {post_id!r} is already used by {state.source}")
    if state and state.complete and state.file_hash == digest and state.source == source:
        return post_id
    return _pending(data, path, root, state.chunk_ids if state else (), count_tokens)


def _pending(
    data: bytes, path: Path, root: Path, stale_ids: Sequence[str], count_tokens: Callable[[str], int]
) -> _Pending:
    """A post parsed from its bytes, without sentences that instruct a bot, and chunked."""
    post, removed = without_instructions(parse_bytes(data, path, root))
    return _Pending(post, chunk_post(post, count_tokens), file_hash(data), tuple(stale_ids), tuple(removed))


class _Writer:
    """Embeds posts in batches of about ``batch_size`` chunks, across posts, and writes each
    batch's posts whole in one upsert on a second thread while the next batch is embedded.
    Writes stay in order, one at a time; at most two batches are held in memory, whatever the
    size of the archive."""

    def __init__(
        self,
        store: Store,
        embeddings: Embeddings,
        report: IngestReport,
        batch_size: int,
        words: WordIndexFile | None = None,
    ) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        self.words = words
        self.store = store
        self.embeddings = embeddings
        self.report = report
        self.batch_size = batch_size
        self._batch: list[_Pending] = []
        self._size = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="askclinic-write")
        self._writing: Future[None] | None = None

    def add(self, item: _Pending) -> None:
        self._batch.append(item)
        self._size += len(item.chunks)
        if self._size >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        batch, self._batch, self._size = self._batch, [], 0
        if not batch:
            return
        vectors = self.embeddings.embed_documents([c.text for p in batch for c in p.chunks])
        writes, offset = [], 0
        for p in batch:
            n = len(p.chunks)
            writes.append(PostWrite(p.chunks, vectors[offset : offset + n], _extra(p), p.stale_ids))
            offset += n
        self._wait()  # the previous batch is stored (or its error surfaces here)
        self._writing = self._pool.submit(self._store, writes)
        self.report.chunks_embedded += offset

    def _store(self, writes: list[PostWrite]) -> None:
        records = self.store.write_posts(writes)
        if self.words is not None:
            try:
                self.words.apply(records)
            finally:
                self.words.close()  # this thread's connection

    def _wait(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, failed: type[BaseException] | None, *rest: object) -> None:
        if failed is None:
            self.close()
        else:  # a write under way finishes; nothing more is written
            self._pool.shutdown(wait=True)

    def close(self) -> None:
        """Write what is left and wait for every write."""
        try:
            self._flush()
            self._wait()
        finally:
            self._pool.shutdown(wait=True)


def reembed(
    posts: Sequence[tuple[Path, Path, Sequence[str]]],
    store: Store,
    embeddings: Embeddings,
    count_tokens: Callable[[str], int] = approx_word_pieces,
    max_bytes: int = MAX_POST_BYTES,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Embed posts again from their files: (file, archive root, chunk ids to drop first) each.

    The old chunks are deleted before the new ones are written, so a damaged vector is replaced
    rather than updated in place. Returns the re-embedded post ids and (file, reason) failures;
    a post whose file cannot be read keeps its chunks.
    """
    pending: list[_Pending] = []
    failed: list[tuple[str, str]] = []
    for path, root, old_ids in posts:
        try:
            pending.append(_pending(read_bytes(path, max_bytes), path, root, old_ids, count_tokens))
        except PostError as e:
            failed.append((e.source, e.reason))
    with _writing(store):
        for p in pending:
            store.delete_ids(p.stale_ids)
        with _Writer(store, embeddings, IngestReport(), EMBED_BATCH) as writer:
            for p in pending:
                writer.add(p)
        sync_word_index(store)
    return [p.post.post_id for p in pending], failed


def _extra(p: _Pending) -> dict[str, str | int]:
    return {
        "file_hash": p.file_hash,
        "original_date": p.post.original_date,
        "translated_at": p.post.translated_at,
        "format": p.post.fmt,
    }


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)
