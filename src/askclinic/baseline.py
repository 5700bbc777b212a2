"""The textbook LangChain RAG, to compare askclinic's answers against.

Raw post files split by ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=0)``,
embedded with the same model into an in-memory Chroma, dense top-4; the retrieved chunks are
the answer (always "answered", one citation per chunk, no disclaimer: the textbook has none).
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from .errors import ConfigError, PostError
from .types import Answer, Chunk, Citation, Hit, Status

log = logging.getLogger(__name__)

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 0
TOP_K = 4


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


class NaiveRAG:
    """Split, embed, store, top-k: the retrieved chunks shown as the answer."""

    def __init__(self, vectorstore: Any, posts: dict[str, str], k: int = TOP_K) -> None:
        self.vectorstore = vectorstore
        self.posts = posts  # post id -> normalised raw text, to check quotes against
        self.k = k

    @classmethod
    def from_archive(cls, folder: Path, embeddings: Embeddings, k: int = TOP_K) -> NaiveRAG:
        """Index every post file under ``folder``; post ids are paths relative to it, as in ingest."""
        import chromadb
        from chromadb.config import Settings
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from .ingestion import discover
        from .reader import decode, post_id_for, read_bytes

        if not folder.is_dir():
            raise ConfigError(f"--archive {folder} is not a folder; pass the folder you ingested")
        files, _, _ = discover([folder])
        docs, posts = [], {}
        for path, root in files:
            try:
                text = decode(read_bytes(path), str(path))
            except PostError as e:
                log.warning("baseline skipped %s: %s", e.source, e.reason)
                continue
            post_id = post_id_for(path, root)
            posts[post_id] = _normalised(text)
            docs.append(Document(page_content=text, metadata={"source": str(path), "post_id": post_id}))
        if not docs:
            raise ConfigError(f"--archive {folder} holds no readable post files")
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        chunks = splitter.split_documents(docs)
        client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
        store = Chroma(collection_name=f"naive-{uuid.uuid4().hex}", embedding_function=embeddings, client=client)
        store.add_documents(chunks, ids=[f"naive-{i}" for i in range(len(chunks))])
        log.info("baseline indexed %d chunks of %d posts", len(chunks), len(docs))
        return cls(store, posts, k)

    def answer(self, question: str) -> Answer:
        found = self.vectorstore.similarity_search_with_score(question, k=self.k)
        hits, citations, parts = [], [], []
        for n, (doc, distance) in enumerate(found, start=1):
            post_id = str(doc.metadata["post_id"])
            source = str(doc.metadata["source"])
            chunk = Chunk(
                f"{post_id}::naive{n}", post_id, post_id, "", (doc.page_content,), n - 1, 0, {"source": source}
            )
            # Chroma's default space is squared L2; on unit vectors that is 2 - 2 cos.
            hits.append(Hit(chunk, 1.0 / n, 1.0 - float(distance) / 2))
            citations.append(Citation(n, post_id, post_id, "", "", "", doc.page_content, source))
            parts.append(f"{' '.join(doc.page_content.split())} [{n}]")
        return Answer(question, Status.ANSWERED, "\n\n".join(parts), tuple(citations), "", tuple(hits))
