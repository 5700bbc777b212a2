"""The one place that turns settings into real objects; everything else takes them as arguments."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .embeddings import SentenceEmbeddings, set_torch_threads
from .settings import Settings, offline_environment
from .store import Store, is_server, open_store

if TYPE_CHECKING:
    from .pipeline import AskPipeline


def make_embeddings(settings: Settings) -> SentenceEmbeddings:
    offline_environment()
    return SentenceEmbeddings(settings.embedding_model, dtype=settings.embedding_dtype)


def make_store(settings: Settings, model_id: str, *, write: bool = False) -> Store:
    offline_environment()
    return open_store(settings.store, model_id, write=write)


def word_index_snapshot(settings: Settings) -> Path | None:
    """The file a Chroma server's word index is published to and started from (None: none, or
    the store is a folder, whose word index lives inside it)."""
    if settings.word_index_snapshot and is_server(settings.store):
        return Path(settings.word_index_snapshot).expanduser()
    return None


def make_pipeline(settings: Settings, embeddings: SentenceEmbeddings | None = None) -> AskPipeline:
    """The whole answering chain from settings (models load on first use)."""
    from .pipeline import AskPipeline
    from .retrieval import HybridSearch
    from .word_index import WordIndexFile, default_path, seed

    set_torch_threads(settings.query_threads)
    embeddings = embeddings or make_embeddings(settings)
    store = make_store(settings, embeddings.model_id)
    llm = None
    if settings.llm:
        from .llm import make_llm_composer

        llm = make_llm_composer(settings)
    path = default_path(store, Path(settings.cache_dir) if settings.cache_dir else None)
    snapshot = word_index_snapshot(settings)
    if snapshot is not None:
        seed(path, snapshot, store.collection_id())
    words = WordIndexFile(path)
    return AskPipeline(HybridSearch(store, embeddings, words=words), llm=llm, max_chars=settings.max_question_chars)
