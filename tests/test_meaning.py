"""The shared question-to-passage model: vectors are cached, and the safety backstop and the
answerer encode a message once between them."""

from __future__ import annotations

import threading

import numpy as np

from askclinic.meaning import Meaning, default_meaning
from askclinic.safety_backstop import encode


class CountingEncoder:
    """Stands in for the e5 engine: a fixed vector per text, counting what it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def _vectors(self, texts: list[str], salt: int) -> np.ndarray:
        self.asked.extend(texts)
        out = np.zeros((len(texts), 384), dtype="float32")
        for i, text in enumerate(texts):
            out[i, (hash(text) + salt) % 384] = 1.0
        return out

    def query(self, texts: list[str]) -> np.ndarray:
        return self._vectors(texts, 0)

    def passage(self, texts: list[str]) -> np.ndarray:
        return self._vectors(texts, 1)


def test_a_message_is_encoded_once_however_it_is_cased() -> None:
    encoder = CountingEncoder()
    meaning = Meaning(encoder)
    first = meaning.query(["How long does Swelling last?"])
    again = meaning.query(["how long does   swelling last?"])
    assert np.array_equal(first, again)
    assert encoder.asked == ["how long does swelling last?"]


def test_passages_are_cached_and_queries_do_not_share_their_cache() -> None:
    encoder = CountingEncoder()
    meaning = Meaning(encoder)
    meaning.passages(["Swelling lasts 7 to 10 days.", "Bruising: 26%"])
    meaning.passages(["Bruising: 26%"])
    meaning.query(["Bruising: 26%"])
    assert encoder.asked == ["Swelling lasts 7 to 10 days.", "Bruising: 26%", "bruising: 26%"]


def test_similarity_is_the_cosine_of_the_real_model() -> None:
    meaning = default_meaning()
    close, far = meaning.similarity(
        "can i drink through a straw after lip filler?",
        [
            "Lip Filler FAQ. Avoid drinking through a straw and kissing for 24 hours after the procedure.",
            "Laser hair removal. Sessions on the body are spaced 6 to 8 weeks apart.",
        ],
    )
    assert close > far + 0.05
    korean, _ = meaning.similarity(
        "입술필러 하고 빨대 써도 돼요?",
        ["Lip Filler FAQ. Avoid drinking through a straw and kissing for 24 hours after the procedure.", "x"],
    )
    assert korean > 0.75  # across languages


def test_the_safety_backstop_and_the_answerer_share_the_message_vector() -> None:
    message = "how long does bruising last after a thread lift?"
    shared = default_meaning()
    backstop = encode([message])[0]
    assert np.allclose(shared.query([message])[0], backstop)


def test_concurrent_callers_get_the_same_vectors() -> None:
    meaning = default_meaning()
    texts = [f"question number {i} about filler" for i in range(12)]
    expected = meaning.query(texts)
    results: list[np.ndarray] = []

    def ask() -> None:
        results.append(meaning.query(list(reversed(texts))))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.allclose(r, expected[::-1]) for r in results)
