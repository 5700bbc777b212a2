"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank.

Korean questions are searched with the English terms the glossary gives for them, because
the archive (and the embedding model) are English. At most ``per_section`` chunks of any one
post section are returned, so one post cannot crowd out the rest.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .glossary import Glossary, default_glossary, is_korean
from .lexical import LexicalIndex, tokens
from .post_record import ABOUT
from .store import Store
from .types import Chunk, Hit

RRF_K = 60
CANDIDATES = 40


@dataclass(frozen=True)
class Query:
    """A question as searched: the original text and the English text actually matched."""

    original: str
    text: str
    korean: bool


class HybridSearch:
    """Dense + BM25 search over one store; the lexical index is built once per process."""

    def __init__(
        self, store: Store, embeddings: Embeddings, glossary: Glossary | None = None, per_section: int = 2
    ) -> None:
        self.store = store
        self.embeddings = embeddings
        self.glossary = glossary or default_glossary()
        self.per_section = per_section
        self._lock = threading.Lock()
        self._chunks: list[Chunk] | None = None
        self._index: LexicalIndex | None = None
        self._sections: dict[tuple[str, int], list[Chunk]] = {}
        self._about: dict[str, Chunk] = {}
        self._version: tuple[int, str] = (-1, "")  # the store's chunk count and revision indexed

    def prepare(self, question: str) -> Query:
        """The text to search: Korean through the glossary, patients' words to the archive's,
        and words the archive never uses corrected when one letter away from one it does."""
        if is_korean(question):
            english = self.glossary.translate(question) or question
            return Query(question, self.glossary.expand(self.index.correct(english)), True)
        return Query(question, self.glossary.expand(self.index.correct(question)), False)

    def refresh(self) -> None:
        """(Re)build the lexical index when the store's contents changed.

        One rebuild at a time: while it runs, other requests keep using the index they have
        instead of waiting for (and repeating) the rebuild.
        """
        version = (self.store.count(), self.store.revision())
        if version == self._version and self._index is not None:
            return
        if not self._lock.acquire(blocking=self._index is None):
            return  # another request is rebuilding; the current index serves meanwhile
        try:
            version = (self.store.count(), self.store.revision())
            if version == self._version and self._index is not None:
                return  # rebuilt by the request that held the lock
            chunks = self.store.chunks()
            sections: dict[tuple[str, int], list[Chunk]] = {}
            for c in sorted(chunks, key=lambda c: (c.post_id, c.chunk_index)):
                sections.setdefault((c.post_id, c.section_index), []).append(c)
            self._index = LexicalIndex([c.text for c in chunks])
            self._sections = sections
            self._about = {c.post_id: c for c in chunks if c.section == ABOUT}
            self._chunks = chunks
            self._version = version
        finally:
            self._lock.release()

    @property
    def indexed_chunks(self) -> int | None:
        """Chunks in the lexical index now serving (its version), or None before the first build."""
        return self._version[0] if self._index is not None else None

    def chunks_indexed(self) -> list[Chunk]:
        """The chunks the word index was built from (the store as of its last change)."""
        self.refresh()
        return list(self._chunks or ())

    @property
    def index(self) -> LexicalIndex:
        self.refresh()
        assert self._index is not None
        return self._index

    def section_of(self, chunk: Chunk) -> list[Chunk]:
        """Every chunk of the same post section, in order (to find a figure's context)."""
        self.refresh()
        return list(self._sections.get((chunk.post_id, chunk.section_index), ()))

    def about_of(self, post_id: str) -> Chunk | None:
        """The post's "About this post" record chunk, if it has one."""
        self.refresh()
        return self._about.get(post_id)

    def search(self, question: str | Query, k: int = 5) -> list[Hit]:
        return self.search_with_vector(question, k)[0]

    def search_with_vector(self, question: str | Query, k: int = 5) -> tuple[list[Hit], list[float]]:
        """The hits and the question's embedding (the answerer reuses it)."""
        query = self.prepare(question) if isinstance(question, str) else question
        self.refresh()
        assert self._chunks is not None and self._index is not None
        vector = self.embeddings.embed_query(query.text)
        dense = self.store.query(vector, CANDIDATES)
        lexical = self._index.search(tokens(query.text), CANDIDATES)

        fused: dict[str, float] = defaultdict(float)
        chunk_of: dict[str, Chunk] = {}
        similarity: dict[str, float] = {}
        lexical_score: dict[str, float] = {}
        for rank, (chunk, sim) in enumerate(dense):
            fused[chunk.chunk_id] += 1.0 / (RRF_K + rank + 1)
            chunk_of[chunk.chunk_id] = chunk
            similarity[chunk.chunk_id] = sim
        for rank, (i, score) in enumerate(lexical):
            chunk = self._chunks[i]
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
