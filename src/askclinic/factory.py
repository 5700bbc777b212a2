"""The one place that turns settings into real objects; everything else takes them as arguments."""

from __future__ import annotations

from .embeddings import SentenceEmbeddings
from .settings import Settings, offline_environment
from .store import Store, open_store


def make_embeddings(settings: Settings) -> SentenceEmbeddings:
    offline_environment()
    return SentenceEmbeddings(settings.embedding_model, dtype=settings.embedding_dtype)


def make_store(settings: Settings, model_id: str) -> Store:
    offline_environment()
    return open_store(settings.store, model_id)
