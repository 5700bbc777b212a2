"""askclinic's exceptions. Each message says what went wrong and how to fix it.

AskclinicError
├── PostError            a file cannot be read or parsed as a post (ingestion skips it)
├── StoreError           the vector store cannot be opened or reached
│   ├── EmptyStoreError  nothing has been ingested yet
│   ├── StoreCorruptError  the store's database is damaged (it is left untouched)
│   ├── StoreBusyError   another ingestion holds the store's writer lock
│   └── ModelMismatchError  the store was built with another embedding model
├── ConfigError          a setting is invalid
├── SafetySetError       a safety evaluation file has bad lines
└── LLMError             the optional LLM backend failed or is not installed
"""

from __future__ import annotations


class AskclinicError(Exception):
    """Base of every error askclinic raises on purpose."""


class PostError(AskclinicError):
    """A file could not be turned into a post."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class StoreError(AskclinicError):
    """The vector store cannot be used."""


class EmptyStoreError(StoreError):
    """The store holds no posts."""


class StoreCorruptError(StoreError):
    """The store's database cannot be read; nothing was written to it."""


class StoreBusyError(StoreError):
    """Another process is writing to the store."""


class ModelMismatchError(StoreError):
    """The store's vectors come from a different embedding model."""


class ConfigError(AskclinicError):
    """A setting has an invalid value."""


class LLMError(AskclinicError):
    """The optional LLM backend is missing or failed."""


class SafetySetError(AskclinicError):
    """A safety evaluation set cannot be read; the message names each bad line."""
