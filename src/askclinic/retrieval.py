"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank.

Korean questions are searched with the English terms the glossary gives for them, because
the archive (and the embedding model) are English. At most ``per_section`` chunks of any one
post section are returned, so one post cannot crowd out the rest.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .answering import KNOWN_NAMES
from .glossary import HANGUL, PART_SEPARATOR, Glossary, default_glossary, is_korean, korean_parts
from .lexical import LexicalIndex, tokens
from .post_record import ABOUT
from .store import Store
from .types import Chunk, Hit
from .word_index import WordIndexFile, default_path

log = logging.getLogger(__name__)

RRF_K = 60
CANDIDATES = 40
CHECK_EVERY = 1.0  # seconds between looks at the store's revision while serving


@dataclass(frozen=True)
class Query:
    """A question as searched: the original text and the English text actually matched."""

    original: str
    text: str
    korean: bool


@dataclass(frozen=True)
class _Serving:
    """One built BM25 index: the word-index rows it numbers, and the store revision it reflects."""

    index: LexicalIndex
    rows: Sequence[int]
    revision: str


class HybridSearch:
    """Dense + BM25 search over one store.

    The BM25 index is built from the word index on disk (``word_index``), never by reading every
    chunk back from the store. A running search looks at the store's revision at most once every
    ``check_every`` seconds; when it changed, one background thread syncs the word index (changed
    posts only) and builds the new BM25 index while requests keep the one they have.
    """

    def __init__(
        self,
        store: Store,
        embeddings: Embeddings,
        glossary: Glossary | None = None,
        per_section: int = 2,
        *,
        words: WordIndexFile | None = None,
        check_every: float = CHECK_EVERY,
    ) -> None:
        self.store = store
        self.embeddings = embeddings
        self.glossary = glossary or default_glossary()
        self.per_section = per_section
        self.check_every = check_every
        self._words = words
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._serving: _Serving | None = None
        self._checked = -math.inf
        self._builder: threading.Thread | None = None

    @property
    def words(self) -> WordIndexFile:
        """The word index file of this store (opened on first use)."""
        if self._words is None:
            with self._lock:
                if self._words is None:
                    self._words = WordIndexFile(default_path(self.store))
        return self._words

    def prepare(self, question: str) -> Query:
        """The text to search: Korean through the glossary, patients' words to the archive's,
        and words the archive never uses corrected when one letter away from one it does."""
        if is_korean(question):
            parts = korean_parts(question)
            translated = [self.glossary.translate(part) for part in parts] if len(parts) > 1 else []
            if translated and all(translated):  # it asks several things: one part each, kept apart
                english = f" {PART_SEPARATOR} ".join(translated)
            else:
                english = self.glossary.translate(question) or question
            # Korean words the archive itself holds (a doctor's or clinic's name in a byline) are
            # searched as written: no glossary knows them
            index = self.index
            named = [w for w in tokens(question) if HANGUL.search(w) and w in index.vocab]
            english = " ".join([english, *dict.fromkeys(w for w in named if w not in english)])
            return Query(question, self.glossary.expand(index.correct(english, KNOWN_NAMES)), True)
        return Query(question, self.glossary.expand(self.index.correct(question, KNOWN_NAMES)), False)

    def refresh(self, wait: bool = False) -> None:
        """Follow the store's changes.

        The first call builds the index (and waits for it). After that, at most one look at the
        store's revision every ``check_every`` seconds; a change starts one background rebuild
        and this call returns at once: requests keep the current index until the new one is
        ready. ``wait=True`` looks now and returns once the index reflects the store.
        """
        if self._serving is not None and not wait:
            now = time.monotonic()
            if now - self._checked < self.check_every:
                return
            self._checked = now
            try:
                if self.store.revision() == self._serving.revision:
                    return
            except Exception as e:  # the store is unreachable for a moment: keep serving
                log.warning("could not check the store for changes: %s", e)
                return
            self._start_rebuild()
            return
        with self._building:  # one rebuild at a time: this waits for a running one, then looks
            self._rebuild()

    def _start_rebuild(self) -> None:
        with self._lock:
            if self._builder is not None and self._builder.is_alive():
                return
            self._builder = threading.Thread(target=self._rebuild_in_background, name="askclinic-words", daemon=True)
            self._builder.start()

    def _rebuild_in_background(self) -> None:
        try:
            with self._building:
                self._rebuild()
        except Exception:
            log.exception("rebuilding the word index failed; the previous one keeps serving")

    def _rebuild(self) -> None:
        report = self.words.sync(self.store)
        if self._serving is not None and report.revision == self._serving.revision and not report.changed:
            return
        rows = array("q")

        def documents() -> Iterator[list[str]]:  # streamed: one chunk's tokens in memory at a time
            for row, doc in self.words.documents():
                rows.append(row)
                yield doc

        index = LexicalIndex.from_tokens(documents(), self.words.words())
        self._serving = _Serving(index, rows, report.revision)
        self._checked = time.monotonic()

    @property
    def indexed_chunks(self) -> int | None:
        """Chunks in the lexical index now serving, or None before the first build."""
        return len(self._serving.rows) if self._serving is not None else None

    @property
    def indexed_revision(self) -> str | None:
        """The store revision the serving index reflects ('' for a store never written)."""
        return self._serving.revision if self._serving is not None else None

    def chunks_indexed(self) -> list[Chunk]:
        """Every chunk in the word index (the store as of its last sync)."""
        self.refresh()
        return self.words.all_chunks()

    @property
    def index(self) -> LexicalIndex:
        self.refresh()
        assert self._serving is not None
        return self._serving.index

    def section_of(self, chunk: Chunk) -> list[Chunk]:
        """Every chunk of the same post section, in order (to find a figure's context)."""
        self.refresh()
        return self.words.section(chunk.post_id, chunk.section_index)

    def post_text(self, post_id: str) -> str:
        """Everything one post says (its chunks' text, in order)."""
        self.refresh()
        return self.words.post_text(post_id)

    def about_of(self, post_id: str) -> Chunk | None:
        """The post's "About this post" record chunk, if it has one."""
        self.refresh()
        return self.words.chunk_in_section(post_id, ABOUT)

    def search(self, question: str | Query, k: int = 5) -> list[Hit]:
        return self.search_with_vector(question, k)[0]

    def search_with_vector(self, question: str | Query, k: int = 5) -> tuple[list[Hit], list[float]]:
        """The hits and the question's embedding (the answerer reuses it)."""
        query = self.prepare(question) if isinstance(question, str) else question
        self.refresh()
        serving = self._serving
        assert serving is not None
        vector = self.embeddings.embed_query(query.text)
        dense = self.store.query(vector, CANDIDATES)
        lexical = [(serving.rows[i], score) for i, score in serving.index.search(tokens(query.text), CANDIDATES)]
        lexical_chunks = self.words.chunks([row for row, _ in lexical])

        fused: dict[str, float] = defaultdict(float)
        chunk_of: dict[str, Chunk] = {}
        similarity: dict[str, float] = {}
        lexical_score: dict[str, float] = {}
        for rank, (chunk, sim) in enumerate(dense):
            fused[chunk.chunk_id] += 1.0 / (RRF_K + rank + 1)
            chunk_of[chunk.chunk_id] = chunk
            similarity[chunk.chunk_id] = sim
        for rank, (row, score) in enumerate(lexical):
            found = lexical_chunks.get(row)
            if found is None:  # removed from the store since this index was built
                continue
            chunk = found
            fused[chunk.chunk_id] += 1.0 / (RRF_K + rank + 1)
            chunk_of.setdefault(chunk.chunk_id, chunk)
            lexical_score[chunk.chunk_id] = score

        hits: list[Hit] = []
        per_section: dict[tuple[str, int], int] = defaultdict(int)
        for chunk_id in sorted(fused, key=fused.__getitem__, reverse=True):
            chunk = chunk_of[chunk_id]
            key = (chunk.post_id, chunk.section_index)
            if per_section[key] >= self.per_section:
                continue
            per_section[key] += 1
            hits.append(Hit(chunk, fused[chunk_id], similarity.get(chunk_id, 0.0), lexical_score.get(chunk_id, 0.0)))
            if len(hits) == k:
                break
        return hits, vector


def hit_to_document(hit: Hit) -> Document:
    meta: dict[str, Any] = {**hit.chunk.metadata, "score": hit.score, "similarity": hit.similarity}
    return Document(page_content=hit.chunk.text, metadata=meta, id=hit.chunk.chunk_id)


class ArchiveRetriever(BaseRetriever):
    """The hybrid search as a LangChain retriever (documents carry the chunk metadata)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: HybridSearch
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        return [hit_to_document(h) for h in self.search.search(query, k or self.k)]
