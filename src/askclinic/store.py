"""The Chroma vector store: an embedded folder or a Chroma server, one collection per model.

Each embedding model gets its own collection (named from the model id), so vectors from
two models are never mixed: switching models means a fresh collection and a full re-embed,
after which the old model's collection is dropped.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import EmptyStoreError, ModelMismatchError, StoreBusyError, StoreCorruptError, StoreError
from .types import Chunk

log = logging.getLogger(__name__)

COLLECTION_PREFIX = "askclinic-"
# Chosen with benchmarks/hnsw_recall.py on 20,000 real embeddings (recall@10 against brute
# force): Chroma's defaults 0.98, these 0.999 (ef_search 128: 0.994-0.996), for ~1 ms a query.
HNSW = {"space": "cosine", "ef_construction": 200, "max_neighbors": 32, "ef_search": 256}
PAGE = 500  # records per read: larger pages cost Chroma far more memory than time
# Chunk metadata: when its post was last written, in whole milliseconds since the epoch (an
# integer: a float does not come back from Chroma bit for bit, and the word index compares them).
WRITTEN_AT = "written_at"
SQLITE_FILE = "chroma.sqlite3"
LOCK_FILE = "askclinic-writer.lock"
WORD_INDEX_FILE = "askclinic-words.sqlite3"  # the word index of a store folder (word_index.py)
PID_FILE = "askclinic-writer.pid"


@dataclass(frozen=True)
class PostState:
    """What the store holds of one post, enough to decide whether to re-embed it."""

    post_id: str
    source: str
    file_hash: str
    chunk_ids: tuple[str, ...]
    complete: bool  # every chunk carries the same file hash and the full chunk count


@dataclass(frozen=True)
class PostWrite:
    """One post's new chunks with their vectors, post-level metadata and the ids it replaces."""

    chunks: Sequence[Chunk]
    vectors: Sequence[Sequence[float]]
    extra: dict[str, str | int]
    stale_ids: Sequence[str] = ()


def collection_name(model_id: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", model_id.lower()).strip("-")[:40]
    digest = hashlib.sha256(model_id.encode()).hexdigest()[:8]
    return f"{COLLECTION_PREFIX}{slug}-{digest}"


def is_server(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def open_client(location: str, *, write: bool = False) -> Any:
    """A Chroma client for a folder (embedded) or an http(s):// URL (Chroma server).

    An embedded folder is checked before Chroma opens it: a damaged database raises
    ``StoreCorruptError`` and is left untouched. A folder this process cannot write to is
    served from a private copy when only reading (``write=False``); writing to it is refused.
    """
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if is_server(location):
        url = urlparse(location)
        if not url.hostname:
            raise StoreError(f"store URL {location!r} has no host; use http://HOST:PORT")
        port = url.port or (443 if url.scheme == "https" else 8000)
        try:
            return chromadb.HttpClient(host=url.hostname, port=port, ssl=url.scheme == "https", settings=settings)
        except Exception as e:
            raise StoreError(
                f"cannot reach the Chroma server at {location} ({e}); start it with "
                f"'chroma run --path DIR --host {url.hostname} --port {port}'"
            ) from e
    folder = Path(location)
    verify_database(folder)
    path = location
    if folder.is_dir() and not _writable(folder):
        if write:
            raise StoreError(
                f"the store folder {location} is read-only; ingest into a writable folder "
                "(askclinic ingest ARCHIVE --store NEW_FOLDER) and serve that, or make this one writable"
            )
        path = _private_copy(folder)
        log.warning("the store folder %s is read-only; serving a private copy of it (%s)", location, path)
    try:
        return chromadb.PersistentClient(path=path, settings=settings)
    except Exception as e:
        raise StoreError(f"cannot open the store folder {location!r}: {e}") from e


def verify_database(folder: Path) -> None:
    """Raise ``StoreCorruptError`` if the folder's Chroma database is unreadable (read-only check)."""
    db = folder / SQLITE_FILE
    if not db.is_file():
        return
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as con:
            con.text_factory = lambda b: b.decode("utf-8", "replace")
            rows = con.execute("PRAGMA quick_check").fetchall()
        problem = "" if rows == [("ok",)] else "; ".join(str(r[0]) for r in rows[:3])
    except (sqlite3.Error, ValueError) as e:
        problem = str(e)
    if problem:
        raise StoreCorruptError(
            f"the store at {folder} is damaged ({problem}) and was not changed; rebuild it with "
            f"'askclinic ingest ARCHIVE --store NEW_FOLDER', or restore a copy of the folder"
        )


def _writable(folder: Path) -> bool:
    db = folder / SQLITE_FILE
    return os.access(folder, os.W_OK) and (not db.exists() or os.access(db, os.W_OK))


def _private_copy(folder: Path) -> str:
    target = Path(tempfile.mkdtemp(prefix="askclinic-store-")) / "store"
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns(LOCK_FILE, PID_FILE, f"{WORD_INDEX_FILE}*"))
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    atexit.register(shutil.rmtree, target.parent, True)
    return str(target)


@contextmanager
def writer_lock(location: str, *, wait: bool = False) -> Iterator[None]:
    """Hold the one-writer lock of an embedded store folder (a Chroma server needs none).

    A second writer fails at once with ``StoreBusyError`` naming the holder's process id, or
    with ``wait=True`` waits for the lock.
    """
    if is_server(location):
        yield
        return
    from filelock import FileLock, Timeout

    folder = Path(location)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / LOCK_FILE))
    pid_file = folder / PID_FILE
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = _read_pid(pid_file)
        if not wait:
            raise StoreBusyError(
                f"another ingestion{f' (process {holder})' if holder else ''} is writing to the store at "
                f"{location}; wait for it to finish, or pass --wait"
            ) from None
        log.warning("waiting for the ingestion%s writing to %s", f" (process {holder})" if holder else "", location)
        lock.acquire()
    try:
        pid_file.write_text(str(os.getpid()))
        yield
    finally:
        pid_file.unlink(missing_ok=True)
        lock.release()


def _read_pid(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


class Store:
    """Chunks and vectors of one embedding model inside a Chroma client."""

    def __init__(self, client: Any, model_id: str, location: str = "") -> None:
        self.client = client
        self.model_id = model_id
        self.location = location
        self.name = collection_name(model_id)
        self._collection: Any = None

    # -- collections -------------------------------------------------------------------
    def _existing(self) -> dict[str, str]:
        """Our collections in this client: name -> embedding model id."""
        out = {}
        for col in self.client.list_collections():
            name = getattr(col, "name", col)
            if name.startswith(COLLECTION_PREFIX):
                meta = self.client.get_collection(name, embedding_function=None).metadata or {}
                out[name] = str(meta.get("embedding_model", "?"))
        return out

    def collection(self, create: bool = False) -> Any:
        if self._collection is None:
            if create:
                self._collection = self.client.get_or_create_collection(
                    self.name,
                    configuration={"hnsw": dict(HNSW)},
                    metadata={"embedding_model": self.model_id},
                    embedding_function=None,
                )
            else:
                try:
                    self._collection = self.client.get_collection(self.name, embedding_function=None)
                except Exception as e:
                    others = {n: m for n, m in self._existing().items() if n != self.name}
                    if others:
                        raise ModelMismatchError(
                            f"the store at {self.location or 'this location'} was built with the "
                            f"embedding model {', '.join(sorted(set(others.values())))}, not "
                            f"{self.model_id}; run 'askclinic ingest' on the archive to rebuild it"
                        ) from e
                    raise EmptyStoreError(self._empty_message()) from e
        return self._collection

    def _empty_message(self) -> str:
        where = self.location or "the configured store"
        return f"the store at {where} holds no posts yet; run 'askclinic ingest PATH' first"

    def exists(self) -> bool:
        return self.name in self._existing()

    def collection_id(self) -> str:
        """The id of this model's collection ('' when there is none): the same whichever address
        an app reaches the server by, and new when the collection is rebuilt."""
        try:
            return str(self.client.get_collection(self.name, embedding_function=None).id)
        except Exception:
            return ""

    def other_models(self) -> dict[str, str]:
        return {n: m for n, m in self._existing().items() if n != self.name}

    def drop_other_models(self) -> list[str]:
        dropped = []
        for name, model in self.other_models().items():
            self.client.delete_collection(name)
            dropped.append(model)
            log.info("dropped collection %s built with %s", name, model)
        return dropped

    def count(self) -> int:
        """Chunks in this model's collection (0 when there is none). Once the collection is open
        this is one call, not a listing of every collection."""
        if self._collection is not None:
            try:
                return int(self._collection.count())
            except Exception:  # dropped or replaced by an ingestion meanwhile: look it up again
                self._collection = None
        return self.collection().count() if self.exists() else 0

    def revision(self) -> str:
        """A stamp that every write changes (a post edited in place keeps its chunk count, so the
        count alone cannot tell that the text changed); '' before the first write."""
        try:  # one call by name (never a listing of every collection)
            meta = self.client.get_collection(self.name, embedding_function=None).metadata or {}
        except Exception:  # dropped or replaced meanwhile: the next question looks again
            return ""
        return str(meta.get("revision", ""))

    def _touch(self, col: Any) -> None:
        """Record that the collection's contents changed, for apps reading it (``revision``)."""
        meta = {k: v for k, v in (col.metadata or {}).items() if not k.startswith("hnsw:")}
        col.modify(metadata={**meta, "embedding_model": self.model_id, "revision": uuid.uuid4().hex})

    # -- reading -----------------------------------------------------------------------
    def _pages(self, include: list[str], where: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        col = self.collection()
        offset = 0
        while True:
            page = col.get(where=where, include=include, limit=PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def post_states(self) -> dict[str, PostState]:
        if not self.exists():
            return {}
        by_post: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for page in self._pages(["metadatas"]):
            for chunk_id, meta in zip(page["ids"], page["metadatas"], strict=True):
                by_post[str(meta.get("post_id"))].append((chunk_id, meta))
        states = {}
        for post_id, rows in by_post.items():
            hashes = {m.get("file_hash") for _, m in rows}
            counts = {m.get("n_chunks") for _, m in rows}
            indexes = {m.get("chunk_index") for _, m in rows}
            n = int(next(iter(counts)) or 0) if len(counts) == 1 else -1
            complete = len(hashes) == 1 and indexes == set(range(n)) and len(rows) == n
            states[post_id] = PostState(
                post_id=post_id,
                source=str(rows[0][1].get("source", "")),
                file_hash=str(next(iter(hashes))) if len(hashes) == 1 else "",
                chunk_ids=tuple(cid for cid, _ in rows),
                complete=complete,
            )
        return states

    def chunk_fingerprints(self, fingerprint: Callable[[dict[str, Any]], str]) -> dict[str, str]:
        """Every chunk id with ``fingerprint`` of its metadata (no texts are read)."""
        if not self.exists():
            return {}
        return {
            chunk_id: fingerprint(meta)
            for page in self._pages(["metadatas"])
            for chunk_id, meta in zip(page["ids"], page["metadatas"], strict=True)
        }

    def records_since(self, stamp: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """(document, metadata) of every chunk written after ``stamp`` (``WRITTEN_AT``)."""
        if not self.exists():
            return
        for page in self._pages(["metadatas", "documents"], where={WRITTEN_AT: {"$gt": stamp}}):
            yield from zip(page["documents"], page["metadatas"], strict=True)

    def records(self, chunk_ids: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
        """(document, metadata) of these chunks; ids no longer stored are left out."""
        if not chunk_ids:
            return []
        page = self.collection().get(ids=list(chunk_ids), include=["metadatas", "documents"])
        return list(zip(page["documents"], page["metadatas"], strict=True))

    def chunks(self) -> list[Chunk]:
        """Every stored chunk (for the lexical index and section look-ups)."""
        if not self.exists():
            return []
        out = []
        for page in self._pages(["metadatas", "documents"]):
            for doc, meta in zip(page["documents"], page["metadatas"], strict=True):
                out.append(chunk_from_record(doc, meta))
        return out

    def query(self, vector: Sequence[float], k: int) -> list[tuple[Chunk, float]]:
        """Nearest chunks with their cosine similarity (1 - cosine distance)."""
        col = self.collection()
        res = col.query(  # one call: an empty collection returns nothing (no count beforehand)
            query_embeddings=[list(vector)],
            n_results=k,
            include=["metadatas", "documents", "distances"],
        )
        if not res["ids"][0]:
            raise EmptyStoreError(self._empty_message())
        return [
            (chunk_from_record(doc, meta), 1.0 - float(dist))
            for doc, meta, dist in zip(res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True)
        ]

    # -- writing -----------------------------------------------------------------------
    def write_posts(self, posts: Sequence[PostWrite]) -> list[tuple[str, dict[str, Any]]]:
        """Replace whole posts' chunks: upsert all new chunks in one call, then delete leftovers.

        If the process dies in between, a post's leftovers (or its missing chunks) disagree with
        its file hash and chunk count, so it reads as incomplete and the next ingestion rewrites it.
        Returns the (document, metadata) records written.
        """
        if not posts:
            return []
        col = self.collection(create=True)
        ids: list[str] = []
        vectors: list[list[float]] = []
        documents: list[str] = []
        metadatas: list[dict[str, Any]] = []
        stale: set[str] = set()
        written_at = time.time_ns() // 1_000_000  # lets readers fetch what changed since they last looked
        for post in posts:
            post_ids = [c.chunk_id for c in post.chunks]
            ids.extend(post_ids)
            vectors.extend(list(v) for v in post.vectors)
            documents.extend(c.text for c in post.chunks)
            metadatas.extend(
                {**c.metadata, **post.extra, "n_chunks": len(post.chunks), WRITTEN_AT: written_at} for c in post.chunks
            )
            stale |= set(post.stale_ids) - set(post_ids)
        col.upsert(ids=ids, embeddings=vectors, documents=documents, metadatas=metadatas)
        if stale:
            col.delete(ids=sorted(stale))
        self._touch(col)
        return list(zip(documents, metadatas, strict=True))

    def delete_ids(self, ids: Sequence[str]) -> None:
        if ids:
            col = self.collection()
            col.delete(ids=list(ids))
            self._touch(col)

    def as_vectorstore(self, embeddings: Any) -> Any:
        """The same collection as a LangChain ``Chroma`` vector store."""
        from langchain_chroma import Chroma

        self.collection(create=True)
        return Chroma(
            client=self.client,
            collection_name=self.name,
            embedding_function=embeddings,
            collection_configuration={"hnsw": dict(HNSW)},  # type: ignore[arg-type]
        )


def chunk_id_of(meta: dict[str, Any]) -> str:
    """A stored chunk's id, from its metadata."""
    return f"{meta['post_id']}::{meta['chunk_index']}"


def chunk_from_record(document: str, meta: dict[str, Any]) -> Chunk:
    lines = document.split("\n")
    return Chunk(
        chunk_id=chunk_id_of(meta),
        post_id=str(meta["post_id"]),
        title=lines[0],
        section=lines[1] if len(lines) > 1 else "",
        sentences=tuple(lines[2:]),
        chunk_index=int(meta["chunk_index"]),
        section_index=int(meta.get("section_index", 0)),
        metadata=dict(meta),
    )


def open_store(location: str, model_id: str, *, write: bool = False) -> Store:
    return Store(open_client(location, write=write), model_id, location)
