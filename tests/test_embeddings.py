"""The packaged model as a LangChain Embeddings, checked by langchain-tests' standard suite."""

from __future__ import annotations

import math

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from askclinic.embeddings import PACKAGED_MODEL, SentenceEmbeddings
from askclinic.errors import ConfigError


class TestStandardEmbeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[SentenceEmbeddings]:
        return SentenceEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"model": PACKAGED_MODEL}


def test_vectors_are_normalised_and_meaningful(real_embeddings: SentenceEmbeddings) -> None:
    q = real_embeddings.embed_query("how common is thread exposure?")
    docs = real_embeddings.embed_documents(["Thread exposure: 5%", "Laser toning sessions are 2 weeks apart."])
    assert len(q) == 384
    assert math.isclose(sum(v * v for v in q), 1.0, rel_tol=1e-3)
    sims = [sum(a * b for a, b in zip(q, d, strict=True)) for d in docs]
    assert sims[0] > sims[1] + 0.2


def test_bfloat16_matches_float32() -> None:
    text = ["Bruising usually fades within 10 to 14 days after a thread lift."]
    a = SentenceEmbeddings(dtype="float32").embed_documents(text)[0]
    b = SentenceEmbeddings(dtype="bfloat16").embed_documents(text)[0]
    assert sum(x * y for x, y in zip(a, b, strict=True)) > 0.995


def test_unknown_model_is_refused_not_downloaded() -> None:
    with pytest.raises(ConfigError, match="never downloaded"):
        SentenceEmbeddings("sentence-transformers/all-mpnet-base-v2")
