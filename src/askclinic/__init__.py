"""askclinic: answers patients' questions from a clinic's archive of posts, with citations.

The public API is listed in ``__all__``; names load on first use so ``askclinic --help``
stays fast (the embedding model and vector store are heavy imports).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Answer": "types",
    "Chunk": "types",
    "Citation": "types",
    "Hit": "types",
    "Post": "types",
    "Section": "types",
    "Status": "types",
    "AskclinicError": "errors",
    "PostError": "errors",
    "StoreError": "errors",
    "EmptyStoreError": "errors",
    "ModelMismatchError": "errors",
    "ConfigError": "errors",
    "LLMError": "errors",
    "Settings": "settings",
    "read_post": "reader",
    "chunk_post": "chunking",
    "SentenceEmbeddings": "embeddings",
    "Store": "store",
    "open_store": "store",
    "ingest": "ingestion",
    "IngestReport": "ingestion",
    "HybridSearch": "retrieval",
    "ArchiveRetriever": "retrieval",
    "AskPipeline": "pipeline",
    "DISCLAIMER": "safety",
    "SafetyGate": "safety",
    "load_safety": "safety",
    "make_pipeline": "factory",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'askclinic' has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*__all__, "__version__"]
